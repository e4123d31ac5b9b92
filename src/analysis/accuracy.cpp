// The accuracy harness: published entries and vTrain rows → scenarios → estimates → errors.
#include "analysis/accuracy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <sstream>

#include "analysis/trtllm_bench.hpp"
#include "core/text.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

std::string_view status_name(PointStatus s) {
  switch (s) {
    case PointStatus::kScored: return "scored";
    case PointStatus::kUnsupported: return "unsupported";
    case PointStatus::kInfeasible: return "infeasible";
    case PointStatus::kNotExpressible: return "not_expressible";
    case PointStatus::kError: return "error";
  }
  return "error";
}

namespace {

using spec::Node;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has(const std::string& lowered, std::string_view needle) { return lowered.find(needle) != std::string::npos; }

// A child by a dotted path ("hardware.gpu"); null when any step is missing.
const Node* at(const Node& n, std::string_view dotted) {
  const Node* cur = &n;
  for (const auto& key : split(dotted, '.')) {
    if (cur == nullptr || !cur->is_map()) return nullptr;
    cur = cur->find(key);
  }
  return cur;
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<double> number_of(const Node* n) {
  if (n == nullptr || !n->is_scalar() || n->quoted) return std::nullopt;
  return parse_number(n->scalar);
}

std::optional<long long> integer_of(const Node* n) {
  const auto v = number_of(n);
  if (!v || *v != std::floor(*v) || std::fabs(*v) > 9e15) return std::nullopt;
  return static_cast<long long>(*v);
}

// The text of a scalar, or of a list's scalars joined; "" otherwise.
std::string text_of(const Node* n) {
  if (n == nullptr) return "";
  if (n->is_scalar()) return n->scalar;
  if (n->is_seq()) {
    std::string out;
    for (const auto& e : n->seq) out += (out.empty() ? "" : ", ") + text_of(&e);
    return out;
  }
  if (n->is_map()) {
    std::string out;
    for (const auto& [k, v] : n->map) out += (out.empty() ? "" : "; ") + k + ": " + text_of(&v);
    return out;
  }
  return "";
}

std::string num_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return format_double(v, 10);
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// ---- the scenario text ----------------------------------------------------------------------------

// A GPT-style decoder as vTrain's README (and Megatron's GPT) defines it.
struct GptDims {
  long long layers = 0, hidden = 0, heads = 0, kv_heads = 0, seq_len = 0, vocab = 51200;
  // Megatron-LM's GPT defaults (--attention-dropout 0.1, --hidden-dropout 0.1, megatron/arguments.py).
  double dropout = 0.1;
};

std::string gpt_model_yaml(const GptDims& m, const std::string& name) {
  std::ostringstream y;
  y << "model:\n"
    << "  schema_version: 1\n"
    << "  kind: model\n"
    << "  name: " << quoted(name) << "\n"
    << "  architecture: decoder\n"
    << "  layers: " << m.layers << "\n"
    << "  hidden: " << m.hidden << "\n"
    << "  heads: " << m.heads << "\n"
    << "  kv_heads: " << (m.kv_heads > 0 ? m.kv_heads : m.heads) << "\n"
    << "  ffn: " << 4 * m.hidden << "\n"
    << "  activation: gelu\n"
    << "  norm: layernorm\n"
    << "  bias: true\n"
    << "  positions: learned\n"
    << "  max_seq_len: " << m.seq_len << "\n"
    << "  vocab: " << m.vocab << "\n"
    << "  dropout: " << num_text(m.dropout) << "\n"
    << "  tied_embeddings: true\n";
  return y.str();
}

struct TrainingCase {
  std::string name;
  std::string accelerator, node, fabric;   // node/fabric "" when absent
  long long gpus = 1;
  std::string model_yaml;                  // "model: id\n" or an inline block
  long long seq_len = 0, global_batch = 1, micro_batch = 1;
  std::string precision = "bf16";
  long long tp = 1, pp = 1, dp = 1, zero = 0;
  long long virtual_stages = 1;            // > 1: the interleaved 1F1B schedule
  std::optional<bool> sequence_parallel;
  std::optional<bool> overlap_dp_grad;
  std::string recompute = "none";
  std::optional<double> tokens;
  std::string software;                    // "" for the scenario default
  std::string grad_precision;              // "" for the scenario default
};

std::string training_yaml(const TrainingCase& c) {
  std::ostringstream y;
  y << "schema_version: 1\nkind: scenario\nname: " << quoted(c.name) << "\n";
  y << "system: {accelerator: " << c.accelerator << ", count: " << c.gpus;
  if (!c.node.empty()) y << ", node: " << c.node;
  if (!c.fabric.empty()) y << ", fabric: " << c.fabric;
  y << "}\n" << c.model_yaml;
  if (!c.software.empty()) y << "software: " << c.software << "\n";
  y << "training:\n"
    << "  seq_len: " << c.seq_len << "\n"
    << "  global_batch: " << c.global_batch << "\n"
    << "  micro_batch: " << c.micro_batch << "\n"
    << "  precision: " << c.precision << "\n"
    << (c.grad_precision.empty() ? std::string() : "  grad_precision: " + c.grad_precision + "\n")
    << "  parallelism: {tp: " << c.tp << ", pp: " << c.pp << ", dp: " << c.dp;
  if (c.zero > 0) y << ", zero: " << c.zero;
  if (c.sequence_parallel) y << ", sequence_parallel: " << (*c.sequence_parallel ? "true" : "false");
  if (c.virtual_stages > 1) {
    y << ", virtual_stages: " << c.virtual_stages << ", schedule: interleaved}\n";
  } else {
    y << ", schedule: 1f1b}\n";
  }
  if (c.overlap_dp_grad) y << "  overlap: {dp_grad: " << (*c.overlap_dp_grad ? "true" : "false") << "}\n";
  y << "  recompute: " << c.recompute << "\n";
  if (c.tokens) y << "  tokens: " << num_text(*c.tokens) << "\n";
  return y.str();
}

// ---- published entries: hardware, model and parallelism ---------------------------------------

struct AcceleratorGuess {
  std::string id, node;
  long long node_size = 8;
};

// The zoo accelerator (and its usual node) of an entry's `hardware.gpu` text.
std::optional<AcceleratorGuess> accelerator_of(const std::string& gpu, std::vector<std::string>& notes, std::string& why) {
  const std::string g = lower(gpu);
  if (has(g, "a100")) {
    if (has(g, "pcie")) {
      why = "accelerator \"" + gpu + "\": the zoo has no A100 PCIe";
      return std::nullopt;
    }
    if (has(g, "40g") || has(g, "40 g")) return AcceleratorGuess{"a100_sxm_40gb", "dgx_a100"};
    if (!has(g, "80")) notes.push_back("accelerator \"" + gpu + "\": memory size not given, the 80 GB A100 SXM assumed");
    return AcceleratorGuess{"a100_sxm_80gb", "dgx_a100"};
  }
  if (has(g, "h100")) {
    if (has(g, "pcie")) return AcceleratorGuess{"h100_pcie", "", 1};
    return AcceleratorGuess{"h100_sxm", "dgx_h100"};
  }
  if (has(g, "h200")) return AcceleratorGuess{"h200_sxm", "dgx_h200"};
  if (has(g, "h800")) return AcceleratorGuess{"h800_sxm", "hgx_h800"};
  if (has(g, "b200")) return AcceleratorGuess{"b200", "dgx_b200"};
  if (has(g, "mi300x")) return AcceleratorGuess{"mi300x", "mi300x_platform"};
  if (has(g, "l40s")) return AcceleratorGuess{"l40s", "", 1};   // a PCIe card: no NVLink node
  why = gpu.empty() ? "the accelerator is not given" : "accelerator \"" + gpu + "\" is not in the zoo";
  return std::nullopt;
}

// The zoo fabric an entry's inter-node text describes; "" when it does not say.
std::string fabric_of(const std::string& text) {
  const std::string t = lower(text);
  if (has(t, "hdr")) return "ib_hdr200_fat_tree";
  if (has(t, "ndr") || (has(t, "infiniband") && has(t, "400"))) return has(t, "rail") ? "ib_ndr400_rail_optimized" : "ib_ndr400_fat_tree";
  if (has(t, "omni-path") || has(t, "omnipath")) return "opa100_fat_tree";
  if (has(t, "roce")) return has(t, "400 g") || has(t, "400g") ? "roce_400g_clos" : "roce_200g_clos";
  return "";
}

// The words of a model name: "Llama-3.1-8B-Instruct" → llama, 3.1, 8b, instruct.
std::vector<std::string> words_of(const std::string& name) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : lower(name)) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.') {
      cur += c;
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Dao 2023 (FlashAttention-2), whose training table the flash-attention repository's configs detail.
bool flash_attention_2_paper(const Node& e) { return has(lower(text_of(at(e, "source.title"))), "flashattention-2"); }

// The per-GPU batch (datamodule.batch_size) the flash-attention repository's configs set on an
// 80 GB GPU (train.gpu_mem rounds nvidia-smi's 81,920 MiB to 82, not below 80), by model and
// length: training/configs/experiment/pile/gpt3xl-flash.yaml (1.3B at 2k: 8),
// gpt3-2.7B-flash-hdim128.yaml (2.7B at 2k: 4), gpt3xl-flash-8k.yaml and gpt3-2.7B-flash-8k.yaml
// (8k: 4). 0: no config for it (standard attention runs the -hf configs, not transcribed).
long long flash_attention_repo_batch(const spec::Scenario& s) {
  if (!s.training || !s.software.flash_attention) return 0;
  const long long h = s.model.hidden, seq = s.training->seq_len;
  if (seq == 2048) return h == 2048 ? 8 : (h == 2560 ? 4 : 0);
  if (seq == 8192) return h == 2048 || h == 2560 ? 4 : 0;
  return 0;
}

// A zoo model named by an entry's model name (the Llama family, Mistral, GPT-2), or "".
std::string zoo_model_for_name(const std::string& name, std::vector<std::string>& notes) {
  const auto w = words_of(name);
  std::string family, version, size;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::string& s = w[i];
    if (s.rfind("llama", 0) == 0) {
      family = "llama";
      if (s.size() > 5) {
        version = s.substr(5, 1);
      } else if (i + 1 < w.size() && std::isdigit(static_cast<unsigned char>(w[i + 1][0])) != 0 && w[i + 1].back() != 'b') {
        version = w[i + 1].substr(0, 1);
      }
    } else if (s == "mistral" || s == "mixtral" || s == "qwen2.5" || s == "mpt" || s == "falcon" || s == "gptj" || s == "gpt3") {
      family = s;
    } else if (s == "gpt" && i + 1 < w.size() && w[i + 1] == "j") {
      family = "gptj";   // GPT-J
      ++i;
    } else if (family == "mpt" && s.size() > 1 && s.back() == 'm' && parse_number(s.substr(0, s.size() - 1))) {
      size = s;   // MPT-125m
    } else if (s.size() > 1 && s.back() == 'b' && parse_number(s.substr(0, s.size() - 1))) {
      size = s.substr(0, s.size() - 1);
    } else if (s == "8x7b") {
      size = "8x7";
    }
  }
  if (family == "llama") {
    if (version == "3") {
      if (size == "8" || size == "70" || size == "405") return "llama3_" + size + "b";
    } else if (version == "2") {
      if (size == "7" || size == "13" || size == "70") return "llama2_" + size + "b";
    } else if (version.empty()) {
      // LLaMA 1 7B and 13B have Llama 2's shapes; there was no LLaMA 1 70B, so "LLaMA 70B" is Llama 2's.
      if (size == "7" || size == "13" || size == "70") {
        notes.push_back("model \"" + name + "\": Llama 2 " + size + "B (same shape) from the zoo");
        return "llama2_" + size + "b";
      }
    }
    return "";
  }
  if (family == "mistral" && size == "7") return "mistral_7b";
  if (family == "mixtral" && size == "8x7") return "mixtral_8x7b";
  if (family == "qwen2.5" && size == "7") return "qwen2_5_7b";
  if (family == "falcon" && size == "180") return "falcon_180b";
  if (family == "gptj" && size == "6") return "gptj_6b";
  // GPT-3's small sizes as the flash-attention repository trains them (its training configs).
  if (family == "gpt3" && size == "1.3") return "gpt3_1_3b";
  if (family == "gpt3" && size == "2.7") {
    notes.push_back("model \"" + name + "\": zoo gpt3_2_7b, 20 heads of 128 as the flash-attention repository trains it "
                    "(GPT-3's own has 32 of 80; the FLOPs and weights are the same)");
    return "gpt3_2_7b";
  }
  // MosaicML's MPT family as llm-foundry's pretraining configs define it (models/mpt_*.yaml).
  if (family == "mpt" && (size == "125m" || size == "3" || size == "7" || size == "13" || size == "30" || size == "70")) {
    return "mpt_" + size + (size.back() == 'm' ? "" : "b");
  }
  return "";
}

