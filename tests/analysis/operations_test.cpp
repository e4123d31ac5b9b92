// The operations model on whole scenarios: the reliability section (cluster MTBF, checkpoint size
// and write time, goodput, wall time), the power curve and carbon of the `operations:` section,
// monotonicity of cost and carbon, and the data wall. Hardware and site figures come from the zoo.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "analysis/evaluate.hpp"
#include "spec/hardware.hpp"
#include "workload/params.hpp"
#include "../support.hpp"

namespace mlsim {
namespace {

analysis::Estimate run(const std::string& yaml, const std::vector<spec::Override>& overrides = {}) {
  return test::evaluate_text(yaml, overrides);
}

const std::string kLlama70b = R"(schema_version: 1
kind: scenario
name: ops test
system: {accelerator: h100_sxm, count: 64, node: dgx_h100, fabric: ib_ndr400_fat_tree, site: us_iowa}
software: megatron
model: llama3_70b
training:
  seq_len: 8192
  global_batch: 64
  micro_batch: 1
  precision: bf16
  parallelism: {tp: 8, pp: 4, dp: 2, schedule: 1f1b}
  recompute: selective
  tokens: 20e9
)";

const analysis::Wall* wall(const analysis::Estimate& e, const std::string& name) {
  for (const auto& w : e.walls) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("reliability of Llama 3 70B on 8 DGX H100 nodes: MTBF / nodes, 14 bytes per parameter, storage at 25 GB/s per node") {
  const auto e = run(kLlama70b);
  REQUIRE(e.reliability.has_value());
  REQUIRE(e.training.has_value());
  const auto& r = *e.reliability;
  CHECK(r.nodes == 8.0);
  CHECK(r.node_mtbf_s / 3600.0 == mlsim::test::approx(2654208.0 / 419.0).epsilon(0.001));
  CHECK(r.cluster_mtbf_s == mlsim::test::approx(r.node_mtbf_s / 8.0));
  const double params = workload::count_params(test::zoo_model("llama3_70b")).total;
  CHECK(r.checkpoint_bytes == mlsim::test::approx(params * 14.0));   // bf16 weights + fp32 master + Adam m, v
  CHECK(r.checkpoint_write_s == mlsim::test::approx(params * 14.0 / (8.0 * 25e9)));
  CHECK(r.checkpoint_mode == "sync");
  CHECK(r.checkpoint_stall_s == mlsim::test::approx(r.checkpoint_write_s));
  CHECK(r.young_daly_interval_s == mlsim::test::approx(std::sqrt(2.0 * r.checkpoint_stall_s * r.cluster_mtbf_s)));
  CHECK(r.restart_s == mlsim::test::approx(600.0 + r.checkpoint_restore_s));
  CHECK(r.work_s == mlsim::test::approx(*e.training->time_to_train_s));
  CHECK(r.goodput > 0.0);
  CHECK(r.goodput < 1.0);
  CHECK(r.wall_s == mlsim::test::approx(r.work_s / r.goodput));
  CHECK(r.interruptions == mlsim::test::approx(r.wall_s / r.cluster_mtbf_s));
  double by_component = 0.0;
  for (const auto& [name, v] : r.interruptions_by_component) by_component += v;
  CHECK(by_component == mlsim::test::approx(r.interruptions).epsilon(1e-9));
  // The operations section bills the wall time including failures.
  REQUIRE(e.ops.has_value());
  CHECK(e.ops->duration_s == mlsim::test::approx(r.wall_s));
}

TEST_CASE("reliability keys: node_mtbf override, async checkpoint, fixed interval") {
  const auto e = run(kLlama70b + "reliability: {node_mtbf: 1000 h, restart: 5 min, checkpoint: {mode: async, interval: 30 min}}\n");
  REQUIRE(e.reliability.has_value());
  const auto& r = *e.reliability;
  CHECK(r.node_mtbf_s == mlsim::test::approx(1000.0 * 3600.0));
  CHECK(r.cluster_mtbf_s == mlsim::test::approx(125.0 * 3600.0));
  CHECK(r.checkpoint_mode == "async");
  CHECK(r.checkpoint_stall_s < r.checkpoint_write_s);
  CHECK(r.checkpoint_interval_s == mlsim::test::approx(1800.0));
  CHECK(r.interruptions_by_component.empty());
  CHECK(r.p_interval_without_failure == mlsim::test::approx(std::exp(-1800.0 / r.cluster_mtbf_s)));
  // A Weibull shape of 0.7: exp(-(tau / eta)^0.7), eta = M / Gamma(1 + 1 / 0.7).
  const auto w = run(kLlama70b + "reliability: {node_mtbf: 1000 h, weibull_shape: 0.7, checkpoint: {interval: 30 min}}\n");
  const double eta = w.reliability->cluster_mtbf_s / std::tgamma(1.0 + 1.0 / 0.7);
  CHECK(w.reliability->p_interval_without_failure == mlsim::test::approx(std::exp(-std::pow(1800.0 / eta, 0.7))));
  // A worse MTBF costs goodput.
  const auto better = run(kLlama70b + "reliability: {node_mtbf: 100000 h, restart: 5 min, checkpoint: {mode: async, interval: 30 min}}\n");
  CHECK(better.reliability->goodput > r.goodput);
}

TEST_CASE("a reliability section without a length of run says so") {
  std::string yaml = kLlama70b;
  yaml.replace(yaml.find("  tokens: 20e9\n"), 15, "");
  const auto e = run(yaml + "reliability: {node_mtbf: 1000 h}\n");
  CHECK_FALSE(e.reliability.has_value());
  bool warned = false;
  for (const auto& w : e.warnings) warned = warned || w.find("need a length of run") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("a reliability section with an unknown key is an error at its line") {
  Diagnostics d;
  const auto s = test::scenario_from_text(kLlama70b + "reliability: {node_mtbf: 1000 h, checkpont: {mode: async}}\n", d);
  CHECK_FALSE(s.has_value());
  REQUIRE(d.has_errors());
  CHECK(d.all().front().message.find("checkpont") != std::string::npos);
}

TEST_CASE("reliability and data sections on a serving scenario are errors, not ignored") {
  const std::string serving = R"(schema_version: 1
kind: scenario
name: serving
system: {accelerator: h100_sxm, count: 1}
model: llama3_8b
inference: {prompt_tokens: 128, output_tokens: 128, batch: 1}
)";
  for (const char* extra : {"reliability: {node_mtbf: 100 h}\n", "data: {bytes_per_sample: 1 kB}\n"}) {
    Diagnostics d;
    CHECK_FALSE(test::scenario_from_text(serving + extra, d).has_value());
    REQUIRE(d.has_errors());
    CHECK(d.all().front().message.find("applies to training runs only") != std::string::npos);
    CHECK(d.all().front().origin.line == 7);
  }
}

TEST_CASE("operations section: energy = (curve power + node share) x n x time x PUE, carbon = energy x intensity") {
  const auto e = run(kLlama70b + "operations: {power: utilization, embodied_carbon: 2500 kgCO2, lifetime: 1826 d, carbon_price_usd_per_tonne: 100}\n");
  REQUIRE(e.ops.has_value());
  REQUIRE(e.ops->detail.has_value());
  const auto& o = *e.ops;
  const auto& d = *o.detail;
  const double u = e.training->compute_s / e.training->step_time_s;
  CHECK(d.accelerator_utilization == mlsim::test::approx(u));
  CHECK(d.accelerator_power_w == mlsim::test::approx(75.0 + (700.0 - 75.0) * u));   // h100_sxm idle and TDP
  CHECK(d.node_overhead_w == mlsim::test::approx(4600.0 / 8.0));                     // dgx_h100 overhead
  CHECK(o.energy_j == mlsim::test::approx(64.0 * (d.accelerator_power_w + d.node_overhead_w) * o.duration_s * 1.56));
  CHECK(o.operational_carbon_kg == mlsim::test::approx(o.energy_j / 3.6e6 * 0.41272));
  CHECK(o.embodied_carbon_kg == mlsim::test::approx(64.0 * 2500.0 * o.duration_s / (1826.0 * 86400.0)));
  CHECK(o.carbon_kg == mlsim::test::approx(o.operational_carbon_kg + o.embodied_carbon_kg));
  CHECK(d.carbon_price_usd == mlsim::test::approx(o.carbon_kg / 1000.0 * 100.0));
  CHECK(o.cost_usd == mlsim::test::approx(64.0 * 2.99 * o.duration_s / 3600.0 + d.carbon_price_usd));
  REQUIRE(d.energy_per_step_j.has_value());
  CHECK(*d.energy_per_step_j == mlsim::test::approx(o.energy_j * e.training->step_time_s / o.duration_s));
  CHECK(*d.energy_per_token_j == mlsim::test::approx(o.energy_j / 20e9));
  for (const auto& w : e.warnings) CHECK(w.find("embodied carbon is not counted") == std::string::npos);
}

TEST_CASE("ownership cost and TCO") {
  const auto e = run(kLlama70b + "operations: {cost: {model: ownership, maintenance_per_year: 0.05, facility: 0.1 USD/h, tco_duration: 365 d}}\n");
  const auto& d = *e.ops->detail;
  CHECK(d.cost_model == "ownership");
  const double t = e.ops->duration_s;
  CHECK(d.capital_usd == mlsim::test::approx(64.0 * 25000.0 * t / (5.0 * 365.0 * 86400.0)));
  CHECK(e.ops->cost_usd == mlsim::test::approx(d.capital_usd + d.maintenance_usd + d.facility_usd + d.electricity_usd));
  REQUIRE(d.tco_usd.has_value());
  CHECK(*d.tco_usd == mlsim::test::approx(e.ops->cost_usd * 365.0 * 86400.0 / t));   // every term is linear in time
}

TEST_CASE("properties: cost and carbon grow with duration and GPU count; goodput stays in (0, 1]") {
  const std::string base = R"(schema_version: 1
kind: scenario
name: monotonic
system: {accelerator: h100_sxm, count: 16, node: dgx_h100, fabric: ib_ndr400_fat_tree}
software: megatron
model: llama3_8b
training: {seq_len: 4096, global_batch: 64, micro_batch: 1, precision: bf16, parallelism: {tp: 8, dp: 2}}
operations: {embodied_carbon: 2500 kgCO2}
)";
  double last_cost = 0, last_carbon = 0;
  for (const char* days : {"1 d", "7 d", "30 d"}) {
    const auto e = run(base, {{"ops", std::string("{duration: ") + days + "}"}});
    REQUIRE(e.ops.has_value());
    CHECK(e.ops->cost_usd > last_cost);
    CHECK(e.ops->carbon_kg > last_carbon);
    last_cost = e.ops->cost_usd;
    last_carbon = e.ops->carbon_kg;
    REQUIRE(e.reliability.has_value());
    CHECK(e.reliability->goodput > 0.0);
    CHECK(e.reliability->goodput <= 1.0);
  }
  last_cost = 0;
  last_carbon = 0;
  for (const char* dp : {"1", "2", "8", "32"}) {
    const auto e = run(base, {{"ops", "{duration: 7 d}"},
                              {"system.count", std::to_string(8 * std::stoi(dp))},
                              {"training.parallelism.dp", dp},
                              {"training.global_batch", std::to_string(32 * std::stoi(dp))}});
    REQUIRE(e.ops.has_value());
    CHECK(e.ops->cost_usd > last_cost);
    CHECK(e.ops->carbon_kg > last_carbon);
    last_cost = e.ops->cost_usd;
    last_carbon = e.ops->carbon_kg;
  }
}

TEST_CASE("data wall: 6 decode workers at 219 JPEG/s each cannot feed an A100 training ResNet-50") {
  const std::string yaml = R"(schema_version: 1
kind: scenario
name: data wall
system: {accelerator: a100_sxm_80gb, count: 1, node: dgx_a100}
software: pytorch_eager
model: resnet50
training: {global_batch: 256, micro_batch: 256, precision: fp16}
)";
  const auto fast = run(yaml);
  REQUIRE(fast.training.has_value());
  const double demand = 256.0 / fast.training->step_time_s;
  const auto e = run(yaml + "data: {bytes_per_sample: 110 kB, decode_per_core: 219, workers: 6}\n");
  REQUIRE(e.data_pipeline.has_value());
  const auto& d = *e.data_pipeline;
  CHECK(d.limiter == "decode");
  CHECK(d.supply_samples_per_s == mlsim::test::approx(6.0 * 219.0));
  CHECK(d.demand_samples_per_s == mlsim::test::approx(demand));
  REQUIRE(demand > 6.0 * 219.0);   // the premise: the GPU would eat more than the CPUs decode
  CHECK(d.gpu_utilization == mlsim::test::approx(6.0 * 219.0 / demand));
  CHECK(e.binding_wall == "data_pipeline");
  REQUIRE(wall(e, "data_pipeline") != nullptr);
  CHECK(wall(e, "data_pipeline")->binding);
  CHECK(wall(fast, "data_pipeline") == nullptr);
  // The step waits for data: 256 images at 1,314/s; MFU falls by the same factor.
  CHECK(e.training->step_time_s == mlsim::test::approx(256.0 / (6.0 * 219.0)));
  CHECK(e.training->mfu == mlsim::test::approx(fast.training->mfu * d.gpu_utilization));
  CHECK(wall(e, "compute")->utilization == mlsim::test::approx(wall(fast, "compute")->utilization * d.gpu_utilization));
  // With every one of the DGX A100's 128 cores decoding (28,032/s), storage binds at 25 GB/s /
  // 110 kB = 227,273/s > demand: the GPU is fed and the wall does not bind.
  const auto all = run(yaml + "data: {bytes_per_sample: 110 kB, decode_per_core: 219}\n");
  CHECK(all.data_pipeline->workers == 128.0);
  CHECK(all.data_pipeline->gpu_utilization == mlsim::test::approx(1.0));
  CHECK(all.binding_wall != "data_pipeline");
  CHECK(all.training->step_time_s == mlsim::test::approx(fast.training->step_time_s));
  // 22 workers (4,818/s) just outpace the demand: the data takes most of the step, yet overlaps it.
  const auto near = run(yaml + "data: {bytes_per_sample: 110 kB, decode_per_core: 219, workers: 22}\n");
  REQUIRE(22.0 * 219.0 > demand);
  CHECK(near.binding_wall != "data_pipeline");
  CHECK(wall(near, "data_pipeline")->utilization == mlsim::test::approx(demand / (22.0 * 219.0)));
}

