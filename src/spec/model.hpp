// The model spec: a decoder/encoder transformer (dense, GQA/MQA, MoE, MLA) or a ResNet-style CNN,
// with every detail that makes its parameter count exact (biases, norms, positions, padding).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spec/reader.hpp"

namespace mlsim::spec {

enum class Architecture { kDecoder, kEncoder, kCnn };
enum class Activation { kGelu, kSwiglu };
enum class NormKind { kLayerNorm, kRmsNorm };
enum class Positions { kRope, kLearned, kAlibi };
enum class AttentionKind { kMha, kGqa, kMqa, kMla };

struct MoeSpec {
  long long experts = 0;
  long long top_k = 0;
  long long expert_ffn = 0;
  long long shared_experts = 0;
  long long dense_layers = 0;   // the first layers keep a dense MLP of width `ffn`
};

struct MlaSpec {
  long long q_lora_rank = 0;    // 0: queries projected directly
  long long kv_lora_rank = 0;
  long long rope_head_dim = 0;
  long long v_head_dim = 0;
};

struct CnnSpec {
  std::string family;                 // resnet
  long long image_size = 224;
  long long channels = 3;
  long long stem_width = 64;
  std::vector<long long> stages;      // bottleneck blocks per stage
  std::vector<long long> widths;      // inner width per stage
  long long expansion = 4;
  long long classes = 1000;
};

struct ModelSpec {
  std::string id, name;
  Architecture architecture = Architecture::kDecoder;
  long long layers = 0, hidden = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn = 0;
  Activation activation = Activation::kGelu;
  NormKind norm = NormKind::kLayerNorm;
  bool bias_linear = false;   // biases on every projection and MLP matrix
  bool bias_qkv = false;      // biases on the q/k/v projections (implied by bias_linear)
  bool bias_norm = false;     // LayerNorm's additive term (a layernorm always has it)
  Positions positions = Positions::kRope;
  long long max_seq_len = 0;
  std::optional<long long> sliding_window;
  long long vocab = 0;
  long long pad_vocab_to = 1;
  bool tied_embeddings = false;
  double dropout = 0.0;
  std::optional<MoeSpec> moe;
  AttentionKind attention = AttentionKind::kMha;
  std::optional<MlaSpec> mla;
  std::optional<CnnSpec> cnn;
  std::optional<double> published_params;

  [[nodiscard]] long long padded_vocab() const { return (vocab + pad_vocab_to - 1) / pad_vocab_to * pad_vocab_to; }
  [[nodiscard]] bool is_moe_layer(long long layer) const { return moe.has_value() && layer >= moe->dense_layers; }
};

ModelSpec read_model(const Node& n, Diagnostics& d);

}  // namespace mlsim::spec