// Zoo models whose layers, hidden, heads (and vocab, kv_heads where given) equal the entry's.
std::string zoo_model_for_dims(const spec::Zoo& zoo, const GptDims& d, bool vocab_given) {
  if (!vocab_given) return "";   // a shape without its vocabulary matches too much (Llama 1 65B has Llama 2 70B's)
  for (const spec::ZooFile* f : zoo.list("model")) {
    Diagnostics local;
    const Node n = spec::load_yaml(f->text, f->path, local);
    if (local.has_errors() || !n.is_map()) continue;
    const auto eq = [&](const char* key, long long v) { return integer_of(n.find(key)).value_or(-1) == v; };
    if (!eq("layers", d.layers) || !eq("hidden", d.hidden) || !eq("heads", d.heads) || !eq("vocab", d.vocab)) continue;
    const long long kv = integer_of(n.find("kv_heads")).value_or(d.heads);
    if (kv != (d.kv_heads > 0 ? d.kv_heads : d.heads)) continue;
    if (n.find("moe") != nullptr) continue;
    return f->id;
  }
  return "";
}

std::string precision_of(const std::string& text, std::vector<std::string>& notes) {
  const std::string t = lower(text);
  if (has(t, "fp8")) return "fp8";
  if (has(t, "bf16") && has(t, "fp16")) {
    notes.push_back("precision \"" + text + "\": bf16 taken");
    return "bf16";
  }
  if (has(t, "bf16")) return "bf16";
  if (has(t, "fp16") || has(t, "float16")) return "fp16";
  notes.push_back(text.empty() ? "precision not stated: bf16 assumed" : "precision \"" + text + "\": bf16 assumed");
  return "bf16";
}

bool is_training_metric(const std::string& m) {
  static const std::vector<std::string> k = {"achieved_tflops_per_gpu_end_to_end", "achieved_tflops_per_gpu",
                                             "model_flops_utilization", "achieved_model_tflops_per_gpu",
                                             "training_throughput_tokens_per_s_per_gpu", "time_to_train"};
  return std::find(k.begin(), k.end(), m) != k.end();
}

// Why a metric that is neither a training nor a serving headline number cannot be scored.
std::string metric_reason(const std::string& category, const std::string& metric) {
  if (category.rfind("C_", 0) == 0) {
    return "a microbenchmark (" + metric + "), not a scenario metric: the zoo's efficiency figures (GEMM and HBM "
           "efficiency, collective bandwidth curves) are taken from measurements like this one, so it is an input of the "
           "model, not a test of it";
  }
  if (category.rfind("D_", 0) == 0) {
    return metric + " is an operations figure (energy, emissions, GPU-hours, cost, failures, checkpoints) that the operations "
           "issue's point builders do not express: it sums several runs or stages, or the run's configuration is not published";
  }
  if (metric == "per_layer_fwd_plus_bwd_time") return "a per-layer forward+backward time: the estimate reports whole steps, not one layer";
  if (metric == "model_flops_utilization_range") {
    return "a range of MFU over many models whose configurations are published only as an image";
  }
  if (metric == "total_training_gpu_hours") {
    return "GPU-hours of a whole multi-stage run (pre-training, context extension, post-training): needs the operations "
           "issue, and the run (MoE, DualPipe, FP8) is not given layer by layer";
  }
  if (metric == "attention_forward_tflops") return "a kernel microbenchmark (attention forward TFLOP/s), not a scenario metric";
  if (metric == "fixed_batch_throughput") {
    return "tokens/s at a fixed batch with neither the engine, the precision nor the split of the GPUs (only a world "
           "size) given, nor which tokens are counted";
  }
  return "metric " + metric + " has no counterpart in the JSON contract";
}

PublishedMapping not_expressible(std::string reason) {
  PublishedMapping m;
  m.reason = std::move(reason);
  return m;
}

// Narayanan et al. 2021's Table 1 as its authors' reproduction script runs each row
// (NVIDIA/Megatron-LM examples/sc21/run_table_1.sh, commit 79a3bb6): the micro-batch, the layers per
// virtual pipeline stage (--num-layers-per-virtual-pipeline-stage; 0 = plain 1F1B) and the
// data-parallel wrapper (DDP=torch: PyTorch DDP, whose bucketed all-reduce overlaps the backward;
// DDP=local: Megatron's own, which all-reduces after it).
struct Sc21Row {
  double params_b;
  long long micro_batch, layers_per_virtual_stage;
  bool torch_ddp;
};
constexpr Sc21Row kSc21Table1[] = {
    {1.7, 16, 0, true},   {3.6, 16, 0, true},  {7.5, 16, 0, true},   {18.4, 8, 0, true},  {39.1, 4, 0, false},
    {76.1, 2, 5, false},  {145.6, 2, 5, false}, {310.1, 1, 3, false}, {529.6, 1, 1, false}, {1008.0, 1, 0, false},
};

const Sc21Row* sc21_row(const Node& e) {
  if (!has(lower(text_of(at(e, "source.where"))), "table 1")) return nullptr;
  const auto params = number_of(at(e, "model.params_b"));
  if (!params) return nullptr;
  for (const Sc21Row& r : kSc21Table1) {
    if (std::abs(r.params_b - *params) < 0.05) return &r;
  }
  return nullptr;
}

// The runs an entry lists beside its own (its numeric `also` keys): each a variant that starts
// with the entry's quantity and comparison, which `run` fills in and keeps (true) or drops.
template <class Run>
std::vector<PublishedMapping::Variant> also_runs(const Node& e, const PublishedMapping& m, Run run) {
  std::vector<PublishedMapping::Variant> out;
  const Node* also = at(e, "also");
  if (also == nullptr || !also->is_map()) return out;
  for (const auto& [key, value] : also->map) {
    if (!number_of(&value)) continue;
    PublishedMapping::Variant v;
    v.also_key = key;
    v.quantity = m.quantity;
    v.compared = m.compared;
    if (run(key, v)) out.push_back(std::move(v));
  }
  return out;
}

// A training entry's other measurements (its `also` keys) that are runs of their own:
//   same_model_<n>_gpus_tflops   the same model, batch and model-parallel layout on <n> GPUs (more or
//                                fewer data-parallel replicas; Narayanan et al. 2021's Table 2 gives one
//                                batch per model for all its GPU counts);
//   same_run_<k>x<gpu>_minutes   the same run on <k> GPUs of another kind, in one node.
std::vector<PublishedMapping::Variant> training_variants(const Node& e, const TrainingCase& c, const PublishedMapping& m) {
  return also_runs(e, m, [&](const std::string& key, PublishedMapping::Variant& v) {
    if (key.starts_with("same_model_") && key.ends_with("_gpus_tflops") && m.quantity == PublishedMapping::Quantity::kHfuTimesPeak) {
      const long long n = std::atoll(key.substr(11).c_str());
      const long long mp = c.tp * c.pp;
      if (n < 1 || n % mp != 0 || c.global_batch % (n / mp) != 0) return false;
      v.overrides.push_back({"system.count", std::to_string(n)});
      v.overrides.push_back({"training.parallelism.dp", std::to_string(n / mp)});
      v.note = std::to_string(n) + " GPUs: data parallelism " + std::to_string(n / mp) + ", the same global batch " +
               std::to_string(c.global_batch) + " and model-parallel layout (the entry's also." + key + ")";
      return true;
    }
    if (flash_attention_2_paper(e)) {
      // Dao 2023's training table: the same trainer with other attention kernels, models or lengths.
      if (key == "without_flashattention") {
        v.overrides.push_back({"software.flash_attention", "false"});
        v.note = "the same run with standard attention (the score matrix materialized; the entry's also." + key + ")";
        return true;
      }
      if (key == "flashattention_v1") {
        v.overrides.push_back({"software.attention_kernel", "flash_attention_1"});
        v.note = "the same run with FlashAttention (v1)'s kernels (the entry's also." + key + ")";
        return true;
      }
      // gpt3_<size>_<seq>k_fa2: another model or sequence length of the same trainer.
      if (key.starts_with("gpt3_") && key.ends_with("k_fa2")) {
        const auto parts = split(key, '_');   // gpt3, <size>, <seq>k, fa2
        std::vector<std::string> ignored;
        const std::string model = parts.size() == 4 ? zoo_model_for_name("gpt3-" + parts[1], ignored) : "";
        const long long seq = parts.size() == 4 ? std::atoll(parts[2].c_str()) * 1024 : 0;
        if (model.empty() || seq < 1024 || (1LL << 20) % seq != 0) {
          v.not_expressible = "also." + key + ": expected gpt3_<1.3B|2.7B>_<k tokens, a power of two>k_fa2";
          return true;
        }
        v.overrides.push_back({"model", model});
        v.overrides.push_back({"training.seq_len", std::to_string(seq)});
        v.overrides.push_back({"training.global_batch", std::to_string((1LL << 20) / seq)});
        if (seq > 2048) v.overrides.push_back({"model.max_seq_len", std::to_string(seq)});
        v.note = "zoo " + model + " at " + std::to_string(seq) + " tokens, 1M-token batches (the entry's also." + key + ")";
        return true;
      }
      return false;   // mfu_pct: the entry's own run in another unit
    }
    if (key.starts_with("same_run_") && key.ends_with("_minutes") && m.quantity == PublishedMapping::Quantity::kTimeToTrainMinutes) {
      const std::string what = key.substr(9, key.size() - 9 - 8);   // "<k>x<gpu>"
      const auto x = what.find('x');
      if (x == std::string::npos || std::atoll(what.substr(0, x).c_str()) != c.gpus) return false;
      std::vector<std::string> ignored;
      std::string why;
      const auto acc = accelerator_of(what.substr(x + 1), ignored, why);
      if (!acc || acc->node.empty()) return false;
      v.overrides.push_back({"system.accelerator", acc->id});
      v.overrides.push_back({"system.node", acc->node});
      v.note = "the same run on " + what.substr(0, x) + " " + acc->id + " in one " + acc->node + " (the entry's also." + key +
               "; the SXM part assumed)";
      return true;
    }
    return false;
  });
}

