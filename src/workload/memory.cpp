#include "workload/memory.hpp"

#include <algorithm>

#include "workload/params.hpp"

namespace mlsim::workload {

double layer_activation_bytes(const spec::ModelSpec& m, double seq, Precision act, spec::Recompute recompute, bool flash,
                              bool moe_layer) {
  return layer_activation_bytes_tp(m, seq, act, recompute, flash, moe_layer, 1.0, false);
}

double layer_activation_bytes_tp(const spec::ModelSpec& m, double seq, Precision act, spec::Recompute recompute, bool flash,
                                 bool moe_layer, double tp, bool sequence_parallel) {
  const double a = bytes_per_element(act);
  const double h = static_cast<double>(m.hidden);
  const double replicated_share = sequence_parallel ? 1.0 / tp : 1.0;
  if (recompute == spec::Recompute::kFull) return seq * h * a * replicated_share;   // only the layer's input is kept
  const AttentionDims ad = attention_dims(m);
  const double mask = m.dropout > 0.0 ? 1.0 : 0.0;   // dropout masks: one byte per element
  const double window = m.sliding_window ? std::min(seq, static_cast<double>(*m.sliding_window)) : seq;
  double replicated = 0.0, split = 0.0;              // bytes
  replicated += 2.0 * seq * h * a;                   // attention norm input, QKV projection input
  split += seq * (ad.q_heads * ad.qk_dim + ad.kv_heads * (ad.qk_dim + ad.v_dim)) * a;   // Q, K, V
  if (flash) {
    split += seq * ad.q_heads * 4.0;                 // log-sum-exp per row, fp32 (FlashAttention)
  } else if (recompute != spec::Recompute::kSelective) {
    const double scores = ad.q_heads * seq * window;
    split += scores * a + mask * scores * (1.0 + a);   // softmax output; dropout mask and output
  }
  split += seq * ad.q_heads * ad.v_dim * a;          // output projection input
  replicated += mask * seq * h;                      // attention dropout mask
  replicated += 2.0 * seq * h * a;                   // MLP norm input, MLP input
  const bool swiglu = m.activation == spec::Activation::kSwiglu;
  double width = static_cast<double>(m.ffn);
  double routed = 1.0;
  if (moe_layer && m.moe) {
    width = static_cast<double>(m.moe->expert_ffn);
    routed = static_cast<double>(m.moe->top_k + m.moe->shared_experts);
    split += seq * static_cast<double>(m.moe->top_k) * h * a;   // permuted expert inputs
  }
  split += routed * seq * width * a * (swiglu ? 3.0 : 2.0);     // activation inputs (gate, up) and down input
  replicated += mask * seq * h;                                  // MLP dropout mask
  return replicated * replicated_share + split / tp;
}

double training_activation_bytes(const spec::ModelSpec& m, double micro_batch, double seq, Precision act,
                                 spec::Recompute recompute, bool flash) {
  const double a = bytes_per_element(act);
  const double L = static_cast<double>(m.layers);
  const double dense = m.moe ? static_cast<double>(m.moe->dense_layers) : L;
  double per_seq = dense * layer_activation_bytes(m, seq, act, recompute, flash, false) +
                   (L - dense) * layer_activation_bytes(m, seq, act, recompute, flash, true);
  if (recompute == spec::Recompute::kFull) {
    // While a layer is recomputed its full set is alive too.
    per_seq += layer_activation_bytes(m, seq, act, spec::Recompute::kNone, flash, m.moe.has_value());
  }
  const double h = static_cast<double>(m.hidden);
  // Final norm input, LM head input, and fp32 logits for the loss (Korthikanti et al. 2022, 4.4).
  per_seq += 2.0 * seq * h * a + seq * static_cast<double>(m.padded_vocab()) * 4.0;
  return micro_batch * per_seq;
}

double kv_cache_bytes_per_token(const spec::ModelSpec& m, Precision kv) {
  const double L = static_cast<double>(m.layers);
  if (m.mla) return L * static_cast<double>(m.mla->kv_lora_rank + m.mla->rope_head_dim) * bytes_per_element(kv);
  const AttentionDims ad = attention_dims(m);
  return L * ad.kv_heads * (ad.qk_dim + ad.v_dim) * bytes_per_element(kv);
}

double inference_weight_bytes(const spec::ModelSpec& m, Precision weights, Precision act) {
  const ParamCount p = count_params(m);
  const double edge = p.embedding + p.lm_head;
  return (p.total - edge) * bytes_per_element(weights) + edge * bytes_per_element(act);
}

double prefill_workspace_bytes(const spec::ModelSpec& m, double tokens, double sequences, Precision act) {
  const double a = bytes_per_element(act);
  const double h = static_cast<double>(m.hidden);
  double width = static_cast<double>(m.ffn);
  if (m.moe) width = std::max(width, static_cast<double>(m.moe->expert_ffn * m.moe->top_k));
  const double up = m.activation == spec::Activation::kSwiglu ? 2.0 * width : width;
  // Residual stream, the MLP's up output and the activation output are alive together; the
  // logits of the last token of each sequence are fp32.
  return tokens * (2.0 * h + up + width) * a + sequences * static_cast<double>(m.padded_vocab()) * 4.0;
}

}  // namespace mlsim::workload
