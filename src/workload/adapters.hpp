// Parameter-efficient fine-tuning as a change of a training step's operators: frozen base weights
// need no weight gradients, low-rank adapters add small GEMMs beside the chosen linear layers, and
// QLoRA dequantizes its 4-bit base weights before every GEMM (docs/modeling.md, Fine-tuning).
#pragma once

#include <cstddef>
#include <string>

#include "spec/model.hpp"
#include "spec/scenario.hpp"
#include "workload/operator.hpp"

namespace mlsim::workload {

// NF4 with double quantization: 4 bits per weight plus 0.127 bits of quantization constants
// (Dettmers et al. 2023, QLoRA, section 3: blocks of 64 weights, fp8 absmax with a second-level
// fp32 constant per 256 blocks).
inline constexpr double kNf4BytesPerWeight = (4.0 + 0.127) / 8.0;

// Trainable adapter parameters of one layer: r (k + n) per adapted matrix k -> n (A is k x r,
// B is r x n; Hu et al. 2021). Fused projections count their matrices apart (q, k, v; gate and
// up). Sets `problem` when the targets do not exist in the model (empty when fine).
double adapter_params_per_layer(const spec::ModelSpec& m, const spec::AdapterSpec& a, std::string& problem);

// Rewrites the operators of one training micro-batch for adapter fine-tuning. ops[0, layers_end)
// are the stage's layers (forward, backward, recompute), the rest the embedding and head. Every
// backward GEMM over a frozen weight keeps only its input gradient (half its FLOPs and bytes), the
// embedding's backward goes (nothing upstream needs a gradient), each adapted GEMM gets its adapter
// (forward 2T·P, backward twice that, P its adapter parameters), and under QLoRA every layer GEMM
// first dequantizes its weight to bf16 (read 4-bit, write 2 B). Returns the new layers_end.
std::size_t apply_adapter(const spec::ModelSpec& m, const spec::AdapterSpec& a, double activation_bytes, OperatorList& ops,
                          std::size_t layers_end);

}  // namespace mlsim::workload