PublishedMapping map_training(const Node& e, const std::string& id, const std::string& metric, const spec::Zoo& zoo) {
  PublishedMapping m;
  auto& notes = m.notes;
  const std::string model_name = text_of(at(e, "model.name"));
  const std::string lname = lower(model_name);
  if (metric == "time_to_train") {
    if (has(lname, "mlperf")) {
      return not_expressible("an MLPerf time to train: a convergence benchmark (from a checkpoint to a target quality) "
                             "whose model and parallel configuration the entry does not give");
    }
    const std::string unit = lower(text_of(at(e, "unit")));
    if (unit.rfind("minutes", 0) != 0) return not_expressible("time to train in \"" + text_of(at(e, "unit")) + "\"");
  }
  if (has(lname, "lora")) return not_expressible("LoRA fine-tuning whose rank, targets and layout the entry does not give");
  if (at(e, "model.type") != nullptr && lower(text_of(at(e, "model.type"))) == "moe") {
    return not_expressible("an MoE model the entry does not describe layer by layer");
  }

  // Hardware.
  std::string why;
  std::string gpu = text_of(at(e, "hardware.gpu"));
  if (gpu.empty()) gpu = text_of(at(e, "hardware.accelerator"));
  const auto acc = accelerator_of(gpu, notes, why);
  if (!acc) return not_expressible(why);
  auto gpus = integer_of(at(e, "gpu_count"));
  if (!gpus) gpus = integer_of(at(e, "hardware.count"));
  if (!gpus || *gpus < 1) return not_expressible("the GPU count is not given");
  TrainingCase c;
  c.name = "published " + id;
  // Megatron-LM before FlashAttention (2022) materialized attention with a fused softmax.
  // Narayanan et al. 2021's Table 2 names no software per row: its PTD-P rows ran the same
  // Megatron-LM as Table 1, its ZeRO-3 rows DeepSpeed on PyTorch eager of 2021 (no FlashAttention).
  const bool narayanan_2021 = has(lower(text_of(at(e, "source.title"))), "narayanan et al. 2021");
  const bool zero3_2021 = narayanan_2021 && has(lower(text_of(at(e, "parallel.sharding"))), "zero-3");
  if (zero3_2021) {
    c.software = "deepspeed";
    m.overrides.push_back({"software.flash_attention", "false"});
    notes.push_back("software: deepspeed without FlashAttention (the source's ZeRO-3 runs; FlashAttention postdates 2021)");
    // DeepSpeed's ZeRO-3 of 2021 (v0.3.x partition_parameters.py) gathered into and reduce-scattered
    // from a list of one tensor per rank; PyTorch's ProcessGroupNCCL serves the list form through a
    // flat buffer and one copy per rank (later DeepSpeed calls the flat _all_gather_base).
    m.overrides.push_back({"software.zero_list_collectives", "true"});
    notes.push_back("software: DeepSpeed 2021's list-form all_gather/reduce_scatter, one copy kernel per rank per collective");
  } else if (has(lower(text_of(at(e, "software"))), "megatron-lm (2021)") || narayanan_2021) {
    c.software = "megatron_2021";
  // fp16 training keeps fp16 gradients unless --accumulate-allreduce-grads-in-fp32 is given
  // (off by default in Megatron-LM's arguments.py; bf16 turns it on).
  c.grad_precision = "fp16";
    notes.push_back("software: megatron_2021 (fused-softmax attention, no FlashAttention in 2021)");
  } else if (flash_attention_2_paper(e)) {
    // Dao 2023's training table ran the flash-attention repository's GPT trainer (training/README.md):
    // PyTorch Lightning DDP, its FlashAttention-2 kernels, PyTorch eager around them.
    c.software = "pytorch_eager";
    notes.push_back("software: pytorch_eager (the flash-attention repository's PyTorch Lightning trainer with its FlashAttention-2 kernels)");
    // Its configs/experiment/pile/base.yaml: loss_fn src.losses.cross_entropy_apex.CrossEntropyLossApex
    // with inplace_backward, apex's fused softmax cross-entropy.
    m.overrides.push_back({"software.cross_entropy", "fused"});
    notes.push_back("loss: apex's fused cross-entropy with an in-place backward (CrossEntropyLossApex in the repository's configs/experiment/pile/base.yaml)");
  } else if (has(lower(text_of(at(e, "parallel.sharding"))), "fsdp")) {
    // PyTorch FSDP's overlap (gradient reduce-scatter and next-unit all-gather prefetch) and its
    // eager host cost, not Megatron-LM's.
    c.software = "pytorch_fsdp";
    notes.push_back("software: pytorch_fsdp (the entry's sharding is PyTorch FSDP)");
    if (has(lower(text_of(at(e, "software"))), "llm-foundry")) {
      // llm-foundry's benchmark runs (scripts/train/benchmarking/submit_benchmarks.py, --attn_impl
      // default 'triton', which sweep.sh does not override) use its Triton FlashAttention kernel.
      m.overrides.push_back({"software.attention_kernel", "triton_flash_attention"});
      notes.push_back("attention: llm-foundry's Triton FlashAttention (submit_benchmarks.py's default attn_impl: triton)");
    }
    if (has(lower(text_of(at(e, "software"))), "composer")) {
      // Composer enters no_sync only for DistributedDataParallel models (ddp_sync_context in
      // composer/trainer/dist_strategy.py), so its FSDP models reduce-scatter every micro-batch.
      m.overrides.push_back({"software.zero_grad_reduce", "per_micro_batch"});
      notes.push_back("Composer reduce-scatters the gradients in every micro-batch (its ddp_sync_context skips no_sync for FSDP models)");
    }
  }
  if (has(lower(text_of(at(e, "software"))), "llm.c")) {
    // llm.c's GPT-2 runs are built with USE_CUDNN=1 (discussion #481): cuDNN's fused attention, not
    // FlashAttention-2, whose per-pass speeds on these GPUs are not published.
    if (c.software.empty()) c.software = "pytorch_eager";   // the default training stack, named so the key below applies
    m.overrides.push_back({"software.attention_speeds", "uniform"});
    notes.push_back("software: llm.c's cuDNN fused attention, every pass at the accelerator's attention rate (no per-pass speeds published)");
    // llm.c's fused_classifier kernel (train_gpt2.cu) computes the softmax, the loss and the logits'
    // gradient in one pass and writes the gradient over the logits.
    m.overrides.push_back({"software.cross_entropy", "fused"});
    notes.push_back("loss: llm.c's fused classifier (softmax, loss and the logits' gradient in one kernel, written over the logits)");
  }
  c.accelerator = acc->id;
  c.gpus = *gpus;
  c.node = acc->node;
  if (!c.node.empty()) {
    const std::string sys = lower(text_of(at(e, "hardware.system")));
    if (!has(sys, "dgx") && !has(sys, "hgx")) notes.push_back("node: " + c.node + " assumed (8 GPUs, NVSwitch)");
  }
  if (c.gpus > acc->node_size) {
    c.fabric = fabric_of(text_of(at(e, "hardware.inter_node")) + " " + text_of(at(e, "hardware.section")) + " " +
                         text_of(at(e, "hardware.system")));
    if (c.fabric.empty()) return not_expressible("the inter-node network of the " + std::to_string(c.gpus) + " GPUs is not given");
  }

  // Model.
  GptDims d;
  const auto layers = integer_of(at(e, "model.layers"));
  const auto hidden = integer_of(at(e, "model.hidden"));
  const auto heads = integer_of(at(e, "model.heads"));
  const auto seq = integer_of(at(e, "model.seq_len"));
  const auto vocab = integer_of(at(e, "model.vocab"));
  d.seq_len = seq.value_or(2048);
  std::string model_id = zoo_model_for_name(model_name, notes);
  if (model_id.empty() && layers && hidden && heads) {
    d.layers = *layers;
    d.hidden = *hidden;
    d.heads = *heads;
    d.kv_heads = integer_of(at(e, "model.kv_heads")).value_or(*heads);
    if (vocab) d.vocab = *vocab;
    model_id = zoo_model_for_dims(zoo, d, vocab.has_value());
    if (model_id.empty()) {
      const std::vector<std::string> non_gpt = {"llama", "mistral", "mixtral", "qwen", "mpt", "deepseek"};
      for (const auto& f : non_gpt) {
        if (has(lname, f)) return not_expressible("model \"" + model_name + "\": no zoo model matches, and it is not GPT-style");
      }
      if (!vocab) notes.push_back("vocabulary not given: 51,200 assumed (Megatron's padded GPT-2 vocabulary)");
      notes.push_back("model: GPT-style decoder built from layers/hidden/heads (ffn 4h, GeLU, LayerNorm, biases, "
                      "learned positions, tied embeddings)");
      c.model_yaml = gpt_model_yaml(d, model_name.empty() ? id : model_name);
    }
  }
  if (!model_id.empty()) {
    c.model_yaml = "model: " + model_id + "\n";
    if (notes.empty() || notes.back().find(model_id) == std::string::npos) notes.push_back("model: zoo " + model_id);
  }
  if (c.model_yaml.empty()) {
    return not_expressible("model \"" + model_name + "\": layers, hidden and heads are not given and no zoo model matches");
  }
  if (!seq) return not_expressible("the sequence length is not given");
  c.seq_len = d.seq_len;
  // llm-foundry sizes MPT's learned position table to the run's max_seq_len (its pretraining
  // yamls set model.max_seq_len: ${max_seq_len}), so a longer run has a longer table.
  if (model_id.rfind("mpt_", 0) == 0 && c.seq_len > 2048) {
    m.overrides.push_back({"model.max_seq_len", std::to_string(c.seq_len)});
    notes.push_back("model.max_seq_len = " + std::to_string(c.seq_len) + " (llm-foundry ties the position table to the run's sequence length)");
  }
  // So does the flash-attention repository (n_positions = datamodule.max_length, configs/model/gpt2.yaml).
  if (model_id.rfind("gpt3_", 0) == 0 && c.seq_len > 2048) {
    m.overrides.push_back({"model.max_seq_len", std::to_string(c.seq_len)});
    notes.push_back("model.max_seq_len = " + std::to_string(c.seq_len) + " (n_positions is the run's max_length)");
  }
  const bool fa2_paper = flash_attention_2_paper(e);
  if (fa2_paper && at(e, "parallel.zero_stage") == nullptr && at(e, "parallel.sharding") == nullptr) {
    // training/configs/experiment/pile/gpt3xl-flash.yaml (which the 2.7B configs extend):
    // strategy src.utils.ddp_zero1.DDPStrategyZero1, DDP with the optimizer states sharded.
    c.zero = 1;
    notes.push_back("ZeRO-1: DDP with sharded optimizer states (DDPStrategyZero1 in the repository's gpt3xl-flash.yaml)");
  }

  // Parallelism.
  const Node* par = at(e, "parallel");
  const auto degree = [&](const char* key, long long& out) -> std::string {
    const Node* n = par != nullptr ? par->find(key) : nullptr;
    if (n == nullptr) return "";
    const auto v = integer_of(n);
    if (!v || *v < 1) return std::string("parallel.") + key + " is \"" + text_of(n) + "\", not a degree";
    out = *v;
    return "";
  };
  long long dp = 0;
  for (const auto& [key, slot] : std::vector<std::pair<const char*, long long*>>{{"tp", &c.tp}, {"pp", &c.pp}, {"dp", &dp}}) {
    if (auto w = degree(key, *slot); !w.empty()) return not_expressible(w);
  }
  long long cp = 1, ep = 1;
  if (auto w = degree("cp", cp); !w.empty()) return not_expressible(w);
  if (auto w = degree("ep", ep); !w.empty()) return not_expressible(w);
  if (cp > 1 || ep > 1) return not_expressible("context or expert parallelism the entry does not detail");
  if (dp == 0) {
    if (c.gpus % (c.tp * c.pp) != 0) return not_expressible("the GPU count is not a multiple of tp × pp");
    dp = c.gpus / (c.tp * c.pp);
    if (dp > 1) notes.push_back("dp = GPUs / (tp × pp) = " + std::to_string(dp));
  }
  c.dp = dp;
  if (c.tp * c.pp * c.dp != c.gpus) {
    return not_expressible("tp × pp × dp = " + std::to_string(c.tp * c.pp * c.dp) + " but the run used " + std::to_string(c.gpus) +
                           " GPUs");
  }
  const std::string all_parallel = lower(text_of(par));
  if (const auto z = integer_of(at(e, "parallel.zero_stage"))) {
    c.zero = *z;
  } else {
    const std::string sh = lower(text_of(at(e, "parallel.sharding")));
    if (has(sh, "zero-3") || has(sh, "zero3") || has(sh, "full_shard") || has(sh, "fully sharded")) c.zero = 3;
    else if (has(sh, "zero-2")) c.zero = 2;
    else if (has(sh, "zero-1")) c.zero = 1;
  }
  if (has(all_parallel, "sequence parallel")) {
    c.sequence_parallel = true;
  } else if (c.tp > 1) {
    c.sequence_parallel = false;
  }
  const Sc21Row* sc21 = narayanan_2021 ? sc21_row(e) : nullptr;
  if (sc21 != nullptr && sc21->layers_per_virtual_stage > 0 && c.pp > 1 && layers) {
    c.virtual_stages = *layers / c.pp / sc21->layers_per_virtual_stage;
    notes.push_back("schedule: interleaved 1F1B, " + std::to_string(sc21->layers_per_virtual_stage) + " layers per virtual stage (" +
                    std::to_string(c.virtual_stages) + " per GPU), as the authors' examples/sc21/run_table_1.sh runs it");
  } else if (has(lower(text_of(at(e, "parallel.schedule"))), "interleaved") && c.pp > 1) {
    notes.push_back("schedule: the source's interleaved 1F1B is modelled as plain 1F1B (its virtual stages are not given)");
  }
  if (sc21 != nullptr) {
    c.overlap_dp_grad = sc21->torch_ddp;
    // Under PyTorch DDP the weight gradients accumulate in autograd's .grad, not in Megatron's
    // main_grad buffer.
    if (sc21->torch_ddp) m.overrides.push_back({"software.grad_accumulation", "autograd"});
    notes.push_back(sc21->torch_ddp ? "data parallelism: PyTorch DDP (DDP=torch in run_table_1.sh), gradient all-reduce overlapped with the backward"
                                    : "data parallelism: Megatron's local DDP (DDP=local in run_table_1.sh), all-reduce after the backward");
  }

  // Batch, precision, recompute.
  if (const auto gb = integer_of(at(e, "parallel.global_batch_seqs"))) {
    c.global_batch = *gb;
  } else if (const auto gt = integer_of(at(e, "parallel.global_batch_tokens")); gt && *gt % d.seq_len == 0) {
    c.global_batch = *gt / d.seq_len;
  } else if (const auto ts = integer_of(at(e, "also.tokens_per_step")); ts && *ts % d.seq_len == 0) {
    c.global_batch = *ts / d.seq_len;
    notes.push_back("global batch = tokens per step / sequence length = " + std::to_string(c.global_batch));
  } else if (fa2_paper && (1LL << 20) % d.seq_len == 0) {
    c.global_batch = (1LL << 20) / d.seq_len;
    notes.push_back("global batch " + std::to_string(c.global_batch) + " sequences = 1M tokens (flash-attention training/README.md: "
                    "1M-token batches for GPT3-1.3B and 2.7B; global_batch_size 512 at 2k, 128 at 8k in its configs)");
  } else {
    return not_expressible("the global batch is not given");
  }
  if (const auto mb = integer_of(at(e, "parallel.micro_batch"))) {
    c.micro_batch = *mb;
  } else if (sc21 != nullptr) {
    c.micro_batch = sc21->micro_batch;
    notes.push_back("micro batch " + std::to_string(c.micro_batch) + ", as the authors' examples/sc21/run_table_1.sh runs this row");
  } else if (c.pp == 1) {
    c.micro_batch = 1;
    m.largest_micro_batch = true;
    m.flash_attention_repo_batch = fa2_paper;
    notes.push_back(fa2_paper ? "micro batch not given: the repository config's per-GPU batch for an 80 GB GPU (its FlashAttention runs), "
                                "or the largest below it that fits and divides the per-GPU batch"
                              : "micro batch not given: the largest that fits and divides the per-GPU batch (no pipeline to trade it against)");
  } else {
    c.micro_batch = 1;
    notes.push_back("micro batch not given: 1 assumed");
  }
  c.precision = precision_of(text_of(at(e, "parallel.precision")), notes);
  if (c.software == "megatron_2021" && c.precision == "fp16") {
    // fp16 gradients: Megatron-LM's --accumulate-allreduce-grads-in-fp32 is off by default.
    c.grad_precision = "fp16";
    notes.push_back("gradients in fp16 (Megatron-LM default for fp16)");
  }
  const std::string rc = lower(text_of(at(e, "parallel.recompute")));
  const Node* ac = at(e, "parallel.activation_checkpointing");
  if (!rc.empty()) {
    if (has(rc, "selective")) c.recompute = "selective";
    else if (has(rc, "full")) c.recompute = "full";
    else if (has(rc, "none") || rc == "false" || rc == "no") c.recompute = "none";
    else return not_expressible("recompute policy \"" + text_of(at(e, "parallel.recompute")) + "\"");
  } else if (ac != nullptr && ac->is_scalar()) {
    c.recompute = lower(ac->scalar) == "true" ? "full" : "none";
  } else if (fa2_paper) {
    c.recompute = "none";
    notes.push_back("recompute: none (flash-attention training/README.md: \"we don't need any activation checkpointing\")");
  } else if (narayanan_2021) {
    // The paper's FLOP count (Narayanan et al. 2021, section 5.1: 96·B·s·l·h²(1 + s/6h + V/16lh))
    // counts the recomputed forward pass, i.e. full activation recomputation, in every row.
    c.recompute = "full";
    notes.push_back("recompute not stated: full, as the source's FLOP count (96·B·s·l·h²...) assumes");
  } else {
    c.recompute = "none";
    notes.push_back("recompute not stated: none assumed");
  }

  // The metric.
  m.gpus = c.gpus;
  const auto peak_key = c.precision == "fp8" ? "hardware.peak_tflops_fp8" : "hardware.peak_tflops_bf16_fp16";
  m.peak_tflops = number_of(at(e, peak_key)).value_or(number_of(at(e, "hardware.peak_tflops_bf16")).value_or(0.0));
  const std::string peak_text = m.peak_tflops > 0 ? num_text(m.peak_tflops) + " TFLOP/s" : "the accelerator's dense peak";
  m.unit = text_of(at(e, "unit"));
  if (metric == "achieved_tflops_per_gpu_end_to_end" || metric == "achieved_tflops_per_gpu") {
    m.quantity = PublishedMapping::Quantity::kHfuTimesPeak;
    m.compared = "training.hfu × " + peak_text;
  } else if (metric == "achieved_model_tflops_per_gpu" && fa2_paper) {
    // The paper's own FLOP count (its LM-head term, 4.5·V·h per token, is below mlsim's 6·V·h).
    m.quantity = PublishedMapping::Quantity::kMegatronModelTflops;
    m.compared = "72·B·s·l·h²(1 + s/6h + V/16lh) / (training.step_time_s × GPUs), the source's model FLOPs";
  } else if (metric == "achieved_model_tflops_per_gpu") {
    m.quantity = PublishedMapping::Quantity::kMfuTimesPeak;
    m.compared = "training.mfu × " + peak_text;
  } else if (metric == "model_flops_utilization") {
    m.quantity = PublishedMapping::Quantity::kMfuPercent;
    m.compared = "training.mfu × 100";
  } else if (metric == "training_throughput_tokens_per_s_per_gpu") {
    m.quantity = PublishedMapping::Quantity::kTokensPerSPerGpu;
    m.compared = "training.tokens_per_s / GPUs";
  } else {   // time_to_train, in minutes
    const auto steps = number_of(at(e, "also.steps"));
    const auto tps = number_of(at(e, "also.tokens_per_step"));
    if (!steps || !tps) return not_expressible("a time to train without the number of steps and tokens per step");
    c.tokens = *steps * *tps;
    notes.push_back("tokens = steps × tokens per step = " + num_text(*c.tokens));
    m.quantity = PublishedMapping::Quantity::kTimeToTrainMinutes;
    m.compared = "training.time_to_train_s / 60";
  }
  m.scenario_yaml = training_yaml(c);
  m.variants = training_variants(e, c, m);
  m.expressible = true;
  return m;
}

