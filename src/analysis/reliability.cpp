#include "analysis/reliability.hpp"

#include <algorithm>
#include <cmath>

#include "solvers/reliability.hpp"

namespace mlsim::analysis {

double checkpoint_bytes(double params, Precision weights, double extra_bytes) {
  const double w = bytes_per_element(weights);
  const double master = w < 4.0 ? 4.0 : 0.0;
  return params * (w + master + 8.0) + extra_bytes;
}

namespace {

double nodes_of(const spec::Scenario& s) {
  const double per_node = s.system.node ? static_cast<double>(s.system.node->accelerators) : 1.0;
  return std::ceil(static_cast<double>(s.system.count) / per_node);
}

}  // namespace

bool wants_reliability(const spec::Scenario& s) {
  if (s.reliability) return true;
  return s.system.node && s.system.node->reliability && nodes_of(s) > 1.0;
}

std::optional<ReliabilityReport> reliability(const spec::Scenario& s, double work_s, double params,
                                             std::vector<std::string>& warnings) {
  const spec::ReliabilitySpec rs = s.reliability.value_or(spec::ReliabilitySpec{});
  ReliabilityReport r;
  r.nodes = nodes_of(s);
  std::vector<std::pair<std::string, double>> components;
  if (rs.node_mtbf) {
    r.node_mtbf_s = rs.node_mtbf->si();
  } else if (s.system.node && s.system.node->reliability) {
    std::vector<double> m;
    for (const auto& [name, mtbf] : s.system.node->reliability->component_mtbf) {
      m.push_back(mtbf.si());
      components.emplace_back(name, mtbf.si());
    }
    r.node_mtbf_s = solvers::series_mtbf_s(m);
  }
  if (r.node_mtbf_s <= 0.0 || !std::isfinite(r.node_mtbf_s)) {
    warnings.emplace_back("reliability is not estimated: neither reliability.node_mtbf nor the node entry's failure rates are given");
    return std::nullopt;
  }
  r.cluster_mtbf_s = solvers::cluster_mtbf_s(r.node_mtbf_s, r.nodes);
  r.weibull_shape = rs.weibull_shape;

  const double n = static_cast<double>(s.system.count);
  const Precision w = s.training ? s.training->precision : Precision::kBf16;
  r.checkpoint_bytes = checkpoint_bytes(params, w, rs.checkpoint_extra.si());
  double storage = 0.0;
  if (rs.storage_bandwidth) {
    storage = rs.storage_bandwidth->si();
  } else if (s.system.node && s.system.node->storage_bandwidth) {
    storage = s.system.node->storage_bandwidth->si() * r.nodes;
  }
  if (storage <= 0.0) {
    warnings.emplace_back("checkpoints are free: no storage bandwidth (reliability.checkpoint.storage_bandwidth or the node's host.storage_bandwidth)");
  }
  r.checkpoint_write_s = storage > 0.0 ? r.checkpoint_bytes / storage : 0.0;
  r.checkpoint_restore_s = r.checkpoint_write_s;
  r.checkpoint_mode = rs.checkpoint_mode == spec::CheckpointMode::kAsync ? "async" : "sync";
  r.checkpoint_stall_s = r.checkpoint_write_s;
  if (rs.checkpoint_mode == spec::CheckpointMode::kAsync) {
    // Asynchronous (Check-N-Run, DeepSpeed/torch async save): the job stalls only while each GPU
    // copies its shard to host memory; the write to storage overlaps training.
    const auto& acc = s.system.accelerator;
    if (acc.host_link_bandwidth) {
      const double link = acc.host_link_bandwidth->si() * acc.efficiency.host_link.value_or(1.0);
      r.checkpoint_stall_s = r.checkpoint_bytes / n / link;
    } else {
      warnings.emplace_back("asynchronous checkpoint priced as synchronous: the accelerator entry has no host-link bandwidth");
    }
  }
  r.restart_s = rs.restart.si() + r.checkpoint_restore_s;
  r.young_daly_interval_s = solvers::young_daly_interval_s(r.checkpoint_stall_s, r.cluster_mtbf_s);
  double interval = rs.checkpoint_interval ? rs.checkpoint_interval->si() : r.young_daly_interval_s;
  // An asynchronous write must finish before the next one starts.
  if (rs.checkpoint_mode == spec::CheckpointMode::kAsync) interval = std::max(interval, r.checkpoint_write_s);
  const auto run = solvers::run_with_failures(work_s, r.cluster_mtbf_s, r.checkpoint_stall_s, r.restart_s, interval);
  r.checkpoint_interval_s = run.interval_s;
  r.p_interval_without_failure = solvers::survival_probability(run.interval_s, r.cluster_mtbf_s, r.weibull_shape);
  r.work_s = work_s;
  r.wall_s = run.wall_s;
  r.goodput = run.goodput;
  r.interruptions = run.interruptions;
  r.checkpoints = run.checkpoints;
  r.checkpoint_total_s = run.checkpoint_s;
  r.restart_total_s = run.restart_s;
  r.lost_work_s = run.lost_work_s;
  // Each component's share of the interruptions is its share of the node failure rate.
  for (const auto& [name, mtbf] : components) r.interruptions_by_component.emplace_back(name, run.interruptions * r.node_mtbf_s / mtbf);
  return r;
}

}  // namespace mlsim::analysis
