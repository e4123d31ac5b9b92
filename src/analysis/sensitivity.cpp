#include "analysis/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <thread>

#include "analysis/metrics.hpp"

namespace mlsim::analysis {
namespace {

struct Sample {
  bool ok = false;
  double m = 0.0;
  std::string wall;
};

Sample sample(Evaluator& ev, const spec::Scenario& s, std::size_t metric) {
  Sample out;
  if (!unsupported_reason(s).empty()) return out;
  const Estimate e = ev.evaluate(s, EvalOptions{false});
  if (!e.feasible) return out;
  const auto v = metric_table()[metric].get(e);
  if (!v || !(*v > 0.0) || !std::isfinite(*v)) return out;
  out.ok = true;
  out.m = *v;
  out.wall = e.binding_wall;
  return out;
}

// A parallel degree moves by x2 or /2 with the job's size kept: dp (or the count, for dp itself)
// compensates. False when the compensating degree does not divide.
bool set_degree(const Knob& k, spec::Scenario& s, double x0, double x) {
  const double ratio = x / x0;
  if (k.path == "inference.parallelism.dp" || k.path == "training.parallelism.dp") {
    const double count = static_cast<double>(s.system.count) * ratio;
    if (count < 1.0 || std::fabs(count - std::round(count)) > 1e-9) return false;
    s.system.count = std::llround(count);
  } else if (k.path != "training.parallelism.ep") {
    auto& dp = s.training->parallelism.dp;
    const double d = static_cast<double>(dp) / ratio;
    if (d < 1.0 || std::fabs(d - std::round(d)) > 1e-9) return false;
    dp = std::llround(d);
  }
  k.set(s, x);
  return true;
}

}  // namespace

double Elasticity::magnitude() const {
  double m = std::fabs(elasticity);
  if (elasticity_down) m = std::max(m, std::fabs(*elasticity_down));
  if (elasticity_up) m = std::max(m, std::fabs(*elasticity_up));
  return m;
}

std::size_t default_sensitivity_metric(const spec::Scenario& s) {
  std::string err;
  if (s.rlhf) return *resolve_metric("rlhf.iteration_s", err);
  if (s.training) return *resolve_metric("training.step_time_s", err);
  if (s.model.architecture != spec::Architecture::kCnn) return *resolve_metric("inference.tpot_s", err);
  return *resolve_metric("inference.e2e_s", err);
}

namespace {

// The elasticity of one knob at `s` (where the metric is m0); nullopt when neither side evaluates.
std::optional<Elasticity> knob_elasticity(Evaluator& ev, const spec::Scenario& s, const Knob& k, std::size_t metric,
                                          const Sample& m0, double h) {
  const auto x0o = k.get(s);
  if (!x0o || !(*x0o > 0.0)) return std::nullopt;
  const double x0 = *x0o;
  double xd = 0.0, xu = 0.0;
  if (k.degree) {
    xd = x0 / 2.0;
    xu = x0 * 2.0;
  } else if (k.kind == KnobKind::kInteger) {
    xd = x0 - 1.0;
    xu = x0 + 1.0;
  } else {
    xd = x0 * (1.0 - h);
    xu = x0 * (1.0 + h);
  }
  Elasticity r;
  r.knob = k.path;
  r.value = x0;
  r.unit = k.unit;
  r.wall = m0.wall;
  const auto side = [&](double x, std::string& wall) -> std::optional<double> {
    if (x < k.min || x > k.max || (k.kind == KnobKind::kInteger && std::fabs(x - std::round(x)) > 1e-9)) {
      r.note += (r.note.empty() ? "" : "; ") + std::string("x = ") + knob_value_text(k, x) + " is outside the knob's range";
      return std::nullopt;
    }
    spec::Scenario t = s;
    if (k.degree) {
      if (!set_degree(k, t, x0, x)) {
        r.note += (r.note.empty() ? "" : "; ") + std::string("x = ") + knob_value_text(k, x) + " does not divide the job";
        return std::nullopt;
      }
    } else {
      k.set(t, x);
    }
    const Sample m = sample(ev, t, metric);
    if (!m.ok) {
      r.note += (r.note.empty() ? "" : "; ") + std::string("infeasible at ") + knob_value_text(k, x);
      return std::nullopt;
    }
    wall = m.wall;
    return m.m;
  };
  const auto md = side(xd, r.wall_down);
  const auto mu = side(xu, r.wall_up);
  if (!md && !mu) return std::nullopt;
  r.x_down = xd;
  r.x_up = xu;
  if (md) r.elasticity_down = std::log(m0.m / *md) / std::log(x0 / xd);
  if (mu) r.elasticity_up = std::log(*mu / m0.m) / std::log(xu / x0);
  if (md && mu) {
    r.elasticity = std::log(*mu / *md) / std::log(xu / xd);
  } else {
    r.elasticity = md ? *r.elasticity_down : *r.elasticity_up;
  }
  r.wall_changes = (md && r.wall_down != r.wall) || (mu && r.wall_up != r.wall);
  return r;
}

}  // namespace

std::vector<Elasticity> elasticities(const spec::Scenario& base, std::size_t metric, double h, std::string& error, unsigned threads) {
  std::vector<Elasticity> out;
  spec::Scenario s = base;
  s.tree = spec::Node{};
  Evaluator first;
  const Sample m0 = sample(first, s, metric);
  if (!m0.ok) {
    error = "the scenario is infeasible or has no positive " + metric_table()[metric].path + " to differentiate";
    return out;
  }
  const auto& table = knob_table();
  std::vector<std::optional<Elasticity>> results(table.size());
  if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, static_cast<unsigned>(table.size()));
  // Knob i goes to worker i mod threads: a fixed assignment, so the result never depends on timing.
  const auto work = [&](unsigned w) {
    Evaluator ev;
    for (std::size_t i = w; i < table.size(); i += threads) results[i] = knob_elasticity(ev, s, table[i], metric, m0, h);
  };
  if (threads <= 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (unsigned w = 0; w < threads; ++w) pool.emplace_back(work, w);
    for (auto& t : pool) t.join();
  }
  for (auto& r : results) {
    if (r) out.push_back(std::move(*r));
  }
  std::stable_sort(out.begin(), out.end(), [](const Elasticity& a, const Elasticity& b) { return a.magnitude() > b.magnitude(); });
  return out;
}