// The requests TensorRT-LLM's performance overview ran at each length (docs/source/performance/
// perf-overview.md, "Preparing a Dataset": the $num_requests table); nullopt for other sources.
std::optional<long long> perf_overview_requests(const Node& entry, long long isl, long long osl) {
  if (text_of(at(entry, "source.path")).find("perf-overview.md") == std::string::npos) return std::nullopt;
  static const std::map<std::pair<long long, long long>, long long> kRequests = {
      {{128, 128}, 30000}, {{128, 2048}, 3000}, {{128, 4096}, 1500}, {{1000, 2000}, 1500}, {{2048, 128}, 3000},
      {{2048, 2048}, 1500}, {{5000, 500}, 1500}, {{1000, 1000}, 3000}, {{500, 2000}, 3000}, {{20000, 2000}, 1000}};
  const auto it = kRequests.find({isl, osl});
  if (it == kRequests.end()) return std::nullopt;
  return it->second;
}

// An inference entry's other measurements (its `also` keys) that are runs of their own, beside
// the lengths that length_variants covers:
//   ttft_ms_input_<n>          the same batch-1 first token at an <n>-token prompt;
//   <gpu>_tp<t>_<in>_<out>     the same engine and tensor parallelism on another GPU, at those lengths
//                              (TensorRT-LLM's overview tables list each model on H100 and H200);
//   <model>_tp<t>_ttft_ms_<n>  another model's first token on t GPUs (listed, not scored, when the
//                              zoo lacks the model).
std::vector<PublishedMapping::Variant> inference_variants(const Node& e, const PublishedMapping& m, bool ttft) {
  return also_runs(e, m, [&](const std::string& key, PublishedMapping::Variant& v) {
    if (ttft && key.starts_with("ttft_ms_input_")) {
      const std::string n = key.substr(14);
      if (std::atoll(n.c_str()) < 1) return false;
      v.overrides.push_back({"inference.prompt_tokens", n});
      v.note = "a " + n + "-token prompt (the entry's also." + key + ")";
      v.unit = "ms (input " + n + " tokens)";
      return true;
    }
    if (ttft && key.find("_tp") != std::string::npos && key.find("_ttft_ms_") != std::string::npos) {
      // <model><size>b_tp<t>_ttft_ms_<n>: "falcon180b" is Falcon 180B.
      const std::string model = key.substr(0, key.find("_tp"));
      const long long t = std::atoll(key.substr(key.find("_tp") + 3).c_str());
      const std::string n = key.substr(key.find("_ttft_ms_") + 9);
      std::string name = model;
      if (const auto digit = name.find_first_of("0123456789"); digit != std::string::npos) name.insert(digit, " ");
      std::vector<std::string> ignored;
      const std::string zoo_id = zoo_model_for_name(name, ignored);
      if (t < 1 || std::atoll(n.c_str()) < 1) {
        v.not_expressible = "also." + key + ": expected <model>_tp<GPUs>_ttft_ms_<prompt tokens> with both counts positive";
      } else if (zoo_id.empty()) {
        v.not_expressible = "another model's first-token latency (also." + key + "): no zoo model matches \"" + name + "\"";
      } else {
        v.overrides.push_back({"model", zoo_id});
        v.overrides.push_back({"system.count", std::to_string(t)});
        v.overrides.push_back({"inference.parallelism.tp", std::to_string(t)});
        v.overrides.push_back({"inference.prompt_tokens", n});
        v.note = "model: zoo " + zoo_id + " on " + std::to_string(t) + " GPUs, tensor parallel " + std::to_string(t) + ", a " + n +
                 "-token prompt (the entry's also." + key + ")";
        v.unit = "ms (input " + n + " tokens)";
      }
      return true;
    }
    if (!ttft && (key.starts_with("h100_tp") || key.starts_with("h200_tp"))) {
      // <gpu>_tp<t>_<in>_<out>
      const std::string gpu = key.substr(0, 4);
      const auto parts = split(key.substr(7), '_');
      if (parts.size() != 3) return false;
      const long long tp = std::atoll(parts[0].c_str()), in = std::atoll(parts[1].c_str()), outl = std::atoll(parts[2].c_str());
      if (tp < 1 || in < 1 || outl < 1 || tp != integer_of(at(e, "parallel.tp")).value_or(1)) return false;
      std::vector<std::string> ignored;
      std::string why;
      const auto acc = accelerator_of(gpu, ignored, why);
      if (!acc) return false;
      v.overrides.push_back({"system.accelerator", acc->id});
      if (!acc->node.empty()) v.overrides.push_back({"system.node", acc->node});
      v.overrides.push_back({"inference.prompt_tokens", parts[1]});
      v.overrides.push_back({"inference.output_tokens", parts[2]});
      std::string requests = "the entry's own request count";
      if (const auto n = perf_overview_requests(e, in, outl)) {
        v.overrides.push_back({"inference.traffic.requests", std::to_string(*n)});
        requests = std::to_string(*n) + " requests (the source's $num_requests table)";
      }
      v.note = "the same engine on " + acc->id + " (" + acc->node + "), lengths " + parts[1] + " / " + parts[2] + ", " + requests +
               " (the entry's also." + key + ")";
      return true;
    }
    return false;
  });
}

