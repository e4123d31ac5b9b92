#include "workload/flash_attention_speed.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

namespace mlsim::workload {

namespace {

// FlashAttention-2 on one H100 SXM5, BF16, batch x sequence = 16k tokens, hidden 2048, in TFLOP/s
// at sequence lengths 512, 1k, 2k, 4k, 8k, 16k: Shah et al., FlashAttention-3 (arXiv:2407.08608,
// 2024), Figure 5 (forward) and Figure 6 (backward), the FlashAttention-2 bars (the values printed
// on the bars). Only the ratios between them are used, on every GPU: an assumption, that the same
// kernel's work partitioning loses the same shares on other sm80+ GPUs (FlashAttention-2's own
// A100 figures, Dao 2023 Figures 4-6, were not transcribed to check it).
using Row = std::array<double, 6>;
constexpr Row kForwardNonCausal64 = {282, 306, 318, 321, 322, 324};
constexpr Row kForwardNonCausal128 = {309, 350, 362, 368, 370, 370};
constexpr Row kForwardCausal128 = {191, 260, 298, 319, 333, 335};
constexpr Row kBackwardNonCausal64 = {198, 238, 264, 279, 287, 291};
constexpr Row kBackwardNonCausal128 = {214, 260, 291, 310, 318, 322};
// The best case, the forward pass at 16k, head dimension 128, non-causal.
constexpr double kBest = 370.0;

// Linear in log2(sequence) between the measured lengths, clamped at both ends.
double at_sequence(const Row& row, double seq) {
  const double x = std::clamp(std::log2(std::max(seq, 1.0)) - 9.0, 0.0, 5.0);   // 512 -> 0, 16k -> 5
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(x), 4);
  const double f = x - static_cast<double>(i);
  return row[i] + f * (row[i + 1] - row[i]);
}

}  // namespace

double flash_attention_relative_speed(AttentionPass pass, bool causal, double seq, double head_dim) {
  const bool fwd = pass == AttentionPass::kForward;
  const double s64 = at_sequence(fwd ? kForwardNonCausal64 : kBackwardNonCausal64, seq);
  const double s128 = at_sequence(fwd ? kForwardNonCausal128 : kBackwardNonCausal128, seq);
  const double d = std::clamp((head_dim - 64.0) / 64.0, 0.0, 1.0);
  double speed = s64 + d * (s128 - s64);
  // The causal mask's cost (imbalanced blocks along the diagonal) is measured for the forward pass
  // at head dimension 128; the paper has no causal backward, so the same ratio is applied to it and
  // to head dimension 64 (assumption).
  if (causal) speed *= at_sequence(kForwardCausal128, seq) / at_sequence(kForwardNonCausal128, seq);
  return std::min(1.0, speed / kBest);
}

double attention_kernel_speed(spec::SoftwareSpec::AttentionKernel kernel) {
  using K = spec::SoftwareSpec::AttentionKernel;
  switch (kernel) {
    case K::kFlashAttention2: return 1.0;
    // Dao, FlashAttention-2 (arXiv:2307.08691, 2023), abstract: FlashAttention-2's work partitioning
    // "yield[s] around 2x speedup compared to FlashAttention" on A100 (section 4.1: 1.7-3.0x over
    // the configurations of Figure 4); one factor for every pass, the abstract's round figure.
    case K::kFlashAttention1: return 0.5;
    // flash_attn_triton.py (Dao-AILab/flash-attention; llm-foundry vendors it as attn_impl: triton,
    // on the pre-MLIR Triton of December 2022), its docstring: "Triton forward is generally faster
    // than CUDA forward, while Triton backward is generally slower than CUDA backward. Overall
    // Triton forward + backward is slightly slower than CUDA forward + backward", the CUDA kernels
    // being FlashAttention (v1)'s. Taken at FlashAttention (v1)'s speed (assumption: "slightly" is
    // not quantified).
    case K::kTritonFlashAttention: return 0.5;
  }
  return 1.0;
}

}  // namespace mlsim::workload
