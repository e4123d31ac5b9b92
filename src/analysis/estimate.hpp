// The result of one evaluation: every wall, the binding one, the headline numbers and the
// per-operator table. It mirrors the JSON contract of `mlsim analyze` (DESIGN.md); optional
// members are the sections and keys that do not apply, and stay absent from the report.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlsim::analysis {

struct Wall {
  std::string name;
  double time_s = 0.0;
  double utilization = 0.0;
  bool binding = false;
  std::string note;
};

struct OperatorRow {
  std::string name, phase, bound;
  double count = 0, flops = 0, bytes = 0, time_s = 0;   // flops, bytes, time per instance
  double kernels = 0;
};

struct MemoryReport {
  double per_device_bytes = 0, capacity_bytes = 0;
  bool fits = true;
  double weights_bytes = 0, gradients_bytes = 0, optimizer_bytes = 0, activations_bytes = 0, kv_cache_bytes = 0,
         workspace_bytes = 0;
  double offloaded_weight_bytes = 0;
};

struct TrainingReport {
  double step_time_s = 0, mfu = 0, hfu = 0, model_flops_per_step = 0, hardware_flops_per_step = 0, tokens_per_s = 0;
  std::optional<double> time_to_train_s;
  double bubble_fraction = 0;
  double compute_s = 0, bubble_s = 0, optimizer_s = 0, host_s = 0;
  double exposed_tp_s = 0, exposed_dp_s = 0, exposed_pp_s = 0, exposed_ep_s = 0, exposed_cp_s = 0;
  long long micro_batches = 1;
  long long max_micro_batch = 0;
  // One transformer layer of one micro-batch on one TP rank, with the collectives it exposes; the
  // backward includes recomputation (0 for CNNs).
  double layer_forward_s = 0, layer_backward_s = 0;
  // The time a batch-size ramp-up adds to time_to_train_s (its steps at the smaller batches are less
  // efficient); 0 without one.
  double rampup_s = 0;
  bool samples = false;    // CNNs count images, not tokens
};

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0;
};

// Serving under traffic (inference.arrival_rate or traffic: {arrival: offline}): the queue and the
// scheduler behind the percentiles.
struct ServingReport {
  bool simulated = false;
  double arrival_rate_per_s = 0;        // whole system (0 offline)
  double capacity_requests_per_s = 0;   // the largest sustainable rate, whole system
  double utilization = 0;
  double mean_batch = 0;                // running requests per replica
  long long max_running = 0;            // the scheduler's limit per replica (sequences, KV blocks)
  long long kv_blocks = 0, block_tokens = 0;
  long long requests = 0, preemptions = 0;
  double goodput_requests_per_s = 0;    // requests per second within the SLO (when one is given)
  // Simulator: tokens whose KV a preemption dropped (recomputed), or sent to host memory and back
  // (traffic.kv_offload), and the host-link seconds of those copies (out + in, per replica).
  long long recomputed_tokens = 0, swapped_tokens = 0;
  double kv_swap_s = 0;
};

struct InferenceReport {
  std::optional<double> ttft_s, tpot_s;
  double e2e_s = 0, throughput_tokens_per_s = 0;
  long long batch = 0, max_batch = 0;
  std::optional<double> kv_cache_bytes_per_token;
  std::optional<Percentiles> ttft_pct, tpot_pct;
  Percentiles e2e_pct;
  std::optional<double> goodput;
  bool samples = false;    // CNNs: throughput in images/s
  std::optional<ServingReport> serving;
  std::optional<double> speculative_speedup;        // plain TPOT / speculative TPOT
  std::optional<double> speculative_tokens_per_step;  // (1 - a^(k+1)) / (1 - a)
};

// Keys of `ops` that the scenario's `operations:` section adds (docs/operations.md).
struct OpsDetail {
  std::string power_model;                 // "utilization" or "tdp"
  double accelerator_utilization = 1;      // busy fraction driving the power curve
  double accelerator_power_w = 0, node_overhead_w = 0;   // per accelerator
  std::optional<double> energy_per_step_j, energy_per_token_j;
  double embodied_per_accelerator_kg = 0;
  double carbon_price_usd = 0;             // carbon_kg x price
  std::string cost_model;                  // "rental" or "ownership"
  double capital_usd = 0, maintenance_usd = 0, facility_usd = 0, electricity_usd = 0;
  std::optional<double> usd_per_step;
  std::optional<double> tco_usd;           // ownership over operations.cost.tco_duration
  std::optional<double> queue_wait_md1_s, queue_wait_mmc_s, queue_wait_probability;
  std::optional<double> chinchilla_params, chinchilla_tokens, tokens_per_param;
};