PublishedMapping map_inference(const Node& e, const std::string& id, const std::string& metric) {
  PublishedMapping m;
  auto& notes = m.notes;
  const bool ttft = metric == "time_to_first_token_batch1";
  std::string why;
  const auto acc = accelerator_of(text_of(at(e, "hardware.gpu")), notes, why);
  if (!acc) return not_expressible(why);
  const std::string model_name = text_of(at(e, "model.name"));
  const std::string model_id = zoo_model_for_name(model_name, notes);
  if (model_id.empty()) return not_expressible("model \"" + model_name + "\": no zoo model matches");
  const auto isl = integer_of(at(e, "workload.isl"));
  const auto osl = integer_of(at(e, "workload.osl"));
  if (!isl || (!ttft && !osl)) return not_expressible("the input and output lengths are not given");
  auto gpus = integer_of(at(e, "hardware.count"));
  if (!gpus) gpus = integer_of(at(e, "gpu_count"));
  if (!gpus) {
    gpus = 1;
    notes.push_back("GPU count not given: 1 assumed");
  }
  long long tp = integer_of(at(e, "parallel.tp")).value_or(1);
  long long pp = integer_of(at(e, "parallel.pp")).value_or(1);
  if (tp < 1 || pp < 1 || *gpus % (tp * pp) != 0) return not_expressible("the GPU count is not a multiple of tp × pp");
  const long long dp = *gpus / (tp * pp);
  const Node* prec = at(e, "parallel.precision");
  if (prec == nullptr) return not_expressible("the precision is not stated");
  const std::string p = precision_of(text_of(prec), notes);
  std::ostringstream y;
  y << "schema_version: 1\nkind: scenario\nname: " << quoted("published " + id) << "\n";
  y << "system: {accelerator: " << acc->id << ", count: " << *gpus;
  if (*gpus > 1 && !acc->node.empty()) y << ", node: " << acc->node;
  y << "}\nmodel: " << model_id << "\n";
  // The serving engine the source names, when the zoo has it (else the default, vLLM).
  const std::string engine = text_of(at(e, "software"));
  const bool trtllm = engine.find("TensorRT-LLM") != std::string::npos || id.rfind("B-TRTLLM", 0) == 0;
  // Azure's AI-benchmarking-guide runs its end-to-end inference with trtllm-bench of TensorRT-LLM
  // v0.15.0 (Benchmarks/NVIDIA/LLMBenchmark.py), which its results page does not repeat.
  const bool azure_trtllm = has(lower(text_of(at(e, "source.title"))), "ai-benchmarking-guide");
  if (trtllm) {
    y << "software: tensorrt_llm\n";
    notes.push_back("software: tensorrt_llm (the source's engine)");
  } else if (azure_trtllm) {
    y << "software: tensorrt_llm_0_15\n";
    notes.push_back("software: tensorrt_llm_0_15 (the guide's Benchmarks/NVIDIA/LLMBenchmark.py builds a TensorRT engine and runs trtllm-bench of TensorRT-LLM v0.15.0)");
  } else if (engine.find("SGLang") != std::string::npos) {
    y << "software: sglang\n";
  }
  y << "inference:\n  prompt_tokens: " << *isl << "\n  output_tokens: " << (ttft ? 1 : *osl) << "\n";
  // An offline throughput run sends its requests at once: the scheduler simulation runs them
  // through continuous batching (prefill chunks beside decodes, batches refilling as requests end).
  // A static batch (the entry's workload.batch, no request count) runs its sequences in lockstep
  // from one prefill to the last token, as TensorRT-LLM's gptSessionBenchmark does.
  const auto requests = integer_of(at(e, "workload.num_requests"));
  const auto static_batch = integer_of(at(e, "workload.batch"));
  if (!ttft && at(e, "workload.batch") != nullptr && (!static_batch || *static_batch < 1)) {
    return not_expressible("workload.batch \"" + text_of(at(e, "workload.batch")) + "\" is not a positive number of sequences");
  }
  if (!ttft && requests) {
    y << "  traffic: {arrival: offline, requests: " << *requests << "}\n";
  } else if (!ttft && static_batch) {
    y << "  batch: " << *static_batch << "\n";
  } else {
    y << "  batch: " << (ttft ? "1" : "max") << "\n";
  }
  if (p == "fp8") {
    y << "  precision: {weights: fp8, activations: fp8, kv_cache: fp8}\n";
  } else {
    y << "  precision: " << p << "\n";
  }
  if (tp > 1 || pp > 1 || dp > 1) {
    y << "  parallelism: {tp: " << tp << ", pp: " << pp << ", dp: " << dp << "}\n";
  }
  m.scenario_yaml = y.str();
  m.gpus = *gpus;
  m.unit = text_of(at(e, "unit"));
  if (!ttft && requests && (trtllm || azure_trtllm)) {
    // trtllm-bench throughput without --max_batch_size / --max_num_tokens: its heuristic sets both.
    // TensorRT-LLM's overview runs the PyTorch backend, whose chunked prefill is off by default
    // (LlmArgs.enable_chunked_prefill), with --kv_cache_free_gpu_mem_fraction 0.95 "in many cases"
    // (perf-overview.md).
    PublishedMapping::TrtllmBench tb;
    if (azure_trtllm) {
      // The guide builds one engine per model from its longest dataset (trtllm-bench build
      // --dataset, FP8 weights and KV cache) and runs every length on it with
      // --kv_cache_free_gpu_mem_fraction 0.83 (Benchmarks/NVIDIA/LLMBenchmark.py).
      long long best_isl = *isl, best_osl = *osl;
      if (const Node* also = at(e, "also"); also != nullptr && also->is_map()) {
        for (const auto& [key, value] : also->map) {
          if (key.rfind("isl", 0) != 0 || key.find("_osl") == std::string::npos) continue;
          const long long in = std::atoll(key.substr(3, key.find("_osl") - 3).c_str());
          const long long out = std::atoll(key.substr(key.find("_osl") + 4).c_str());
          if (in + out > best_isl + best_osl) best_isl = in, best_osl = out;
        }
      }
      tb.build_isl = best_isl;
      tb.build_osl = best_osl;
      tb.runtime_kv_fraction = 0.83;
      // The engine path's trtllm-bench throughput chunks prompts by default
      // (--enable_chunked_context, default True) under the guaranteed_no_evict scheduler policy.
      tb.chunked_prefill = true;
    }
    m.trtllm_bench = tb;
  }
  if (ttft) {
    m.quantity = PublishedMapping::Quantity::kTtftMs;
    m.compared = "inference.ttft_s × 1000 (batch 1, one output token)";
  } else {
    // A table "per GPU" is compared per GPU, whatever ran the requests; otherwise the whole system.
    const std::string unit = lower(m.unit);
    const bool per_gpu = has(unit, "per gpu") || has(unit, "/gpu");
    m.quantity = per_gpu ? PublishedMapping::Quantity::kThroughputPerGpu : PublishedMapping::Quantity::kThroughput;
    const std::string over = per_gpu ? "per GPU)" : "whole system)";
    if (metric == "offline_throughput") {
      notes.push_back("the source does not say whether input tokens are counted: compared with output tokens/s");
    }
    if (requests) {
      m.compared = "inference.throughput_tokens_per_s (offline requests through the scheduler, " + over;
      notes.push_back("offline throughput: " + std::to_string(*requests) + " requests at once through the scheduler simulation");
    } else if (static_batch) {
      m.compared = "inference.throughput_tokens_per_s (a static batch of " + std::to_string(*static_batch) + ", " + over;
      notes.push_back("a static batch of " + std::to_string(*static_batch) + " sequences in lockstep (the entry's workload.batch)");
    } else {
      m.compared = "inference.throughput_tokens_per_s (batch: max, " + over;
      notes.push_back("offline throughput: the largest batch that fits, all sequences in lockstep");
    }
  }
  m.variants = inference_variants(e, m, ttft);
  m.expressible = true;
  return m;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

PublishedMapping map_published_entry(const Node& entry, const spec::Zoo& zoo) {
  const std::string id = text_of(entry.find("id"));
  const std::string category = text_of(entry.find("category"));
  const std::string metric = text_of(entry.find("metric"));
  const Node* value = entry.find("value");
  if (value != nullptr && value->is_seq()) return not_expressible("a range (" + text_of(value) + "), not one value");
  if (!number_of(value)) return not_expressible("the value is not a number");
  if (category == "A_training") {
    if (auto m = map_korthikanti_entry(id)) return *m;
  }
  if (category == "A_training" && is_training_metric(metric)) return map_training(entry, id, metric, zoo);
  if (category.rfind("D_", 0) == 0) {
    if (auto m = map_operations_entry(id)) return *m;
  }
  // "B_inference" and the project's own supplements to it ("B_inference_supplement", kept apart so
  // that the shared data set's category is scored on its own).
  if (category.rfind("B_inference", 0) == 0 && (metric == "offline_output_throughput" || metric == "offline_throughput" ||
                                    metric == "time_to_first_token_batch1")) {
    return map_inference(entry, id, metric);
  }
  return not_expressible(metric_reason(category, metric));
}

// ---- statistics -----------------------------------------------------------------------------------

ErrorStats error_stats(const std::string& name, const std::vector<double>& signed_errors) {
  ErrorStats s;
  s.name = name;
  if (signed_errors.empty()) return s;
  std::vector<double> abs;
  abs.reserve(signed_errors.size());
  for (const double e : signed_errors) abs.push_back(std::fabs(e));
  const double n = static_cast<double>(abs.size());
  s.median_abs_error = median(abs);
  s.mean_abs_error = std::accumulate(abs.begin(), abs.end(), 0.0) / n;
  s.mean_signed_error = std::accumulate(signed_errors.begin(), signed_errors.end(), 0.0) / n;
  constexpr double kEps = 1e-12;
  s.within_10pct = static_cast<double>(std::count_if(abs.begin(), abs.end(), [](double a) { return a <= 0.10 + kEps; })) / n;
  s.within_25pct = static_cast<double>(std::count_if(abs.begin(), abs.end(), [](double a) { return a <= 0.25 + kEps; })) / n;
  return s;
}

void summarize(AccuracyReport& r) {
  struct Acc {
    std::vector<double> errors;
    ErrorStats counts;
  };
  std::vector<std::string> cat_order, group_order;
  std::map<std::string, Acc> cats, groups;
  Acc all;
  const auto count = [](ErrorStats& s, const AccuracyPoint& p) {
    ++s.points;
    switch (p.status) {
      case PointStatus::kScored: ++s.scored; break;
      case PointStatus::kUnsupported: ++s.unsupported; break;
      case PointStatus::kInfeasible: ++s.infeasible; break;
      case PointStatus::kNotExpressible: ++s.not_expressible; break;
      case PointStatus::kError: ++s.errors; break;
    }
  };
  for (const auto& p : r.points) {
    if (!cats.contains(p.category)) cat_order.push_back(p.category);
    std::vector<Acc*> sets = {&all, &cats[p.category]};
    if (!p.group.empty()) {
      const std::string g = p.category + " " + p.group;
      if (!groups.contains(g)) group_order.push_back(g);
      sets.push_back(&groups[g]);
    }
    for (Acc* a : sets) {
      count(a->counts, p);
      if (p.status == PointStatus::kScored && p.signed_error) a->errors.push_back(*p.signed_error);
    }
  }
  const auto finish = [](const std::string& name, const Acc& a) {
    ErrorStats s = error_stats(name, a.errors);
    s.points = a.counts.points;
    s.scored = a.counts.scored;
    s.unsupported = a.counts.unsupported;
    s.infeasible = a.counts.infeasible;
    s.not_expressible = a.counts.not_expressible;
    s.errors = a.counts.errors;
    return s;
  };
  // Groups in category order, then by their leading number ("3.6B" < "18.4B", "2 GPUs" < "8 GPUs").
  const auto key = [&](const std::string& g) {
    const auto sp = g.find(' ');
    const std::string cat = g.substr(0, sp);
    const auto pos = std::find(cat_order.begin(), cat_order.end(), cat) - cat_order.begin();
    const std::string rest = g.substr(sp + 1);
    std::size_t len = 0;
    while (len < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[len])) != 0 || rest[len] == '.')) ++len;
    return std::make_pair(pos, parse_number(rest.substr(0, len)).value_or(0.0));
  };
  std::stable_sort(group_order.begin(), group_order.end(), [&](const std::string& a, const std::string& b) { return key(a) < key(b); });
  r.categories.clear();
  r.groups.clear();
  for (const auto& c : cat_order) r.categories.push_back(finish(c, cats[c]));
  for (const auto& g : group_order) r.groups.push_back(finish(g, groups[g]));
  r.overall = finish("overall", all);
}

