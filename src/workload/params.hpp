// Parameter counts computed from the architecture (embeddings, attention incl. MLA, dense and MoE
// MLPs, norms, biases, LM head), and the matrix weights a token multiplies (for MFU).
#pragma once

#include "spec/model.hpp"

namespace mlsim::workload {

struct ParamCount {
  double total = 0.0;
  double embedding = 0.0;          // token (+ learned position) embeddings
  double lm_head = 0.0;            // 0 when tied
  double per_dense_layer = 0.0;
  double per_moe_layer = 0.0;      // all experts
  double expert = 0.0;             // one routed expert
  double active = 0.0;             // parameters a token touches (MoE: top_k experts)
  double matrix_active = 0.0;      // weights of every matrix a token is multiplied by (LM head in)
};

ParamCount count_params(const spec::ModelSpec& m);

// Weight matrices in one transformer layer (averaged over dense and MoE layers), as Megatron-LM
// lays a block out: fused QKV and output projections (MLA: its down, up and output projections),
// a fused gate/up and a down MLP matrix, a router and each expert's two on MoE layers. A framework
// that gathers weights matrix by matrix (DeepSpeed ZeRO-3) issues this many collectives per layer.
double weight_matrices_per_layer(const spec::ModelSpec& m);

// Attention dimensions of a model: query/key head size, value head size (MLA differs).
struct AttentionDims {
  double q_heads = 0, kv_heads = 0, qk_dim = 0, v_dim = 0;
};
AttentionDims attention_dims(const spec::ModelSpec& m);

}  // namespace mlsim::workload
