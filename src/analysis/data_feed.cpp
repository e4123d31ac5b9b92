#include "analysis/data_feed.hpp"

#include <cmath>

#include "core/text.hpp"
#include "solvers/data_pipeline.hpp"

namespace mlsim::analysis {

void apply_data_pipeline(const spec::Scenario& s, TrainingReport& tr, Estimate& e, bool detail) {
  if (!s.data || !s.training || tr.step_time_s <= 0.0) return;
  const auto& d = *s.data;
  const auto& node = s.system.node;
  const double per_node = node ? static_cast<double>(node->accelerators) : 1.0;
  const double nodes = std::ceil(static_cast<double>(s.system.count) / per_node);
  DataPipelineReport r;
  r.storage = d.storage;
  r.workers = d.workers ? static_cast<double>(*d.workers) : (node && node->cpu_cores ? static_cast<double>(*node->cpu_cores) : 0.0);
  if (d.decode_per_core && r.workers <= 0.0) {
    e.warnings.emplace_back("data: decode is not limited: neither data.workers nor the node's host.cpu_cores is given");
  }
  const double storage = d.storage_bandwidth ? d.storage_bandwidth->si()
                                             : (node && node->storage_bandwidth ? node->storage_bandwidth->si() : 0.0);
  const double network = d.network_bandwidth ? d.network_bandwidth->si() : 0.0;
  const auto supply = solvers::data_supply(d.bytes_per_sample.si(), storage, network, d.decode_per_core.value_or(0.0), r.workers);
  const double samples_per_step = static_cast<double>(s.training->global_batch) / nodes;
  r.demand_samples_per_s = samples_per_step / tr.step_time_s;
  r.supply_samples_per_s = supply.supply_samples_per_s;
  r.storage_samples_per_s = supply.storage_samples_per_s;
  r.network_samples_per_s = supply.network_samples_per_s;
  r.decode_samples_per_s = supply.decode_samples_per_s;
  r.limiter = supply.limiter;
  r.gpu_utilization = solvers::fed_fraction(r.supply_samples_per_s, r.demand_samples_per_s);
  const double data_s = r.supply_samples_per_s > 0.0 ? samples_per_step / r.supply_samples_per_s : 0.0;
  if (data_s > tr.step_time_s) {
    // The accelerators wait for data: every per-time figure scales with the longer step.
    const double f = tr.step_time_s / data_s;
    tr.step_time_s = data_s;
    tr.mfu *= f;
    tr.hfu *= f;
    tr.tokens_per_s *= f;
    if (tr.time_to_train_s) *tr.time_to_train_s /= f;
    for (auto& w : e.walls) {
      if (w.name != "memory_capacity") w.utilization *= f;   // shares of the longer step
    }
  }
  e.walls.push_back({"data_pipeline", data_s, tr.step_time_s > 0.0 ? data_s / tr.step_time_s : 0.0, false,
                     detail ? format_double(r.supply_samples_per_s, 5) + " samples/s per node supplied (" + r.limiter + "-bound) vs " +
                                  format_double(r.demand_samples_per_s, 5) + " consumed"
                            : ""});
  e.data_pipeline = r;
}

}  // namespace mlsim::analysis
