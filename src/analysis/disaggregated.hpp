// Disaggregated prefill and decode (DistServe, Zhong et al. 2024; Splitwise, Patel et al. 2024):
// the prefill pool runs every prompt (one output token) and hands its KV cache to the decode pool,
// which decodes without prefill interference. Each pool is evaluated as its own serving scenario
// under the same traffic (the decode pool sees each prompt as already cached: a prefix hit of the
// whole prompt, so its blocks are held but no prefill runs); the KV transfer is a send of each
// prefill rank's shard of the prompt's cache to the decode pool over the placed path of the
// cluster graph, added to the time to first token.
#pragma once

#include "analysis/estimate.hpp"
#include "analysis/evaluate.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

Estimate evaluate_disaggregated(const spec::Scenario& s, const EvalOptions& options);

}  // namespace mlsim::analysis
