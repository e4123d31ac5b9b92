#include "spec/serving_spec.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/text.hpp"

namespace mlsim::spec {
namespace {

// A CSV of lengths: the first column of each line (or the column named `column`); a header line
// that is not a number is skipped.
void read_lengths_csv(const Node& at, const std::string& file, const std::string& column, LengthSpec& l, Diagnostics& d) {
  std::filesystem::path p(file);
  if (p.is_relative()) p = std::filesystem::path(at.origin.file).parent_path() / p;
  std::ifstream in(p);
  if (!in) {
    d.error(at.origin, "cannot read the CSV of lengths \"" + p.string() + "\"");
    return;
  }
  std::string line;
  long long index = 0, line_no = 0;
  bool header = true;
  while (std::getline(in, line)) {
    ++line_no;
    const auto cells = split(line, ',');
    if (cells.empty() || trim(line).empty()) continue;
    if (header) {
      header = false;
      if (!column.empty()) {
        index = -1;
        for (std::size_t i = 0; i < cells.size(); ++i) {
          if (trim(cells[i]) == column) index = static_cast<long long>(i);
        }
        if (index < 0) {
          d.error(at.origin, p.string() + ":1: no column \"" + column + "\" in the header");
          return;
        }
        continue;
      }
    }
    if (static_cast<std::size_t>(index) >= cells.size()) {
      d.error(at.origin, p.string() + ":" + std::to_string(line_no) + ": expected a length in column " + std::to_string(index + 1) +
                             ", the line has " + std::to_string(cells.size()));
      return;
    }
    const std::string cell(trim(cells[static_cast<std::size_t>(index)]));
    char* end = nullptr;
    const double v = std::strtod(cell.c_str(), &end);
    if (end == cell.c_str() || *end != '\0' || !(v >= 1.0)) {
      if (line_no == 1) continue;   // a header
      d.error(at.origin, p.string() + ":" + std::to_string(line_no) + ": expected a length >= 1, got \"" + cell + "\"");
      return;
    }
    l.values.push_back(v);
  }
  if (l.values.empty()) d.error(at.origin, p.string() + ": no lengths found");
}

LengthSpec read_length(const Node* n, Diagnostics& d, const std::string& what) {
  LengthSpec l;
  if (n == nullptr) return l;
  MapReader r(n, d, what);
  if (!r.valid()) {
    d.error(n->origin, what + ": expected a mapping, e.g. {distribution: lognormal, mean: 512, sigma: 0.8}");
    return l;
  }
  l.distribution = r.choice("distribution", {"fixed", "uniform", "exponential", "lognormal", "csv"}).value_or("fixed");
  l.mean = r.number("mean", Need::kOptional, 1.0);
  l.min = r.number("min", Need::kOptional, 1.0).value_or(1.0);
  l.max = r.number("max", Need::kOptional, 1.0).value_or(0.0);
  l.sigma = r.number("sigma", Need::kOptional, 0.0, 5.0).value_or(0.5);
  const auto file = r.string("file", l.distribution == "csv" ? Need::kRequired : Need::kOptional);
  const auto column = r.string("column");
  if (l.distribution == "uniform" && l.max < l.min) {
    d.error(n->origin, what + ": a uniform distribution needs max >= min (both in tokens)");
  }
  if (file && l.distribution == "csv") read_lengths_csv(*r.get("file"), *file, column.value_or(""), l, d);
  r.finish();
  return l;
}

}  // namespace

TrafficSpec read_traffic(const Node& n, Diagnostics& d) {
  TrafficSpec t;
  MapReader r(&n, d, "inference.traffic");
  if (!r.valid()) {
    d.error(n.origin, "inference.traffic: expected a mapping (arrival, requests, prompt, output, ...)");
    return t;
  }
  t.arrival = r.choice("arrival", {"poisson", "constant", "offline"}).value_or("poisson");
  t.requests = r.integer("requests", Need::kOptional, 1, 10'000'000).value_or(2000);
  t.seed = r.integer("seed", Need::kOptional, 0, 1LL << 53).value_or(1);
  t.prompt = read_length(r.get("prompt"), d, "inference.traffic.prompt");
  t.output = read_length(r.get("output"), d, "inference.traffic.output");
  t.prefix_cache_hit = r.number("prefix_cache_hit", Need::kOptional, 0.0, 1.0).value_or(0.0);
  t.chunked_prefill = r.boolean("chunked_prefill");
  t.kv_offload = r.boolean("kv_offload").value_or(false);
  r.finish();
  return t;
}

DisaggregatedSpec read_disaggregated(const Node& n, Diagnostics& d) {
  DisaggregatedSpec s;
  MapReader r(&n, d, "inference.disaggregated");
  if (!r.valid()) {
    d.error(n.origin, "inference.disaggregated: expected {prefill: {tp, replicas}, decode: {tp, replicas}}");
    return s;
  }
  const auto pool = [&](const char* key, long long& tp, long long& replicas) {
    const Node* p = r.get(key, Need::kRequired);
    if (p == nullptr) return;
    MapReader pr(p, d, std::string("inference.disaggregated.") + key);
    tp = pr.integer("tp", Need::kOptional, 1, 1024).value_or(1);
    replicas = pr.integer("replicas", Need::kOptional, 1, 1 << 20).value_or(1);
    pr.finish();
  };
  pool("prefill", s.prefill_tp, s.prefill_replicas);
  pool("decode", s.decode_tp, s.decode_replicas);
  r.finish();
  return s;
}

ReasoningSpec read_reasoning(const Node& n, Diagnostics& d) {
  ReasoningSpec s;
  MapReader r(&n, d, "inference.reasoning");
  if (!r.valid()) {
    d.error(n.origin, "inference.reasoning: expected {steps: K, step_tokens: T, samples: N}");
    return s;
  }
  s.steps = r.integer("steps", Need::kOptional, 0, 1 << 20).value_or(0);
  s.step_tokens = r.integer("step_tokens", s.steps > 0 ? Need::kRequired : Need::kOptional, 1, 1 << 30).value_or(0);
  s.samples = r.integer("samples", Need::kOptional, 1, 1 << 20).value_or(1);
  r.finish();
  return s;
}

SpeculativeSpec read_speculative(const Node& n, Diagnostics& d) {
  SpeculativeSpec s;
  MapReader r(&n, d, "inference.speculative");
  if (!r.valid()) {
    d.error(n.origin, "inference.speculative: expected a mapping (method, draft, tokens, acceptance)");
    return s;
  }
  s.method = r.choice("method", {"draft_model", "draft_heads"}).value_or("draft_model");
  s.draft = r.string("draft", s.method == "draft_model" ? Need::kRequired : Need::kOptional).value_or("");
  s.tokens = r.integer("tokens", Need::kOptional, 1, 64).value_or(4);
  s.acceptance = r.number("acceptance", Need::kOptional, 0.0, 1.0).value_or(0.7);
  s.head_cost = r.number("head_cost", Need::kOptional, 0.0, 1.0).value_or(0.05);
  r.finish();
  return s;
}

}  // namespace mlsim::spec
