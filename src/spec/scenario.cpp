#include "spec/scenario.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/text.hpp"

namespace mlsim::spec {
namespace {

struct ReferenceSlot {
  std::vector<std::string> path;
  std::string kind;
};

const std::vector<ReferenceSlot>& reference_slots() {
  static const std::vector<ReferenceSlot> slots = {
      {{"system", "accelerator"}, "accelerator"}, {{"system", "node"}, "node"}, {{"system", "fabric"}, "fabric"},
      {{"system", "site"}, "site"},               {{"software"}, "software"},   {{"model"}, "model"},
      {{"rlhf", "critic"}, "model"},              {{"rlhf", "reference"}, "model"}, {{"rlhf", "reward"}, "model"},
  };
  return slots;
}

Node* walk(Node& root, const std::vector<std::string>& path) {
  Node* n = &root;
  for (const auto& key : path) {
    if (!n->is_map()) return nullptr;
    n = n->find(key);
    if (n == nullptr) return nullptr;
  }
  return n;
}

void stamp_origin(Node& n, const Origin& o) {
  n.origin = o;
  for (auto& k : n.key_origins) k = o;
  for (auto& [k, v] : n.map) stamp_origin(v, o);
  for (auto& v : n.seq) stamp_origin(v, o);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Replaces a reference (zoo id or file path) by the entry's tree; inline mappings stay as they are.
void resolve_reference(Node& slot, const std::string& kind, const std::string& base_dir, const Zoo& zoo,
                       Diagnostics& diags) {
  if (!slot.is_scalar()) return;
  const std::string ref = slot.scalar;
  const Origin where = slot.origin;
  const bool is_path = ends_with(ref, ".yaml") || ends_with(ref, ".yml") || ends_with(ref, ".json") ||
                       ref.find('/') != std::string::npos;
  if (!is_path) {
    Node entry = load_entry(zoo, kind, ref, where, diags);
    if (!entry.is_null()) slot = std::move(entry);
    return;
  }
  std::filesystem::path p(ref);
  if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
  std::string text;
  Diagnostics local;
  if (!read_text_file(p.string(), text, local)) {
    diags.error(where, kind + " file \"" + ref + "\" cannot be read (looked for " + p.string() + ")");
    return;
  }
  Node entry = load_yaml(text, p.string(), diags);
  if (entry.is_null()) return;
  if (kind == "model" && ends_with(ref, ".json")) entry = model_tree_from_hf_config(entry, diags);
  slot = std::move(entry);
}

bool under_reference(const std::vector<std::string>& path) {
  for (const auto& slot : reference_slots()) {
    if (path.size() > slot.path.size() && std::equal(slot.path.begin(), slot.path.end(), path.begin())) return true;
  }
  return false;
}

void apply_override(Node& root, const Override& o, Diagnostics& diags) {
  const Origin origin{"--set " + o.path + "=" + o.value, 0, 0};
  Diagnostics value_diags;
  Node value = load_yaml(o.value, origin.file, value_diags);
  if (value_diags.has_errors()) {
    diags.error(origin, "the value is not valid YAML");
    return;
  }
  if (value.is_null() && !o.value.empty() && trim(o.value) != "null") value = Node::make_scalar(o.value, origin);
  stamp_origin(value, origin);
  Node* n = &root;
  const auto keys = split(o.path, '.');
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].empty()) {
      diags.error(origin, "empty key in the path \"" + o.path + "\"");
      return;
    }
    if (i + 1 == keys.size()) {
      n->set(keys[i], std::move(value), origin);
      return;
    }
    Node* next = n->is_map() ? n->find(keys[i]) : nullptr;
    if (next == nullptr) {
      Node fresh;
      fresh.kind = Node::Kind::kMap;
      fresh.origin = origin;
      next = &n->set(keys[i], std::move(fresh), origin);
    } else if (!next->is_map()) {
      std::string prefix;
      for (std::size_t j = 0; j <= i; ++j) prefix += (j ? "." : "") + keys[j];
      diags.error(origin, "\"" + prefix + "\" is a single value, so it has no key \"" + keys[i + 1] + "\"");
      return;
    }
    n = next;
  }
}

