#include <cmath>
#include <nlohmann/json.hpp>

#include "core/diagnostics.hpp"
#include "report/operations_json.hpp"
#include "report/report.hpp"
#include "report/rlhf_report.hpp"

namespace mlsim::report {
namespace {

using json = nlohmann::ordered_json;

// Numbers in a report are SI and finite; anything else is a bug in mlsim, not in the input.
double finite(double v, const char* key) {
  if (!std::isfinite(v)) throw InternalError(std::string("non-finite value for ") + key + " in a report");
  return v;
}

json percentiles(const analysis::Percentiles& p) {
  return {{"p50", finite(p.p50, "p50")}, {"p90", finite(p.p90, "p90")}, {"p99", finite(p.p99, "p99")}};
}

}  // namespace

std::string to_json(const analysis::Estimate& e, int indent) {
  json j;
  j["schema_version"] = 1;
  j["mlsim_version"] = kVersion;
  j["scenario"] = e.scenario;
  j["feasible"] = e.feasible;
  j["infeasible_reason"] = e.feasible ? json(nullptr) : json(e.infeasible_reason);
  j["binding_wall"] = e.binding_wall;
  if (!e.binding_reason.empty()) j["binding_reason"] = e.binding_reason;
  j["walls"] = json::array();
  for (const auto& w : e.walls) {
    j["walls"].push_back({{"name", w.name}, {"time_s", finite(w.time_s, "time_s")},
                          {"utilization", finite(w.utilization, "utilization")}, {"binding", w.binding}, {"note", w.note}});
  }
  j["operators"] = json::array();
  for (const auto& o : e.operators) {
    j["operators"].push_back({{"name", o.name}, {"phase", o.phase}, {"count", finite(o.count, "count")},
                              {"flops", finite(o.flops, "flops")}, {"bytes", finite(o.bytes, "bytes")},
                              {"time_s", finite(o.time_s, "time_s")}, {"bound", o.bound}, {"kernels", finite(o.kernels, "kernels")}});
  }
  const auto& m = e.memory;
  j["memory"] = {{"per_device_bytes", finite(m.per_device_bytes, "per_device_bytes")},
                 {"capacity_bytes", finite(m.capacity_bytes, "capacity_bytes")},
                 {"fits", m.fits},
                 {"breakdown",
                  {{"weights_bytes", finite(m.weights_bytes, "weights_bytes")},
                   {"gradients_bytes", finite(m.gradients_bytes, "gradients_bytes")},
                   {"optimizer_bytes", finite(m.optimizer_bytes, "optimizer_bytes")},
                   {"activations_bytes", finite(m.activations_bytes, "activations_bytes")},
                   {"kv_cache_bytes", finite(m.kv_cache_bytes, "kv_cache_bytes")},
                   {"workspace_bytes", finite(m.workspace_bytes, "workspace_bytes")}}}};
  if (m.offloaded_weight_bytes > 0) j["memory"]["offloaded_weights_bytes"] = finite(m.offloaded_weight_bytes, "offloaded");
  if (e.training) {
    const auto& t = *e.training;
    json tj = {{"step_time_s", finite(t.step_time_s, "step_time_s")},
               {"mfu", finite(t.mfu, "mfu")},
               {"hfu", finite(t.hfu, "hfu")},
               {"model_flops_per_step", finite(t.model_flops_per_step, "model_flops_per_step")},
               {"hardware_flops_per_step", finite(t.hardware_flops_per_step, "hardware_flops_per_step")},
               {t.samples ? "samples_per_s" : "tokens_per_s", finite(t.tokens_per_s, "tokens_per_s")},
               {"bubble_fraction", finite(t.bubble_fraction, "bubble_fraction")},
               {"micro_batches", t.micro_batches},
               {"max_micro_batch", t.max_micro_batch},
               {"breakdown",
                {{"compute_s", finite(t.compute_s, "compute_s")},
                 {"exposed_communication_s",
                  {{"tp", t.exposed_tp_s}, {"dp", t.exposed_dp_s}, {"pp", t.exposed_pp_s}, {"ep", t.exposed_ep_s}, {"cp", t.exposed_cp_s}}},
                 {"bubble_s", finite(t.bubble_s, "bubble_s")},
                 {"optimizer_s", finite(t.optimizer_s, "optimizer_s")},
                 {"host_s", finite(t.host_s, "host_s")}}}};
    if (t.time_to_train_s) tj["time_to_train_s"] = finite(*t.time_to_train_s, "time_to_train_s");
    if (t.rampup_s != 0.0) tj["rampup_s"] = finite(t.rampup_s, "rampup_s");
    if (!t.samples) {
      tj["layer"] = {{"forward_s", finite(t.layer_forward_s, "layer_forward_s")},
                     {"backward_s", finite(t.layer_backward_s, "layer_backward_s")}};
    }
    j["training"] = tj;
  }
  if (e.inference) {
    const auto& i = *e.inference;
    json ij;
    if (i.ttft_s) ij["ttft_s"] = finite(*i.ttft_s, "ttft_s");
    if (i.tpot_s) ij["tpot_s"] = finite(*i.tpot_s, "tpot_s");
    ij["e2e_s"] = finite(i.e2e_s, "e2e_s");
    ij[i.samples ? "throughput_samples_per_s" : "throughput_tokens_per_s"] = finite(i.throughput_tokens_per_s, "throughput");
    ij["batch"] = i.batch;
    ij["max_batch"] = i.max_batch;
    if (i.kv_cache_bytes_per_token) ij["kv_cache_bytes_per_token"] = finite(*i.kv_cache_bytes_per_token, "kv");
    json pct;
    if (i.ttft_pct) pct["ttft_s"] = percentiles(*i.ttft_pct);
    if (i.tpot_pct) pct["tpot_s"] = percentiles(*i.tpot_pct);
    pct["e2e_s"] = percentiles(i.e2e_pct);
    ij["percentiles"] = pct;
    if (i.goodput) ij["goodput"] = finite(*i.goodput, "goodput");
    if (i.speculative_speedup) ij["speculative_speedup"] = finite(*i.speculative_speedup, "speculative_speedup");
    if (i.speculative_tokens_per_step) {
      ij["speculative_tokens_per_step"] = finite(*i.speculative_tokens_per_step, "speculative_tokens_per_step");
    }
    if (i.serving) {
      const auto& v = *i.serving;
      json sj = {{"simulated", v.simulated},
                 {"arrival_rate_per_s", finite(v.arrival_rate_per_s, "arrival_rate_per_s")},
                 {"capacity_requests_per_s", finite(v.capacity_requests_per_s, "capacity_requests_per_s")},
                 {"utilization", finite(v.utilization, "utilization")},
                 {"mean_batch", finite(v.mean_batch, "mean_batch")},
                 {"max_running", v.max_running},
                 {"kv_blocks", v.kv_blocks},
                 {"block_tokens", v.block_tokens},
                 {"requests", v.requests},
                 {"preemptions", v.preemptions},
                 {"goodput_requests_per_s", finite(v.goodput_requests_per_s, "goodput_requests_per_s")},
                 {"recomputed_tokens", v.recomputed_tokens},
                 {"swapped_tokens", v.swapped_tokens},
                 {"kv_swap_s", finite(v.kv_swap_s, "kv_swap_s")}};
      ij["serving"] = sj;
    }
    j["inference"] = ij;
  }
  if (e.ops) {
    const auto& o = *e.ops;
    json oj = {{"duration_s", finite(o.duration_s, "duration_s")},
               {"gpu_hours", finite(o.gpu_hours, "gpu_hours")},
               {"energy_j", finite(o.energy_j, "energy_j")},
               {"it_energy_j", finite(o.it_energy_j, "it_energy_j")},
               {"operational_carbon_kg", finite(o.operational_carbon_kg, "operational_carbon_kg")},
               {"embodied_carbon_kg", finite(o.embodied_carbon_kg, "embodied_carbon_kg")},
               {"carbon_kg", finite(o.carbon_kg, "carbon_kg")},
               {"water_l", finite(o.water_l, "water_l")},
               {"cost_usd", finite(o.cost_usd, "cost_usd")}};
    if (o.usd_per_million_tokens) oj["usd_per_million_tokens"] = finite(*o.usd_per_million_tokens, "usd_per_million_tokens");
    if (o.detail) add_ops_detail(oj, *o.detail);
    j["ops"] = oj;
  }
  if (e.reliability) j["reliability"] = reliability_json(*e.reliability);
  if (e.data_pipeline) j["data_pipeline"] = data_pipeline_json(*e.data_pipeline);
  if (e.algorithm) j["algorithm"] = algorithm_json(*e.algorithm);
  if (e.rlhf) j["rlhf"] = rlhf_json(*e.rlhf);
  j["warnings"] = e.warnings;
  return j.dump(indent) + "\n";
}

}  // namespace mlsim::report
