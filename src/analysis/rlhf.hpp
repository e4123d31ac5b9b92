// One PPO iteration of RLHF (Ouyang et al. 2022, InstructGPT; docs/rlhf.md), built from the
// existing inference and training models without changing them:
//  (a) generation: the actor decodes response_tokens for every prompt (prefill + decode steps of a
//      static batch, the inference model at the generation layout);
//  (b) experience making: forward passes (prefill, no decode) of the actor (log-probs), reference,
//      reward and critic over prompt + response, at the training layout and micro-batch;
//  (c) training: actor and critic steps (forward, backward, optimizer) for ppo_epochs x
//      prompts / global_batch mini-batches, the training model at the scenario's layout.
// Co-located (DeepSpeed-Chat's hybrid engine, Yao et al. 2023, arXiv:2308.01320): the phases run
// one after the other on every accelerator and every model's state is resident at once.
// Disaggregated (OpenRLHF, Hu et al. 2024, arXiv:2405.11143): a generation pool and a training pool
// (experience + training) overlap across iterations (one iteration's policy lag), plus the actor's
// weights sent from trainer to generator each iteration.
#pragma once

#include "analysis/estimate.hpp"
#include "analysis/evaluate.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

Estimate evaluate_rlhf(const spec::Scenario& s, const EvalOptions& options);

}  // namespace mlsim::analysis
