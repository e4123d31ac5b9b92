#include "solvers/speculative.hpp"

#include <cmath>

namespace mlsim::solvers {

double expected_tokens_per_verification(double acceptance, long long k) {
  const double kk = static_cast<double>(k);
  if (acceptance >= 1.0) return kk + 1.0;
  return (1.0 - std::pow(acceptance, kk + 1.0)) / (1.0 - acceptance);
}

SpeculativeStep speculative_step(double decode_s, double verify_s, double propose_s, double acceptance, long long k) {
  SpeculativeStep s;
  s.tokens_per_step = expected_tokens_per_verification(acceptance, k);
  s.step_s = static_cast<double>(k) * propose_s + verify_s;
  s.time_per_token_s = s.step_s / s.tokens_per_step;
  s.speedup = s.time_per_token_s > 0.0 ? decode_s / s.time_per_token_s : 1.0;
  return s;
}

}  // namespace mlsim::solvers
