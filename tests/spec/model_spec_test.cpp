// Tests of spec/model (read_model) on inline YAML: defaults derived from other keys, the bias forms,
// MoE, MLA and CNN blocks, padded vocabularies, and the errors a model entry can have.
#include <doctest/doctest.h>

#include <string>

#include "../support.hpp"
#include "spec/model.hpp"

namespace mlsim::spec {
namespace {

// A small GPT-2-like decoder without kv_heads, head_dim, bias or attention (tests add those).
const std::string kBase =
    "schema_version: 1\n"
    "kind: model\n"
    "architecture: decoder\n"
    "layers: 2\n"
    "hidden: 512\n"
    "heads: 8\n"
    "ffn: 2048\n"
    "activation: gelu\n"
    "norm: layernorm\n"
    "positions: learned\n"
    "max_seq_len: 1024\n"
    "vocab: 50257\n"
    "tied_embeddings: true\n";

// Parses the YAML (which must be well formed) and reads it, collecting the model's diagnostics in `d`.
ModelSpec read(const std::string& text, Diagnostics& d) {
  Diagnostics syntax;
  const Node n = load_yaml(text, "m.yaml", syntax);
  REQUIRE(syntax.all().empty());
  return read_model(n, d);
}

TEST_CASE("defaults: kv_heads = heads, head_dim = hidden / heads, MHA inferred") {
  Diagnostics d;
  const ModelSpec m = read(kBase + "bias: true\n", d);
  CHECK(d.all().empty());
  CHECK(m.id == "inline");
  CHECK(m.name == "inline");
  CHECK(m.architecture == Architecture::kDecoder);
  CHECK(m.layers == 2);
  CHECK(m.hidden == 512);
  CHECK(m.heads == 8);
  CHECK(m.kv_heads == 8);
  CHECK(m.head_dim == 64);   // 512 / 8
  CHECK(m.ffn == 2048);
  CHECK(m.activation == Activation::kGelu);
  CHECK(m.norm == NormKind::kLayerNorm);
  CHECK(m.positions == Positions::kLearned);
  CHECK(m.attention == AttentionKind::kMha);
  CHECK(m.max_seq_len == 1024);
  CHECK(m.tied_embeddings);
  CHECK_FALSE(m.sliding_window.has_value());
  CHECK(m.dropout == 0.0);
  CHECK_FALSE(m.moe.has_value());
  CHECK_FALSE(m.mla.has_value());
  CHECK_FALSE(m.cnn.has_value());
  CHECK_FALSE(m.published_params.has_value());
  CHECK(m.pad_vocab_to == 1);
  CHECK(m.padded_vocab() == 50257);
  CHECK_FALSE(m.is_moe_layer(0));
}

TEST_CASE("the attention kind follows kv_heads when not given") {
  Diagnostics d;
  const ModelSpec gqa = read(kBase + "bias: false\nkv_heads: 2\n", d);
  CHECK(gqa.kv_heads == 2);
  CHECK(gqa.attention == AttentionKind::kGqa);
  const ModelSpec mqa = read(kBase + "bias: false\nkv_heads: 1\n", d);
  CHECK(mqa.attention == AttentionKind::kMqa);
  const ModelSpec explicit_dim = read(kBase + "bias: false\nhead_dim: 128\nattention: {kind: gqa}\nkv_heads: 4\n", d);
  CHECK(explicit_dim.head_dim == 128);
  CHECK(explicit_dim.attention == AttentionKind::kGqa);
  CHECK(d.all().empty());
}

TEST_CASE("bias: true, false, or only on q/k/v") {
  Diagnostics d;
  const ModelSpec all = read(kBase + "bias: true\n", d);
  CHECK(all.bias_linear);
  CHECK(all.bias_qkv);
  CHECK(all.bias_norm);   // a layernorm always has its additive term
  const ModelSpec none = read(kBase + "bias: false\n", d);
  CHECK_FALSE(none.bias_linear);
  CHECK_FALSE(none.bias_qkv);
  const ModelSpec qkv = read(kBase + "bias: {qkv: true}\n", d);
  CHECK_FALSE(qkv.bias_linear);
  CHECK(qkv.bias_qkv);
  CHECK(d.all().empty());
  // rmsnorm has no additive term.
  std::string rms = kBase;
  rms.replace(rms.find("norm: layernorm"), 15, "norm: rmsnorm");
  const ModelSpec r = read(rms + "bias: false\n", d);
  CHECK(r.norm == NormKind::kRmsNorm);
  CHECK_FALSE(r.bias_norm);
  CHECK(d.all().empty());
}

TEST_CASE("bad bias forms") {
  Diagnostics d;
  read(kBase + "bias: maybe\n", d);
  read(kBase + "bias: {qkv: true, mlp: true}\n", d);
  read(kBase, d);
  REQUIRE(d.all().size() == 3);
  CHECK(d.all()[0].message == "model.bias: expected true or false, got \"maybe\"");
  CHECK(d.all()[0].origin.line == 14);
  CHECK(d.all()[0].origin.column == 7);
  CHECK(d.all()[1].message == "unknown key \"mlp\" in model.bias");
  CHECK(d.all()[2].message == "missing required key \"bias\" in model");
}

TEST_CASE("padded vocabulary, sliding window, dropout, published count") {
  Diagnostics d;
  const ModelSpec m = read(kBase + "bias: true\npad_vocab_to: 128\nsliding_window: 4096\ndropout: 0.1\n"
                                   "published_params: 124439808\nid: tiny\nname: Tiny GPT\n",
                           d);
  CHECK(d.all().empty());
  CHECK(m.id == "tiny");
  CHECK(m.name == "Tiny GPT");
  // ceil(50257 / 128) = 393 rows of 128: 393 * 128 = 50304
  CHECK(m.padded_vocab() == 50304);
  CHECK(m.vocab == 50257);
  CHECK(m.sliding_window == 4096);
  CHECK(m.dropout == 0.1);
  CHECK(m.published_params == 124439808.0);
  // A vocabulary that is already a multiple stays as it is.
  ModelSpec exact = m;
  exact.vocab = 50304;
  CHECK(exact.padded_vocab() == 50304);
}

TEST_CASE("heads must be a multiple of kv_heads") {
  Diagnostics d;
  read(kBase + "bias: true\nkv_heads: 3\n", d);
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message == "model: heads (8) must be a multiple of kv_heads (3)");
  CHECK(d.all()[0].origin.line == 1);
  CHECK(d.all()[0].origin.column == 1);
}

TEST_CASE("a MoE block") {
  Diagnostics d;
  const ModelSpec m =
      read(kBase + "bias: false\nmoe: {experts: 8, top_k: 2, expert_ffn: 1024, shared_experts: 1, dense_layers: 1}\n", d);
  CHECK(d.all().empty());
  REQUIRE(m.moe.has_value());
  CHECK(m.moe->experts == 8);
  CHECK(m.moe->top_k == 2);
  CHECK(m.moe->expert_ffn == 1024);
  CHECK(m.moe->shared_experts == 1);
  CHECK(m.moe->dense_layers == 1);
  CHECK_FALSE(m.is_moe_layer(0));   // the first dense_layers keep a dense MLP
  CHECK(m.is_moe_layer(1));
  // shared_experts and dense_layers default to 0.
  const ModelSpec lean = read(kBase + "bias: false\nmoe: {experts: 4, top_k: 1, expert_ffn: 256}\n", d);
  REQUIRE(lean.moe.has_value());
  CHECK(lean.moe->shared_experts == 0);
  CHECK(lean.moe->dense_layers == 0);
  CHECK(lean.is_moe_layer(0));
  CHECK(d.all().empty());
}

TEST_CASE("MoE errors") {
  Diagnostics d;
  read(kBase + "bias: false\nmoe: {experts: 2, top_k: 4, expert_ffn: 256}\n", d);
  read(kBase + "bias: false\nmoe: {experts: 8, top_k: 2, expert_ffn: 256, dense_layers: 3}\n", d);
  read(kBase + "bias: false\nmoe: {experts: 8, topk: 2, expert_ffn: 256}\n", d);
  REQUIRE(d.all().size() == 4);
  CHECK(d.all()[0].message == "model.moe: top_k exceeds the number of experts");
  // dense_layers is bounded by the 2 layers of the model.
  CHECK(d.all()[1].message == "model.moe.dense_layers: expected a whole number in [0, 2], got \"3\"");
  CHECK(d.all()[2].message == "missing required key \"top_k\" in model.moe");
  CHECK(d.all()[3].message == "unknown key \"topk\" in model.moe; did you mean \"top_k\"?");
}

TEST_CASE("an MLA attention block") {
  Diagnostics d;
  const ModelSpec m = read(kBase + "bias: false\nhead_dim: 32\n"
                                   "attention: {kind: mla, q_lora_rank: 1536, kv_lora_rank: 512, rope_head_dim: 64}\n",
                           d);
  CHECK(d.all().empty());
  CHECK(m.attention == AttentionKind::kMla);
  REQUIRE(m.mla.has_value());
  CHECK(m.mla->q_lora_rank == 1536);
  CHECK(m.mla->kv_lora_rank == 512);
  CHECK(m.mla->rope_head_dim == 64);
  CHECK(m.mla->v_head_dim == 32);   // defaults to head_dim
  // MLA keys belong to kind: mla only, and kv_lora_rank is required there.
  read(kBase + "bias: false\nattention: {kind: gqa, kv_lora_rank: 512}\n", d);
  read(kBase + "bias: false\nattention: {kind: mla, rope_head_dim: 64}\n", d);
  read(kBase + "bias: false\nattention: {kind: gqq}\n", d);
  // kBase has 8 heads and no kv_heads (so 8 KV heads): `kind: gqa` contradicts it as well.
  REQUIRE(d.all().size() == 4);
  CHECK(d.all()[0].message == "unknown key \"kv_lora_rank\" in model.attention");
  CHECK(d.all()[1].message == "model: attention kind gqa (1 < kv_heads < heads) does not match kv_heads 8 with 8 heads");
  CHECK(d.all()[2].message == "missing required key \"kv_lora_rank\" in model.attention");
  CHECK(d.all()[3].message ==
        "model.attention.kind: unknown value \"gqq\"; expected mha | gqa | mqa | mla (did you mean \"gqa\"?)");
}

const std::string kCnn =
    "schema_version: 1\n"
    "kind: model\n"
    "architecture: cnn\n";

TEST_CASE("a CNN block") {
  Diagnostics d;
  const ModelSpec m = read(kCnn + "cnn: {family: resnet, image_size: 224, stem_width: 64, stages: [3, 4, 6, 3], "
                                  "widths: [64, 128, 256, 512], classes: 1000}\n",
                           d);
  CHECK(d.all().empty());
  CHECK(m.architecture == Architecture::kCnn);
  REQUIRE(m.cnn.has_value());
  CHECK(m.cnn->family == "resnet");
  CHECK(m.cnn->image_size == 224);
  CHECK(m.cnn->channels == 3);    // default
  CHECK(m.cnn->expansion == 4);   // default
  CHECK(m.cnn->stem_width == 64);
  CHECK(m.cnn->stages == std::vector<long long>{3, 4, 6, 3});
  CHECK(m.cnn->widths == std::vector<long long>{64, 128, 256, 512});
  CHECK(m.cnn->classes == 1000);
  CHECK(m.layers == 0);   // transformer fields stay untouched
}

TEST_CASE("CNN errors") {
  Diagnostics d;
  read(kCnn + "cnn: {family: resnet, image_size: 224, stem_width: 64, stages: [3, 4], widths: [64], classes: 10}\n", d);
  read(kCnn + "cnn: {family: resnet, image_size: 224, stem_width: 64, stages: [3, 0], widths: [64, 2.5], classes: 10}\n",
       d);
  read(kCnn + "layers: 50\ncnn: {family: vgg, image_size: 224, stem_width: 64, stages: 3, widths: [], classes: 10}\n",
       d);
  read(kCnn, d);
  REQUIRE(d.all().size() == 7);
  CHECK(d.all()[0].message == "model.cnn: stages and widths must have the same length");
  CHECK(d.all()[1].message == "model.cnn.stages: expected a positive whole number");
  CHECK(d.all()[2].message == "model.cnn.widths: expected a positive whole number");
  CHECK(d.all()[3].message == "model.cnn.family: unknown value \"vgg\"; expected resnet");
  CHECK(d.all()[4].message == "model.cnn.stages: expected a list of whole numbers");
  CHECK(d.all()[5].message == "unknown key \"layers\" in model");
  CHECK(d.all()[6].message == "missing required key \"cnn\" in model");
}

TEST_CASE("the header is checked") {
  Diagnostics d;
  std::string wrong = kBase;
  wrong.replace(wrong.find("kind: model"), 11, "kind: accelerator");
  read(wrong + "bias: true\n", d);
  std::string v2 = kBase;
  v2.replace(0, 17, "schema_version: 2");
  read(v2 + "bias: true\n", d);
  REQUIRE(d.all().size() == 2);
  CHECK(d.all()[0].message == "expected an entry of kind \"model\", got \"accelerator\"");
  CHECK(d.all()[0].origin.line == 2);
  CHECK(d.all()[0].origin.column == 7);
  CHECK(d.all()[1].message == "schema_version 2 is not supported by this mlsim (it reads schema_version 1)");
}

TEST_CASE("zoo models with MoE, MLA and qkv biases read as published") {
  const ModelSpec ds = test::zoo_entry("model", "deepseek_v3", read_model);
  CHECK(ds.attention == AttentionKind::kMla);
  REQUIRE(ds.mla.has_value());
  CHECK(ds.mla->kv_lora_rank == 512);
  REQUIRE(ds.moe.has_value());
  CHECK(ds.moe->experts == 256);
  CHECK(ds.moe->dense_layers == 3);
  const ModelSpec qwen = test::zoo_entry("model", "qwen2_5_7b", read_model);
  CHECK(qwen.bias_qkv);
  CHECK_FALSE(qwen.bias_linear);
  CHECK(qwen.attention == AttentionKind::kGqa);
  const ModelSpec resnet = test::zoo_entry("model", "resnet50", read_model);
  REQUIRE(resnet.cnn.has_value());
  CHECK(resnet.cnn->stages == std::vector<long long>{3, 4, 6, 3});
}

}  // namespace
TEST_CASE("head counts must agree with the attention kind, and head_dim with hidden") {
  Diagnostics d;
  // 8 heads, 1 KV head declared as MHA: MHA needs kv_heads = heads.
  read(kBase + "bias: false\nkv_heads: 1\nattention: {kind: mha}\n", d);
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message == "model: attention kind mha (kv_heads = heads) does not match kv_heads 1 with 8 heads");
  // Without an explicit kind it is inferred from the counts: 1 KV head is MQA, no error.
  d.clear();
  const ModelSpec mqa = read(kBase + "bias: false\nkv_heads: 1\n", d);
  CHECK(d.all().empty());
  CHECK(mqa.attention == AttentionKind::kMqa);
  // 512 / 6 is not whole: head_dim must be given rather than truncated to 85.
  d.clear();
  read(std::string(kBase).replace(kBase.find("heads: 8"), 8, "heads: 6") + "bias: false\n", d);
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message == "model: hidden (512) is not a multiple of heads (6); give head_dim");
}

}  // namespace mlsim::spec
