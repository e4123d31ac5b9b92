// The serving keys of an inference scenario beyond the batch: the traffic (inference.traffic:
// arrivals, request count, length distributions, prefix-cache hits, chunked prefill, seed) and
// speculative decoding (inference.speculative). Each is read by a key-table reader that rejects
// unknown keys.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spec/reader.hpp"

namespace mlsim::spec {

struct LengthSpec {
  std::string distribution = "fixed";   // fixed, uniform, exponential, lognormal, csv
  std::optional<double> mean;           // default: the scenario's prompt_tokens / output_tokens
  double min = 1.0, max = 0.0;          // uniform bounds; max also caps the other distributions (0: none)
  double sigma = 0.5;                   // lognormal: standard deviation of the log
  std::vector<double> values;           // csv: the lengths read from the file
};

struct TrafficSpec {
  std::string arrival = "poisson";      // poisson, constant, offline (all requests at time 0)
  long long requests = 2000;            // requests simulated (and offline: the job)
  long long seed = 1;
  LengthSpec prompt, output;
  double prefix_cache_hit = 0.0;        // share of each prompt found in the prefix cache
  std::optional<bool> chunked_prefill;  // default: on when the software has a token budget
  bool kv_offload = false;              // preempted requests' KV goes to host memory (simulator)
};

struct SpeculativeSpec {
  std::string method = "draft_model";   // draft_model or draft_heads (Medusa/EAGLE-style heads)
  std::string draft;                    // draft_model: a zoo model id
  long long tokens = 4;                 // k proposed tokens per verification
  double acceptance = 0.7;              // per-token acceptance rate a
  double head_cost = 0.05;              // draft_heads: one proposal's cost as a share of a target decode step
};

// Disaggregated prefill and decode (Zhong et al. 2024, DistServe; Patel et al. 2024, Splitwise):
// two pools sized independently, each of `replicas` groups of `tp` accelerators; the prompt's KV
// cache moves from the prefill pool to the decode pool over the fabric.
struct DisaggregatedSpec {
  long long prefill_tp = 1, prefill_replicas = 1, decode_tp = 1, decode_replicas = 1;
};

// Inference-time compute: K reasoning steps of `step_tokens` tokens generated before the answer,
// and N sampled answers per query (best-of-N, self-consistency).
struct ReasoningSpec {
  long long steps = 0, step_tokens = 0, samples = 1;
};

TrafficSpec read_traffic(const Node& n, Diagnostics& d);
ReasoningSpec read_reasoning(const Node& n, Diagnostics& d);
DisaggregatedSpec read_disaggregated(const Node& n, Diagnostics& d);
SpeculativeSpec read_speculative(const Node& n, Diagnostics& d);

}  // namespace mlsim::spec
