#include "workload/params.hpp"

#include "workload/cnn.hpp"

namespace mlsim::workload {

AttentionDims attention_dims(const spec::ModelSpec& m) {
  AttentionDims a;
  a.q_heads = static_cast<double>(m.heads);
  a.kv_heads = static_cast<double>(m.kv_heads);
  a.qk_dim = static_cast<double>(m.head_dim);
  a.v_dim = static_cast<double>(m.head_dim);
  if (m.mla) {
    a.kv_heads = a.q_heads;   // decompressed K and V are per head
    a.qk_dim += static_cast<double>(m.mla->rope_head_dim);
    a.v_dim = static_cast<double>(m.mla->v_head_dim);
  }
  return a;
}

ParamCount count_params(const spec::ModelSpec& m) {
  ParamCount p;
  if (m.architecture == spec::Architecture::kCnn) {
    const CnnShape shape = resnet_shape(m);
    p.total = p.active = shape.params;
    p.matrix_active = shape.params;
    return p;
  }
  const double h = static_cast<double>(m.hidden);
  const double norm = m.norm == spec::NormKind::kLayerNorm ? 2.0 * h : h;   // weight (+ bias)
  const AttentionDims ad = attention_dims(m);

  // Attention projections (weights, biases).
  double attn_w = 0.0, attn_b = 0.0, attn_norms = 0.0;
  if (m.mla) {
    // DeepSeek-V2/V3 MLA: q down/up (with a norm on the latent), kv down (latent + shared rope key),
    // kv up to per-head nope keys and values, output projection (DeepSeek-V2 paper, section 2.1).
    const double ql = static_cast<double>(m.mla->q_lora_rank), kvl = static_cast<double>(m.mla->kv_lora_rank);
    const double rope = static_cast<double>(m.mla->rope_head_dim), nope = static_cast<double>(m.head_dim);
    attn_w = (ql > 0 ? h * ql + ql * ad.q_heads * ad.qk_dim : h * ad.q_heads * ad.qk_dim) + h * (kvl + rope) +
             kvl * ad.q_heads * (nope + ad.v_dim) + ad.q_heads * ad.v_dim * h;
    attn_norms = (ql > 0 ? ql : 0.0) + kvl;
  } else {
    const double qkv_out = (ad.q_heads + 2.0 * ad.kv_heads) * ad.qk_dim;
    attn_w = h * qkv_out + ad.q_heads * ad.v_dim * h;
    if (m.bias_qkv) attn_b += qkv_out;
    if (m.bias_linear) attn_b += h;
  }
  const double mats = m.activation == spec::Activation::kSwiglu ? 3.0 : 2.0;
  const auto mlp = [&](double width) {
    double w = mats * h * width;
    if (m.bias_linear) w += (mats - 1.0) * width + h;
    return w;
  };
  const double attention = attn_w + attn_b + attn_norms;
  p.per_dense_layer = attention + mlp(static_cast<double>(m.ffn)) + 2.0 * norm;
  const double dense_layers = m.moe ? static_cast<double>(m.moe->dense_layers) : static_cast<double>(m.layers);
  const double moe_layers = static_cast<double>(m.layers) - dense_layers;
  double moe_active_layer = 0.0;
  double moe_matrix_active = 0.0;
  if (m.moe) {
    const double ef = static_cast<double>(m.moe->expert_ffn);
    const double experts = static_cast<double>(m.moe->experts), shared = static_cast<double>(m.moe->shared_experts);
    const double k = static_cast<double>(m.moe->top_k);
    p.expert = mlp(ef);
    const double router = h * experts;
    p.per_moe_layer = attention + 2.0 * norm + router + (experts + shared) * p.expert;
    moe_active_layer = attention + 2.0 * norm + router + (k + shared) * p.expert;
    moe_matrix_active = attn_w + router + (k + shared) * mats * h * ef;
  }
  const double vocab = static_cast<double>(m.padded_vocab());
  p.embedding = vocab * h + (m.positions == spec::Positions::kLearned ? static_cast<double>(m.max_seq_len) * h : 0.0);
  p.lm_head = m.tied_embeddings ? 0.0 : vocab * h;
  p.total = p.embedding + p.lm_head + norm + dense_layers * p.per_dense_layer + moe_layers * p.per_moe_layer;
  p.active = p.embedding + p.lm_head + norm + dense_layers * p.per_dense_layer + moe_layers * moe_active_layer;
  // MFU counts every multiplied matrix: the LM head is multiplied even when tied (PaLM, appendix B).
  const double dense_matrix = attn_w + mats * h * static_cast<double>(m.ffn);
  p.matrix_active = dense_layers * dense_matrix + moe_layers * moe_matrix_active + vocab * h;
  return p;
}

double weight_matrices_per_layer(const spec::ModelSpec& m) {
  if (m.architecture == spec::Architecture::kCnn || m.layers <= 0) return 0.0;
  // MLA: q down and up (or one q projection), kv down, kv up, output.
  const double attention = m.mla ? (m.mla->q_lora_rank > 0 ? 5.0 : 4.0) : 2.0;
  const double dense = attention + 2.0;
  if (!m.moe) return dense;
  const double experts = static_cast<double>(m.moe->experts + m.moe->shared_experts);
  const double moe = attention + 1.0 + 2.0 * experts;
  const double layers = static_cast<double>(m.layers), dense_layers = static_cast<double>(m.moe->dense_layers);
  return (dense_layers * dense + (layers - dense_layers) * moe) / layers;
}

}  // namespace mlsim::workload
