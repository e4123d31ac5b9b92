// Algorithm walls (docs/operations.md): the compute-optimal model and data size for a compute
// budget (Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models"), the cost of
// DP-SGD's per-sample gradients, and the memory of pruned and quantized weights.
#pragma once

namespace mlsim::solvers {

struct ComputeOptimal {
  double params = 0, tokens = 0;
};

// Approach 3 of Hoffmann et al. 2022 (eq. 10 fit: E = 1.69, A = 406.4, B = 410.7, alpha = 0.34,
// beta = 0.28) with C = 6 N D: N_opt = G (C/6)^{beta/(alpha+beta)}, D_opt = (C/6)^{alpha/(alpha+beta)} / G,
// G = (alpha A / (beta B))^{1/(alpha+beta)} (their eq. 4).
ComputeOptimal chinchilla_optimal(double compute_flops);

// The rule of thumb from the same paper's Table 3: about 20 tokens per parameter, C = 6 N D = 120 N^2.
ComputeOptimal twenty_tokens_per_param(double compute_flops);

// Loss predicted by the approach-3 fit: E + A / N^alpha + B / D^beta.
double chinchilla_loss(double params, double tokens);

// DP-SGD (Abadi et al. 2016) step cost relative to ordinary training. Per-sample gradients
// materialized (Opacus hooks): the weight gradients of every sample are kept, so memory grows by
// micro_batch x params x gradient bytes, and compute by one more weight-gradient pass (8/6 of
// 6 N D). Ghost clipping (Li et al. 2022, "Large Language Models Can Be Strong Differentially
// Private Learners", ICLR) needs no per-sample gradients but a second backward: (6 + 4) / 6.
double dpsgd_flops_factor(bool ghost_clipping);
double dpsgd_extra_bytes(bool ghost_clipping, double micro_batch, double params, double grad_bytes);

// Bytes of weights after pruning a fraction `sparsity` and storing `bits` per kept weight, with
// `index_bits` of metadata per kept weight (2:4 structured sparsity: 2 bits per kept value, NVIDIA
// A100 whitepaper 2020).
double compressed_weight_bytes(double params, double sparsity, double bits, double index_bits);

}  // namespace mlsim::solvers