TEST_CASE("queue wait and compute-optimal sizes in the ops section") {
  const auto e = run(kLlama70b + "operations: {queue: {utilization: 0.8, servers: 4, service_time: 24 h}}\n");
  const auto& d = *e.ops->detail;
  REQUIRE(d.queue_wait_md1_s.has_value());
  CHECK(*d.queue_wait_md1_s == mlsim::test::approx(0.8 * 86400.0 / (2.0 * 0.2)));
  REQUIRE(d.queue_wait_mmc_s.has_value());
  CHECK(*d.queue_wait_mmc_s == mlsim::test::approx(*d.queue_wait_probability * 86400.0 / (4.0 * 0.2)));
  REQUIRE(d.chinchilla_params.has_value());
  REQUIRE(d.tokens_per_param.has_value());
  CHECK(*d.tokens_per_param == mlsim::test::approx(20e9 / workload::count_params(test::zoo_model("llama3_70b")).total).epsilon(1e-6));
}

}  // namespace mlsim

// The published operations figures (validation/published.yaml, D_reliability_energy) that the
// point builders express, scored with failure rates from Llama 3's Table 5, not from the runs.
#include "analysis/accuracy.hpp"
#include "spec/scenario.hpp"

namespace mlsim {

TEST_CASE("accuracy of the operations points: checkpoint, restarts, GPU-hours, energy") {
  std::string text;
  Diagnostics d;
  REQUIRE(spec::read_text_file(test::source_path("validation/published.yaml"), text, d));
  analysis::AccuracyReport report;
  analysis::AccuracyRunner runner(test::zoo());
  runner.add_published(text, "published.yaml", report, d);
  CHECK_FALSE(d.has_errors());
  std::map<std::string, const analysis::AccuracyPoint*> by_id;
  for (const auto& p : report.points) by_id[p.id] = &p;
  const auto err = [&](const std::string& id) {
    REQUIRE(by_id.contains(id));
    const auto* p = by_id[id];
    REQUIRE_MESSAGE(p->status == analysis::PointStatus::kScored, std::string(id + ": " + p->reason));
    return *p->signed_error;
  };
  // Megatron-LM 1T: 1.008e12 x 14 B = 14.1 TB vs 13.8 TB published.
  CHECK(std::fabs(err("D-MEG21-1T-CHECKPOINT")) < 0.05);
  // OPT-175B: 124 nodes x 1440 h / 6335 h = 28.2 interruptions vs at least 35 manual restarts (within x1.5).
  const double opt = err("D-OPT175B-RESTARTS");
  CHECK(1.0 + opt > 1.0 / 1.5);
  CHECK(1.0 + opt < 1.5);
  CHECK(by_id["D-OPT175B-RESTARTS"]->predicted.value() == mlsim::test::approx(124.0 * 1440.0 / (2654208.0 / 419.0)).epsilon(0.002));
  // LLaMA-65B GPU-hours within 25 %.
  CHECK(std::fabs(err("D-LLAMA1-65B-GPU-HOURS")) < 0.25);
  // Measured today and kept honest (docs/accuracy.md): BLOOM's energy is under-predicted by 24.5%
  // (the run took 118 days for ~89 days of modelled work) and Kokolis et al.'s research-cluster job
  // MTTF is 6x shorter than Llama 3's hardware rates give.
  CHECK(err("D-BLOOM-176B-ENERGY-CO2") == mlsim::test::approx(-0.245).epsilon(0.02));
  CHECK(err("D-KOKOLIS-MTTF-1024GPU") == mlsim::test::approx(5.26).epsilon(0.01));
}

}  // namespace mlsim

