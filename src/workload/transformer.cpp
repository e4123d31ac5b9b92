#include "workload/transformer.hpp"

#include <algorithm>
#include <cmath>

#include "workload/flash_attention_speed.hpp"
#include "workload/params.hpp"

namespace mlsim::workload {

double attended_pairs(double q, double context, double window) {
  // Query i (1..q) attends min(context + i, window) keys.
  const double a = context + 1.0, b = context + q;
  if (window <= 0.0 || b <= window) return (a + b) * q / 2.0;
  if (a >= window) return q * window;
  return (a + window) * (window - a + 1.0) / 2.0 + (b - window) * window;
}

namespace {

struct Builder {
  const spec::ModelSpec& m;
  const PassOptions& o;
  OperatorList& out;
  double a, w, kvb;     // bytes per element: activations (a GEMM's inputs), weights, KV cache
  double sa;            // bytes per element of the stream (GEMM outputs, elementwise, attention)
  Precision stream;     // the precision of that stream

  void gemm(const char* name, double count, double tokens, double k, double n, double weight_bytes_per_element,
            bool quantized = true) {
    const double flops = 2.0 * tokens * k * n;
    const double bytes = k * n * weight_bytes_per_element + tokens * (k * a + n * sa);
    out.push_back({name, o.phase, OpClass::kGemm, count * o.count, flops, bytes, 1.0, o.activations, Operator::Split::kTensor,
                   tokens, n, k});
    if (quantized && weight_bytes_per_element > 0.0) out.back().dequant_ops = dequant_ops(tokens, k * n);
  }
  // Weight-only quantization: every weight element is converted once per token tile.
  [[nodiscard]] double dequant_ops(double tokens, double weight_elements) const {
    if (o.weights == o.activations) return 0.0;
    return kDequantOpsPerWeight * weight_elements * std::ceil(tokens / kDequantTokenTile);
  }
  // Elementwise work on the hidden states is replicated on every TP rank unless sequence
  // parallelism splits it (kSequence); `split` kTensor for work on a TP-sharded tensor.
  void elementwise(const char* name, double count, double elements_read, double elements_written, double flops_per_element,
                   double kernels = 1.0, Operator::Split split = Operator::Split::kSequence) {
    out.push_back({name, o.phase, OpClass::kElementwise, count * o.count, flops_per_element * elements_written,
                   (elements_read + elements_written) * sa, kernels, stream, split});
  }
};

void append_mlp(Builder& b, const char* up, const char* act, const char* down, double count, double tokens, double width) {
  const double h = static_cast<double>(b.m.hidden);
  const bool swiglu = b.m.activation == spec::Activation::kSwiglu;
  // Gate and up projections run as one GEMM (Megatron-LM, vLLM fuse them).
  b.gemm(up, count, tokens, h, swiglu ? 2.0 * width : width, b.w);
  // The activation runs on the column-parallel output: each TP rank holds width / tp of it
  // (Shoeybi et al. 2019, figure 3a), with or without sequence parallelism.
  b.elementwise(act, count, tokens * width * (swiglu ? 2.0 : 1.0), tokens * width, swiglu ? 4.0 : 8.0, 1.0,
                Operator::Split::kTensor);
  b.gemm(down, count, tokens, width, h, b.w);
}

}  // namespace

void append_transformer_pass(const spec::ModelSpec& m, const PassShape& s, const PassOptions& o, OperatorList& out) {
  const bool bf16_stream = o.low_bit_gemms_only && bytes_per_element(o.activations) < 2.0;
  Builder b{m, o, out, bytes_per_element(o.activations), bytes_per_element(o.weights), bytes_per_element(o.kv_cache),
            bf16_stream ? 2.0 : bytes_per_element(o.activations), bf16_stream ? Precision::kBf16 : o.activations};
  const double h = static_cast<double>(m.hidden);
  const double T = s.batch * s.new_tokens;
  const double L = static_cast<double>(m.layers);
  const AttentionDims ad = attention_dims(m);
  const double window = m.sliding_window ? static_cast<double>(*m.sliding_window) : 0.0;
  const double kv_len = window > 0.0 ? std::min(s.context + s.new_tokens, window) : s.context + s.new_tokens;
  const bool decode = o.phase == Phase::kDecode;
  const bool training = o.phase == Phase::kForward || o.phase == Phase::kRecompute;

  if (o.include_embedding_and_head) {
    // Embedding lookup: gather rows (read) and write the hidden states (+ learned positions).
    const double pos = m.positions == spec::Positions::kLearned ? 1.0 : 0.0;
    out.push_back({"embedding", o.phase, OpClass::kEmbedding, o.count, 0.0, T * h * b.sa * (2.0 + pos), 1.0 + pos,
                   b.stream});
  }

  b.elementwise("attn_norm", L, T * h, T * h, 4.0);
  // Attention projections.
  if (m.mla) {
    const double ql = static_cast<double>(m.mla->q_lora_rank), kvl = static_cast<double>(m.mla->kv_lora_rank);
    const double rope = static_cast<double>(m.mla->rope_head_dim), nope = static_cast<double>(m.head_dim);
    if (ql > 0) {
      b.gemm("q_down_proj", L, T, h, ql, b.w);
      b.elementwise("q_norm", L, T * ql, T * ql, 4.0);
      b.gemm("q_up_proj", L, T, ql, ad.q_heads * ad.qk_dim, b.w);
    } else {
      b.gemm("q_proj", L, T, h, ad.q_heads * ad.qk_dim, b.w);
    }
    b.gemm("kv_down_proj", L, T, h, kvl + rope, b.w);
    b.elementwise("kv_norm", L, T * kvl, T * kvl, 4.0);
    if (decode) {
      // Weight absorption (DeepSeek-V2 section 2.1.2; FlashMLA): queries are mapped into the latent
      // space per head, attention runs over the compressed cache, values are mapped back per head.
      b.gemm("q_absorb", L, T, ad.q_heads * nope, kvl, 0.0);
      out.back().bytes += ad.q_heads * nope * kvl * b.w;
      out.back().dequant_ops = b.dequant_ops(T, ad.q_heads * nope * kvl);
      const double pairs = s.batch * attended_pairs(s.new_tokens, s.context, window);
      const double flops = 2.0 * pairs * ad.q_heads * ((kvl + rope) + kvl);
      const double bytes = s.batch * kv_len * (kvl + rope) * b.kvb + T * ad.q_heads * (kvl + rope + kvl) * b.a +
                           (o.write_kv_cache ? T * (kvl + rope) * b.kvb : 0.0);
      out.push_back({"attention", o.phase, OpClass::kAttention, L * o.count, flops, bytes, o.write_kv_cache ? 2.0 : 1.0,
                     o.activations, Operator::Split::kTensor});
      b.gemm("o_absorb", L, T, ad.q_heads * kvl, ad.v_dim, 0.0);
      out.back().bytes += ad.q_heads * kvl * ad.v_dim * b.w;
      out.back().dequant_ops = b.dequant_ops(T, ad.q_heads * kvl * ad.v_dim);
    } else {
      b.gemm("kv_up_proj", L, T, kvl, ad.q_heads * (nope + ad.v_dim), b.w);
    }
  } else {
    b.gemm("qkv_proj", L, T, h, (ad.q_heads + 2.0 * ad.kv_heads) * ad.qk_dim, b.w);
  }
  if (!(m.mla && decode)) {
    const double pairs_causal = s.batch * attended_pairs(s.new_tokens, s.context, window);
    const double qo = T * ad.q_heads * (ad.qk_dim + ad.v_dim) * b.sa;
    const double cache_elem = m.mla ? 0.0 : ad.kv_heads * (ad.qk_dim + ad.v_dim);
    const double kv_read = m.mla ? T * ad.q_heads * (ad.qk_dim + ad.v_dim) * b.sa : s.batch * kv_len * cache_elem * b.kvb;
    const double kv_write = o.write_kv_cache
                                ? T * (m.mla ? static_cast<double>(m.mla->kv_lora_rank + m.mla->rope_head_dim) : cache_elem) * b.kvb
                                : 0.0;
    if (o.flash_attention || decode) {
      // Fused attention: masked blocks are skipped, no score matrix in HBM (FlashAttention-2).
      const double flops = 2.0 * pairs_causal * ad.q_heads * (ad.qk_dim + ad.v_dim);
      out.push_back({"attention", o.phase, OpClass::kAttention, L * o.count, flops, qo + kv_read + kv_write,
                     o.write_kv_cache ? 2.0 : 1.0, b.stream, Operator::Split::kTensor});
      if (training && o.flash_attention_2_speeds) {
        // Training's causal self-attention over kv_len keys runs below the kernel's best case
        // (long non-causal forward), and its backward further below (FlashAttention-3 paper's
        // FlashAttention-2 measurements). Serving keeps its engines' own kernels at the entry's rate.
        out.back().rate_scale = flash_attention_relative_speed(AttentionPass::kForward, true, kv_len, ad.qk_dim);
        out.back().backward_rate_scale = flash_attention_relative_speed(AttentionPass::kBackward, true, kv_len, ad.qk_dim);
      }
      if (training) {
        out.back().rate_scale *= o.attention_kernel_speed;
        out.back().backward_rate_scale *= o.attention_kernel_speed;
      }
    } else {
      // Materialized attention: QK^T over the full square, softmax, then PV; the score matrix goes
      // through HBM four times (write scores, read and write probabilities, read for PV).
      const double scores = s.batch * ad.q_heads * s.new_tokens * kv_len;
      const double flops = 2.0 * scores * (ad.qk_dim + ad.v_dim);
      out.push_back({"attention_scores", o.phase, OpClass::kGemm, L * o.count, flops, qo + kv_read + kv_write + 4.0 * scores * b.sa,
                     3.0, b.stream, Operator::Split::kTensor});
      if (training && m.dropout > 0.0) {
        // Dropout on the attention probabilities (Megatron-LM applies it after its fused
        // scale-mask-softmax): read and write the scores, write a one-byte mask.
        out.push_back({"attention_dropout", o.phase, OpClass::kElementwise, L * o.count, 2.0 * scores,
                       scores * (2.0 * b.sa + 1.0), 1.0, b.stream, Operator::Split::kTensor});
      }
    }
  }
  b.gemm("o_proj", L, T, ad.q_heads * ad.v_dim, h, b.w);
  b.elementwise("residual_add", 2.0 * L, 2.0 * T * h, T * h, 1.0);
  if (training && m.dropout > 0.0) {
    // Hidden dropout, fused with the bias and the residual add (Megatron's bias-dropout-add):
    // the one-byte mask it writes is the extra traffic.
    out.back().bytes += T * h;
  }
  b.elementwise("mlp_norm", L, T * h, T * h, 4.0);

  const double dense_layers = m.moe ? static_cast<double>(m.moe->dense_layers) : L;
  if (dense_layers > 0) append_mlp(b, "mlp_up", "mlp_act", "mlp_down", dense_layers, T, static_cast<double>(m.ffn));
  if (m.moe) {
    const double moe_layers = L - dense_layers;
    const double E = static_cast<double>(m.moe->experts), k = static_cast<double>(m.moe->top_k);
    const double ef = static_cast<double>(m.moe->expert_ffn);
    const bool swiglu = m.activation == spec::Activation::kSwiglu;
    const double mats = swiglu ? 3.0 : 2.0;
    b.gemm("moe_router", moe_layers, T, h, E, b.w);
    // Permute tokens to their experts and back (read + write, twice).
    b.elementwise("moe_permute", moe_layers, 2.0 * T * k * h, 2.0 * T * k * h, 0.0, 2.0);
    // Expected distinct experts hit by T tokens choosing k of E uniformly: E(1 - (1 - k/E)^T).
    const double touched = E * (1.0 - std::pow(1.0 - k / E, T));
    const double routed = T * k;
    const double flops = 2.0 * routed * h * ef * mats;
    const double bytes = touched * mats * h * ef * b.w + routed * (2.0 * h + (swiglu ? 4.0 : 2.0) * ef) * b.a;
    out.push_back({"moe_experts", o.phase, OpClass::kGemm, moe_layers * o.count, flops, bytes, 3.0, o.activations,
                   Operator::Split::kTensor});
    // Each touched expert's matrices are dequantized once per tile of the tokens routed to it.
    out.back().dequant_ops = touched > 0.0 ? b.dequant_ops(routed / touched, mats * h * ef) * touched : 0.0;
    if (m.moe->shared_experts > 0) {
      append_mlp(b, "shared_expert_up", "shared_expert_act", "shared_expert_down", moe_layers, T,
                 static_cast<double>(m.moe->shared_experts) * ef);
    }
  }

  if (o.include_embedding_and_head) {
    b.elementwise("final_norm", 1.0, T * h, T * h, 4.0);
    const double head_tokens = o.lm_head_all_tokens ? T : s.batch;
    // The LM head is not quantized: GPTQ/AWQ and vLLM's fp8 leave lm_head in 16 bits, and NVIDIA
    // ModelOpt's fp8 checkpoints for TensorRT-LLM list it in exclude_modules (hf_quant_config.json).
    // Below 16-bit activations (W8A8 fp8/int8) it reads bf16 weights and runs at the bf16 rate.
    const bool low_bit_act = bytes_per_element(o.activations) < 2.0;
    const Precision head = low_bit_act ? Precision::kBf16 : o.activations;
    const double hb = bytes_per_element(head);
    b.gemm("lm_head", 1.0, head_tokens, h, static_cast<double>(m.padded_vocab()), hb, false);
    out.back().precision = head;
    out.back().bytes = h * static_cast<double>(m.padded_vocab()) * hb + head_tokens * (h + static_cast<double>(m.padded_vocab())) * hb;
    if (o.lm_head_all_tokens) {
      // The loss over the logits, in fp32; bytes per logit of each pass, with a the logits' bytes.
      const double logits = head_tokens * static_cast<double>(m.padded_vocab());
      const double a = b.sa;
      using CE = spec::SoftwareSpec::CrossEntropy;
      double fwd = a + 8.0, bwd = 2.0 * (a + 8.0);   // read the logits, write and read an fp32 softmax
      switch (o.cross_entropy) {
        case CE::kFp32Softmax: break;
        case CE::kMegatron:
          // megatron/mpu/cross_entropy.py on output.float() (gpt_model.py; fp16_lm_cross_entropy off
          // by default): the cast (a + 4), max (4), sub_ (8), exp in place (8), sum (4), div_ (8);
          // backward: mul_ by the loss gradient (8), the cast's gradient back to 16 bits (4 + a).
          fwd = a + 36.0;
          bwd = 12.0 + a;
          break;
        case CE::kTorchAutocast:
          // torch.nn.functional.cross_entropy under autocast (an fp32 op in the autocast reference):
          // the cast (a + 4), log_softmax over a row longer than 1024, which reads it three times
          // (max, sum of exponentials, output) and writes it once (16); nll_loss gathers one per row.
          // Backward: nll_loss's zero-filled gradient (4), log_softmax's (read the gradient for its
          // row sum, then the gradient and the output, write: 16), the cast's back (4 + a).
          fwd = a + 20.0;
          bwd = 24.0 + a;
          break;
        case CE::kFused:
          // One kernel: read the logits for each row's log-sum-exp; backward read them again and
          // overwrite them with the gradient (apex xentropy's inplace_backward, llm.c).
          fwd = a;
          bwd = 2.0 * a;
          break;
      }
      // Vocabulary-parallel under TP (Megatron's cross-entropy over sharded logits).
      out.push_back({"cross_entropy", o.phase, OpClass::kElementwise, o.count, 5.0 * logits, logits * fwd, 2.0,
                     Precision::kFp32, Operator::Split::kTensor});
      out.back().backward_bytes_scale = bwd / fwd;
    }
  }
}

void append_backward(OperatorList& ops, std::size_t first, std::size_t last) {
  for (std::size_t i = first; i < last; ++i) {
    Operator op = ops[i];
    op.phase = Phase::kBackward;
    switch (op.op_class) {
      case OpClass::kGemm:
        op.flops *= 2.0;
        op.bytes *= 2.0;
        op.kernels *= 2.0;
        break;
      case OpClass::kAttention:
        op.rate_scale = op.backward_rate_scale;
        op.flops *= 2.5;
        op.bytes *= 2.0;
        op.kernels = 2.0;
        break;
      case OpClass::kElementwise:
      case OpClass::kEmbedding:
      case OpClass::kOptimizer:
        op.bytes *= op.backward_bytes_scale;
        break;
    }
    ops.push_back(op);
  }
}

}  // namespace mlsim::workload