// ---- CSV ------------------------------------------------------------------------------------------

CsvTable parse_csv(const std::string& text_in, const std::string& file, Diagnostics& diags) {
  CsvTable t;
  std::string_view text(text_in);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::size_t i = 0;
  int line = 1;
  bool have_header = false;
  while (i < text.size()) {
    CsvRow row;
    row.line = line;
    std::size_t line_start = i;
    bool done = false;
    bool blank = true;
    while (!done) {
      std::string cell;
      const int col = static_cast<int>(i - line_start) + 1;
      if (i < text.size() && text[i] == '"') {
        blank = false;
        ++i;
        for (;;) {
          if (i >= text.size()) {
            diags.error(Origin{file, row.line, col}, "unterminated quoted field");
            return t;
          }
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              cell += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
          }
          cell += text[i++];
        }
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') ++i;   // junk after the quote
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') cell += text[i++];
        if (!trim(cell).empty()) blank = false;
      }
      row.cells.push_back(std::string(trim(cell)));
      row.columns.push_back(col);
      if (i < text.size() && text[i] == ',') {
        blank = false;
        ++i;
        continue;
      }
      if (i < text.size() && text[i] == '\r') ++i;
      if (i < text.size() && text[i] == '\n') ++i;
      ++line;
      done = true;
    }
    if (blank) continue;
    if (!have_header) {
      t.header = row.cells;
      have_header = true;
      continue;
    }
    if (row.cells.size() != t.header.size()) {
      diags.error(Origin{file, row.line, 1}, "this row has " + std::to_string(row.cells.size()) + " fields, the header " +
                                                 std::to_string(t.header.size()));
      continue;
    }
    t.rows.push_back(std::move(row));
  }
  if (!have_header) diags.error(Origin{file, 1, 1}, "empty CSV file: expected a header line");
  return t;
}

// ---- vTrain ---------------------------------------------------------------------------------------

std::vector<VtrainRow> read_vtrain_csv(const std::string& text, const std::string& file, Diagnostics& diags) {
  diags.add_source(file, text.starts_with("\xEF\xBB\xBF") ? text.substr(3) : text);
  const CsvTable t = parse_csv(text, file, diags);
  std::vector<VtrainRow> rows;
  if (t.header.empty()) return rows;
  const auto column = [&](const char* name, bool required) -> int {
    for (std::size_t c = 0; c < t.header.size(); ++c) {
      if (lower(t.header[c]) == name) return static_cast<int>(c);
    }
    if (required) diags.error(Origin{file, 1, 1}, std::string("missing column \"") + name + "\" (a vTrain ground_truth CSV has it)");
    return -1;
  };
  const int params = column("parameters (billion)", false);
  const int gpus = column("# gpus", true), gb = column("global batch", true), mb = column("micro batch", true),
            hidden = column("hidden size", true), heads = column("attention heads", true), layers = column("# layers", true),
            seq = column("sequence length", true), tp = column("tensor parallelism", true), dp = column("data parallelism", true),
            pp = column("pipeline parallelism", true), ms = column("iteration time (ms)", true);
  if (diags.has_errors()) return rows;
  for (const CsvRow& r : t.rows) {
    VtrainRow v;
    v.where = Origin{file, r.line, 1};
    bool ok = true;
    const auto integer = [&](int c, long long& out) {
      const auto x = parse_number(r.cells[static_cast<std::size_t>(c)]);
      if (!x || *x != std::floor(*x) || *x < 1) {
        diags.error(Origin{file, r.line, r.columns[static_cast<std::size_t>(c)]},
                    t.header[static_cast<std::size_t>(c)] + ": expected a positive whole number, got \"" +
                        r.cells[static_cast<std::size_t>(c)] + "\"");
        ok = false;
        return;
      }
      out = static_cast<long long>(*x);
    };
    integer(gpus, v.gpus);
    integer(gb, v.global_batch);
    integer(mb, v.micro_batch);
    integer(hidden, v.hidden);
    integer(heads, v.heads);
    integer(layers, v.layers);
    integer(seq, v.seq_len);
    integer(tp, v.tp);
    integer(dp, v.dp);
    integer(pp, v.pp);
    const auto time = parse_number(r.cells[static_cast<std::size_t>(ms)]);
    if (!time || *time <= 0) {
      diags.error(Origin{file, r.line, r.columns[static_cast<std::size_t>(ms)]},
                  "iteration time (ms): expected a positive number, got \"" + r.cells[static_cast<std::size_t>(ms)] + "\"");
      ok = false;
    } else {
      v.time_ms = *time;
    }
    if (params >= 0) {
      const std::string& p = r.cells[static_cast<std::size_t>(params)];
      if (!parse_number(p)) {
        diags.error(Origin{file, r.line, r.columns[static_cast<std::size_t>(params)]},
                    "Parameters (billion): expected a number, got \"" + p + "\"");
        ok = false;
      }
      v.params_b = p;
    }
    if (ok) rows.push_back(v);
  }
  return rows;
}

