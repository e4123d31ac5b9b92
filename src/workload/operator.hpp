// An operator: one kind of kernel of a step, priced once and counted `count` times (identical
// layers are priced once). FLOPs and bytes are per instance; bytes are HBM traffic.
#pragma once

#include <string>
#include <vector>

#include "spec/precision.hpp"

namespace mlsim::workload {

enum class OpClass { kGemm, kAttention, kElementwise, kEmbedding, kOptimizer };
enum class Phase { kForward, kBackward, kRecompute, kOptimizer, kPrefill, kDecode };

const char* phase_name(Phase p);
const char* op_class_name(OpClass c);

struct Operator {
  const char* name = "";
  Phase phase = Phase::kForward;
  OpClass op_class = OpClass::kElementwise;
  double count = 1.0;        // instances per step (layers x micro-batches x ...)
  double flops = 0.0;        // executed FLOPs per instance
  double bytes = 0.0;        // HBM bytes read + written per instance
  double kernels = 1.0;      // kernel launches per instance
  Precision precision = Precision::kBf16;   // the precision its math runs at
  // How tensor parallelism divides it (Megatron-LM, Shoeybi et al. 2019): split across the TP
  // ranks (column/row-parallel GEMMs, attention heads, the vocabulary-parallel head and loss), or
  // replicated unless sequence parallelism splits it along the sequence (norms, residuals,
  // dropout; Korthikanti et al. 2022).
  enum class Split : unsigned char { kTensor, kSequence, kNone } split = Split::kNone;
  // GEMMs: the shape of one forward GEMM, tokens x (k -> n) (0 when unknown). Only calibrated
  // accelerators look at it (a measured GEMM time by shape, solvers/calibrated.hpp).
  double gemm_m = 0.0, gemm_n = 0.0, gemm_k = 0.0;
  // Weight-only quantization (weights stored at a precision other than the one the math runs at,
  // e.g. W4A16): the vector-unit operations per instance that convert the weight tiles into the
  // compute format inside the GEMM's main loop (Marlin, Frantar et al. 2024; AWQ, Lin et al. 2024).
  // The roofline adds them to the compute side; 0 when the weights are at the compute precision.
  double dequant_ops = 0.0;
  // Fused attention in training: the kernel's speed relative to the accelerator's reference
  // attention rate (efficiency.attention), in this pass and, for the backward pass built from this
  // forward operator (append_backward), in that one (workload/flash_attention_speed.hpp).
  double rate_scale = 1.0;
  double backward_rate_scale = 1.0;
  // Memory-bound operators: the backward's traffic as a multiple of the forward's (append_backward):
  // twice (read the output gradient and the saved input, write the input gradient) unless the
  // operator's kernels say otherwise (the training loss).
  double backward_bytes_scale = 2.0;
};

// Operations per weight element of one dequantization (a conversion and one scale multiply;
// assumption, the minimum of Marlin's and AWQ's kernels: bit operations unpack int4/fp4 pairs,
// then one fused multiply applies the group scale) and the token tile that reuses a dequantized
// weight tile (Marlin processes at most 4 x 16 = 64 rows of activations per pass, re-dequantizing
// the weights for every further 64 tokens).
inline constexpr double kDequantOpsPerWeight = 2.0;
inline constexpr double kDequantTokenTile = 64.0;

using OperatorList = std::vector<Operator>;

}  // namespace mlsim::workload
