// Points for the message-size sweeps of published 8-GPU all-reduce measurements (nccl-tests busbw
// from 64 KB to 1 GB, an entry's `also.busbw_<size>`), predicted by the collective model on the
// node's placed group. The entry's own value (the large-message peak) set the node's scale-up
// efficiency, so it stays an input of the model; the smaller sizes test what no figure was fitted
// to: the per-step latencies, the fixed cost of a call and NCCL's choice of algorithm.
#include <cmath>
#include <string>
#include <vector>

#include "analysis/accuracy.hpp"
#include "core/text.hpp"
#include "solvers/collectives.hpp"
#include "system/cluster.hpp"

namespace mlsim::analysis {
namespace {

// "busbw_64MB" -> 64 MiB (nccl-tests sweeps powers of two and prints binary sizes); 0 if not one.
double sweep_bytes(const std::string& key) {
  if (key.rfind("busbw_", 0) != 0) return 0.0;
  const std::string size = key.substr(6);
  std::size_t digits = 0;
  while (digits < size.size() && std::isdigit(static_cast<unsigned char>(size[digits])) != 0) ++digits;
  if (digits == 0) return 0.0;
  const double n = std::stod(size.substr(0, digits));
  const std::string unit = size.substr(digits);
  if (unit == "KB") return n * 1024.0;
  if (unit == "MB") return n * 1024.0 * 1024.0;
  if (unit == "GB") return n * 1024.0 * 1024.0 * 1024.0;
  return 0.0;
}

// The scenario text of `count` accelerators in `node` nodes joined by `fabric` ("" for one node).
std::string system_yaml(const std::string& name, const std::string& accelerator, long long count, const std::string& node,
                        const std::string& fabric) {
  return "schema_version: 1\nkind: scenario\nname: \"" + name + "\"\nsystem: {accelerator: " + accelerator +
         ", count: " + std::to_string(count) + ", node: " + node + (fabric.empty() ? "" : ", fabric: " + fabric) +
         "}\nmodel: llama3_8b\ninference: {prompt_tokens: 1, output_tokens: 1, batch: 1}\n";
}

// One all-reduce point: busbw of `bytes` on all `count` ranks of the system, NCCL's pick.
AccuracyPoint all_reduce_point(const std::string& id, const std::string& file, const Origin& where, const std::string& unit,
                               double expected_gbps, const std::string& yaml, const std::vector<spec::Override>& overrides,
                               long long ranks, double bytes, std::vector<std::string> notes, const spec::Zoo& zoo) {
  AccuracyPoint p;
  p.id = id;
  p.source = file;
  p.where = where;
  p.category = "C_microbenchmark";
  p.group = "all-reduce busbw across nodes";
  p.metric = "allreduce_bus_bandwidth";
  p.unit = unit;
  p.compared = "solvers::collective(all_reduce).busbw on the placed ranks / 1e9";
  p.expected = expected_gbps;
  p.scenario_yaml = yaml;
  p.overrides = overrides;
  p.notes = std::move(notes);
  Diagnostics local;
  std::optional<spec::Scenario> s;
  try {
    s = spec::load_scenario_text(yaml, file + "#" + id, zoo, overrides, local);
  } catch (const InputError&) {
    s.reset();
  }
  if (!s) {
    p.status = PointStatus::kError;
    p.reason = "the system built for it was rejected";
    return p;
  }
  const system::Cluster cluster = system::Cluster::build(s->system);
  const solvers::CollectiveCost c = solvers::collective(solvers::Collective::kAllReduce, bytes, cluster.place(ranks, 1));
  p.predicted = c.busbw / 1e9;
  p.notes.push_back("message " + format_double(bytes, 6) + " B on " + std::to_string(ranks) + " ranks; algorithm: " +
                    solvers::algorithm_name(c.algorithm));
  p.signed_error = (*p.predicted - expected_gbps) / expected_gbps;
  p.status = PointStatus::kScored;
  return p;
}

}  // namespace

std::vector<AccuracyPoint> collective_scale_points(const spec::Node& entry, const std::string& id, const std::string& file,
                                                   const std::string& accelerator, const std::string& node, const spec::Zoo& zoo) {
  std::vector<AccuracyPoint> out;
  const spec::Node* metric = entry.find("metric");
  const spec::Node* value = entry.find("value");
  const spec::Node* hw = entry.find("hardware");
  if (metric == nullptr || value == nullptr || hw == nullptr || node.empty()) return out;
  if (metric->scalar == "allreduce_bus_bandwidth_multi_node") {
    // A whole cluster's all-reduce (nccl-tests#283: 1,984 H200s on 248 nodes, 512 MB): the node's
    // NICs on the fabric; the entry names the NICs (8 per node) but not the fabric.
    const spec::Node* count = hw->find("count");
    const spec::Node* unit_node = entry.find("unit");
    const std::string unit = unit_node != nullptr ? unit_node->scalar : "";
    if (count == nullptr) return out;
    const long long n = std::atoll(count->scalar.c_str());
    double bytes = 0.0;
    if (const auto at = unit.find(" MB message"); at != std::string::npos) {
      std::size_t b = at;
      while (b > 0 && std::isdigit(static_cast<unsigned char>(unit[b - 1])) != 0) --b;
      bytes = std::stod(unit.substr(b, at - b)) * 1024.0 * 1024.0;
    }
    if (n <= 8 || bytes <= 0.0) return out;
    const std::string fabric = "ib_ndr400_fat_tree";
    out.push_back(all_reduce_point(id, file, value->origin, unit, std::strtod(value->scalar.c_str(), nullptr),
                                   system_yaml(id, accelerator, n, node, fabric), {}, n, bytes,
                                   {"fabric not given: a non-blocking NDR 400 Gb/s fat tree assumed (" + fabric + ")",
                                    "the typical busbw the source reports (occasionally below 300 GB/s)"},
                                   zoo));
    return out;
  }
  const spec::Node* also = entry.find("also");
  const spec::Node* two = also != nullptr ? also->find("two_node_busbw_gbps") : nullptr;
  const spec::Node* nics = also != nullptr ? also->find("two_node_nics") : nullptr;
  if (two != nullptr && nics != nullptr && nics->scalar.rfind("4x 200 Gb", 0) == 0) {
    // nccl-tests#175: two A100 nodes, four 200 Gb/s HDR ports each (not a DGX's eight), up to 4 GB.
    out.push_back(all_reduce_point(id + "@two_node", file, two->origin, "GB/s busbw (2 nodes of 8, 4 GiB message)",
                                   std::strtod(two->scalar.c_str(), nullptr),
                                   system_yaml(id + " two nodes", accelerator, 16, node, "ib_hdr200_fat_tree"),
                                   {{"system.node.nics.count", "4"}}, 16, 4.0 * 1024.0 * 1024.0 * 1024.0,
                                   {"two nodes with four 200 Gb/s HDR ports each (the source's), an HDR fat tree",
                                    "the largest message of the source's sweep (4 GB) taken as 4 GiB"},
                                   zoo));
  }
  return out;
}

std::vector<AccuracyPoint> collective_sweep_points(const spec::Node& entry, const std::string& id, const std::string& file,
                                                   const std::string& accelerator, const std::string& node, const spec::Zoo& zoo) {
  std::vector<AccuracyPoint> out;
  const spec::Node* metric = entry.find("metric");
  const spec::Node* also = entry.find("also");
  const spec::Node* count = entry.find("hardware") != nullptr ? entry.find("hardware")->find("count") : nullptr;
  if (metric == nullptr || metric->scalar != "allreduce_bus_bandwidth_intra_node" || also == nullptr || !also->is_map() ||
      count == nullptr || count->scalar != "8" || node.empty()) {
    return out;
  }
  const std::string yaml = "schema_version: 1\nkind: scenario\nname: \"" + id + " sweep\"\nsystem: {accelerator: " + accelerator +
                           ", count: 8, node: " + node + "}\nmodel: llama3_8b\ninference: {prompt_tokens: 1, output_tokens: 1, batch: 1}\n";
  Diagnostics local;
  std::optional<spec::Scenario> s;
  try {
    s = spec::load_scenario_text(yaml, file + "#" + id, zoo, {}, local);
  } catch (const InputError&) {
    s.reset();
  }
  if (!s) return out;
  const system::Cluster cluster = system::Cluster::build(s->system);
  const system::GroupPath group = cluster.place(8, 1);
  // A node that carries a measured all-reduce curve of 8 ranks (the zoo's DGX A100, H100 and H200
  // carry exactly these sweeps) would be scored against itself: nothing to test.
  if (solvers::collective(solvers::Collective::kAllReduce, 1e6, group).algorithm == solvers::Algorithm::kMeasured) return out;
  for (const auto& [key, value] : also->map) {
    const double bytes = sweep_bytes(key);
    if (bytes <= 0.0 || !value.is_scalar()) continue;
    AccuracyPoint p;
    p.id = id + "@" + key.substr(6);
    p.source = file;
    p.where = value.origin;
    p.category = "C_microbenchmark";
    p.group = "all-reduce busbw by size (8 GPUs)";
    p.metric = "allreduce_bus_bandwidth_intra_node";
    p.unit = "GB/s busbw (" + key.substr(6) + " message)";
    p.compared = "solvers::collective(all_reduce).busbw on the node's 8 placed ranks / 1e9";
    p.expected = std::strtod(value.scalar.c_str(), nullptr);
    p.scenario_yaml = yaml;
    p.notes.push_back("message " + format_double(bytes, 6) + " B; the algorithm NCCL's tuner would pick among ring, tree and NVLS");
    const solvers::CollectiveCost c = solvers::collective(solvers::Collective::kAllReduce, bytes, group);
    p.predicted = c.busbw / 1e9;
    p.notes.push_back(std::string("algorithm: ") + solvers::algorithm_name(c.algorithm));
    if (p.expected && *p.expected > 0.0) {
      p.signed_error = (*p.predicted - *p.expected) / *p.expected;
      p.status = PointStatus::kScored;
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace mlsim::analysis
