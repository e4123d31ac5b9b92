#include "solvers/scaling_laws.hpp"

#include <cmath>

namespace mlsim::solvers {

namespace {
constexpr double kE = 1.69, kA = 406.4, kB = 410.7, kAlpha = 0.34, kBeta = 0.28;
}

ComputeOptimal chinchilla_optimal(double compute_flops) {
  const double g = std::pow(kAlpha * kA / (kBeta * kB), 1.0 / (kAlpha + kBeta));
  const double c6 = compute_flops / 6.0;
  return {g * std::pow(c6, kBeta / (kAlpha + kBeta)), std::pow(c6, kAlpha / (kAlpha + kBeta)) / g};
}

ComputeOptimal twenty_tokens_per_param(double compute_flops) {
  const double n = std::sqrt(compute_flops / 120.0);
  return {n, 20.0 * n};
}

double chinchilla_loss(double params, double tokens) {
  return kE + kA / std::pow(params, kAlpha) + kB / std::pow(tokens, kBeta);
}

double dpsgd_flops_factor(bool ghost_clipping) { return ghost_clipping ? 10.0 / 6.0 : 8.0 / 6.0; }

double dpsgd_extra_bytes(bool ghost_clipping, double micro_batch, double params, double grad_bytes) {
  return ghost_clipping ? 0.0 : micro_batch * params * grad_bytes;
}

double compressed_weight_bytes(double params, double sparsity, double bits, double index_bits) {
  const double kept = params * (1.0 - sparsity);
  return kept * (bits + index_bits) / 8.0;
}

}  // namespace mlsim::solvers
