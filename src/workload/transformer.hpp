// A transformer pass as operators with exact FLOPs and HBM bytes: norms, attention projections
// (MHA/GQA/MQA, or MLA with weight absorption in decode), attention (flash-style or materialized),
// dense or MoE MLPs, embeddings and the LM head. Identical layers are one operator with a count.
#pragma once

#include "spec/hardware.hpp"
#include "spec/model.hpp"
#include "workload/operator.hpp"

namespace mlsim::workload {

struct PassShape {
  double batch = 1;        // sequences
  double new_tokens = 1;   // tokens per sequence processed by this pass (1 in decode)
  double context = 0;      // tokens already in the KV cache before this pass
};

struct PassOptions {
  Phase phase = Phase::kForward;
  Precision activations = Precision::kBf16;
  Precision weights = Precision::kBf16;        // storage precision of the layers' matrices
  Precision kv_cache = Precision::kBf16;
  bool flash_attention = true;
  // Training passes price fused attention at FlashAttention-2's measured speed for the pass, the
  // causal mask, the length and the head (flash_attention_speed.hpp); false: at the reference rate.
  bool flash_attention_2_speeds = true;
  // Training passes: the fused-attention kernel's speed relative to FlashAttention-2's
  // (attention_kernel_speed in flash_attention_speed.hpp).
  double attention_kernel_speed = 1.0;
  bool write_kv_cache = false;                  // inference: new K/V are stored in the cache
  bool lm_head_all_tokens = true;               // training: logits of every token; serving: the last one
  bool include_embedding_and_head = true;
  // Low-bit activations for the GEMMs only (Transformer Engine's fp8 training recipe): below 16
  // bits, only a GEMM's inputs are quantized; its output, the residual stream, the norms, the
  // activation functions and the fused attention stay bf16 (TE's DelayedScaling leaves fp8_dpa off).
  bool low_bit_gemms_only = false;
  // The training loss's kernels (spec::SoftwareSpec::CrossEntropy): the passes over the logits.
  spec::SoftwareSpec::CrossEntropy cross_entropy = spec::SoftwareSpec::CrossEntropy::kFp32Softmax;
  double count = 1.0;                           // multiplies every operator's count (micro-batches)
};

void append_transformer_pass(const spec::ModelSpec& m, const PassShape& s, const PassOptions& o, OperatorList& out);

// Backward operators of the forward operators in [first, last) of `ops`, appended to `ops`.
// GEMMs: data and weight gradients (2x FLOPs); flash attention: 2.5x (FlashAttention-2, Dao 2023,
// five matmuls backward vs two forward); elementwise: twice the traffic.
void append_backward(OperatorList& ops, std::size_t first, std::size_t last);

// Attended (query, key) pairs of one sequence: `q` new tokens after `context` cached ones, causal,
// within an optional sliding window.
double attended_pairs(double q, double context, double window);

}  // namespace mlsim::workload