struct OpsReport {
  double duration_s = 0, gpu_hours = 0, energy_j = 0, it_energy_j = 0, operational_carbon_kg = 0, embodied_carbon_kg = 0,
         carbon_kg = 0, water_l = 0, cost_usd = 0;
  std::optional<double> usd_per_million_tokens;
  std::optional<OpsDetail> detail;
};

// Failures, checkpoints and restarts of a training run (solvers/reliability).
struct ReliabilityReport {
  double nodes = 0, node_mtbf_s = 0, cluster_mtbf_s = 0, weibull_shape = 1, p_interval_without_failure = 1;
  std::string checkpoint_mode;
  double checkpoint_bytes = 0, checkpoint_write_s = 0, checkpoint_restore_s = 0, checkpoint_stall_s = 0;
  double young_daly_interval_s = 0, checkpoint_interval_s = 0, restart_s = 0;
  double work_s = 0, wall_s = 0, goodput = 1, interruptions = 0, checkpoints = 0, checkpoint_total_s = 0,
         restart_total_s = 0, lost_work_s = 0;
  std::vector<std::pair<std::string, double>> interruptions_by_component;
};

// The input pipeline against the accelerators' demand, per node (solvers/data_pipeline).
struct DataPipelineReport {
  double demand_samples_per_s = 0, supply_samples_per_s = 0, storage_samples_per_s = 0, network_samples_per_s = 0,
         decode_samples_per_s = 0, workers = 0, gpu_utilization = 1;
  std::string limiter, storage;
};

// DP-SGD and weight compression on top of a training run (solvers/scaling_laws).
struct AlgorithmReport {
  std::string dp_sgd;                     // "none", "per_sample", "ghost"
  double dpsgd_flops_factor = 1;          // training FLOPs relative to ordinary training
  double dpsgd_step_time_s = 0;           // the step with the extra gradient work at the same rate
  double dpsgd_extra_bytes = 0;           // per device: materialized per-sample gradients
  bool dpsgd_fits = true;
  double dense_weight_bytes = 0, compressed_weight_bytes = 0;   // the whole model
};

// RLHF with PPO (analysis/rlhf.hpp): one iteration's phases, placement and memory per pool.
struct RlhfPool {
  std::string name;                 // "all" (co-located), "generation", "training"
  long long gpus = 0;
  double busy_s = 0;                // the pool's time per iteration
  double memory_per_device_bytes = 0, capacity_bytes = 0;
  bool fits = true;
  std::string peak_phase;           // the phase whose transient sets the peak
};

struct RlhfReport {
  std::string placement;            // "colocated" or "disaggregated"
  long long prompts_per_iteration = 0, prompt_tokens = 0, response_tokens = 0, ppo_epochs = 1;
  double generation_s = 0, experience_s = 0, training_s = 0, weight_sync_s = 0;
  double iteration_s = 0;           // co-located: the sum; disaggregated: max of the pools + sync
  double synchronous_iteration_s = 0;   // every phase one after the other (on-policy, no overlap)
  double samples_per_s = 0, tokens_per_s = 0;   // prompts and prompt + response tokens per second
  std::string binding_phase;        // generation, experience, training (co-located); generation_pool, training_pool
  long long generation_tp = 1, generation_replicas = 1, generation_batch = 1, generation_rounds = 1;
  long long experience_batch = 1, optimizer_steps = 1;
  double actor_step_s = 0, critic_step_s = 0;
  double actor_forward_s = 0, reference_forward_s = 0, reward_forward_s = 0, critic_forward_s = 0;
  std::vector<RlhfPool> pools;
};

struct Estimate {
  std::string scenario;
  bool feasible = true;
  std::string infeasible_reason;
  std::string binding_wall;
  std::string binding_reason;
  std::vector<Wall> walls;
  std::vector<OperatorRow> operators;
  MemoryReport memory;
  std::optional<TrainingReport> training;
  std::optional<InferenceReport> inference;
  std::optional<OpsReport> ops;
  std::optional<ReliabilityReport> reliability;
  std::optional<DataPipelineReport> data_pipeline;
  std::optional<AlgorithmReport> algorithm;
  std::vector<std::string> warnings;
  std::optional<RlhfReport> rlhf;
};

}  // namespace mlsim::analysis