std::optional<Precision> read_precision(MapReader& r, const std::string& key, Need need) {
  const auto v = r.choice(key, precision_names(), need);
  return v ? precision_from_name(*v) : std::nullopt;
}

Parallelism read_parallelism(const Node* n, Diagnostics& d, const std::string& what, bool training) {
  Parallelism p;
  MapReader r(n, d, what);
  if (n == nullptr) return p;
  constexpr long long kMax = 1 << 20;
  p.tp = r.integer("tp", Need::kOptional, 1, kMax).value_or(1);
  p.pp = r.integer("pp", Need::kOptional, 1, kMax).value_or(1);
  p.dp = r.integer("dp", Need::kOptional, 1, kMax).value_or(1);
  p.ep = r.integer("ep", Need::kOptional, 1, kMax).value_or(1);
  if (training) {
    p.cp = r.integer("cp", Need::kOptional, 1, kMax).value_or(1);
    p.sequence_parallel_set = r.boolean("sequence_parallel");
    p.sequence_parallel = p.sequence_parallel_set.value_or(p.tp > 1);
    p.zero = r.integer("zero", Need::kOptional, 0, 3).value_or(0);
    p.schedule = r.choice("schedule", {"gpipe", "1f1b", "interleaved", "zero_bubble", "dualpipe"}).value_or("1f1b");
    p.virtual_stages = r.integer("virtual_stages", Need::kOptional, 1, 1024).value_or(1);
    if (const Node* o = r.get("order")) {
      const std::vector<std::string> dims = {"tp", "cp", "dp", "pp"};
      std::vector<std::string> got;
      if (o->is_seq()) {
        for (const Node& item : o->seq) got.push_back(item.is_scalar() ? item.scalar : "");
      }
      std::vector<std::string> sorted = got, want = dims;
      std::sort(sorted.begin(), sorted.end());
      std::sort(want.begin(), want.end());
      if (sorted != want) {
        d.error(o->origin, what + ".order: expected the four dimensions tp, cp, dp, pp once each, innermost first "
                                  "(e.g. [tp, cp, dp, pp]; expert-parallel groups live inside dp)");
      } else {
        p.order = got;
      }
    }
    if (const Node* l = r.get("layers_per_stage")) {
      if (!l->is_seq()) {
        d.error(l->origin, what + ".layers_per_stage: expected a list of layer counts, one per pipeline stage (e.g. [15, 17, 17, 15])");
      } else {
        for (const Node& item : l->seq) {
          char* end = nullptr;
          const long long v = item.is_scalar() ? std::strtoll(item.scalar.c_str(), &end, 10) : 0;
          if (!item.is_scalar() || end == item.scalar.c_str() || *end != '\0' || v < 1) {
            d.error(item.origin, what + ".layers_per_stage: expected a whole number of layers >= 1, got \"" + item.scalar + "\"");
            continue;
          }
          p.layers_per_stage.push_back(v);
        }
      }
    }
  } else {
    p.sequence_parallel = false;
  }
  r.finish();
  return p;
}

}  // namespace

long long Parallelism::stride_of(const std::string& dim) const {
  long long stride = 1;
  for (const auto& d : order) {
    if (d == dim) return stride;
    stride *= d == "tp" ? tp : d == "cp" ? cp : d == "dp" ? dp : pp;
  }
  return stride;
}

