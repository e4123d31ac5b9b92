#include "report/operations_json.hpp"

#include <cmath>

#include "core/diagnostics.hpp"

namespace mlsim::report {
namespace {

double finite(double v, const char* key) {
  if (!std::isfinite(v)) throw InternalError(std::string("non-finite value for ") + key + " in a report");
  return v;
}

void put(nlohmann::ordered_json& j, const char* key, const std::optional<double>& v) {
  if (v) j[key] = finite(*v, key);
}

}  // namespace

void add_ops_detail(nlohmann::ordered_json& o, const analysis::OpsDetail& d) {
  o["power_model"] = d.power_model;
  o["accelerator_utilization"] = finite(d.accelerator_utilization, "accelerator_utilization");
  o["accelerator_power_w"] = finite(d.accelerator_power_w, "accelerator_power_w");
  o["node_overhead_w"] = finite(d.node_overhead_w, "node_overhead_w");
  put(o, "energy_per_step_j", d.energy_per_step_j);
  put(o, "energy_per_token_j", d.energy_per_token_j);
  o["embodied_per_accelerator_kg"] = finite(d.embodied_per_accelerator_kg, "embodied_per_accelerator_kg");
  o["carbon_price_usd"] = finite(d.carbon_price_usd, "carbon_price_usd");
  o["cost_model"] = d.cost_model;
  o["capital_usd"] = finite(d.capital_usd, "capital_usd");
  o["maintenance_usd"] = finite(d.maintenance_usd, "maintenance_usd");
  o["facility_usd"] = finite(d.facility_usd, "facility_usd");
  o["electricity_usd"] = finite(d.electricity_usd, "electricity_usd");
  put(o, "usd_per_step", d.usd_per_step);
  put(o, "tco_usd", d.tco_usd);
  put(o, "queue_wait_md1_s", d.queue_wait_md1_s);
  put(o, "queue_wait_mmc_s", d.queue_wait_mmc_s);
  put(o, "queue_wait_probability", d.queue_wait_probability);
  put(o, "chinchilla_params", d.chinchilla_params);
  put(o, "chinchilla_tokens", d.chinchilla_tokens);
  put(o, "tokens_per_param", d.tokens_per_param);
}

nlohmann::ordered_json reliability_json(const analysis::ReliabilityReport& r) {
  nlohmann::ordered_json j = {{"nodes", finite(r.nodes, "nodes")},
                              {"node_mtbf_s", finite(r.node_mtbf_s, "node_mtbf_s")},
                              {"cluster_mtbf_s", finite(r.cluster_mtbf_s, "cluster_mtbf_s")},
                              {"weibull_shape", finite(r.weibull_shape, "weibull_shape")},
                              {"checkpoint_mode", r.checkpoint_mode},
                              {"checkpoint_bytes", finite(r.checkpoint_bytes, "checkpoint_bytes")},
                              {"checkpoint_write_s", finite(r.checkpoint_write_s, "checkpoint_write_s")},
                              {"checkpoint_restore_s", finite(r.checkpoint_restore_s, "checkpoint_restore_s")},
                              {"checkpoint_stall_s", finite(r.checkpoint_stall_s, "checkpoint_stall_s")},
                              {"young_daly_interval_s", finite(r.young_daly_interval_s, "young_daly_interval_s")},
                              {"checkpoint_interval_s", finite(r.checkpoint_interval_s, "checkpoint_interval_s")},
                              {"p_interval_without_failure", finite(r.p_interval_without_failure, "p_interval_without_failure")},
                              {"restart_s", finite(r.restart_s, "restart_s")},
                              {"work_s", finite(r.work_s, "work_s")},
                              {"wall_s", finite(r.wall_s, "wall_s")},
                              {"goodput", finite(r.goodput, "goodput")},
                              {"interruptions", finite(r.interruptions, "interruptions")},
                              {"checkpoints", finite(r.checkpoints, "checkpoints")},
                              {"checkpoint_total_s", finite(r.checkpoint_total_s, "checkpoint_total_s")},
                              {"restart_total_s", finite(r.restart_total_s, "restart_total_s")},
                              {"lost_work_s", finite(r.lost_work_s, "lost_work_s")}};
  nlohmann::ordered_json by = nlohmann::ordered_json::object();
  for (const auto& [name, v] : r.interruptions_by_component) by[name] = finite(v, "interruptions_by_component");
  j["interruptions_by_component"] = by;
  return j;
}

nlohmann::ordered_json data_pipeline_json(const analysis::DataPipelineReport& r) {
  return {{"storage", r.storage},
          {"workers", finite(r.workers, "workers")},
          {"demand_samples_per_s", finite(r.demand_samples_per_s, "demand_samples_per_s")},
          {"supply_samples_per_s", finite(r.supply_samples_per_s, "supply_samples_per_s")},
          {"storage_samples_per_s", finite(r.storage_samples_per_s, "storage_samples_per_s")},
          {"network_samples_per_s", finite(r.network_samples_per_s, "network_samples_per_s")},
          {"decode_samples_per_s", finite(r.decode_samples_per_s, "decode_samples_per_s")},
          {"limiter", r.limiter},
          {"gpu_utilization", finite(r.gpu_utilization, "gpu_utilization")}};
}

nlohmann::ordered_json algorithm_json(const analysis::AlgorithmReport& r) {
  return {{"dp_sgd", r.dp_sgd},
          {"dpsgd_flops_factor", finite(r.dpsgd_flops_factor, "dpsgd_flops_factor")},
          {"dpsgd_step_time_s", finite(r.dpsgd_step_time_s, "dpsgd_step_time_s")},
          {"dpsgd_extra_bytes", finite(r.dpsgd_extra_bytes, "dpsgd_extra_bytes")},
          {"dpsgd_fits", r.dpsgd_fits},
          {"dense_weight_bytes", finite(r.dense_weight_bytes, "dense_weight_bytes")},
          {"compressed_weight_bytes", finite(r.compressed_weight_bytes, "compressed_weight_bytes")}};
}

}  // namespace mlsim::report
