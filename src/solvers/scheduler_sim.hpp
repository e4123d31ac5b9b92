// An event-driven simulator of an iteration-level serving scheduler, as vLLM (Kwon et al. 2023,
// "PagedAttention") and TensorRT-LLM's in-flight batching run it: each step the running requests
// decode one token and prompts are prefilled in chunks within a token budget (chunked prefill,
// Agrawal et al. 2024 "Sarathi-Serve"); the KV cache is paged in blocks and, when a decode needs a
// block and none is free, the most recently admitted request is preempted and later recomputed
// (vLLM's recompute preemption), unless every request reserves its whole sequence's blocks when it
// starts (TensorRT-LLM's default); a prefix-cache hit rate skips that share of each prompt's
// prefill. A step's time comes from `StepCost` (the roofline price of one forward pass), memoized
// per (sequences, tokens) so a run of 100,000 requests prices only the distinct step shapes.
#pragma once

#include <functional>
#include <vector>

#include "solvers/traffic.hpp"

namespace mlsim::solvers {

struct SchedulerConfig {
  long long max_sequences = 256;          // running requests at once
  long long max_batched_tokens = 8192;    // token budget of one step
  bool chunked_prefill = true;            // else a prompt is prefilled whole in one step
  long long block_tokens = 16;            // KV-cache block size (tokens)
  long long kv_blocks = 1LL << 40;        // blocks that fit in the memory left for the cache
  double prefix_hit = 0.0;                // share of each prompt already in the prefix cache
  // TensorRT-LLM's GUARANTEED_NO_EVICT capacity scheduler: a request starts only when the blocks of
  // its whole sequence (prompt + output) can be reserved beside the running requests' reservations,
  // so none is ever preempted. Off: blocks are taken as needed and a decode that finds none free
  // preempts (vLLM; TensorRT-LLM's MAX_UTILIZATION).
  bool reserve_full_sequence = false;
  // KV offload (vLLM's swap preemption, Kwon et al. 2023 section 4.5): a preempted request's KV
  // blocks go to host memory instead of being dropped; they come back when it resumes. Both copies
  // take bytes / host_bandwidth (kv_onload_s), charged to the step that preempts and to the step
  // that resumes. Off: the preempted request recomputes its tokens.
  bool kv_offload = false;
  double kv_bytes_per_token = 0.0;        // per device (its shard of the cache)
  double host_bandwidth = 0.0;            // B/s, each direction
};

// Seconds of one forward step that runs `sequences` requests on `tokens` new tokens in total, of
// which `decodes` requests decode one token each and the others prefill the remaining tokens (a
// mixed step's attention reads every decoding request's KV cache, while its matrices see all the
// tokens at once).
using StepCost = std::function<double(long long sequences, long long tokens, long long decodes)>;

struct RequestTimes {
  double wait_s = 0.0;   // arrival to first scheduled
  double ttft_s = 0.0, tpot_s = 0.0, e2e_s = 0.0;
};

struct SimulationResult {
  std::vector<RequestTimes> requests;   // in arrival order
  double makespan_s = 0.0;              // first arrival to last completion
  long long output_tokens = 0, prompt_tokens = 0;
  long long steps = 0, preemptions = 0, distinct_step_shapes = 0;
  long long recomputed_tokens = 0;      // tokens whose KV a preemption dropped and prefill ran again
  long long swapped_tokens = 0;         // tokens whose KV went to host memory (and came back)
  long long peak_host_tokens = 0;       // most tokens whose KV sat in host memory at once
  double swap_out_s = 0.0, swap_in_s = 0.0;   // host-link time charged to the steps
  double mean_batch = 0.0;              // sequences per step
  bool stalled = false;                 // a request can never fit the KV cache
};

SimulationResult simulate_scheduler(const std::vector<Request>& requests, const SchedulerConfig& config, const StepCost& cost);

// The p-quantile (0..1) of `values` by linear interpolation between order statistics (numpy's default).
double quantile(std::vector<double> values, double p);

}  // namespace mlsim::solvers