namespace mlsim {

TEST_CASE("algorithm section: DP-SGD's per-sample gradients and 2:4-pruned weights") {
  const std::string yaml = R"(schema_version: 1
kind: scenario
name: dp-sgd
system: {accelerator: h100_sxm, count: 8, node: dgx_h100}
software: megatron
model: llama3_8b
training: {seq_len: 2048, global_batch: 8, micro_batch: 1, precision: bf16, parallelism: {tp: 8}}
)";
  const auto e = run(yaml + "algorithm: {dp_sgd: per_sample, sparsity: 0.5, index_bits: 2}\n");
  REQUIRE(e.algorithm.has_value());
  const auto& a = *e.algorithm;
  CHECK(a.dp_sgd == "per_sample");
  CHECK(a.dpsgd_flops_factor == mlsim::test::approx(8.0 / 6.0));
  // DP-SGD is part of the run: the step grows by (8/6 - 1) of its compute, the gradients by one
  // sample's fp32 gradient of this rank's weights (1 x (weights bytes / 2) x 4), and the hardware
  // FLOPs by a third of the model FLOPs; the model FLOPs (and so MFU's numerator) stay.
  const auto plain = run(yaml);
  REQUIRE(plain.training.has_value());
  CHECK(e.training->step_time_s == mlsim::test::approx(plain.training->step_time_s + plain.training->compute_s / 3.0).epsilon(1e-12));
  CHECK(a.dpsgd_step_time_s == mlsim::test::approx(e.training->step_time_s).epsilon(1e-12));
  CHECK(a.dpsgd_extra_bytes == mlsim::test::approx(e.memory.weights_bytes / 2.0 * 4.0));
  CHECK(e.memory.gradients_bytes == mlsim::test::approx(plain.memory.gradients_bytes + a.dpsgd_extra_bytes).epsilon(1e-12));
  CHECK(e.training->model_flops_per_step == mlsim::test::approx(plain.training->model_flops_per_step).epsilon(1e-12));
  CHECK(e.training->hardware_flops_per_step ==
        mlsim::test::approx(plain.training->hardware_flops_per_step + plain.training->model_flops_per_step / 3.0).epsilon(1e-12));
  CHECK(e.training->tokens_per_s == mlsim::test::approx(plain.training->tokens_per_s * plain.training->step_time_s /
                                                    e.training->step_time_s).epsilon(1e-12));
  const double params = workload::count_params(test::zoo_model("llama3_8b")).total;
  CHECK(a.dense_weight_bytes == mlsim::test::approx(params * 2.0));
  CHECK(a.compressed_weight_bytes == mlsim::test::approx(params * 0.5 * 18.0 / 8.0));
  const auto ghost = run(yaml + "algorithm: {dp_sgd: ghost}\n");
  CHECK(ghost.algorithm->dpsgd_extra_bytes == 0.0);
  CHECK(ghost.algorithm->dpsgd_step_time_s > a.dpsgd_step_time_s);
  CHECK(ghost.algorithm->compressed_weight_bytes == mlsim::test::approx(params * 2.0));
}

}  // namespace mlsim
