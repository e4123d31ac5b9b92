// Points for published all-reduce measurements that the collective model predicts: the message-size
// sweeps of 8-GPU nccl-tests runs (`also.busbw_<size>`) on a node without a measured curve of its
// own, a cluster-wide all-reduce, and an entry's two-node figure. An 8-GPU sweep's large-message
// peak set the node's scale-up efficiency, so it stays an input; the smaller sizes test the
// per-step latencies, the fixed cost of a call and NCCL's choice of algorithm. The zoo's DGX A100,
// H100 and H200 carry exactly these sweeps as measured curves, so their sweeps are not scored.
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "analysis/accuracy.hpp"
#include "core/text.hpp"
#include "core/unit_parser.hpp"
#include "core/units.hpp"
#include "solvers/collectives.hpp"
#include "system/cluster.hpp"

namespace mlsim::analysis {
namespace {

// A size as nccl-tests prints it ("64MB", "512 MB"): powers of two, so binary units; nullopt if
// the text is not one.
std::optional<double> nccl_size(const std::string& text) {
  std::string t = text;
  for (const char* u : {"KB", "MB", "GB"}) {
    if (const auto at = t.find(u); at != std::string::npos && at + 2 == t.size()) {
      t = t.substr(0, at) + " " + std::string(1, u[0]) + "iB";
      break;
    }
  }
  const UnitParse p = parse_checked_quantity(t, quantity_check<Bytes>("1 MiB"));
  if (!p.value || p.value->si <= 0.0) return std::nullopt;
  return p.value->si;
}

// A published figure in GB/s: nullopt unless a positive number.
std::optional<double> positive_number(const spec::Node& n) {
  if (!n.is_scalar()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(n.scalar.c_str(), &end);
  if (end == n.scalar.c_str() || *end != '\0' || !(v > 0.0)) return std::nullopt;
  return v;
}

// The scenario text of `count` accelerators in `node` nodes joined by `fabric` ("" for one node).
std::string system_yaml(const std::string& name, const std::string& accelerator, long long count, const std::string& node,
                        const std::string& fabric) {
  return "schema_version: 1\nkind: scenario\nname: \"" + name + "\"\nsystem: {accelerator: " + accelerator +
         ", count: " + std::to_string(count) + ", node: " + node + (fabric.empty() ? "" : ", fabric: " + fabric) +
         "}\nmodel: llama3_8b\ninference: {prompt_tokens: 1, output_tokens: 1, batch: 1}\n";
}

// The system of a scenario text (nullopt if rejected: a mapping bug, reported by the caller).
std::optional<spec::SystemSpec> system_of(const std::string& yaml, const std::string& where,
                                          const std::vector<spec::Override>& overrides, const spec::Zoo& zoo) {
  Diagnostics local;
  try {
    if (auto s = spec::load_scenario_text(yaml, where, zoo, overrides, local)) return s->system;
  } catch (const InputError&) {
  }
  return std::nullopt;
}

struct AllReduceCase {
  std::string id, group, metric, unit;
  Origin where;
  double expected_gbps = 0.0;
  std::string yaml;
  std::vector<spec::Override> overrides;
  long long ranks = 0;
  double bytes = 0.0;
  std::vector<std::string> notes;
};

// One all-reduce point: busbw of `bytes` on the first `ranks` ranks of the system, NCCL's pick.
AccuracyPoint all_reduce_point(const AllReduceCase& k, const system::GroupPath& group, const std::string& file) {
  AccuracyPoint p;
  p.id = k.id;
  p.source = file;
  p.where = k.where;
  p.category = "C_microbenchmark";
  p.group = k.group;
  p.metric = k.metric;
  p.unit = k.unit;
  p.compared = "solvers::collective(all_reduce).busbw on the placed ranks / 1e9";
  p.expected = k.expected_gbps;
  p.scenario_yaml = k.yaml;
  p.overrides = k.overrides;
  p.notes = k.notes;
  const solvers::CollectiveCost c = solvers::collective(solvers::Collective::kAllReduce, k.bytes, group);
  p.predicted = c.busbw / 1e9;
  p.notes.push_back("message " + format_double(k.bytes, 6) + " B on " + std::to_string(k.ranks) + " ranks; algorithm: " +
                    solvers::algorithm_name(c.algorithm));
  p.signed_error = (*p.predicted - k.expected_gbps) / k.expected_gbps;
  p.status = PointStatus::kScored;
  return p;
}

// Evaluates one case on its own system; an error point if the system is rejected.
AccuracyPoint evaluate_case(const AllReduceCase& k, const std::string& file, const spec::Zoo& zoo) {
  const auto sys = system_of(k.yaml, file + "#" + k.id, k.overrides, zoo);
  if (!sys) {
    AccuracyPoint p;
    p.id = k.id;
    p.source = file;
    p.where = k.where;
    p.category = "C_microbenchmark";
    p.status = PointStatus::kError;
    p.reason = "the system built for it was rejected";
    return p;
  }
  return all_reduce_point(k, system::Cluster::build(*sys).place(k.ranks, 1), file);
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
    const spec::Node* unit = entry.find("unit");
    const auto expected = positive_number(*value);
    if (count == nullptr || unit == nullptr || !expected) return out;
    const long long n = std::atoll(count->scalar.c_str());
    const std::string& u = unit->scalar;
    const auto at = u.rfind(" message");
    const auto start = at == std::string::npos ? std::string::npos : u.rfind(", ", at);
    const auto bytes = start == std::string::npos ? std::nullopt : nccl_size(u.substr(start + 2, at - start - 2));
    if (n <= 8 || !bytes) return out;
    const std::string fabric = "ib_ndr400_fat_tree";
    AllReduceCase k{id, "all-reduce busbw across nodes", metric->scalar, u, value->origin, *expected,
                    system_yaml(id, accelerator, n, node, fabric), {}, n, *bytes,
                    {"fabric not given: a non-blocking NDR 400 Gb/s fat tree assumed (" + fabric + ")",
                     "the typical busbw the source reports (occasionally below 300 GB/s)"}};
    out.push_back(evaluate_case(k, file, zoo));
    return out;
  }
  const spec::Node* also = entry.find("also");
  const spec::Node* two = also != nullptr ? also->find("two_node_busbw_gbps") : nullptr;
  const spec::Node* nics = also != nullptr ? also->find("two_node_nics") : nullptr;
  const auto expected = two != nullptr ? positive_number(*two) : std::nullopt;
  if (expected && nics != nullptr && nics->scalar.rfind("4x 200 Gb", 0) == 0) {
    // nccl-tests#175: two A100 nodes, four 200 Gb/s HDR ports each (not a DGX's eight), up to 4 GB.
    AllReduceCase k{id + "@two_node", "all-reduce busbw across nodes", "allreduce_bus_bandwidth",
                    "GB/s busbw (2 nodes of 8, 4 GiB message)", two->origin, *expected,
                    system_yaml(id + " two nodes", accelerator, 16, node, "ib_hdr200_fat_tree"),
                    {{"system.node.nics.count", "4"}}, 16, *nccl_size("4GB"),
                    {"two nodes with four 200 Gb/s HDR ports each (the source's), an HDR fat tree",
                     "the largest message of the source's sweep (4 GB) taken as 4 GiB"}};
    out.push_back(evaluate_case(k, file, zoo));
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
  const std::string yaml = system_yaml(id + " sweep", accelerator, 8, node, "");
  const auto sys = system_of(yaml, file + "#" + id, {}, zoo);
  if (!sys) return out;
  const system::GroupPath group = system::Cluster::build(*sys).place(8, 1);
  // A node that carries a measured all-reduce curve of 8 ranks would be scored against itself.
  if (solvers::collective(solvers::Collective::kAllReduce, 1e6, group).algorithm == solvers::Algorithm::kMeasured) return out;
  for (const auto& [key, value] : also->map) {
    if (key.rfind("busbw_", 0) != 0) continue;
    const auto bytes = nccl_size(key.substr(6));
    const auto expected = positive_number(value);
    if (!bytes || !expected) continue;
    AllReduceCase k{id + "@" + key.substr(6), "all-reduce busbw by size (8 GPUs)", metric->scalar,
                    "GB/s busbw (" + key.substr(6) + " message)", value.origin, *expected, yaml, {}, 8, *bytes, {}};
    out.push_back(all_reduce_point(k, group, file));
  }
  return out;
}

}  // namespace mlsim::analysis