std::string vtrain_scenario_yaml(const VtrainRow& row, const std::string& name) {
  TrainingCase c;
  c.name = name;
  c.accelerator = "a100_sxm_80gb";
  c.gpus = row.gpus;
  c.node = "dgx_a100";
  if (row.gpus > 8) c.fabric = "ib_hdr200_fat_tree";
  GptDims d;
  d.layers = row.layers;
  d.hidden = row.hidden;
  d.heads = row.heads;
  d.kv_heads = row.heads;
  d.seq_len = row.seq_len;
  d.vocab = 51200;
  c.model_yaml = gpt_model_yaml(d, "GPT (vTrain): " + std::to_string(row.layers) + " layers, hidden " + std::to_string(row.hidden) +
                                       ", " + std::to_string(row.heads) + " heads");
  c.seq_len = row.seq_len;
  c.global_batch = row.global_batch;
  c.micro_batch = row.micro_batch;
  c.precision = "fp16";
  c.tp = row.tp;
  c.pp = row.pp;
  c.dp = row.dp;
  c.overlap_dp_grad = false;
  c.recompute = "full";
  // Megatron-DeepSpeed's defaults: fused-softmax attention (FlashAttention only with
  // --use-flash-attn, which vTrain's configurations do not set) and GPT dropout 0.1.
  c.software = "megatron_2021";
  // fp16 training keeps fp16 gradients unless --accumulate-allreduce-grads-in-fp32 is given
  // (off by default in Megatron-LM's arguments.py; bf16 turns it on).
  c.grad_precision = "fp16";
  return training_yaml(c);
}

// ---- running --------------------------------------------------------------------------------------

void AccuracyRunner::evaluate_point(AccuracyPoint& p, const PublishedMapping& m) {
  Diagnostics local;
  std::optional<spec::Scenario> s;
  try {
    std::vector<spec::Override> all = p.overrides;
    all.insert(all.end(), overrides_.begin(), overrides_.end());
    s = spec::load_scenario_text(p.scenario_yaml, p.source + "#" + p.id, zoo_, all, local);
  } catch (const InputError&) {
    s.reset();
  }
  if (!s) {
    p.status = PointStatus::kError;
    p.reason = "the scenario built for it was rejected";
    for (const auto& d : local.all()) {
      if (d.severity == Severity::kError) {
        p.reason += ": " + d.origin.str() + ": " + d.message;
        break;
      }
    }
    return;
  }
  if (const std::string why = unsupported_reason(*s); !why.empty()) {
    p.status = PointStatus::kUnsupported;
    p.reason = why;
    return;
  }
  if (m.trtllm_bench && s->inference) {
    // trtllm-bench's own batch limits for the run (or for the dataset its engine was built from).
    const PublishedMapping::TrtllmBench& tb = *m.trtllm_bench;
    spec::Scenario sized = *s;
    if (tb.build_isl > 0) {
      sized.inference->prompt_tokens = tb.build_isl;
      sized.inference->output_tokens = tb.build_osl;
    }
    const TrtllmBenchSettings b = trtllm_bench_settings(sized, tb.heuristic_kv_fraction, tb.chunked_prefill);
    p.overrides.push_back({"software.max_sequences", std::to_string(b.max_batch_size)});
    p.overrides.push_back({"software.max_batched_tokens", std::to_string(b.max_num_tokens)});
    p.overrides.push_back({"software.kv_memory_fraction", num_text(tb.runtime_kv_fraction)});
    if (!tb.chunked_prefill) p.overrides.push_back({"inference.traffic.chunked_prefill", "false"});
    p.notes.push_back("trtllm-bench's heuristic (tuning.py) for " +
                      (tb.build_isl > 0 ? "the engine's build dataset " + std::to_string(tb.build_isl) + " / " + std::to_string(tb.build_osl)
                                        : std::string("these lengths")) +
                      ": max_batch_size " + std::to_string(b.max_batch_size) + ", max_num_tokens " + std::to_string(b.max_num_tokens) +
                      (tb.chunked_prefill ? "" : " (without chunked prefill, at least the prompt plus the batch)") +
                      "; KV cache " + num_text(tb.runtime_kv_fraction) + " of the free memory");
    PublishedMapping sized_m = m;
    sized_m.trtllm_bench.reset();
    evaluate_point(p, sized_m);
    return;
  }
  Estimate e;
  try {
    e = evaluator_.evaluate(*s, EvalOptions{.detail = false});
  } catch (const InternalError& err) {
    p.status = PointStatus::kError;
    p.reason = std::string("internal error while evaluating: ") + err.what();
    return;
  }
  if (m.largest_micro_batch && e.training && s->training) {
    const long long per_rank = s->training->global_batch / std::max<long long>(1, s->training->parallelism.dp);
    const long long cap = m.flash_attention_repo_batch ? flash_attention_repo_batch(*s) : 0;
    long long best = 1;
    for (long long d = 1; d <= per_rank && d <= e.training->max_micro_batch && (cap == 0 || d <= cap); ++d) {
      if (per_rank % d == 0) best = d;
    }
    if (best > 1) {
      p.overrides.push_back({"training.micro_batch", std::to_string(best)});
      p.notes.push_back("micro batch " + std::to_string(best));
      PublishedMapping chosen = m;
      chosen.largest_micro_batch = false;
      evaluate_point(p, chosen);
      return;
    }
  }
  if (!e.feasible) {
    p.status = PointStatus::kInfeasible;
    p.reason = e.infeasible_reason;
    return;
  }
  std::optional<double> v;
  using Q = PublishedMapping::Quantity;
  const bool training = m.quantity != Q::kThroughput && m.quantity != Q::kTtftMs && m.quantity != Q::kThroughputPerGpu;
  if (training && !e.training) {
    p.status = PointStatus::kError;
    p.reason = "the estimate has no training section";
    return;
  }
  if (!training && !e.inference) {
    p.status = PointStatus::kError;
    p.reason = "the estimate has no inference section";
    return;
  }
  double peak = m.peak_tflops;
  if (peak <= 0 && s->training) {
    if (const auto pk = s->system.accelerator.peak_at(s->training->precision)) peak = pk->si() / 1e12;
  }
  switch (m.quantity) {
    case Q::kStepTimeMs: v = e.training->step_time_s * 1e3; break;
    case Q::kHfuTimesPeak: v = e.training->hfu * peak; break;
    case Q::kMfuTimesPeak: v = e.training->mfu * peak; break;
    case Q::kMegatronModelTflops: {
      const double B = static_cast<double>(s->training->global_batch), seq = static_cast<double>(s->training->seq_len);
      const double l = static_cast<double>(s->model.layers), h = static_cast<double>(s->model.hidden);
      const double V = static_cast<double>(s->model.padded_vocab());
      const double flops = 72.0 * B * seq * l * h * h * (1.0 + seq / (6.0 * h) + V / (16.0 * l * h));
      if (e.training->step_time_s > 0) v = flops / (e.training->step_time_s * static_cast<double>(m.gpus)) / 1e12;
      break;
    }
    case Q::kMfuPercent: v = e.training->mfu * 100.0; break;
    case Q::kTokensPerSPerGpu: v = e.training->tokens_per_s / static_cast<double>(m.gpus); break;
    case Q::kTimeToTrainMinutes:
      if (e.training->time_to_train_s) v = *e.training->time_to_train_s / 60.0;
      break;
    case Q::kThroughput: v = e.inference->throughput_tokens_per_s; break;
    case Q::kThroughputPerGpu: v = e.inference->throughput_tokens_per_s / static_cast<double>(m.gpus); break;
    case Q::kTtftMs:
      if (e.inference->ttft_s) v = *e.inference->ttft_s * 1e3;
      break;
    case Q::kCheckpointTb:
      if (e.reliability) v = e.reliability->checkpoint_bytes / 1e12;
      break;
    case Q::kFailuresInDuration:
      if (e.reliability) v = e.reliability->work_s / e.reliability->cluster_mtbf_s;
      break;
    case Q::kClusterMtbfHours:
      if (e.reliability) v = e.reliability->cluster_mtbf_s / 3600.0;
      break;
    case Q::kGpuHours:
      if (e.ops) v = e.ops->gpu_hours;
      break;
    case Q::kGpuHoursTimesTdpKwh:
      if (e.ops) v = e.ops->gpu_hours * s->system.accelerator.tdp.si() / 1000.0;
      break;
    case Q::kLayerMs: v = (e.training->layer_forward_s + e.training->layer_backward_s) * 1e3; break;
    case Q::kLayerForwardMs: v = e.training->layer_forward_s * 1e3; break;
    case Q::kLayerBackwardMs: v = e.training->layer_backward_s * 1e3; break;
    case Q::kHfuPercent: v = e.training->hfu * 100.0; break;
  }
  if (!v || !std::isfinite(*v)) {
    p.status = PointStatus::kError;
    p.reason = "the estimate does not give " + m.compared;
    return;
  }
  p.predicted = *v;
  if (p.expected && *p.expected != 0.0) {
    p.signed_error = (*v - *p.expected) / *p.expected;
    p.status = PointStatus::kScored;
  } else {
    p.status = PointStatus::kError;
    p.reason = "the measured value is zero";
  }
}