namespace {

std::optional<TrainingSpec> read_training(const Node& n, const ModelSpec& model, Diagnostics& d) {
  TrainingSpec t;
  MapReader r(&n, d, "training");
  if (!r.valid()) return std::nullopt;
  const bool cnn = model.architecture == Architecture::kCnn;
  t.seq_len = r.integer("seq_len", cnn ? Need::kOptional : Need::kRequired, 1, 1LL << 30).value_or(cnn ? 0 : 1);
  t.global_batch = r.integer("global_batch", Need::kRequired, 1, 1LL << 40).value_or(1);
  t.micro_batch = r.integer("micro_batch", Need::kOptional, 1, 1LL << 40).value_or(1);
  t.precision = read_precision(r, "precision", Need::kOptional).value_or(Precision::kBf16);
  t.grad_precision = read_precision(r, "grad_precision", Need::kOptional).value_or(Precision::kFp32);
  t.parallelism = read_parallelism(r.get("parallelism"), d, "training.parallelism", true);
  if (const Node* ov = r.get("overlap")) {
    MapReader o(ov, d, "training.overlap");
    t.overlap_dp_grad_set = o.boolean("dp_grad");
    t.overlap_tp_comm_set = o.boolean("tp_comm");
    t.overlap_pp_p2p_set = o.boolean("pp_p2p");
    t.overlap_ep_a2a_set = o.boolean("ep_a2a");
    t.overlap_cp_ring_set = o.boolean("cp_ring");
    t.overlap_tp_backward_set = o.boolean("tp_backward");
    t.overlap_zero_prefetch_set = o.boolean("zero_prefetch");
    o.finish();
  }
  const auto rc = r.choice("recompute", {"none", "selective", "full"});
  t.recompute = !rc ? Recompute::kNone : (*rc == "full" ? Recompute::kFull : (*rc == "selective" ? Recompute::kSelective : Recompute::kNone));
  if (auto tok = r.number("tokens", Need::kOptional, 1.0)) t.tokens = tok;
  t.moe_capacity_factor = r.number("moe_capacity_factor", Need::kOptional, 1.0, 64.0).value_or(1.0);
  t.offload_optimizer = r.boolean("offload_optimizer").value_or(false);
  if (const Node* bn = r.get("batch_rampup")) {
    MapReader br(bn, d, "training.batch_rampup");
    TrainingSpec::BatchRampup b;
    b.start = br.integer("start", Need::kRequired, 1, 1LL << 40).value_or(1);
    b.increment = br.integer("increment", Need::kRequired, 1, 1LL << 40).value_or(1);
    b.samples = br.number("samples", Need::kRequired, 1.0).value_or(1.0);
    br.finish();
    if (br.valid() && (b.start >= t.global_batch || (t.global_batch - b.start) % b.increment != 0)) {
      d.error(bn->origin, "training.batch_rampup: start (" + std::to_string(b.start) + ") must be below global_batch (" +
                              std::to_string(t.global_batch) + ") and reach it in whole increments of " + std::to_string(b.increment) +
                              ", as Megatron-LM's --rampup-batch-size requires");
    }
    t.batch_rampup = b;
  }
  if (const Node* an = r.get("adapter")) {
    if (cnn) d.error(an->origin, "training.adapter: low-rank adapters apply to transformer models, not CNNs");
    MapReader ar(an, d, "training.adapter");
    AdapterSpec a;
    const auto method = ar.choice("method", {"lora", "qlora"}, Need::kRequired);
    a.method = method && *method == "qlora" ? AdapterMethod::kQlora : AdapterMethod::kLora;
    a.rank = ar.integer("rank", Need::kOptional, 1, 1LL << 20).value_or(16);
    const auto targets = ar.choice("targets", {"qv", "attention", "all_linear"});
    a.targets = !targets || *targets == "all_linear" ? AdapterTargets::kAllLinear
                : *targets == "attention"            ? AdapterTargets::kAttention
                                                     : AdapterTargets::kQv;
    ar.finish();
    t.adapter = a;
  }
  r.finish();
  return t;
}

}  // namespace

