// How fast a fused (FlashAttention-2-class) attention kernel runs in a training pass, relative to
// its best case: the long-sequence, non-causal forward pass that an accelerator's
// `efficiency.attention` stands for ("up to 230 TFLOPS" on A100, Dao 2023; 35% on H100, Shah et
// al. 2024). Causal masking, short sequences, small heads and the backward pass are all slower.
#pragma once

#include "spec/hardware.hpp"

namespace mlsim::workload {

enum class AttentionPass { kForward, kBackward };

// The kernel's throughput (counted FLOPs per second) over its best case, in (0, 1]. `seq` is the
// sequence length attended (the key length in self-attention), `head_dim` the query/key head
// dimension; both are clamped to the measured range (512..16384, 64..128).
double flash_attention_relative_speed(AttentionPass pass, bool causal, double seq, double head_dim);

// A training stack's fused-attention kernel's speed relative to FlashAttention-2's on the same pass.
double attention_kernel_speed(spec::SoftwareSpec::AttentionKernel kernel);

}  // namespace mlsim::workload
