#include "analysis/metrics.hpp"

#include <map>

#include "core/text.hpp"

namespace mlsim::analysis {
namespace {

using Get = std::function<std::optional<double>(const Estimate&)>;
using Opt = std::optional<double>;

std::vector<Metric> build() {
  std::vector<Metric> t;
  const auto add = [&t](std::string path, Get get, bool higher = false, bool boolean = false) {
    t.push_back(Metric{std::move(path), boolean, higher, std::move(get)});
  };
  add("feasible", [](const Estimate& e) -> Opt { return e.feasible ? 1.0 : 0.0; }, false, true);
  add("memory.fits", [](const Estimate& e) -> Opt { return e.memory.fits ? 1.0 : 0.0; }, false, true);
  add("memory.per_device_bytes", [](const Estimate& e) -> Opt { return e.memory.per_device_bytes; });
  add("memory.capacity_bytes", [](const Estimate& e) -> Opt { return e.memory.capacity_bytes; });
#define MLSIM_MEM(key) add("memory.breakdown." #key, [](const Estimate& e) -> Opt { return e.memory.key; })
  MLSIM_MEM(weights_bytes);
  MLSIM_MEM(gradients_bytes);
  MLSIM_MEM(optimizer_bytes);
  MLSIM_MEM(activations_bytes);
  MLSIM_MEM(kv_cache_bytes);
  MLSIM_MEM(workspace_bytes);
#undef MLSIM_MEM
  add("memory.offloaded_weights_bytes", [](const Estimate& e) -> Opt { return e.memory.offloaded_weight_bytes; });
#define MLSIM_TR(path, expr, higher) \
  add("training." path, [](const Estimate& e) -> Opt { return e.training ? Opt(e.training->expr) : std::nullopt; }, higher)
  MLSIM_TR("step_time_s", step_time_s, false);
  MLSIM_TR("mfu", mfu, true);
  MLSIM_TR("hfu", hfu, true);
  MLSIM_TR("model_flops_per_step", model_flops_per_step, false);
  MLSIM_TR("hardware_flops_per_step", hardware_flops_per_step, false);
  MLSIM_TR("tokens_per_s", tokens_per_s, true);
  MLSIM_TR("bubble_fraction", bubble_fraction, false);
  MLSIM_TR("micro_batches", micro_batches, false);
  MLSIM_TR("max_micro_batch", max_micro_batch, true);
  MLSIM_TR("breakdown.compute_s", compute_s, false);
  MLSIM_TR("breakdown.exposed_communication_s.tp", exposed_tp_s, false);
  MLSIM_TR("breakdown.exposed_communication_s.dp", exposed_dp_s, false);
  MLSIM_TR("breakdown.exposed_communication_s.pp", exposed_pp_s, false);
  MLSIM_TR("breakdown.exposed_communication_s.ep", exposed_ep_s, false);
  MLSIM_TR("breakdown.exposed_communication_s.cp", exposed_cp_s, false);
  MLSIM_TR("breakdown.bubble_s", bubble_s, false);
  MLSIM_TR("breakdown.optimizer_s", optimizer_s, false);
  MLSIM_TR("breakdown.host_s", host_s, false);
#undef MLSIM_TR
  add("training.time_to_train_s", [](const Estimate& e) -> Opt { return e.training ? e.training->time_to_train_s : std::nullopt; });
  add("inference.ttft_s", [](const Estimate& e) -> Opt { return e.inference ? e.inference->ttft_s : std::nullopt; });
  add("inference.tpot_s", [](const Estimate& e) -> Opt { return e.inference ? e.inference->tpot_s : std::nullopt; });
  add("inference.e2e_s", [](const Estimate& e) -> Opt { return e.inference ? Opt(e.inference->e2e_s) : std::nullopt; });
  add("inference.throughput_tokens_per_s",
      [](const Estimate& e) -> Opt { return e.inference ? Opt(e.inference->throughput_tokens_per_s) : std::nullopt; }, true);
  add("inference.batch", [](const Estimate& e) -> Opt { return e.inference ? Opt(static_cast<double>(e.inference->batch)) : std::nullopt; });
  add("inference.max_batch",
      [](const Estimate& e) -> Opt { return e.inference ? Opt(static_cast<double>(e.inference->max_batch)) : std::nullopt; }, true);
  add("inference.kv_cache_bytes_per_token",
      [](const Estimate& e) -> Opt { return e.inference ? e.inference->kv_cache_bytes_per_token : std::nullopt; });
  add("inference.goodput", [](const Estimate& e) -> Opt { return e.inference ? e.inference->goodput : std::nullopt; }, true);
#define MLSIM_PCT(which, q)                                                                                 \
  add("inference.percentiles." #which "." #q, [](const Estimate& e) -> Opt {                              \
    return e.inference && e.inference->which##_pct ? Opt(e.inference->which##_pct->q) : std::nullopt;     \
  })
  MLSIM_PCT(ttft, p50);
  MLSIM_PCT(ttft, p90);
  MLSIM_PCT(ttft, p99);
  MLSIM_PCT(tpot, p50);
  MLSIM_PCT(tpot, p90);
  MLSIM_PCT(tpot, p99);
#undef MLSIM_PCT
  for (const char* q : {"p50", "p90", "p99"}) {
    const std::string qs = q;
    add("inference.percentiles.e2e_s." + qs, [qs](const Estimate& e) -> Opt {
      if (!e.inference) return std::nullopt;
      const auto& p = e.inference->e2e_pct;
      return qs == "p50" ? p.p50 : qs == "p90" ? p.p90 : p.p99;
    });
  }
#define MLSIM_OPS(key) add("ops." #key, [](const Estimate& e) -> Opt { return e.ops ? Opt(e.ops->key) : std::nullopt; })
  MLSIM_OPS(duration_s);
  MLSIM_OPS(gpu_hours);
  MLSIM_OPS(energy_j);
  MLSIM_OPS(it_energy_j);
  MLSIM_OPS(operational_carbon_kg);
  MLSIM_OPS(embodied_carbon_kg);
  MLSIM_OPS(carbon_kg);
  MLSIM_OPS(water_l);
  MLSIM_OPS(cost_usd);
#undef MLSIM_OPS
  add("ops.usd_per_million_tokens", [](const Estimate& e) -> Opt { return e.ops ? e.ops->usd_per_million_tokens : std::nullopt; });
  for (const auto& w : wall_names()) {
    add("walls." + w + ".time_s", [w](const Estimate& e) -> Opt {
      for (const auto& x : e.walls) {
        if (x.name == w) return x.time_s;
      }
      return std::nullopt;
    });
    add("walls." + w + ".utilization", [w](const Estimate& e) -> Opt {
      for (const auto& x : e.walls) {
        if (x.name == w) return x.utilization;
      }
      return std::nullopt;
    });
  }
#define MLSIM_RLHF(path, expr, higher) \
  add("rlhf." path, [](const Estimate& e) -> Opt { return e.rlhf ? Opt(e.rlhf->expr) : std::nullopt; }, higher)
  MLSIM_RLHF("iteration_s", iteration_s, false);
  MLSIM_RLHF("synchronous_iteration_s", synchronous_iteration_s, false);
  MLSIM_RLHF("samples_per_s", samples_per_s, true);
  MLSIM_RLHF("phases.generation_s", generation_s, false);
  MLSIM_RLHF("phases.experience_s", experience_s, false);
  MLSIM_RLHF("phases.training_s", training_s, false);
  MLSIM_RLHF("phases.weight_sync_s", weight_sync_s, false);
#undef MLSIM_RLHF
  return t;
}

std::string leaf_of(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

// The percentile leaves (p50) repeat, so they are never aliases; neither are wall leaves.
const std::map<std::string, std::size_t>& leaf_index() {
  static const std::map<std::string, std::size_t> index = [] {
    std::map<std::string, std::size_t> count, first;
    const auto& t = metric_table();
    for (std::size_t i = 0; i < t.size(); ++i) {
      const std::string leaf = leaf_of(t[i].path);
      if (count[leaf]++ == 0) first[leaf] = i;
    }
    std::map<std::string, std::size_t> unique;
    for (const auto& [leaf, n] : count) {
      if (n == 1) unique[leaf] = first[leaf];
    }
    return unique;
  }();
  return index;
}

}  // namespace

const std::vector<std::string>& wall_names() {
  static const std::vector<std::string> names = {"compute", "memory_bandwidth", "memory_capacity", "host_overhead",
                                                 "communication", "pipeline_bubble", "host_link"};
  return names;
}

const std::vector<Metric>& metric_table() {
  static const std::vector<Metric> table = build();
  return table;
}

std::optional<std::size_t> resolve_metric(std::string_view name, std::string& error) {
  const auto& t = metric_table();
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i].path == name) return i;
  }
  const auto& leaves = leaf_index();
  if (auto it = leaves.find(std::string(name)); it != leaves.end()) return it->second;
  std::vector<std::string> candidates;
  for (const auto& m : t) candidates.push_back(m.path);
  for (const auto& [leaf, i] : leaves) candidates.push_back(leaf);
  error = "unknown metric \"" + std::string(name) + "\"";
  if (auto s = did_you_mean(std::string(name), candidates)) error += "; did you mean \"" + *s + "\"?";
  error += " (metrics are JSON paths of mlsim analyze -f json, e.g. inference.tpot_s, or a unique leaf such as tpot_s)";
  return std::nullopt;
}

std::vector<std::size_t> default_metrics(bool training) {
  const std::vector<std::string> inference = {"inference.ttft_s", "inference.tpot_s", "inference.e2e_s",
                                              "inference.throughput_tokens_per_s", "inference.max_batch",
                                              "memory.per_device_bytes", "memory.fits"};
  const std::vector<std::string> train = {"training.step_time_s", "training.mfu", "training.tokens_per_s",
                                          "training.bubble_fraction", "memory.per_device_bytes", "memory.fits"};
  std::vector<std::size_t> out;
  std::string err;
  for (const auto& p : training ? train : inference) out.push_back(*resolve_metric(p, err));
  return out;
}

std::string metric_alias(const std::string& path) {
  const std::string leaf = leaf_of(path);
  const auto& leaves = leaf_index();
  if (auto it = leaves.find(leaf); it != leaves.end() && metric_table()[it->second].path == path) return leaf;
  return path;
}

}  // namespace mlsim::analysis
