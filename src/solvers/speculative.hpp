// Speculative decoding (Leviathan et al. 2023, "Fast Inference from Transformers via Speculative
// Decoding"; Chen et al. 2023): a cheap proposer (a draft model, or draft heads as in Medusa/EAGLE)
// proposes k tokens, the target model verifies them in one pass of k + 1 tokens per sequence, and
// with an i.i.d. per-token acceptance rate a the expected tokens produced per verification is
// (1 - a^(k+1)) / (1 - a) (k + 1 when a = 1).
#pragma once

namespace mlsim::solvers {

double expected_tokens_per_verification(double acceptance, long long k);

struct SpeculativeStep {
  double tokens_per_step = 1.0;   // expected tokens per sequence per verification step
  double step_s = 0.0;            // k draft steps + one verification
  double time_per_token_s = 0.0;
  double speedup = 1.0;           // plain decode step time / time per token
};

// `decode_s`: one plain decode step of the target; `verify_s`: the target's pass over k + 1 tokens per
// sequence; `propose_s`: one proposal (a draft-model decode step, or a draft-head evaluation).
SpeculativeStep speculative_step(double decode_s, double verify_s, double propose_s, double acceptance, long long k);

}  // namespace mlsim::solvers