SamplingDesign SamplingDesign::morris(std::size_t k, std::size_t r, int levels, std::uint64_t seed) {
  // Morris (1991): a p-level grid, delta = p / (2(p-1)); each trajectory moves every factor once,
  // in a random order, up by delta where it can and down otherwise.
  SamplingDesign d;
  d.factors = k;
  std::mt19937_64 rng(seed);
  const double p = static_cast<double>(std::max(levels, 2));
  const double delta = p / (2.0 * (p - 1.0));
  std::uniform_int_distribution<int> level(0, std::max(levels, 2) - 1);
  for (std::size_t t = 0; t < r; ++t) {
    std::vector<double> x(k);
    for (auto& v : x) v = static_cast<double>(level(rng)) / (p - 1.0);
    d.points.push_back(x);
    d.changed.push_back(-1);
    d.delta.push_back(0.0);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t i : order) {
      const double step = x[i] + delta <= 1.0 + 1e-12 ? delta : -delta;
      x[i] = std::clamp(x[i] + step, 0.0, 1.0);
      d.points.push_back(x);
      d.changed.push_back(static_cast<int>(i));
      d.delta.push_back(step);
    }
  }
  return d;
}

double RangeFactor::at(double u) const {
  double v = log_scale ? lo * std::pow(hi / lo, u) : lo + (hi - lo) * u;
  if (knob != nullptr && knob->kind == KnobKind::kInteger) v = std::round(v);
  return v;
}

std::vector<MorrisEffect> morris_screening(const spec::Scenario& base, std::size_t metric, const std::vector<RangeFactor>& factors,
                                           const SamplingDesign& design, std::size_t& evaluations) {
  Evaluator ev;
  spec::Scenario s = base;
  s.tree = spec::Node{};
  std::vector<std::vector<double>> effects(factors.size());
  std::optional<double> prev;
  evaluations = 0;
  for (std::size_t j = 0; j < design.points.size(); ++j) {
    spec::Scenario t = s;
    for (std::size_t i = 0; i < factors.size(); ++i) factors[i].knob->set(t, factors[i].at(design.points[j][i]));
    const Sample m = sample(ev, t, metric);
    ++evaluations;
    const std::optional<double> cur = m.ok ? std::optional<double>(std::log(m.m)) : std::nullopt;
    if (design.changed[j] >= 0 && prev && cur) {
      effects[static_cast<std::size_t>(design.changed[j])].push_back((*cur - *prev) / design.delta[j]);
    }
    prev = cur;
  }
  std::vector<MorrisEffect> out;
  for (std::size_t i = 0; i < factors.size(); ++i) {
    MorrisEffect e;
    e.knob = factors[i].knob->path;
    const auto& v = effects[i];
    e.effects = v.size();
    if (!v.empty()) {
      double sum = 0, abs_sum = 0;
      for (double x : v) {
        sum += x;
        abs_sum += std::fabs(x);
      }
      const double n = static_cast<double>(v.size());
      e.mu = sum / n;
      e.mu_star = abs_sum / n;
      double var = 0;
      for (double x : v) var += (x - e.mu) * (x - e.mu);
      e.sigma = v.size() > 1 ? std::sqrt(var / (n - 1.0)) : 0.0;
    }
    out.push_back(e);
  }
  std::stable_sort(out.begin(), out.end(), [](const MorrisEffect& a, const MorrisEffect& b) { return a.mu_star > b.mu_star; });
  return out;
}

}  // namespace mlsim::analysis
