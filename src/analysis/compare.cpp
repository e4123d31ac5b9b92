#include "analysis/compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "analysis/evaluate.hpp"
#include "analysis/knobs.hpp"
#include "analysis/metrics.hpp"

namespace mlsim::analysis {
namespace {

// Knobs that vary together as one input (every precision's peak; every precision's GEMM efficiency).
std::string group_of(const std::string& path) {
  for (const char* prefix : {"system.accelerator.peak.", "system.accelerator.efficiency.compute."}) {
    const std::string p = prefix;
    if (path.rfind(p, 0) == 0) return p.substr(0, p.size() - 1);
  }
  return path;
}

bool differ(double a, double b) { return std::fabs(a - b) > 1e-12 * std::max(std::fabs(a), std::fabs(b)); }

struct Input {
  std::string name;
  std::vector<const Knob*> knobs;
  bool other = false;
};

}  // namespace

double Contribution::factor() const { return std::exp(shapley_ln); }

std::optional<CompareResult> compare(const spec::Scenario& a_in, const spec::Scenario& b_in, std::size_t metric, std::string& error) {
  spec::Scenario a = a_in, b = b_in;
  a.tree = spec::Node{};
  b.tree = spec::Node{};
  const Metric& m = metric_table()[metric];
  CompareResult r;
  r.a_name = a.name;
  r.b_name = b.name;
  r.metric = m.path;
  r.higher_is_better = m.higher_is_better;
  Evaluator ev;
  const auto value_of = [&](const spec::Scenario& s, std::string* wall, Estimate* keep) -> std::optional<double> {
    if (!unsupported_reason(s).empty()) return std::nullopt;
    Estimate e = ev.evaluate(s, EvalOptions{false});
    ++r.evaluations;
    if (!e.feasible) return std::nullopt;
    const auto v = m.get(e);
    if (!v || !(*v > 0.0)) return std::nullopt;
    if (wall != nullptr) *wall = e.binding_wall;
    if (keep != nullptr) *keep = std::move(e);
    return v;
  };
  Estimate ea, eb;
  const auto va = value_of(a, &r.binding_a, &ea);
  const auto vb = value_of(b, &r.binding_b, &eb);
  if (!va || !vb) {
    error = std::string(!va ? "A" : "B") + " is infeasible or has no positive " + m.path + ": nothing to compare";
    return std::nullopt;
  }
  r.a_value = *va;
  r.b_value = *vb;
  r.ln_speedup = m.higher_is_better ? std::log(*vb / *va) : std::log(*va / *vb);
  r.speedup = std::exp(r.ln_speedup);
  r.regime_shift = r.binding_a != r.binding_b;
  for (const auto& w : wall_names()) {
    CompareWall cw;
    cw.name = w;
    for (const auto& x : ea.walls) {
      if (x.name == w) cw.a_s = x.time_s;
    }
    for (const auto& x : eb.walls) {
      if (x.name == w) cw.b_s = x.time_s;
    }
    if (cw.a_s || cw.b_s) r.walls.push_back(cw);
  }
  // The changed inputs: knobs both scenarios have and that differ, grouped.
  std::vector<Input> inputs;
  std::map<std::string, std::size_t> by_name;
  for (const Knob& k : knob_table()) {
    const auto xa = k.get(a), xb = k.get(b);
    if (!xa || !xb || !differ(*xa, *xb)) continue;
    const std::string g = group_of(k.path);
    if (!by_name.count(g)) {
      by_name[g] = inputs.size();
      inputs.push_back({g, {}, false});
    }
    inputs[by_name[g]].knobs.push_back(&k);
  }
  // "other": whatever A with every knob of B still differs from B in.
  {
    spec::Scenario t = a;
    for (const auto& in : inputs) {
      for (const Knob* k : in.knobs) k->set(t, *k->get(b));
    }
    const auto vt = value_of(t, nullptr, nullptr);
    if (!vt || differ(*vt, *vb)) inputs.push_back({"other", {}, true});
  }
  const std::size_t n = inputs.size();
  // v(S) as ln M(A) - ln M(S) for a time (reversed for a rate); memoized by subset mask.
  std::map<std::uint64_t, double> memo;
  bool infeasible_mix = false;
  const auto v = [&](std::uint64_t mask) -> double {
    if (auto it = memo.find(mask); it != memo.end()) return it->second;
    bool other = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (inputs[i].other && (mask >> i & 1U)) other = true;
    }
    spec::Scenario t = other ? b : a;
    for (std::size_t i = 0; i < n; ++i) {
      if (inputs[i].other) continue;
      const bool from_b = (mask >> i & 1U) != 0;
      for (const Knob* k : inputs[i].knobs) k->set(t, *k->get(from_b ? b : a));
    }
    const auto x = value_of(t, nullptr, nullptr);
    double val = 0.0;
    if (!x) {
      infeasible_mix = true;
    } else {
      val = m.higher_is_better ? std::log(*x / *va) : std::log(*va / *x);
    }
    memo[mask] = val;
    return val;
  };
  std::vector<double> phi(n, 0.0);
  if (n <= 14) {
    // Exact: weights |S|!(n-|S|-1)!/n! over every subset S without i.
    std::vector<double> fact(n + 1, 1.0);
    for (std::size_t i = 1; i <= n; ++i) fact[i] = fact[i - 1] * static_cast<double>(i);
    for (std::uint64_t mask = 0; mask < (1ULL << n); ++mask) {
      const auto size = static_cast<std::size_t>(__builtin_popcountll(mask));
      for (std::size_t i = 0; i < n; ++i) {
        if (mask >> i & 1U) continue;
        const double w = fact[size] * fact[n - size - 1] / fact[n];
        phi[i] += w * (v(mask | (1ULL << i)) - v(mask));
      }
    }
  } else {
    // Sampled orders (Castro et al. 2009): each order telescopes, so the values still sum exactly.
    r.exact = false;
    std::mt19937_64 rng(12345);
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    constexpr int kOrders = 2000;
    for (int p = 0; p < kOrders; ++p) {
      std::shuffle(order.begin(), order.end(), rng);
      std::uint64_t mask = 0;
      double prev = 0.0;
      for (std::size_t i : order) {
        mask |= 1ULL << i;
        const double cur = v(mask);
        phi[i] += (cur - prev) / kOrders;
        prev = cur;
      }
    }
  }
  if (infeasible_mix) {
    error = "a mix of A's and B's inputs is infeasible (e.g. does not fit), so the speedup cannot be split among the inputs";
    return std::nullopt;
  }
  for (std::size_t i = 0; i < n; ++i) {
    Contribution c;
    c.input = inputs[i].name;
    c.shapley_ln = phi[i];
    if (!inputs[i].other) {
      // The value that matters: the job's precision for a group, else the knob's own.
      const Knob* k = inputs[i].knobs.front();
      if (inputs[i].knobs.size() > 1) {
        const std::string prec = a.training ? std::string(precision_name(a.training->precision))
                                            : std::string(precision_name(a.inference->precision.activations));
        for (const Knob* kk : inputs[i].knobs) {
          if (kk->path == c.input + "." + prec) k = kk;
        }
        c.input = k->path;   // every precision of the group moves with it
      }
      c.a_value = k->get(a);
      c.b_value = k->get(b);
      c.unit = k->unit;
      c.a_text = knob_value_text(*k, *k->get(a));
      c.b_text = knob_value_text(*k, *k->get(b));
    }
    r.contributions.push_back(c);
  }
  std::stable_sort(r.contributions.begin(), r.contributions.end(),
                   [](const Contribution& x, const Contribution& y) { return std::fabs(x.shapley_ln) > std::fabs(y.shapley_ln); });
  return r;
}

}  // namespace mlsim::analysis
