#include "spec/model.hpp"

#include "spec/hardware.hpp"

namespace mlsim::spec {
namespace {

template <class E>
E pick(const std::optional<std::string>& v, const std::vector<std::string>& names, E fallback) {
  if (!v) return fallback;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == *v) return static_cast<E>(i);
  }
  return fallback;
}

std::vector<long long> read_int_list(const Node* n, MapReader& r, const std::string& what) {
  std::vector<long long> out;
  if (n == nullptr) return out;
  if (!n->is_seq()) {
    r.error_at(*n, what + ": expected a list of whole numbers");
    return out;
  }
  for (const auto& item : n->seq) {
    const auto v = item.is_scalar() ? parse_number(item.scalar) : std::nullopt;
    if (!v || *v < 1 || static_cast<double>(static_cast<long long>(*v)) != *v) {
      r.error_at(item, what + ": expected a positive whole number");
      continue;
    }
    out.push_back(static_cast<long long>(*v));
  }
  return out;
}

void read_cnn(const Node* n, Diagnostics& d, ModelSpec& m) {
  MapReader r(n, d, "model.cnn");
  CnnSpec c;
  c.family = r.choice("family", {"resnet"}, Need::kRequired).value_or("resnet");
  c.image_size = r.integer("image_size", Need::kRequired, 8, 1 << 16).value_or(224);
  c.channels = r.integer("channels", Need::kOptional, 1, 1 << 16).value_or(3);
  c.stem_width = r.integer("stem_width", Need::kRequired, 1, 1 << 16).value_or(64);
  c.stages = read_int_list(r.get("stages", Need::kRequired), r, "model.cnn.stages");
  c.widths = read_int_list(r.get("widths", Need::kRequired), r, "model.cnn.widths");
  c.expansion = r.integer("expansion", Need::kOptional, 1, 64).value_or(4);
  c.classes = r.integer("classes", Need::kRequired, 1, 1 << 24).value_or(1000);
  r.finish();
  if (c.stages.size() != c.widths.size() && r.valid()) {
    r.error_at(*n, "model.cnn: stages and widths must have the same length");
  }
  m.cnn = c;
}

}  // namespace

