// Operators of a transformer pass on hand-sized models: FLOPs and HBM bytes of the projections,
// attention (flash, materialized, decode, sliding window, MLA), MoE experts, the LM head, and the
// backward pass, each derived from the shapes by hand.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "spec/model.hpp"
#include "workload/operator.hpp"
#include "../support.hpp"
#include "workload/transformer.hpp"

namespace mlsim {
namespace {

using workload::OperatorList;
using workload::Phase;

spec::ModelSpec tiny() { return test::tiny_model(); }

const workload::Operator* find(const OperatorList& ops, const std::string& name, Phase phase) {
  for (const auto& op : ops) {
    if (name == op.name && op.phase == phase) return &op;
  }
  return nullptr;
}

int count_named(const OperatorList& ops, const std::string& name) {
  int n = 0;
  for (const auto& op : ops) n += name == op.name ? 1 : 0;
  return n;
}

workload::PassOptions serving(Phase phase) {
  workload::PassOptions o;
  o.phase = phase;
  o.write_kv_cache = true;
  o.lm_head_all_tokens = false;
  return o;
}

double brute_pairs(int q, int context, int window) {
  double n = 0.0;
  for (int i = 1; i <= q; ++i) {
    const int keys = context + i;
    n += window > 0 && keys > window ? window : keys;
  }
  return n;
}

}  // namespace

TEST_CASE("attended_pairs matches a brute-force count") {
  // Causal prefill of 8: 1 + 2 + ... + 8 = 36.
  CHECK(workload::attended_pairs(8, 0, 0) == 36.0);
  // Decode of one token after 10 cached: 11 keys.
  CHECK(workload::attended_pairs(1, 10, 0) == 11.0);
  // Window 4: queries see 1, 2, 3, 4, 4, 4, 4, 4 keys = 26.
  CHECK(workload::attended_pairs(8, 0, 4) == 26.0);
  for (int q : {1, 2, 5, 17, 64}) {
    for (int ctx : {0, 1, 3, 10, 100}) {
      for (int w : {0, 1, 4, 16, 50, 200}) {
        CAPTURE(q);
        CAPTURE(ctx);
        CAPTURE(w);
        CHECK(workload::attended_pairs(q, ctx, w) == brute_pairs(q, ctx, w));
      }
    }
  }
}

TEST_CASE("prefill operators of a tiny GQA model") {
  // Batch 2 x 8 new tokens: T = 16 tokens; bf16 (2 bytes) everywhere.
  const spec::ModelSpec m = tiny();
  OperatorList ops;
  workload::append_transformer_pass(m, {2, 8, 0}, serving(Phase::kPrefill), ops);

  // QKV: 2 T h (nq + 2 nkv) hd = 2 * 16 * 64 * (4 + 4) * 16 = 262,144 FLOPs;
  // bytes: weights 64*128*2 = 16,384 + activations 16 * (64 + 128) * 2 = 6,144 -> 22,528; once per layer.
  const auto* qkv = find(ops, "qkv_proj", Phase::kPrefill);
  REQUIRE(qkv != nullptr);
  CHECK(qkv->count == 2.0);
  CHECK(qkv->flops == 262'144.0);
  CHECK(qkv->bytes == 22'528.0);
  CHECK(qkv->op_class == workload::OpClass::kGemm);

  // Output projection: 2 * 16 * 64 * 64 = 131,072; 64*64*2 + 16*(64+64)*2 = 12,288.
  const auto* o = find(ops, "o_proj", Phase::kPrefill);
  REQUIRE(o != nullptr);
  CHECK(o->flops == 131'072.0);
  CHECK(o->bytes == 12'288.0);

  // Fused gate+up (n = 2 * 128): 2*16*64*256 = 524,288; 64*256*2 + 16*(64+256)*2 = 43,008.
  const auto* up = find(ops, "mlp_up", Phase::kPrefill);
  REQUIRE(up != nullptr);
  CHECK(up->flops == 524'288.0);
  CHECK(up->bytes == 43'008.0);
  // SwiGLU: reads 2 * 16 * 128, writes 16 * 128 = 2,048 elements at 4 FLOPs each.
  const auto* act = find(ops, "mlp_act", Phase::kPrefill);
  REQUIRE(act != nullptr);
  CHECK(act->flops == 8'192.0);
  CHECK(act->bytes == (4'096.0 + 2'048.0) * 2.0);
  // Down: 2*16*128*64 = 262,144; 128*64*2 + 16*(128+64)*2 = 22,528.
  const auto* down = find(ops, "mlp_down", Phase::kPrefill);
  REQUIRE(down != nullptr);
  CHECK(down->flops == 262'144.0);
  CHECK(down->bytes == 22'528.0);

  // Flash attention: causal pairs 2 * 36 = 72; FLOPs 2 * 72 * 4 heads * (16 + 16) = 18,432.
  // Bytes: Q and O 16 * 4 * 32 * 2 = 4,096; K/V read 2 seqs * 8 keys * 2 kv heads * 32 * 2 = 2,048;
  // K/V written to the cache 16 * 64 * 2 = 2,048 -> 8,192.
  const auto* att = find(ops, "attention", Phase::kPrefill);
  REQUIRE(att != nullptr);
  CHECK(att->count == 2.0);
  CHECK(att->flops == 18'432.0);
  CHECK(att->bytes == 8'192.0);
  CHECK(att->op_class == workload::OpClass::kAttention);

  // Serving: the LM head runs for the last token of each sequence only: 2 * 2 * 64 * 100 = 25,600;
  // bytes 100*64*2 + 2 * (64 + 100) * 2 = 13,456; no loss.
  const auto* head = find(ops, "lm_head", Phase::kPrefill);
  REQUIRE(head != nullptr);
  CHECK(head->count == 1.0);
  CHECK(head->flops == 25'600.0);
  CHECK(head->bytes == 13'456.0);
  CHECK(find(ops, "cross_entropy", Phase::kPrefill) == nullptr);

  // Embedding gather: read and write T * h bf16 values = 2 * 16 * 64 * 2 = 4,096 bytes.
  const auto* emb = find(ops, "embedding", Phase::kPrefill);
  REQUIRE(emb != nullptr);
  CHECK(emb->bytes == 4'096.0);
  CHECK(emb->flops == 0.0);
}

TEST_CASE("materialized attention computes the full square and moves the scores four times") {
  const spec::ModelSpec m = tiny();
  workload::PassOptions o = serving(Phase::kPrefill);
  o.flash_attention = false;
  OperatorList ops;
  workload::append_transformer_pass(m, {2, 8, 0}, o, ops);
  CHECK(find(ops, "attention", Phase::kPrefill) == nullptr);
  const auto* att = find(ops, "attention_scores", Phase::kPrefill);
  REQUIRE(att != nullptr);
  // Scores: 2 seqs * 4 heads * 8 * 8 = 512; FLOPs 2 * 512 * (16 + 16) = 32,768 (mask not skipped).
  CHECK(att->flops == 32'768.0);
  // The flash bytes (8,192) + 4 * 512 * 2 = 4,096 for the score matrix through HBM.
  CHECK(att->bytes == 8'192.0 + 4'096.0);
}

TEST_CASE("decode attention reads the whole KV cache") {
  spec::ModelSpec m = tiny();
  OperatorList ops;
  // Batch 2, one new token after 10 cached: kv_len 11.
  workload::append_transformer_pass(m, {2, 1, 10}, serving(Phase::kDecode), ops);
  const auto* att = find(ops, "attention", Phase::kDecode);
  REQUIRE(att != nullptr);
  // FLOPs: 2 * (2 * 11 pairs) * 4 * 32 = 5,632.
  CHECK(att->flops == 5'632.0);
  // KV read: batch * kv_len * kv_heads * 2 * head_dim * kv_bytes = 2 * 11 * 2 * 2 * 16 * 2 = 2,816;
  // Q and O 2 * 4 * 32 * 2 = 512; new K/V written 2 * 64 * 2 = 256 -> 3,584.
  CHECK(att->bytes == 2'816.0 + 512.0 + 256.0);
  // The QKV GEMM of two tokens: 2 * 2 * 64 * 128 = 32,768 FLOPs; 16,384 + 2 * 192 * 2 = 17,152 B.
  const auto* qkv = find(ops, "qkv_proj", Phase::kDecode);
  REQUIRE(qkv != nullptr);
  CHECK(qkv->flops == 32'768.0);
  CHECK(qkv->bytes == 17'152.0);

  SUBCASE("an fp8 cache halves the cache traffic") {
    workload::PassOptions o = serving(Phase::kDecode);
    o.kv_cache = Precision::kFp8;
    OperatorList ops8;
    workload::append_transformer_pass(m, {2, 1, 10}, o, ops8);
    const auto* a8 = find(ops8, "attention", Phase::kDecode);
    REQUIRE(a8 != nullptr);
    CHECK(a8->bytes == 1'408.0 + 512.0 + 128.0);
  }
  SUBCASE("decode is fused even when prefill materializes") {
    workload::PassOptions o = serving(Phase::kDecode);
    o.flash_attention = false;
    OperatorList opsm;
    workload::append_transformer_pass(m, {2, 1, 10}, o, opsm);
    const auto* a = find(opsm, "attention", Phase::kDecode);
    REQUIRE(a != nullptr);
    CHECK(a->bytes == 3'584.0);
  }
  SUBCASE("a sliding window caps the keys read") {
    m.sliding_window = 4;
    OperatorList opsw;
    workload::append_transformer_pass(m, {2, 1, 10}, serving(Phase::kDecode), opsw);
    const auto* a = find(opsw, "attention", Phase::kDecode);
    REQUIRE(a != nullptr);
    // 4 keys per sequence: FLOPs 2 * 8 * 128 = 2,048; KV read 2 * 4 * 64 * 2 = 1,024.
    CHECK(a->flops == 2'048.0);
    CHECK(a->bytes == 1'024.0 + 512.0 + 256.0);
  }
}

TEST_CASE("quantized weights are read at their own size; the LM head stays at the activations'") {
  const spec::ModelSpec m = tiny();
  workload::PassOptions o = serving(Phase::kDecode);
  o.weights = Precision::kInt4;
  OperatorList ops;
  workload::append_transformer_pass(m, {1, 1, 10}, o, ops);
  const auto* qkv = find(ops, "qkv_proj", Phase::kDecode);
  REQUIRE(qkv != nullptr);
  // 64 * 128 * 0.5 + 1 * 192 * 2 = 4,096 + 384; FLOPs unchanged at bf16: 2 * 64 * 128 = 16,384.
  CHECK(qkv->bytes == 4'480.0);
  CHECK(qkv->flops == 16'384.0);
  CHECK(qkv->precision == Precision::kBf16);
  const auto* head = find(ops, "lm_head", Phase::kDecode);
  REQUIRE(head != nullptr);
  CHECK(head->bytes == 100.0 * 64.0 * 2.0 + 1.0 * 164.0 * 2.0);
}

TEST_CASE("the loss's passes over the logits, forward and backward, by the framework's kernels") {
  // 1,600 bf16 logits (2 x 8 tokens x vocab 100); bytes per logit forward / backward:
  //   fp32_softmax    read 2, write and read an fp32 softmax 8        -> 10 / 20
  //   megatron        cast 2+4, max 4, sub_ 8, exp_ 8, sum 4, div_ 8   -> 38; mul_ 8, cast back 4+2 -> 14
  //   torch_autocast  cast 2+4, log_softmax 3 reads + 1 write 16       -> 22; zero fill 4,
  //                   log_softmax backward 16, cast back 4+2           -> 26
  //   fused           read 2                                           -> 2; read 2, write 2 -> 4
  using CE = spec::SoftwareSpec::CrossEntropy;
  const spec::ModelSpec m = tiny();
  const auto bytes = [&](CE kind) {
    workload::PassOptions o;
    o.cross_entropy = kind;
    OperatorList ops;
    workload::append_transformer_pass(m, {2, 8, 0}, o, ops);
    workload::append_backward(ops, 0, ops.size());
    const auto* f = find(ops, "cross_entropy", Phase::kForward);
    const auto* b = find(ops, "cross_entropy", Phase::kBackward);
    REQUIRE(f != nullptr);
    REQUIRE(b != nullptr);
    return std::pair{f->bytes / 1'600.0, b->bytes / 1'600.0};
  };
  CHECK(bytes(CE::kFp32Softmax) == std::pair{10.0, 20.0});
  CHECK(bytes(CE::kMegatron) == std::pair{38.0, 14.0});
  CHECK(bytes(CE::kTorchAutocast) == std::pair{22.0, 26.0});
  CHECK(bytes(CE::kFused) == std::pair{2.0, 4.0});
}

TEST_CASE("training forward: LM head over every token and an fp32 loss") {
  const spec::ModelSpec m = tiny();
  workload::PassOptions o;   // forward, logits of every token
  OperatorList ops;
  workload::append_transformer_pass(m, {2, 8, 0}, o, ops);
  const auto* head = find(ops, "lm_head", Phase::kForward);
  REQUIRE(head != nullptr);
  CHECK(head->flops == 2.0 * 16.0 * 64.0 * 100.0);   // 204,800
  const auto* ce = find(ops, "cross_entropy", Phase::kForward);
  REQUIRE(ce != nullptr);
  // 1,600 logits: 5 FLOPs each; read bf16 logits and write + read fp32 softmax: 1,600 * (2 + 8).
  CHECK(ce->flops == 8'000.0);
  CHECK(ce->bytes == 16'000.0);
  CHECK(ce->precision == Precision::kFp32);
  // No KV cache written in training: attention bytes = Q,O 4,096 + K,V read 2,048.
  const auto* att = find(ops, "attention", Phase::kForward);
  REQUIRE(att != nullptr);
  CHECK(att->bytes == 6'144.0);

  SUBCASE("micro-batches multiply every count") {
    o.count = 3.0;
    OperatorList ops3;
    workload::append_transformer_pass(m, {2, 8, 0}, o, ops3);
    REQUIRE(ops3.size() == ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) CHECK(ops3[i].count == 3.0 * ops[i].count);
  }
  SUBCASE("without embedding and head (recomputation)") {
    o.include_embedding_and_head = false;
    OperatorList opsr;
    workload::append_transformer_pass(m, {2, 8, 0}, o, opsr);
    CHECK(count_named(opsr, "embedding") == 0);
    CHECK(count_named(opsr, "lm_head") == 0);
    CHECK(count_named(opsr, "final_norm") == 0);
    CHECK(count_named(opsr, "qkv_proj") == 1);
  }
}

TEST_CASE("backward: GEMMs twice the forward, attention 2.5x, elementwise twice the traffic") {
  const spec::ModelSpec m = tiny();
  OperatorList ops;
  workload::append_transformer_pass(m, {2, 8, 0}, {}, ops);
  const std::size_t n = ops.size();
  workload::append_backward(ops, 0, n);
  REQUIRE(ops.size() == 2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& f = ops[i];
    const auto& b = ops[n + i];
    CAPTURE(f.name);
    CHECK(std::string(b.name) == f.name);
    CHECK(b.phase == Phase::kBackward);
    CHECK(b.count == f.count);
    switch (f.op_class) {
      case workload::OpClass::kGemm:
        CHECK(b.flops == 2.0 * f.flops);
        CHECK(b.bytes == 2.0 * f.bytes);
        break;
      case workload::OpClass::kAttention:
        CHECK(b.flops == 2.5 * f.flops);
        CHECK(b.bytes == 2.0 * f.bytes);
        break;
      default:
        CHECK(b.flops == f.flops);
        CHECK(b.bytes == 2.0 * f.bytes);
        break;
    }
  }
  // Attention forward 18,432 FLOPs (see the prefill case) -> backward 46,080.
  const auto* att = find(ops, "attention", Phase::kBackward);
  REQUIRE(att != nullptr);
  CHECK(att->flops == 46'080.0);
  const auto* qkv = find(ops, "qkv_proj", Phase::kBackward);
  REQUIRE(qkv != nullptr);
  CHECK(qkv->flops == 524'288.0);
}

TEST_CASE("MoE experts: expected distinct experts E(1 - (1 - k/E)^T)") {
  spec::ModelSpec m = tiny();
  m.moe = spec::MoeSpec{8, 2, 32, 0, 1};   // 8 experts of width 32, top-2, layer 0 dense
  OperatorList ops;
  // Decode of 3 sequences: T = 3 tokens, 6 routed token-experts.
  workload::append_transformer_pass(m, {3, 1, 10}, serving(Phase::kDecode), ops);
  const auto* ex = find(ops, "moe_experts", Phase::kDecode);
  REQUIRE(ex != nullptr);
  CHECK(ex->count == 1.0);   // one MoE layer
  // Touched experts: 8 * (1 - 0.75^3) = 8 * 0.578125 = 4.625.
  // FLOPs: 2 * 6 * 64 * 32 * 3 matrices = 73,728.
  // Bytes: 4.625 * 3 * 64 * 32 * 2 = 56,832 of weights + 6 * (2*64 + 4*32) * 2 = 3,072 -> 59,904.
  CHECK(ex->flops == 73'728.0);
  CHECK(ex->bytes == mlsim::test::approx(59'904.0).epsilon(1e-12));
  const auto* router = find(ops, "moe_router", Phase::kDecode);
  REQUIRE(router != nullptr);
  CHECK(router->flops == 2.0 * 3.0 * 64.0 * 8.0);
  const auto* dense = find(ops, "mlp_up", Phase::kDecode);
  REQUIRE(dense != nullptr);
  CHECK(dense->count == 1.0);   // the dense first layer

  SUBCASE("one token touches exactly k experts") {
    OperatorList one;
    workload::append_transformer_pass(m, {1, 1, 10}, serving(Phase::kDecode), one);
    const auto* e1 = find(one, "moe_experts", Phase::kDecode);
    REQUIRE(e1 != nullptr);
    // 2 * 3 * 64 * 32 * 2 = 24,576 B of weights + 2 * 256 * 2 = 1,024.
    CHECK(e1->bytes == mlsim::test::approx(25'600.0).epsilon(1e-12));
  }
  SUBCASE("a long prefill touches every expert") {
    OperatorList many;
    workload::append_transformer_pass(m, {1, 512, 0}, serving(Phase::kPrefill), many);
    const auto* e = find(many, "moe_experts", Phase::kPrefill);
    REQUIRE(e != nullptr);
    // 8 experts * 12,288 B + 1,024 routed * 512 B.
    CHECK(e->bytes == mlsim::test::approx(8.0 * 12'288.0 + 1'024.0 * 512.0).epsilon(1e-12));
  }
}

TEST_CASE("MLA decode runs absorbed attention over the compressed cache") {
  spec::ModelSpec m = tiny();
  m.kv_heads = 4;
  m.attention = spec::AttentionKind::kMla;
  m.mla = spec::MlaSpec{0, 32, 8, 16};   // no q compression; kv_lora 32, rope 8, v_head_dim 16
  OperatorList ops;
  workload::append_transformer_pass(m, {1, 1, 9}, serving(Phase::kDecode), ops);
  CHECK(find(ops, "kv_up_proj", Phase::kDecode) == nullptr);
  CHECK(find(ops, "q_absorb", Phase::kDecode) != nullptr);
  const auto* att = find(ops, "attention", Phase::kDecode);
  REQUIRE(att != nullptr);
  CHECK(att->count == 2.0);
  // 10 keys x (kv_lora + rope) = 40 elements per token per layer: 10 * 40 * 2 = 800 B;
  // queries and outputs in latent space 4 * (40 + 32) * 2 = 576; the new latent 40 * 2 = 80.
  CHECK(att->bytes == 800.0 + 576.0 + 80.0);
  // FLOPs: 2 * 10 pairs * 4 heads * (40 + 32) = 5,760.
  CHECK(att->flops == 5'760.0);
  // One more cached token costs (kv_lora + rope) * 2 bytes = 80 B per layer.
  OperatorList longer;
  workload::append_transformer_pass(m, {1, 1, 10}, serving(Phase::kDecode), longer);
  const auto* att2 = find(longer, "attention", Phase::kDecode);
  REQUIRE(att2 != nullptr);
  CHECK(att2->bytes - att->bytes == 80.0);
  // q_absorb: per-head nope query (4 * 16) to the latent (32): 2 * 64 * 32 = 4,096 FLOPs;
  // 64 * 32 * 2 of absorbed weights + (64 + 32) * 2 = 4,288 B.
  const auto* qa = find(ops, "q_absorb", Phase::kDecode);
  REQUIRE(qa != nullptr);
  CHECK(qa->flops == 4'096.0);
  CHECK(qa->bytes == 4'288.0);

  SUBCASE("prefill decompresses K and V and writes the latent") {
    OperatorList pre;
    workload::append_transformer_pass(m, {1, 4, 0}, serving(Phase::kPrefill), pre);
    const auto* up = find(pre, "kv_up_proj", Phase::kPrefill);
    REQUIRE(up != nullptr);
    // 2 * 4 tokens * 32 * 4 * (16 + 16) = 32,768.
    CHECK(up->flops == 32'768.0);
    const auto* a = find(pre, "attention", Phase::kPrefill);
    REQUIRE(a != nullptr);
    // Pairs 10; FLOPs 2 * 10 * 4 * (24 + 16) = 3,200. Bytes: Q,O 4 * 4 * 40 * 2 = 1,280; K,V read
    // the same 1,280; latent write 4 * 40 * 2 = 320.
    CHECK(a->flops == 3'200.0);
    CHECK(a->bytes == 1'280.0 + 1'280.0 + 320.0);
  }
}

}  // namespace mlsim

namespace mlsim {
namespace {

TEST_CASE("weight-only quantization: each weight element is dequantized once per 64-token tile") {
  const spec::ModelSpec m = tiny();
  workload::PassOptions o = serving(Phase::kPrefill);
  o.weights = Precision::kInt4;   // W4A16
  OperatorList ops;
  workload::append_transformer_pass(m, {2, 100, 0}, o, ops);   // 200 tokens: ceil(200 / 64) = 4 tiles
  const auto* qkv = find(ops, "qkv_proj", Phase::kPrefill);
  const auto* up = find(ops, "mlp_up", Phase::kPrefill);
  const auto* head = find(ops, "lm_head", Phase::kPrefill);
  REQUIRE(qkv != nullptr);
  REQUIRE(up != nullptr);
  REQUIRE(head != nullptr);
  // qkv: 64 x (4 + 2 x 2) x 16 = 8,192 weights x 2 ops x 4 tiles = 65,536.
  CHECK(qkv->dequant_ops == 65'536.0);
  // Gate + up: 64 x 256 = 16,384 weights x 2 x 4 = 131,072.
  CHECK(up->dequant_ops == 131'072.0);
  // The head stays at the activations' precision: nothing to convert.
  CHECK(head->dequant_ops == 0.0);
  // Decode of 2 sequences: one tile.
  ops.clear();
  workload::append_transformer_pass(m, {2, 1, 10}, serving(Phase::kDecode), ops);
  CHECK(find(ops, "qkv_proj", Phase::kDecode)->dequant_ops == 0.0);   // weights at bf16: none
  ops.clear();
  o = serving(Phase::kDecode);
  o.weights = Precision::kFp8;
  workload::append_transformer_pass(m, {2, 1, 10}, o, ops);
  CHECK(find(ops, "qkv_proj", Phase::kDecode)->dequant_ops == 2.0 * 8'192.0);
}

}  // namespace
}  // namespace mlsim
