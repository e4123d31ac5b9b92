// Parameter counts from the architecture against the published figures of every zoo model, and
// the active and matrix parameters (MoE, MFU) derived by hand.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <cmath>
#include <string>

#include "spec/model.hpp"
#include "../support.hpp"
#include "workload/params.hpp"

namespace mlsim {
namespace {

spec::ModelSpec model(const std::string& id) { return test::zoo_model(id); }

spec::ModelSpec tiny() { return test::tiny_model(); }

}  // namespace

TEST_CASE("count_params equals the exact published count of checkpoint-verified models") {
  // These figures are the exact tensor totals of the official checkpoints (model YAML sources);
  // doubles hold integers below 2^53 exactly, so the comparison is exact.
  struct Row {
    const char* id;
    double published;
  };
  const Row rows[] = {
      {"gpt2_124m", 124'439'808.0},       {"gpt2_1_5b", 1'557'611'200.0},     {"llama2_7b", 6'738'415'616.0},
      {"llama2_13b", 13'015'864'320.0},   {"llama2_70b", 68'976'648'192.0},   {"llama3_8b", 8'030'261'248.0},
      {"llama3_70b", 70'553'706'496.0},   {"llama3_405b", 405'853'388'800.0}, {"mistral_7b", 7'241'732'096.0},
      {"mixtral_8x7b", 46'702'792'704.0}, {"qwen2_5_7b", 7'615'616'512.0},    {"resnet50", 25'557'032.0},
      // NumParams of llm-foundry's MPT Training Benchmarks table at 2048 tokens (commit 061f2c7c).
      {"mpt_125m", 125'311'488.0},        {"mpt_3b", 2'651'837'440.0},        {"mpt_7b", 6'658'859'008.0},
      {"mpt_13b", 12'853'954'560.0},      {"mpt_30b", 29'975'214'080.0},      {"mpt_70b", 64'862'437'376.0},
  };
  for (const auto& r : rows) {
    CAPTURE(r.id);
    const spec::ModelSpec m = model(r.id);
    REQUIRE(m.published_params.has_value());
    CHECK(*m.published_params == r.published);
    CHECK(workload::count_params(m).total == r.published);
  }
}

TEST_CASE("GPT-2 small: 124,439,808 derived by hand") {
  // h = 768, L = 12, V = 50257, s = 1024, GELU MLP of 4h, biases everywhere, LayerNorm (w + b).
  // Per layer: QKV 3h^2 + 3h, out h^2 + h, MLP 8h^2 + 4h + h, two LayerNorms 4h -> 12h^2 + 13h
  //   = 12 * 589,824 + 9,984 = 7,087,872.
  // Embeddings (V + s) h = 51,281 * 768 = 39,383,808 (LM head tied); final LayerNorm 2h = 1,536.
  // Total = 12 * 7,087,872 + 39,383,808 + 1,536 = 124,439,808.
  const auto p = workload::count_params(model("gpt2_124m"));
  CHECK(p.per_dense_layer == 7'087'872.0);
  CHECK(p.embedding == 39'383'808.0);
  CHECK(p.lm_head == 0.0);
  CHECK(p.total == 124'439'808.0);
  // Matrices a token multiplies: 12 * (4h^2 + 8h^2) + V h (tied LM head still multiplied)
  //   = 12 * 7,077,888 + 38,597,376 = 123,532,032.
  CHECK(p.matrix_active == 123'532'032.0);
}

TEST_CASE("GPT-3 175B: the keys give 174.6B, published rounded to 175B") {
  // 12 l h^2 + 13 l h + (V + s) h + 2h with l = 96, h = 12288, V = 50257, s = 2048:
  //   173,946,175,488 + 15,335,424 + 642,723,840 + 24,576 = 174,604,259,328 (Narayanan et al.: 174.6B).
  const spec::ModelSpec m = model("gpt3_175b");
  const double total = workload::count_params(m).total;
  CHECK(total == 174'604'259'328.0);
  REQUIRE(m.published_params.has_value());
  CHECK(std::round(total / 1e9) * 1e9 == *m.published_params);   // "175B" is rounded to 1B
}

TEST_CASE("Megatron-LM GPT models (Narayanan et al. 2021, Table 1) to the table's 0.1B rounding") {
  // The paper's formula P = 12 l h^2 (1 + 13/(12h) + (V + s)/(12 l h)) = 12 l h^2 + 13 l h + (V + s) h,
  // plus the final LayerNorm (2h), which the formula leaves out; V = 51200, s = 2048.
  const char* ids[] = {"megatron_gpt_1_7b",   "megatron_gpt_3_6b",   "megatron_gpt_7_5b",   "megatron_gpt_18_4b",
                       "megatron_gpt_39_1b",  "megatron_gpt_76_1b",  "megatron_gpt_145_6b", "megatron_gpt_310_1b",
                       "megatron_gpt_529_6b", "megatron_gpt_1t"};
  for (const char* id : ids) {
    CAPTURE(id);
    const spec::ModelSpec m = model(id);
    const double l = static_cast<double>(m.layers), h = static_cast<double>(m.hidden);
    const double formula = 12.0 * l * h * h + 13.0 * l * h + (51200.0 + 2048.0) * h + 2.0 * h;
    const double total = workload::count_params(m).total;
    CHECK(total == formula);
    REQUIRE(m.published_params.has_value());
    // Table 1 prints the count rounded to 0.1B (the 1.7B row is 1.652e9).
    CHECK(std::round(total / 1e8) == std::round(*m.published_params / 1e8));
  }
  CHECK(workload::count_params(model("megatron_gpt_1_7b")).total == 1'652'230'656.0);
}

TEST_CASE("DeepSeek-V3: 671B total and 37B activated") {
  // h = 7168, 128 heads, nope 128 + rope 64 = 192 qk dims, v 128, q_lora 1536, kv_lora 512.
  // MLA weights: h*1536 + 1536*128*192 + h*(512+64) + 512*128*(128+128) + 128*128*h
  //   = 11,010,048 + 37,748,736 + 4,128,768 + 16,777,216 + 117,440,512 = 187,105,280;
  //   latent norms 1536 + 512 = 2,048; two RMSNorms 14,336.
  // Dense layer (3 of them): + 3*h*18432 = 396,361,728 -> 583,483,392.
  // Expert: 3*h*2048 = 44,040,192; router h*256 = 1,835,008.
  // MoE layer (58): 187,105,280 + 2,048 + 14,336 + 1,835,008 + 257 experts = 11,507,286,016.
  // Embedding and LM head 2 * 129,280 * h = 1,853,358,080; final norm 7,168.
  // Total = 3*583,483,392 + 58*11,507,286,016 + 1,853,358,080 + 7,168 = 671,026,404,352.
  const spec::ModelSpec m = model("deepseek_v3");
  const auto p = workload::count_params(m);
  CHECK(p.expert == 44'040'192.0);
  CHECK(p.per_dense_layer == 583'483'392.0);
  CHECK(p.per_moe_layer == 11'507'286'016.0);
  CHECK(p.total == 671'026'404'352.0);
  CHECK(p.total == mlsim::test::approx(671e9).epsilon(0.005));   // published "671B"
  // Active: MoE layer with 8 routed + 1 shared expert = 187,105,280 + 2,048 + 14,336 + 1,835,008
  //   + 9 * 44,040,192 = 585,318,400; 3*583,483,392 + 58*585,318,400 + 1,853,358,080 + 7,168
  //   = 37,552,282,624 (paper: "37B activated for each token").
  CHECK(p.active == 37'552'282'624.0);
  CHECK(p.active == mlsim::test::approx(37e9).epsilon(0.03));
}

TEST_CASE("Mixtral 8x7B: 46.7B total, 12.9B active") {
  // h = 4096, 32 q heads and 8 kv heads of 128: attention h*(32+16)*128 + 32*128*h = 41,943,040;
  // norms 2h = 8,192; router 8h = 32,768; expert 3 * h * 14336 = 176,160,768.
  // Active layer: 41,943,040 + 8,192 + 32,768 + 2 * 176,160,768 = 394,305,536; x 32 = 12,617,777,152.
  // Embedding + LM head 2 * 32000 * h = 262,144,000; final norm 4,096 -> 12,879,925,248.
  const auto p = workload::count_params(model("mixtral_8x7b"));
  CHECK(p.expert == 176'160'768.0);
  CHECK(p.active == 12'879'925'248.0);
  CHECK(p.active == mlsim::test::approx(12.9e9).epsilon(0.01));   // Mistral AI: "12.9B active parameters"
  // All experts: 32 * (41,943,040 + 8,192 + 32,768 + 8 * 176,160,768) + 262,144,000 + 4,096.
  CHECK(p.total == 46'702'792'704.0);
  // Matrices per token: 32 * (41,943,040 + 32,768 + 2 * 176,160,768) + 131,072,000 (LM head)
  //   = 32 * 394,297,344 + 131,072,000 = 12,748,587,008.
  CHECK(p.matrix_active == 12'748'587'008.0);
}

TEST_CASE("a tiny GQA SwiGLU model counted by hand") {
  // h = 64, 4 q heads and 2 kv heads of 16, ffn 128, SwiGLU, RMSNorm, no biases, V = 100, 2 layers.
  // Attention: h * (4 + 2*2) * 16 + 4*16*h = 8,192 + 4,096 = 12,288.
  // MLP: 3 * 64 * 128 = 24,576. Norms 2h = 128. Layer = 36,992.
  // Total = 2 * 36,992 + 100*64 (embedding) + 100*64 (LM head) + 64 (final norm) = 86,848.
  spec::ModelSpec m = tiny();
  auto p = workload::count_params(m);
  CHECK(p.per_dense_layer == 36'992.0);
  CHECK(p.embedding == 6'400.0);
  CHECK(p.lm_head == 6'400.0);
  CHECK(p.total == 86'848.0);
  CHECK(p.active == 86'848.0);
  // matrix_active: 2 * (12,288 + 24,576) + 6,400 = 80,128 (norms and the embedding lookup out).
  CHECK(p.matrix_active == 80'128.0);

  SUBCASE("tied embeddings drop the LM head from the total, not from the matrices") {
    m.tied_embeddings = true;
    p = workload::count_params(m);
    CHECK(p.total == 80'448.0);
    CHECK(p.matrix_active == 80'128.0);
  }
  SUBCASE("GELU (two matrices), LayerNorm and biases") {
    m.activation = spec::Activation::kGelu;
    m.norm = spec::NormKind::kLayerNorm;
    m.bias_linear = m.bias_qkv = true;
    // Attention 12,288 + QKV bias 128 + out bias 64; MLP 2*64*128 + 128 + 64 = 16,576;
    // two LayerNorms 4h = 256 -> layer 29,312. Total 2*29,312 + 12,800 + 128 = 71,552.
    p = workload::count_params(m);
    CHECK(p.per_dense_layer == 29'312.0);
    CHECK(p.total == 71'552.0);
    // matrix_active: 2 * (12,288 + 16,384) + 6,400 = 63,744.
    CHECK(p.matrix_active == 63'744.0);
  }
  SUBCASE("learned positions add max_seq_len x h to the embedding") {
    m.positions = spec::Positions::kLearned;
    p = workload::count_params(m);
    // 1,024 positions x 64 = 65,536 more parameters.
    CHECK(p.embedding == 6'400.0 + 1024.0 * 64.0);
    CHECK(p.total == 86'848.0 + 65'536.0);
  }
  SUBCASE("vocabulary padding") {
    m.pad_vocab_to = 64;   // 100 -> 128
    p = workload::count_params(m);
    CHECK(p.embedding == 128.0 * 64.0);
    CHECK(p.total == 86'848.0 + 2.0 * 28.0 * 64.0);
  }
  SUBCASE("MoE: 4 experts of width 32, top-2, one shared expert, first layer dense") {
    m.moe = spec::MoeSpec{4, 2, 32, 1, 1};
    // Expert 3*64*32 = 6,144; router 4h = 256. MoE layer: 12,288 + 128 + 256 + 5 * 6,144 = 43,392.
    // Active MoE layer: 12,288 + 128 + 256 + 3 * 6,144 = 31,104.
    // Total = 36,992 + 43,392 + 12,864 = 93,248; active = 36,992 + 31,104 + 12,864 = 80,960.
    p = workload::count_params(m);
    CHECK(p.expert == 6'144.0);
    CHECK(p.per_moe_layer == 43'392.0);
    CHECK(p.total == 93'248.0);
    CHECK(p.active == 80'960.0);
    // Matrices: dense 36,864 + MoE (12,288 + 256 + 3 * 6,144) + 6,400 = 36,864 + 30,976 + 6,400.
    CHECK(p.matrix_active == 74'240.0);
  }
}

TEST_CASE("attention_dims: GQA keeps its KV heads, MLA decompresses per head") {
  const auto g = workload::attention_dims(model("llama3_8b"));
  CHECK(g.q_heads == 32.0);
  CHECK(g.kv_heads == 8.0);
  CHECK(g.qk_dim == 128.0);
  CHECK(g.v_dim == 128.0);
  const auto d = workload::attention_dims(model("deepseek_v3"));
  CHECK(d.q_heads == 128.0);
  CHECK(d.kv_heads == 128.0);
  CHECK(d.qk_dim == 192.0);   // 128 nope + 64 rope
  CHECK(d.v_dim == 128.0);
}

}  // namespace mlsim