ModelSpec read_model(const Node& n, Diagnostics& d) {
  ModelSpec m;
  MapReader r(&n, d, "model");
  read_header(r, "model", m.id, m.name);
  if (!r.valid()) return m;
  m.architecture = pick(r.choice("architecture", {"decoder", "encoder", "cnn"}, Need::kRequired),
                        {"decoder", "encoder", "cnn"}, Architecture::kDecoder);
  if (auto p = r.number("published_params", Need::kOptional, 1.0)) m.published_params = p;
  if (m.architecture == Architecture::kCnn) {
    read_cnn(r.get("cnn", Need::kRequired), d, m);
    r.finish();
    return m;
  }
  constexpr long long kBig = 1LL << 40;
  m.layers = r.integer("layers", Need::kRequired, 1, 100000).value_or(1);
  m.hidden = r.integer("hidden", Need::kRequired, 1, kBig).value_or(1);
  m.heads = r.integer("heads", Need::kRequired, 1, kBig).value_or(1);
  m.kv_heads = r.integer("kv_heads", Need::kOptional, 1, kBig).value_or(m.heads);
  const auto head_dim = r.integer("head_dim", Need::kOptional, 1, kBig);
  if (!head_dim && m.hidden % m.heads != 0) {
    d.error(n.origin, "model: hidden (" + std::to_string(m.hidden) + ") is not a multiple of heads (" + std::to_string(m.heads) +
                          "); give head_dim");
  }
  m.head_dim = head_dim.value_or(m.hidden / m.heads);
  m.ffn = r.integer("ffn", Need::kRequired, 1, kBig).value_or(1);
  m.activation = pick(r.choice("activation", {"gelu", "swiglu"}, Need::kRequired), {"gelu", "swiglu"}, Activation::kGelu);
  m.norm = pick(r.choice("norm", {"layernorm", "rmsnorm"}, Need::kRequired), {"layernorm", "rmsnorm"}, NormKind::kLayerNorm);
  m.bias_norm = m.norm == NormKind::kLayerNorm;
  if (const Node* b = r.get("bias", Need::kRequired)) {
    if (b->is_map()) {
      MapReader br(b, d, "model.bias");
      m.bias_qkv = br.boolean("qkv").value_or(false);
      br.finish();
    } else if (auto v = r.boolean("bias")) {
      m.bias_linear = *v;
      m.bias_qkv = *v;
    }
  }
  m.positions = pick(r.choice("positions", {"rope", "learned", "alibi"}, Need::kRequired), {"rope", "learned", "alibi"},
                     Positions::kRope);
  m.max_seq_len = r.integer("max_seq_len", Need::kRequired, 1, kBig).value_or(1);
  if (auto w = r.integer("sliding_window", Need::kOptional, 1, kBig)) m.sliding_window = w;
  m.vocab = r.integer("vocab", Need::kRequired, 1, kBig).value_or(1);
  m.pad_vocab_to = r.integer("pad_vocab_to", Need::kOptional, 1, 1 << 20).value_or(1);
  m.tied_embeddings = r.boolean("tied_embeddings", Need::kRequired).value_or(false);
  m.dropout = r.number("dropout", Need::kOptional, 0.0, 0.99).value_or(0.0);
  if (const Node* moe = r.get("moe")) {
    MapReader mr(moe, d, "model.moe");
    MoeSpec s;
    s.experts = mr.integer("experts", Need::kRequired, 1, 1 << 20).value_or(1);
    s.top_k = mr.integer("top_k", Need::kRequired, 1, 1 << 20).value_or(1);
    s.expert_ffn = mr.integer("expert_ffn", Need::kRequired, 1, kBig).value_or(1);
    s.shared_experts = mr.integer("shared_experts", Need::kOptional, 0, 1 << 20).value_or(0);
    s.dense_layers = mr.integer("dense_layers", Need::kOptional, 0, m.layers).value_or(0);
    mr.finish();
    if (s.top_k > s.experts && mr.valid()) mr.error_at(*moe, "model.moe: top_k exceeds the number of experts");
    m.moe = s;
  }
  if (const Node* att = r.get("attention")) {
    MapReader ar(att, d, "model.attention");
    m.attention = pick(ar.choice("kind", {"mha", "gqa", "mqa", "mla"}, Need::kRequired), {"mha", "gqa", "mqa", "mla"},
                       AttentionKind::kMha);
    if (m.attention == AttentionKind::kMla) {
      MlaSpec s;
      s.q_lora_rank = ar.integer("q_lora_rank", Need::kOptional, 0, kBig).value_or(0);
      s.kv_lora_rank = ar.integer("kv_lora_rank", Need::kRequired, 1, kBig).value_or(1);
      s.rope_head_dim = ar.integer("rope_head_dim", Need::kRequired, 0, kBig).value_or(0);
      s.v_head_dim = ar.integer("v_head_dim", Need::kOptional, 1, kBig).value_or(m.head_dim);
      m.mla = s;
    }
    ar.finish();
  } else {
    m.attention = m.kv_heads == m.heads ? AttentionKind::kMha : (m.kv_heads == 1 ? AttentionKind::kMqa : AttentionKind::kGqa);
  }
  r.allow({"cnn"});
  r.finish();
  // The attention kind must agree with the head counts (MLA keeps its own per-head K and V).
  const bool kind_ok = m.attention == AttentionKind::kMla || (m.attention == AttentionKind::kMha && m.kv_heads == m.heads) ||
                       (m.attention == AttentionKind::kMqa && m.kv_heads == 1) ||
                       (m.attention == AttentionKind::kGqa && m.kv_heads > 1 && m.kv_heads < m.heads);
  if (!kind_ok) {
    static const char* names[] = {"mha (kv_heads = heads)", "gqa (1 < kv_heads < heads)", "mqa (kv_heads = 1)", "mla"};
    d.error(n.origin, "model: attention kind " + std::string(names[static_cast<int>(m.attention)]) + " does not match kv_heads " +
                          std::to_string(m.kv_heads) + " with " + std::to_string(m.heads) + " heads");
  }
  if (m.heads % m.kv_heads != 0) {
    d.error(n.origin, "model: heads (" + std::to_string(m.heads) + ") must be a multiple of kv_heads (" +
                          std::to_string(m.kv_heads) + ")");
  }
  return m;
}

}  // namespace mlsim::spec
