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

}  // namespace

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
