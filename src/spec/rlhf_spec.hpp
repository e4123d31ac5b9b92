// RLHF with PPO (Ouyang et al. 2022, InstructGPT): the `rlhf:` section of a training scenario. The
// scenario's `model` is the actor (the policy being trained); the critic is trained beside it, the
// reference (a frozen copy of the initial actor) and the reward model only run forward. The
// scenario's `training` (precision, parallelism, micro_batch, recompute) applies to the actor and
// the critic; `training.global_batch` is the PPO mini-batch (sequences per optimizer step).
#pragma once

#include <optional>
#include <string>

#include "spec/model.hpp"
#include "spec/reader.hpp"

namespace mlsim::spec {

struct RlhfSpec {
  ModelSpec critic;
  std::optional<ModelSpec> reference;   // default: the actor (the scenario's model)
  std::optional<ModelSpec> reward;      // default: the critic
  long long prompts_per_iteration = 512;
  long long prompt_tokens = 512, response_tokens = 512;
  long long ppo_epochs = 1;
  std::string placement = "colocated";   // colocated | disaggregated
  // Generation (rollout) layout: tensor-parallel size (default: training tp) and sequences per
  // replica per round (default: every prompt of the replica in one round).
  std::optional<long long> generation_tp, generation_batch;
  // Disaggregated: accelerators of the generation pool; the rest train.
  long long generation_gpus = 0;
};

// Reads `rlhf:` (its model slots already resolved to entries by the scenario loader).
RlhfSpec read_rlhf(const Node& n, Diagnostics& d);

}  // namespace mlsim::spec