namespace {

std::optional<InferenceSpec> read_inference(const Node& n, const ModelSpec& model, Diagnostics& d) {
  InferenceSpec s;
  MapReader r(&n, d, "inference");
  if (!r.valid()) return std::nullopt;
  const bool cnn = model.architecture == Architecture::kCnn;
  s.prompt_tokens = r.integer("prompt_tokens", cnn ? Need::kOptional : Need::kRequired, 1, 1LL << 30).value_or(cnn ? 0 : 1);
  s.output_tokens = r.integer("output_tokens", cnn ? Need::kOptional : Need::kRequired, 1, 1LL << 30).value_or(cnn ? 0 : 1);
  if (const Node* b = r.get("batch")) {
    if (b->is_scalar() && b->scalar == "max") {
      s.batch_max = true;
    } else {
      s.batch = r.integer("batch", Need::kOptional, 1, 1LL << 30);
    }
  }
  s.arrival_rate = r.quantity<PerSecond>("arrival_rate", "5 /s");
  if (const Node* t = r.get("traffic")) s.traffic = read_traffic(*t, d);
  if (const Node* sp = r.get("speculative")) s.speculative = read_speculative(*sp, d);
  if (const Node* dg = r.get("disaggregated")) s.disaggregated = read_disaggregated(*dg, d);
  if (const Node* rs = r.get("reasoning")) s.reasoning = read_reasoning(*rs, d);
  const bool offline = s.traffic && s.traffic->arrival == "offline";
  if (!s.batch && !s.batch_max && !s.arrival_rate && !offline && r.valid()) {
    d.error(n.origin, "inference: give one of batch (a number or max), arrival_rate, or traffic: {arrival: offline}");
  }
  if (offline && (s.batch || s.batch_max || s.arrival_rate)) {
    d.error(r.node()->find("traffic")->origin, "inference.traffic.arrival: offline sends every request at once: give no batch or arrival_rate with it");
  }
  if (s.traffic && !offline && !s.arrival_rate && r.valid()) {
    d.error(r.node()->find("traffic")->origin, "inference.traffic needs an arrival_rate (or arrival: offline)");
  }
  if (s.arrival_rate && (s.batch || s.batch_max)) {
    d.error(r.node()->find("arrival_rate")->origin, "inference: give either batch or arrival_rate, not both");
  }
  if (const Node* p = r.get("precision")) {
    if (p->is_scalar()) {
      const auto v = r.choice("precision", precision_names());
      if (v) s.precision.weights = s.precision.activations = s.precision.kv_cache = *precision_from_name(*v);
    } else {
      MapReader pr(p, d, "inference.precision");
      s.precision.activations = read_precision(pr, "activations", Need::kOptional).value_or(Precision::kBf16);
      s.precision.weights = read_precision(pr, "weights", Need::kOptional).value_or(s.precision.activations);
      s.precision.kv_cache = read_precision(pr, "kv_cache", Need::kOptional).value_or(s.precision.activations);
      pr.finish();
    }
  }
  s.parallelism = read_parallelism(r.get("parallelism"), d, "inference.parallelism", false);
  s.cuda_graphs = r.boolean("cuda_graphs").value_or(true);
  s.simulate = r.boolean("simulate").value_or(false);
  if (const Node* slo = r.get("slo")) {
    MapReader sr(slo, d, "inference.slo");
    s.slo_ttft = sr.quantity<Seconds>("ttft", "500 ms");
    s.slo_tpot = sr.quantity<Seconds>("tpot", "50 ms");
    sr.finish();
  }
  r.finish();
  return s;
}

}  // namespace

bool read_text_file(const std::string& path, std::string& text, Diagnostics& diags) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diags.error(Origin{path, 0, 0}, "is a directory, expected a YAML file");
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(Origin{path, 0, 0}, "cannot open the file");
    return false;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  text = buf.str();
  return true;
}

std::optional<Override> parse_override(const std::string& text, Diagnostics& diags) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    diags.error(Origin{"--set " + text, 0, 0}, "expected key=value, e.g. --set training.parallelism.tp=4");
    return std::nullopt;
  }
  return Override{std::string(trim(text.substr(0, eq))), std::string(trim(text.substr(eq + 1)))};
}

Node load_entry(const Zoo& zoo, const std::string& kind, const std::string& id, const Origin& where, Diagnostics& diags) {
  const ZooFile* f = zoo.find(kind, id);
  if (f == nullptr) {
    std::string msg = "unknown " + kind + " \"" + id + "\"";
    if (auto s = did_you_mean(id, zoo.ids(kind))) msg += "; did you mean \"" + *s + "\"?";
    msg += " (mlsim list " + kind + (kind == "software" ? "" : "s") + " shows the zoo)";
    diags.error(where, msg);
    return Node{};
  }
  return load_yaml(f->text, f->path, diags);
}

