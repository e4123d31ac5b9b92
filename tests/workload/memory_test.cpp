// Device memory: saved activations against Korthikanti et al. 2022's sbh(34 + 5as/h) and its
// recompute variants, KV-cache bytes per token (GQA, MLA), inference weight bytes under
// quantization, prefill transients, and the sliding-window cache through a scenario.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <string>

#include "analysis/evaluate.hpp"
#include "spec/model.hpp"
#include "../support.hpp"
#include "workload/memory.hpp"

namespace mlsim {
namespace {

spec::ModelSpec model(const std::string& id) { return test::zoo_model(id); }

// A GPT block as Korthikanti et al. analyse it: MHA, GELU with ffn = 4h, LayerNorm, dropout.
spec::ModelSpec gpt() {
  spec::ModelSpec m;
  m.id = "gpt";
  m.layers = 24;
  m.hidden = 1024;
  m.heads = 16;
  m.kv_heads = 16;
  m.head_dim = 64;
  m.ffn = 4096;
  m.activation = spec::Activation::kGelu;
  m.norm = spec::NormKind::kLayerNorm;
  m.bias_linear = m.bias_qkv = true;
  m.positions = spec::Positions::kLearned;
  m.max_seq_len = 2048;
  m.vocab = 50304;
  m.tied_embeddings = true;
  m.dropout = 0.1;
  m.attention = spec::AttentionKind::kMha;
  return m;
}

spec::ModelSpec tiny() { return test::tiny_model(); }

constexpr double kS = 2048.0, kH = 1024.0, kA = 16.0;
constexpr double kSbh = kS * kH;   // b = 1: 2,097,152

}  // namespace

TEST_CASE("Korthikanti et al. 2022: sbh(34 + 5as/h) without recompute, materialized attention") {
  const spec::ModelSpec m = gpt();
  // s = 2048, h = 1024, a = 16: 2,097,152 * (34 + 5 * 16 * 2048 / 1024) = 2,097,152 * 194 = 406,847,488.
  const double expected = kSbh * (34.0 + 5.0 * kA * kS / kH);
  CHECK(expected == 406'847'488.0);
  CHECK(workload::layer_activation_bytes(m, kS, Precision::kBf16, spec::Recompute::kNone, false, false) ==
        mlsim::test::approx(expected).epsilon(1e-12));
}

TEST_CASE("selective recompute drops the 5as/h term; full recompute keeps the layer input") {
  const spec::ModelSpec m = gpt();
  // Selective (Korthikanti et al., Table 2): 34 sbh = 71,303,168.
  CHECK(workload::layer_activation_bytes(m, kS, Precision::kBf16, spec::Recompute::kSelective, false, false) ==
        mlsim::test::approx(34.0 * kSbh).epsilon(1e-12));
  // Full: the layer input only, s h a with a = 2 bytes = 2 sbh = 4,194,304.
  CHECK(workload::layer_activation_bytes(m, kS, Precision::kBf16, spec::Recompute::kFull, false, false) ==
        mlsim::test::approx(2.0 * kSbh).epsilon(1e-12));
  // fp32 activations: the input is 4 bytes per element.
  CHECK(workload::layer_activation_bytes(m, kS, Precision::kFp32, spec::Recompute::kFull, false, false) ==
        mlsim::test::approx(4.0 * kSbh).epsilon(1e-12));
}

TEST_CASE("flash attention keeps only the log-sum-exp of the s^2 terms") {
  const spec::ModelSpec m = gpt();
  // 34 sbh + s * heads * 4 bytes (fp32 LSE) = 71,303,168 + 131,072 = 71,434,240.
  CHECK(workload::layer_activation_bytes(m, kS, Precision::kBf16, spec::Recompute::kNone, true, false) ==
        mlsim::test::approx(34.0 * kSbh + kS * kA * 4.0).epsilon(1e-12));
}

TEST_CASE("without dropout the masks go: 32 sbh + 2as^2") {
  spec::ModelSpec m = gpt();
  m.dropout = 0.0;
  // Two h-sized masks (2 sbh) and the score mask and dropout output (3 as^2 b) disappear:
  // 32 * 2,097,152 + 2 * 16 * 2048^2 = 67,108,864 + 134,217,728 = 201,326,592.
  CHECK(workload::layer_activation_bytes(m, kS, Precision::kBf16, spec::Recompute::kNone, false, false) ==
        mlsim::test::approx(201'326'592.0).epsilon(1e-12));
}

TEST_CASE("GQA's smaller K and V, SwiGLU's three tensors, MoE's routed copies") {
  spec::ModelSpec m = tiny();
  // seq 8, bf16, flash, no dropout:
  //   norm input + QKV input 2 * 8 * 64 * 2 = 2,048; Q (4*16) + K,V (2*(16+16)) = 128 per token -> 2,048;
  //   LSE 8 * 4 * 4 = 128; output-projection input 8 * 64 * 2 = 1,024; MLP norm + input 2,048;
  //   SwiGLU gate, up and down input 3 * 8 * 128 * 2 = 6,144 -> 13,440.
  CHECK(workload::layer_activation_bytes(m, 8, Precision::kBf16, spec::Recompute::kNone, true, false) == 13'440.0);
  // Materialized: softmax output 4 heads * 8 * 8 * 2 = 512 replaces the LSE: 13,824.
  CHECK(workload::layer_activation_bytes(m, 8, Precision::kBf16, spec::Recompute::kNone, false, false) == 13'824.0);
  // Sliding window 4: the score matrix is 8 x 4 per head: 256 B -> 13,568.
  m.sliding_window = 4;
  CHECK(workload::layer_activation_bytes(m, 8, Precision::kBf16, spec::Recompute::kNone, false, false) == 13'568.0);
  m.sliding_window.reset();
  // MoE layer with 4 experts of width 32, top-2: permuted inputs 8 * 2 * 64 * 2 = 2,048 and
  // 2 experts x 3 tensors x 8 x 32 x 2 = 3,072 instead of 6,144 -> 12,416.
  m.moe = spec::MoeSpec{4, 2, 32, 0, 0};
  CHECK(workload::layer_activation_bytes(m, 8, Precision::kBf16, spec::Recompute::kNone, true, true) == 12'416.0);
}

TEST_CASE("training activations of a micro-batch: layers, final norm and head inputs, fp32 logits") {
  const spec::ModelSpec m = gpt();
  const double layer = 34.0 * kSbh + kS * kA * 4.0;   // flash, no recompute: 71,434,240
  const double tail = 2.0 * kSbh * 2.0 + kS * 50304.0 * 4.0;   // 8,388,608 + 412,090,368
  // micro-batch 2: 2 * (24 * 71,434,240 + 420,478,976) = 4,269,801,472.
  CHECK(workload::training_activation_bytes(m, 2, kS, Precision::kBf16, spec::Recompute::kNone, true) ==
        mlsim::test::approx(2.0 * (24.0 * layer + tail)).epsilon(1e-12));
  CHECK(2.0 * (24.0 * layer + tail) == 4'269'801'472.0);
  // Full recompute: 24 layer inputs (2 sbh each) + one layer's full set while it is recomputed.
  CHECK(workload::training_activation_bytes(m, 1, kS, Precision::kBf16, spec::Recompute::kFull, true) ==
        mlsim::test::approx(24.0 * 2.0 * kSbh + layer + tail).epsilon(1e-12));
}

TEST_CASE("KV-cache bytes per token") {
  // Llama 3 8B fp16: 32 layers * 8 KV heads * (128 + 128) * 2 B = 131,072.
  const spec::ModelSpec llama = model("llama3_8b");
  CHECK(workload::kv_cache_bytes_per_token(llama, Precision::kFp16) == 131'072.0);
  CHECK(workload::kv_cache_bytes_per_token(llama, Precision::kFp8) == 65'536.0);
  // Llama 2 7B (MHA): 32 * 32 * 256 * 2 = 524,288.
  CHECK(workload::kv_cache_bytes_per_token(model("llama2_7b"), Precision::kBf16) == 524'288.0);
  // DeepSeek-V3 MLA bf16: 61 layers * (512 latent + 64 rope) * 2 = 70,272.
  CHECK(workload::kv_cache_bytes_per_token(model("deepseek_v3"), Precision::kBf16) == 70'272.0);
  // Mistral 7B: the window limits tokens, not bytes per token: 32 * 8 * 256 * 2 = 131,072.
  CHECK(workload::kv_cache_bytes_per_token(model("mistral_7b"), Precision::kBf16) == 131'072.0);
}

TEST_CASE("inference weight bytes: embeddings and LM head stay at the activations' precision") {
  const spec::ModelSpec m = model("llama3_8b");
  // bf16: 2 x 8,030,261,248 = 16,060,522,496 B ("about 16.06 GB").
  CHECK(workload::inference_weight_bytes(m, Precision::kBf16, Precision::kBf16) == 16'060'522'496.0);
  // Embedding and LM head: 2 * 128,256 * 4,096 = 1,050,673,152 parameters; the other
  // 8,030,261,248 - 1,050,673,152 = 6,979,588,096.
  // int4: 6,979,588,096 * 0.5 + 1,050,673,152 * 2 = 3,489,794,048 + 2,101,346,304 = 5,591,140,352.
  CHECK(workload::inference_weight_bytes(m, Precision::kInt4, Precision::kBf16) == 5'591'140'352.0);
  // fp8: 6,979,588,096 + 2,101,346,304 = 9,080,934,400.
  CHECK(workload::inference_weight_bytes(m, Precision::kFp8, Precision::kBf16) == 9'080'934'400.0);
}

TEST_CASE("prefill workspace: residual stream, MLP up and activation outputs, fp32 last logits") {
  // 10 tokens * (2*64 + 2*128 + 128) * 2 = 10,240 + 2 sequences * 100 * 4 = 800 -> 11,040.
  CHECK(workload::prefill_workspace_bytes(tiny(), 10, 2, Precision::kBf16) == 11'040.0);
}

TEST_CASE("a sliding window caps the KV cache a sequence holds (Mistral 7B, through a scenario)") {
  const std::string base =
      "schema_version: 1\nkind: scenario\nname: window\nsystem: {accelerator: h100_sxm, count: 1}\n"
      "inference: {prompt_tokens: 8000, output_tokens: 2, batch: 1, precision: bf16}\n";
  Diagnostics d;
  const auto mistral = test::scenario_from_text(base + "model: mistral_7b\n", d);
  const auto llama = test::scenario_from_text(base + "model: llama3_8b\n", d);
  REQUIRE(mistral.has_value());
  REQUIRE(llama.has_value());
  analysis::Evaluator ev;
  // 131,072 B per token, but at most the 4,096-token window: 536,870,912 B.
  const auto em = ev.evaluate(*mistral);
  CHECK(em.memory.kv_cache_bytes == 131'072.0 * 4'096.0);
  // The same per-token size without a window holds all 8,002 tokens.
  const auto el = ev.evaluate(*llama);
  CHECK(el.memory.kv_cache_bytes == 131'072.0 * 8'002.0);
}

}  // namespace mlsim
