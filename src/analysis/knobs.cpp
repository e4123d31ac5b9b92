#include "analysis/knobs.hpp"

#include <charconv>
#include <cmath>

#include "core/unit_parser.hpp"

namespace mlsim::analysis {
namespace {

using spec::Scenario;
using Get = std::function<std::optional<double>(const Scenario&)>;
using Set = std::function<void(Scenario&, double)>;

constexpr DimensionVector kNone = dimension_of<Quantity<Dimensionless>>();

Knob real(std::string path, DimensionVector dim, std::string unit, double min, double max, Get get, Set set) {
  Knob k;
  k.path = std::move(path);
  k.dimension = dim;
  k.unit = std::move(unit);
  k.min = min;
  k.max = max;
  k.get = std::move(get);
  k.set = std::move(set);
  return k;
}

Knob integer(std::string path, double min, double max, Get get, Set set, bool degree = false) {
  Knob k = real(std::move(path), kNone, "", min, max, std::move(get), std::move(set));
  k.kind = KnobKind::kInteger;
  k.degree = degree;
  return k;
}

long long whole(double v) { return std::llround(v); }

// What the reader derives from tp (spec/scenario.cpp): sequence parallelism defaults on with TP.
void refresh_training_defaults(Scenario& s) {
  auto& p = s.training->parallelism;
  p.sequence_parallel = p.sequence_parallel_set.value_or(s.software.sequence_parallel.value_or(p.tp > 1));
}

template <class Q>
std::optional<double> si(const std::optional<Q>& q) {
  return q ? std::optional<double>(q->si()) : std::nullopt;
}

std::vector<Knob> build() {
  std::vector<Knob> t;
  const auto bw = dimension_of<BytesPerSecond>();
  const auto bytes = dimension_of<Bytes>();
  const auto secs = dimension_of<Seconds>();
  const auto flops = dimension_of<FlopsPerSecond>();
  const double kBig = 1e300;
  // The accelerator.
  for (const auto& name : precision_names()) {
    const auto idx = static_cast<std::size_t>(*precision_from_name(name));
    t.push_back(real("system.accelerator.peak." + name, flops, "FLOPS", 1e-300, kBig,
                     [idx](const Scenario& s) { return si(s.system.accelerator.peak[idx]); },
                     [idx](Scenario& s, double v) { s.system.accelerator.peak[idx] = FlopsPerSecond(v); }));
  }
  t.push_back(real("system.accelerator.memory.capacity", bytes, "B", 1e-300, kBig,
                   [](const Scenario& s) { return std::optional<double>(s.system.accelerator.memory_capacity.si()); },
                   [](Scenario& s, double v) { s.system.accelerator.memory_capacity = Bytes(v); }));
  t.push_back(real("system.accelerator.memory.bandwidth", bw, "B/s", 1e-300, kBig,
                   [](const Scenario& s) { return std::optional<double>(s.system.accelerator.memory_bandwidth.si()); },
                   [](Scenario& s, double v) { s.system.accelerator.memory_bandwidth = BytesPerSecond(v); }));
  t.push_back(real("system.accelerator.scale_up.bandwidth", bw, "B/s", 1e-300, kBig,
                   [](const Scenario& s) { return si(s.system.accelerator.scale_up_bandwidth); },
                   [](Scenario& s, double v) { s.system.accelerator.scale_up_bandwidth = BytesPerSecond(v); }));
  t.push_back(real("system.accelerator.host_link.bandwidth", bw, "B/s", 1e-300, kBig,
                   [](const Scenario& s) { return si(s.system.accelerator.host_link_bandwidth); },
                   [](Scenario& s, double v) { s.system.accelerator.host_link_bandwidth = BytesPerSecond(v); }));
  t.push_back(real("system.accelerator.power.tdp", dimension_of<Watts>(), "W", 1e-300, kBig,
                   [](const Scenario& s) { return std::optional<double>(s.system.accelerator.tdp.si()); },
                   [](Scenario& s, double v) { s.system.accelerator.tdp = Watts(v); }));
  for (const auto& name : precision_names()) {
    const auto idx = static_cast<std::size_t>(*precision_from_name(name));
    t.push_back(real("system.accelerator.efficiency.compute." + name, kNone, "", 0.01, 1.0,
                     [idx](const Scenario& s) -> std::optional<double> {
                       if (!s.system.accelerator.peak[idx]) return std::nullopt;
                       return s.system.accelerator.efficiency.compute_at[idx];
                     },
                     [idx](Scenario& s, double v) { s.system.accelerator.efficiency.compute_at[idx] = v; }));
  }
  t.push_back(real("system.accelerator.efficiency.memory", kNone, "", 0.01, 1.0,
                   [](const Scenario& s) { return std::optional<double>(s.system.accelerator.efficiency.memory); },
                   [](Scenario& s, double v) { s.system.accelerator.efficiency.memory = v; }));
  t.push_back(real("system.accelerator.efficiency.attention", kNone, "", 0.01, 1.0,
                   [](const Scenario& s) { return std::optional<double>(s.system.accelerator.efficiency.attention); },
                   [](Scenario& s, double v) { s.system.accelerator.efficiency.attention = v; }));
  t.push_back(real("system.accelerator.efficiency.device_gap", secs, "s", 0.0, kBig,
                   [](const Scenario& s) { return std::optional<double>(s.system.accelerator.efficiency.device_gap.si()); },
                   [](Scenario& s, double v) { s.system.accelerator.efficiency.device_gap = Seconds(v); }));
  t.push_back(real("system.accelerator.efficiency.graph_gap", secs, "s", 0.0, kBig,
                   [](const Scenario& s) { return std::optional<double>(s.system.accelerator.efficiency.graph_gap.si()); },
                   [](Scenario& s, double v) { s.system.accelerator.efficiency.graph_gap = Seconds(v); }));
  t.push_back(real("system.accelerator.efficiency.overlap_slowdown", kNone, "", 0.0, 4.0,
                   [](const Scenario& s) { return std::optional<double>(s.system.accelerator.efficiency.overlap_slowdown); },
                   [](Scenario& s, double v) { s.system.accelerator.efficiency.overlap_slowdown = v; }));
  t.push_back(real("system.accelerator.efficiency.host_link", kNone, "", 0.01, 1.0,
                   [](const Scenario& s) { return s.system.accelerator.efficiency.host_link; },
                   [](Scenario& s, double v) { s.system.accelerator.efficiency.host_link = v; }));
  t.push_back(integer("system.count", 1, 1LL << 30, [](const Scenario& s) { return std::optional<double>(static_cast<double>(s.system.count)); },
                      [](Scenario& s, double v) { s.system.count = whole(v); }));
  // The node and the fabric.
  t.push_back(real("system.node.scale_up.bandwidth", bw, "B/s", 1e-300, kBig,
                   [](const Scenario& s) { return s.system.node ? si(s.system.node->scale_up_bandwidth) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.node->scale_up_bandwidth = BytesPerSecond(v); }));
  t.push_back(real("system.node.scale_up.latency", secs, "s", 0.0, kBig,
                   [](const Scenario& s) { return s.system.node ? si(s.system.node->scale_up_latency) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.node->scale_up_latency = Seconds(v); }));
  t.push_back(real("system.node.scale_up.efficiency", kNone, "", 0.01, 1.0,
                   [](const Scenario& s) { return s.system.node && s.system.node->scale_up_bandwidth ? std::optional<double>(s.system.node->scale_up_efficiency) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.node->scale_up_efficiency = v; }));
  t.push_back(real("system.node.nics.bandwidth", bw, "B/s", 1e-300, kBig,
                   [](const Scenario& s) { return s.system.node ? si(s.system.node->nic_bandwidth) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.node->nic_bandwidth = BytesPerSecond(v); }));
  t.push_back(real("system.node.nics.latency", secs, "s", 0.0, kBig,
                   [](const Scenario& s) { return s.system.node ? si(s.system.node->nic_latency) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.node->nic_latency = Seconds(v); }));
  t.push_back(real("system.node.nics.efficiency", kNone, "", 0.01, 1.0,
                   [](const Scenario& s) { return s.system.node && s.system.node->nic_bandwidth ? std::optional<double>(s.system.node->nic_efficiency) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.node->nic_efficiency = v; }));
  t.push_back(real("system.node.collectives.base_latency", secs, "s", 0.0, kBig,
                   [](const Scenario& s) { return s.system.node ? si(s.system.node->collective_base_latency) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.node->collective_base_latency = Seconds(v); }));
  t.push_back(real("system.node.host.memory_bandwidth", bw, "B/s", 1e-300, kBig,
                   [](const Scenario& s) { return s.system.node ? si(s.system.node->host_memory_bandwidth) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.node->host_memory_bandwidth = BytesPerSecond(v); }));
  t.push_back(real("system.fabric.link.bandwidth", bw, "B/s", 1e-300, kBig,
                   [](const Scenario& s) { return s.system.fabric ? std::optional<double>(s.system.fabric->link_bandwidth.si()) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.fabric->link_bandwidth = BytesPerSecond(v); }));
  t.push_back(real("system.fabric.link.latency", secs, "s", 0.0, kBig,
                   [](const Scenario& s) { return s.system.fabric ? std::optional<double>(s.system.fabric->link_latency.si()) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.fabric->link_latency = Seconds(v); }));
  t.push_back(real("system.fabric.oversubscription", kNone, "", 1.0, 1000.0,
                   [](const Scenario& s) { return s.system.fabric ? std::optional<double>(s.system.fabric->oversubscription) : std::nullopt; },
                   [](Scenario& s, double v) { s.system.fabric->oversubscription = v; }));
  // The software.
  t.push_back(real("software.host_per_kernel", secs, "s", 0.0, kBig,
                   [](const Scenario& s) { return std::optional<double>(s.software.host_per_kernel.si()); },
                   [](Scenario& s, double v) { s.software.host_per_kernel = Seconds(v); }));
  t.push_back(real("software.graph_launch", secs, "s", 0.0, kBig,
                   [](const Scenario& s) { return std::optional<double>(s.software.graph_launch.si()); },
                   [](Scenario& s, double v) { s.software.graph_launch = Seconds(v); }));
  t.push_back(real("software.host_per_step", secs, "s", 0.0, kBig,
                   [](const Scenario& s) { return std::optional<double>(s.software.host_per_step.si()); },
                   [](Scenario& s, double v) { s.software.host_per_step = Seconds(v); }));
  t.push_back(real("software.host_per_sequence", secs, "s", 0.0, kBig,
                   [](const Scenario& s) { return std::optional<double>(s.software.host_per_sequence.si()); },
                   [](Scenario& s, double v) { s.software.host_per_sequence = Seconds(v); }));
  t.push_back(real("software.workspace", bytes, "B", 0.0, kBig,
                   [](const Scenario& s) { return std::optional<double>(s.software.workspace.si()); },
                   [](Scenario& s, double v) { s.software.workspace = Bytes(v); }));
  // The job.
  t.push_back(integer("inference.prompt_tokens", 1, 1LL << 30,
                      [](const Scenario& s) { return s.inference && s.inference->prompt_tokens > 0 && s.model.architecture != spec::Architecture::kCnn ? std::optional<double>(static_cast<double>(s.inference->prompt_tokens)) : std::nullopt; },
                      [](Scenario& s, double v) { s.inference->prompt_tokens = whole(v); }));
  t.push_back(integer("inference.output_tokens", 1, 1LL << 30,
                      [](const Scenario& s) { return s.inference && s.model.architecture != spec::Architecture::kCnn ? std::optional<double>(static_cast<double>(s.inference->output_tokens)) : std::nullopt; },
                      [](Scenario& s, double v) { s.inference->output_tokens = whole(v); }));
  t.push_back(integer("inference.batch", 1, 1LL << 30,
                      [](const Scenario& s) { return s.inference && s.inference->batch ? std::optional<double>(static_cast<double>(*s.inference->batch)) : std::nullopt; },
                      [](Scenario& s, double v) {
                        s.inference->batch = whole(v);
                        s.inference->batch_max = false;
                      }));
  t.push_back(integer("inference.parallelism.dp", 1, 1 << 20,
                      [](const Scenario& s) { return s.inference ? std::optional<double>(static_cast<double>(s.inference->parallelism.dp)) : std::nullopt; },
                      [](Scenario& s, double v) { s.inference->parallelism.dp = whole(v); }, true));
  t.push_back(integer("training.seq_len", 1, 1LL << 30,
                      [](const Scenario& s) { return s.training && s.training->seq_len > 0 && s.model.architecture != spec::Architecture::kCnn ? std::optional<double>(static_cast<double>(s.training->seq_len)) : std::nullopt; },
                      [](Scenario& s, double v) { s.training->seq_len = whole(v); }));
  t.push_back(integer("training.global_batch", 1, 1LL << 40,
                      [](const Scenario& s) { return s.training ? std::optional<double>(static_cast<double>(s.training->global_batch)) : std::nullopt; },
                      [](Scenario& s, double v) { s.training->global_batch = whole(v); }));
  t.push_back(integer("training.micro_batch", 1, 1LL << 40,
                      [](const Scenario& s) { return s.training ? std::optional<double>(static_cast<double>(s.training->micro_batch)) : std::nullopt; },
                      [](Scenario& s, double v) { s.training->micro_batch = whole(v); }));
  for (const char* dim : {"tp", "pp", "dp", "ep", "cp"}) {
    const std::string d = dim;
    const auto field = [d](spec::Parallelism& p) -> long long& {
      return d == "tp" ? p.tp : d == "pp" ? p.pp : d == "dp" ? p.dp : d == "ep" ? p.ep : p.cp;
    };
    t.push_back(integer("training.parallelism." + d, 1, 1 << 20,
                        [field](const Scenario& s) -> std::optional<double> {
                          if (!s.training) return std::nullopt;
                          auto p = s.training->parallelism;
                          return static_cast<double>(field(p));
                        },
                        [field](Scenario& s, double v) {
                          field(s.training->parallelism) = whole(v);
                          refresh_training_defaults(s);
                        },
                        true));
  }
  // RLHF (docs/rlhf.md): the generation pool's size (disaggregated), its batch, and the response
  // length (training.seq_len follows it: prompt + response).
  t.push_back(integer("rlhf.generation.gpus", 1, 1LL << 30,
                      [](const Scenario& s) {
                        return s.rlhf && s.rlhf->placement == "disaggregated" ? std::optional<double>(static_cast<double>(s.rlhf->generation_gpus)) : std::nullopt;
                      },
                      [](Scenario& s, double v) { s.rlhf->generation_gpus = whole(v); }));
  t.push_back(integer("rlhf.generation.batch", 1, 1LL << 30,
                      [](const Scenario& s) {
                        return s.rlhf && s.rlhf->generation_batch ? std::optional<double>(static_cast<double>(*s.rlhf->generation_batch)) : std::nullopt;
                      },
                      [](Scenario& s, double v) { s.rlhf->generation_batch = whole(v); }));
  t.push_back(integer("rlhf.response_tokens", 1, 1LL << 24,
                      [](const Scenario& s) { return s.rlhf ? std::optional<double>(static_cast<double>(s.rlhf->response_tokens)) : std::nullopt; },
                      [](Scenario& s, double v) {
                        s.rlhf->response_tokens = whole(v);
                        if (s.training) s.training->seq_len = s.rlhf->prompt_tokens + s.rlhf->response_tokens;
                      }));
  return t;
}

}  // namespace

const std::vector<Knob>& knob_table() {
  static const std::vector<Knob> table = build();
  return table;
}

const Knob* find_knob(std::string_view path) {
  for (const auto& k : knob_table()) {
    if (k.path == path) return &k;
  }
  return nullptr;
}

std::optional<double> parse_knob_value(const Knob& k, std::string_view text, std::string& error) {
  error.clear();
  double v = 0.0;
  if (k.dimension == kNone) {
    const auto n = parse_number(text);
    if (!n) {
      error = "expected a number for " + k.path + ", got \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    v = *n;
  } else {
    const UnitParse p = parse_quantity_text(text);
    if (!p.value) {
      error = "expected " + dimension_name(k.dimension) + " for " + k.path + " (in " + k.unit + " or with a prefix), got \"" +
              std::string(text) + "\"" + (p.error ? ": " + p.error->message : "");
      return std::nullopt;
    }
    if (!(p.value->dimension == k.dimension)) {
      error = "expected " + dimension_name(k.dimension) + " for " + k.path + ", got " + dimension_name(p.value->dimension) +
              " (\"" + std::string(text) + "\")";
      return std::nullopt;
    }
    v = p.value->si;
  }
  if (k.kind == KnobKind::kInteger && std::fabs(v - std::round(v)) > 1e-9 * std::max(1.0, std::fabs(v))) {
    error = k.path + " takes a whole number, got \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  if (!(v >= k.min && v <= k.max) || !std::isfinite(v)) {
    error = k.path + " = \"" + std::string(text) + "\" is out of range: " +
            (k.min <= 1e-300 ? std::string("it must be above 0") : "at least " + knob_value_text(k, k.min));
    if (k.max < 1e299) error += " and at most " + knob_value_text(k, k.max);
    return std::nullopt;
  }
  if (k.kind == KnobKind::kInteger) v = std::round(v);
  return v;
}

std::string knob_value_text(const Knob& k, double si) {
  char buf[64];
  if (k.kind == KnobKind::kInteger) {
    const auto r = std::to_chars(buf, buf + sizeof buf, std::llround(si));
    return std::string(buf, r.ptr);
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, si);
  std::string s(buf, r.ptr);
  if (!k.unit.empty()) s += " " + k.unit;
  return s;
}

}  // namespace mlsim::analysis