std::optional<Scenario> load_scenario_file(const std::string& path, const Zoo& zoo, const std::vector<Override>& overrides,
                                           Diagnostics& diags) {
  std::string text;
  std::string file = path;
  if (!read_text_file(path, text, diags)) {
    // Not a file: a scenario of the zoo by id.
    if (const ZooFile* z = zoo.find("scenario", path); z != nullptr && path.find('/') == std::string::npos) {
      diags.clear();
      text = z->text;
      file = z->path;
      return load_scenario_text(text, file, zoo, overrides, diags);
    }
    if (path.find('/') == std::string::npos && path.find('.') == std::string::npos) {
      std::string msg = "no such file, and no zoo scenario of that id";
      if (auto s = did_you_mean(path, zoo.ids("scenario"))) msg += "; did you mean \"" + *s + "\"?";
      diags.clear();
      diags.error(Origin{path, 0, 0}, msg + " (mlsim list scenarios shows the zoo)");
    }
    return std::nullopt;
  }
  return load_scenario_text(text, file, zoo, overrides, diags);
}

std::optional<Scenario> load_scenario_text(const std::string& text, const std::string& file, const Zoo& zoo,
                                           const std::vector<Override>& overrides, Diagnostics& diags) {
  Node root = load_yaml(text, file, diags);
  if (diags.has_errors()) return std::nullopt;
  if (!root.is_map()) {
    diags.error(root.origin, "a scenario must be a mapping (schema_version, kind, system, model, ...)");
    return std::nullopt;
  }
  // Overrides of the references themselves (--set system.accelerator=h200_sxm) come first...
  for (const auto& o : overrides) {
    if (!under_reference(split(o.path, '.'))) apply_override(root, o, diags);
  }
  const std::filesystem::path fp(file);
  const std::string base_dir = fp.has_parent_path() ? fp.parent_path().string() : "";
  const bool from_zoo = zoo.find("scenario", fp.stem().string()) != nullptr &&
                        zoo.find("scenario", fp.stem().string())->path == file;
  // A node without an accelerator brings its own.
  if (Node* system = root.find("system"); system != nullptr && system->is_map()) {
    if (Node* node_ref = system->find("node"); node_ref != nullptr && system->find("accelerator") == nullptr) {
      resolve_reference(*node_ref, "node", from_zoo ? "" : base_dir, zoo, diags);
      if (const Node* acc = node_ref->is_map() ? node_ref->find("accelerator") : nullptr; acc != nullptr && acc->is_scalar()) {
        system->set("accelerator", *acc, acc->origin);
      }
    }
  }
  for (const auto& slot : reference_slots()) {
    if (Node* n = walk(root, slot.path)) resolve_reference(*n, slot.kind, from_zoo ? "" : base_dir, zoo, diags);
  }
  // ...then overrides of keys inside the resolved entries.
  for (const auto& o : overrides) {
    if (under_reference(split(o.path, '.'))) apply_override(root, o, diags);
  }
  if (diags.has_errors()) return std::nullopt;

  Scenario s;
  s.file = file;
  MapReader r(&root, diags, "scenario");
  std::string id;
  read_header(r, "scenario", id, s.name);
  r.allow({"description"});
  r.get("description");
  // Defaults: the average US grid, and the framework that runs the job.
  if (const Node* system = r.get("system", Need::kRequired)) {
    MapReader sr(system, diags, "system");
    if (const Node* acc = sr.get("accelerator", Need::kRequired)) s.system.accelerator = read_accelerator(*acc, diags);
    s.system.count = sr.integer("count", Need::kOptional, 1, 1LL << 30).value_or(1);
    if (const Node* node = sr.get("node")) s.system.node = read_node(*node, diags);
    if (const Node* fabric = sr.get("fabric")) s.system.fabric = read_fabric(*fabric, diags);
    if (const Node* site = sr.get("site")) {
      s.system.site = read_site(*site, diags);
    } else {
      Node def = load_entry(zoo, "site", "us_average", system->origin, diags);
      if (!def.is_null()) s.system.site = read_site(def, diags);
    }
    sr.finish();
  }
  if (const Node* model = r.get("model", Need::kRequired)) s.model = read_model(*model, diags);
  const Node* training = r.get("training");
  const Node* inference = r.get("inference");
  if (training != nullptr && inference != nullptr) {
    diags.error(inference->origin, "a scenario has exactly one of training or inference, not both");
  } else if (training == nullptr && inference == nullptr) {
    diags.error(root.origin, "a scenario needs one of training or inference");
  }
  if (training != nullptr) s.training = read_training(*training, s.model, diags);
  if (inference != nullptr) s.inference = read_inference(*inference, s.model, diags);
  if (s.inference && s.inference->speculative && s.inference->speculative->method == "draft_model") {
    const Node* sp = inference->find("speculative");
    const Node* draft = sp != nullptr ? sp->find("draft") : nullptr;
    Node entry = load_entry(zoo, "model", s.inference->speculative->draft, draft != nullptr ? draft->origin : inference->origin, diags);
    if (!entry.is_null()) s.inference->draft_model = read_model(entry, diags);
  }
  if (const Node* sw = r.get("software")) {
    s.software = read_software(*sw, diags);
  } else {
    Node def = load_entry(zoo, "software", inference != nullptr ? "vllm" : "pytorch_eager", root.origin, diags);
    if (!def.is_null()) s.software = read_software(def, diags);
  }
  if (s.training) {
    auto& t = *s.training;
    t.overlap_dp_grad = t.overlap_dp_grad_set.value_or(s.software.overlap_dp_grad.value_or(true));
    t.overlap_tp_comm = t.overlap_tp_comm_set.value_or(s.software.overlap_tp_comm.value_or(false));
    t.overlap_pp_p2p = t.overlap_pp_p2p_set.value_or(s.software.overlap_pp_p2p.value_or(true));
    t.overlap_ep_a2a = t.overlap_ep_a2a_set.value_or(s.software.overlap_ep_a2a.value_or(false));
    t.overlap_cp_ring = t.overlap_cp_ring_set.value_or(s.software.overlap_cp_ring.value_or(true));
    t.overlap_tp_backward = t.overlap_tp_backward_set.value_or(s.software.overlap_tp_backward.value_or(false));
    t.overlap_zero_prefetch = t.overlap_zero_prefetch_set.value_or(s.software.overlap_zero_prefetch.value_or(false));
    auto& par = t.parallelism;
    par.sequence_parallel = par.sequence_parallel_set.value_or(s.software.sequence_parallel.value_or(par.tp > 1));
  }
  if (const Node* ops = r.get("ops")) {
    MapReader o(ops, diags, "ops");
    s.duration = o.quantity<Seconds>("duration", "30 d");
    o.finish();
  }
  if (const Node* rel = r.get("reliability")) {
    s.reliability = read_reliability_spec(*rel, diags);
    if (training == nullptr) diags.error(rel->origin, "reliability: applies to training runs only (failures and checkpoints of a job)");
  }
  if (const Node* op = r.get("operations")) s.operations = read_operations_spec(*op, diags);
  if (const Node* data = r.get("data")) {
    s.data = read_data_spec(*data, diags);
    if (training == nullptr) diags.error(data->origin, "data: applies to training runs only (the input pipeline feeding a training step)");
  }
  if (const Node* alg = r.get("algorithm")) {
    s.algorithm = read_algorithm_spec(*alg, diags);
    if (training == nullptr) diags.error(alg->origin, "algorithm: applies to training runs only (DP-SGD, pruned or quantized weights)");
  }
  if (const Node* rl = r.get("rlhf")) {
    s.rlhf = read_rlhf(*rl, diags);
    if (training == nullptr) {
      diags.error(rl->origin, "rlhf: needs a training section (precision, parallelism, micro_batch and the PPO mini-batch "
                              "as global_batch of the actor and critic)");
    } else if (s.training && s.model.architecture == Architecture::kCnn) {
      diags.error(rl->origin, "rlhf: the actor (model) must be a transformer");
    } else if (s.training) {
      const long long seq = s.rlhf->prompt_tokens + s.rlhf->response_tokens;
      const Node* tn = training->find("seq_len");
      if (s.training->seq_len != seq) {
        diags.error(tn != nullptr ? tn->origin : training->origin,
                    "training.seq_len: an RLHF scenario trains on prompt + response, " + std::to_string(seq) + " tokens; got " +
                        std::to_string(s.training->seq_len));
      }
      if (s.rlhf->prompts_per_iteration % s.training->global_batch != 0) {
        const Node* gb = training->find("global_batch");
        diags.error(gb != nullptr ? gb->origin : training->origin,
                    "training.global_batch: the PPO mini-batch (" + std::to_string(s.training->global_batch) +
                        ") must divide rlhf.prompts_per_iteration (" + std::to_string(s.rlhf->prompts_per_iteration) + ")");
      }
    }
  }
  r.finish();
  if (diags.has_errors()) return std::nullopt;
  s.tree = std::move(root);
  return s;
}