void AccuracyRunner::add_published(const std::string& text, const std::string& file, AccuracyReport& report, Diagnostics& diags) {
  const Node root = spec::load_yaml(text, file, diags);
  if (root.is_null()) {
    if (!diags.has_errors()) diags.error(Origin{file, 1, 1}, "empty file: expected a list of published measurements");
    return;
  }
  if (!root.is_seq()) {
    diags.error(root.origin, "expected a list of published measurements (\"- id: ...\" entries, see validation/README.md)");
    return;
  }
  std::map<std::string, Origin> seen;
  for (const Node& entry : root.seq) {
    if (!entry.is_map()) {
      diags.error(entry.origin, "expected a measurement (a mapping with id, category, metric, value)");
      continue;
    }
    bool ok = true;
    for (const char* key : {"id", "category", "metric", "value"}) {
      const Node* n = entry.find(key);
      if (n == nullptr || n->is_null()) {
        diags.error(entry.origin, std::string("measurement without \"") + key + "\"");
        ok = false;
      } else if (std::string_view(key) != "value" && !n->is_scalar()) {
        diags.error(n->origin, std::string(key) + ": expected a single value");
        ok = false;
      }
    }
    if (!ok) continue;
    const Node* id_node = entry.find("id");
    const std::string id = id_node->scalar;
    if (const auto it = seen.find(id); it != seen.end()) {
      diags.error(id_node->origin, "duplicate id \"" + id + "\" (first at " + it->second.str() + ")");
      continue;
    }
    seen[id] = id_node->origin;
    AccuracyPoint p;
    p.id = id;
    p.source = file;
    p.where = entry.origin;
    p.category = entry.find("category")->scalar;
    p.metric = entry.find("metric")->scalar;
    p.unit = text_of(entry.find("unit"));
    p.expected = number_of(entry.find("value"));
    const PublishedMapping m = map_published_entry(entry, zoo_);
    p.notes = m.notes;
    p.overrides = m.overrides;
    if (!m.expressible) {
      p.status = PointStatus::kNotExpressible;
      p.reason = m.reason;
    } else {
      p.compared = m.compared;
      p.scenario_yaml = m.scenario_yaml;
      evaluate_point(p, m);
    }
    const bool microbenchmark = p.category == "C_microbenchmark";
    std::vector<AccuracyPoint> scale;
    if (microbenchmark) {
      std::vector<std::string> ignored_notes;
      std::string why;
      if (const auto acc = accelerator_of(text_of(at(entry, "hardware.gpu")), ignored_notes, why)) {
        scale = collective_scale_points(entry, id, file, acc->id, acc->node, zoo_);
      }
      for (auto it = scale.begin(); it != scale.end(); ++it) {
        if (it->id == p.id) {   // the entry itself is a cluster all-reduce the model predicts
          p = std::move(*it);
          scale.erase(it);
          break;
        }
      }
    }
    std::vector<AccuracyPoint> variants;
    if (m.expressible && (m.quantity == PublishedMapping::Quantity::kThroughput ||
                          m.quantity == PublishedMapping::Quantity::kThroughputPerGpu)) {
      variants = length_variants(entry, p, m);
    }
    if (m.expressible) {
      for (auto& v : also_variants(entry, p, m)) variants.push_back(std::move(v));
    }
    report.points.push_back(std::move(p));
    for (auto& v : scale) report.points.push_back(std::move(v));
    for (auto& v : variants) report.points.push_back(std::move(v));
    if (microbenchmark) {
      std::vector<std::string> ignored_notes;
      std::string why;
      if (const auto acc = accelerator_of(text_of(at(entry, "hardware.gpu")), ignored_notes, why)) {
        for (auto& q : collective_sweep_points(entry, id, file, acc->id, acc->node, zoo_)) report.points.push_back(std::move(q));
      }
    }
  }
}

// A point `<id>@<suffix>` of an entry's other measurement `value`: the entry's scenario, notes and
// overrides, to which the caller adds its own.
namespace {
AccuracyPoint variant_point(const AccuracyPoint& base, const PublishedMapping& m, const std::string& suffix, const Node& value,
                            const std::string& compared) {
  AccuracyPoint v;
  v.id = base.id + "@" + suffix;
  v.source = base.source;
  v.where = value.origin;
  v.category = base.category;
  v.metric = base.metric;
  v.unit = base.unit;
  v.expected = number_of(&value);
  v.compared = compared;
  v.scenario_yaml = m.scenario_yaml;
  v.notes = m.notes;
  v.overrides = m.overrides;
  return v;
}
}  // namespace


// The same engine and system at the other input/output lengths the source measured (an offline
// throughput entry's `also.isl_osl_<in>_<out>`): one point each, the entry's scenario with those
// lengths. The source does not give their request counts: enough requests for about 4 M tokens
// (at least 500, at most the entry's own count) keep the run in its steady state.
std::vector<AccuracyPoint> AccuracyRunner::length_variants(const Node& entry, const AccuracyPoint& base, const PublishedMapping& m) {
  std::vector<AccuracyPoint> out;
  const Node* also = entry.find("also");
  const auto requests = integer_of(at(entry, "workload.num_requests"));
  if (also == nullptr || !also->is_map() || !requests) return out;
  for (const auto& [key, value] : also->map) {
    // "isl_osl_<in>_<out>" (TensorRT-LLM's tables) or "isl<in>_osl<out>" (Azure's).
    std::string lengths;
    if (key.rfind("isl_osl_", 0) == 0) {
      lengths = key.substr(8);
    } else if (key.rfind("isl", 0) == 0 && key.find("_osl") != std::string::npos) {
      lengths = key.substr(3, key.find("_osl") - 3) + "_" + key.substr(key.find("_osl") + 4);
    }
    if (lengths.empty() || !value.is_scalar()) continue;
    const auto sep = lengths.find('_');
    if (sep == std::string::npos) continue;
    const long long in = std::atoll(lengths.substr(0, sep).c_str()), outl = std::atoll(lengths.substr(sep + 1).c_str());
    if (in < 1 || outl < 1) continue;
    const auto published = perf_overview_requests(entry, in, outl);
    const long long n = published ? *published
                                  : std::clamp<long long>(static_cast<long long>(4e6 / static_cast<double>(in + outl)), 500, *requests);
    AccuracyPoint v = variant_point(base, m, lengths, value, m.compared);
    v.notes.push_back("lengths " + std::to_string(in) + " / " + std::to_string(outl) + " from the entry's also." + key + "; " +
                      std::to_string(n) +
                      (published ? " requests (the source's $num_requests table)" : " requests (the source gives none for it)"));
    v.overrides.push_back({"inference.prompt_tokens", std::to_string(in)});
    v.overrides.push_back({"inference.output_tokens", std::to_string(outl)});
    v.overrides.push_back({"inference.traffic.requests", std::to_string(n)});
    evaluate_point(v, m);
    out.push_back(std::move(v));
  }
  return out;
}

// The entry's other measurements that its mapping names (PublishedMapping::variants): the same
// scenario with the variant's keys changed, read through the variant's quantity.
std::vector<AccuracyPoint> AccuracyRunner::also_variants(const Node& entry, const AccuracyPoint& base, const PublishedMapping& m) {
  std::vector<AccuracyPoint> out;
  for (const PublishedMapping::Variant& var : m.variants) {
    // Looked up by key, not by dotted path: a key may hold a dot ("gpt3_1.3B_8k_fa2").
    const Node* also = entry.find("also");
    const Node* value = also != nullptr ? also->find(var.also_key) : nullptr;
    if (value == nullptr || !number_of(value)) continue;
    AccuracyPoint v = variant_point(base, m, var.also_key, *value, var.compared);
    if (!var.not_expressible.empty()) {
      v.status = PointStatus::kNotExpressible;
      v.reason = var.not_expressible;
      out.push_back(std::move(v));
      continue;
    }
    v.notes.push_back(var.note);
    if (!var.unit.empty()) v.unit = var.unit;
    v.overrides.insert(v.overrides.end(), var.overrides.begin(), var.overrides.end());
    PublishedMapping vm = m;
    vm.quantity = var.quantity;
    vm.compared = var.compared;
    evaluate_point(v, vm);
    out.push_back(std::move(v));
  }
  return out;
}

void AccuracyRunner::add_vtrain(const std::string& text, const std::string& file, AccuracyReport& report, Diagnostics& diags) {
  const std::vector<VtrainRow> rows = read_vtrain_csv(text, file, diags);
  const bool multi = std::any_of(rows.begin(), rows.end(), [](const VtrainRow& r) { return r.params_b.has_value(); });
  const std::string category = multi ? "vtrain_multi" : "vtrain_single";
  PublishedMapping m;
  m.quantity = PublishedMapping::Quantity::kStepTimeMs;
  m.compared = "training.step_time_s × 1000";
  m.unit = "ms";
  const std::string base = std::filesystem::path(file).filename().string();
  for (const VtrainRow& r : rows) {
    AccuracyPoint p;
    p.id = std::string(multi ? "vtrain-multi-" : "vtrain-single-") + std::to_string(r.where.line);
    p.source = file;
    p.where = r.where;
    p.category = category;
    p.group = multi ? *r.params_b + "B" : std::to_string(r.gpus) + " GPUs";
    p.metric = "iteration_time";
    p.unit = "ms";
    p.compared = m.compared;
    p.expected = r.time_ms;
    const std::string size = r.params_b ? *r.params_b + "B, " : "";
    p.scenario_yaml = vtrain_scenario_yaml(
        r, "vTrain " + base + ":" + std::to_string(r.where.line) + " (" + size + std::to_string(r.gpus) + " GPUs, tp " +
               std::to_string(r.tp) + ", pp " + std::to_string(r.pp) + ", dp " + std::to_string(r.dp) + ", micro batch " +
               std::to_string(r.micro_batch) + ", global batch " + std::to_string(r.global_batch) + ")");
    if (r.gpus > 8) {
      // The data set's README: vTrain's validation configurations give 800 Gb/s of inter-node
      // bandwidth per node, four of the DGX A100's eight 200 Gb/s HDR adapters.
      p.overrides.push_back({"system.node.nics.count", "4"});
      p.notes.push_back("four 200 Gb/s HDR adapters per node (vTrain's 800 Gb/s per node), not the DGX A100's eight");
    }
    evaluate_point(p, m);
    report.points.push_back(std::move(p));
  }
}

void AccuracyRunner::add_file(const std::string& path, AccuracyReport& report, Diagnostics& diags) {
  std::string text;
  if (!spec::read_text_file(path, text, diags)) return;
  report.inputs.push_back(path);
  if (lower(std::filesystem::path(path).extension().string()) == ".csv") {
    add_vtrain(text, path, report, diags);
  } else {
    add_published(text, path, report, diags);
  }
}

std::vector<std::string> expand_accuracy_inputs(const std::vector<std::string>& paths, Diagnostics& diags) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& f : fs::recursive_directory_iterator(p, ec)) {
        if (!f.is_regular_file()) continue;
        const std::string ext = lower(f.path().extension().string());
        if (ext == ".yaml" || ext == ".yml" || ext == ".csv") found.push_back(f.path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) diags.error(Origin{p, 0, 0}, "no measurements (*.yaml, *.csv) in this directory");
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      diags.error(Origin{p, 0, 0}, "no such file or directory");
    }
  }
  return out;
}

std::string find_validation_dir(const std::string& start) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (ec) return "";
  for (;;) {
    if (fs::exists(dir / "validation" / "published.yaml", ec)) return (dir / "validation").string();
    if (!dir.has_parent_path() || dir.parent_path() == dir) return "";
    dir = dir.parent_path();
  }
}

AccuracyReport run_accuracy(const std::vector<std::string>& inputs, const spec::Zoo& zoo, Diagnostics& diags,
                            const std::vector<spec::Override>& overrides) {
  AccuracyReport report;
  AccuracyRunner runner(zoo, overrides);
  for (const auto& f : expand_accuracy_inputs(inputs, diags)) runner.add_file(f, report, diags);
  summarize(report);
  return report;
}

}  // namespace mlsim::analysis