Node model_tree_from_hf_config(const Node& config, Diagnostics& diags) {
  // Hugging Face config.json keys (transformers' LlamaConfig, MistralConfig, MixtralConfig,
  // Qwen2Config, GPT2Config) mapped onto the model entry's keys.
  if (!config.is_map()) {
    diags.error(config.origin, "a config.json must be an object");
    return Node{};
  }
  const auto get = [&](std::initializer_list<const char*> keys) -> const Node* {
    for (const char* k : keys) {
      if (const Node* v = config.find(k); v != nullptr && !v->is_null()) return v;
    }
    return nullptr;
  };
  const Node* type = get({"model_type"});
  const std::string model_type = type != nullptr ? type->scalar : "";
  const std::vector<std::string> supported = {"llama", "mistral", "mixtral", "qwen2", "gpt2"};
  if (std::find(supported.begin(), supported.end(), model_type) == supported.end()) {
    diags.error(type != nullptr ? type->origin : config.origin,
                "config.json: model_type \"" + model_type + "\" is not supported by the importer (supported: llama, "
                "mistral, mixtral, qwen2, gpt2); write a model YAML instead");
    return Node{};
  }
  Node m;
  m.kind = Node::Kind::kMap;
  m.origin = config.origin;
  const auto put = [&](const std::string& key, const std::string& value, const Origin& o) {
    m.set(key, Node::make_scalar(value, o), o);
  };
  const auto copy = [&](const std::string& key, std::initializer_list<const char*> from) {
    if (const Node* v = get(from)) put(key, v->scalar, v->origin);
  };
  put("schema_version", "1", config.origin);
  put("kind", "model", config.origin);
  put("architecture", "decoder", config.origin);
  const bool gpt2 = model_type == "gpt2";
  copy("layers", {"num_hidden_layers", "n_layer"});
  copy("hidden", {"hidden_size", "n_embd"});
  copy("heads", {"num_attention_heads", "n_head"});
  copy("kv_heads", {"num_key_value_heads"});
  copy("head_dim", {"head_dim"});
  if (gpt2) {
    const Node* h = get({"n_embd"});
    const Node* inner = get({"n_inner"});
    if (inner != nullptr) {
      put("ffn", inner->scalar, inner->origin);
    } else if (h != nullptr) {
      put("ffn", std::to_string(4 * std::stoll(h->scalar)), h->origin);
    }
  } else {
    copy("ffn", {"intermediate_size"});
  }
  put("activation", gpt2 ? "gelu" : "swiglu", config.origin);
  put("norm", gpt2 ? "layernorm" : "rmsnorm", config.origin);
  put("bias", gpt2 ? "true" : "false", config.origin);
  if (model_type == "qwen2") {
    Node b;
    b.kind = Node::Kind::kMap;
    b.set("qkv", Node::make_scalar("true", config.origin), config.origin);
    m.set("bias", b, config.origin);
  }
  put("positions", gpt2 ? "learned" : "rope", config.origin);
  copy("max_seq_len", {"max_position_embeddings", "n_positions"});
  if (const Node* w = get({"sliding_window"}); w != nullptr && model_type == "mistral") put("sliding_window", w->scalar, w->origin);
  copy("vocab", {"vocab_size"});
  if (const Node* t = get({"tie_word_embeddings"})) {
    put("tied_embeddings", t->scalar, t->origin);
  } else {
    put("tied_embeddings", gpt2 ? "true" : "false", config.origin);
  }
  if (model_type == "mixtral") {
    Node moe;
    moe.kind = Node::Kind::kMap;
    if (const Node* e = get({"num_local_experts"})) moe.set("experts", Node::make_scalar(e->scalar, e->origin), e->origin);
    if (const Node* k = get({"num_experts_per_tok"})) moe.set("top_k", Node::make_scalar(k->scalar, k->origin), k->origin);
    if (const Node* f = get({"intermediate_size"})) moe.set("expert_ffn", Node::make_scalar(f->scalar, f->origin), f->origin);
    m.set("moe", moe, config.origin);
  }
  return m;
}

}  // namespace mlsim::spec
