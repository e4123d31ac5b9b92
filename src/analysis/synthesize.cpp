#include "analysis/synthesize.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/evaluate.hpp"
#include "analysis/metrics.hpp"
#include "analysis/sweep.hpp"
#include "core/text.hpp"

namespace mlsim::analysis {
namespace {

// The accelerator count, as the data-parallel degree with the count following it.
Knob count_knob(const spec::Scenario& s) {
  Knob k;
  k.kind = KnobKind::kInteger;
  k.min = 1;
  k.max = 1 << 20;
  k.degree = true;
  if (s.training) {
    k.path = "training.parallelism.dp";
    k.get = [](const spec::Scenario& t) -> std::optional<double> { return static_cast<double>(t.system.count); };
    k.set = [](spec::Scenario& t, double v) {
      auto& p = t.training->parallelism;
      const long long per_replica = p.tp * p.pp * p.cp;
      const long long dp = std::max<long long>(1, std::llround(v) / per_replica);
      p.dp = dp;
      t.system.count = dp * per_replica;
    };
  } else {
    k.path = "inference.parallelism.dp";
    k.get = [](const spec::Scenario& t) -> std::optional<double> { return static_cast<double>(t.system.count); };
    k.set = [](spec::Scenario& t, double v) {
      auto& p = t.inference->parallelism;
      const long long per_replica = p.tp * p.pp;
      const long long dp = std::max<long long>(1, std::llround(v) / per_replica);
      p.dp = dp;
      t.system.count = dp * per_replica;
    };
  }
  return k;
}

std::size_t per_replica(const spec::Scenario& s) {
  if (s.training) {
    const auto& p = s.training->parallelism;
    return static_cast<std::size_t>(p.tp * p.pp * p.cp);
  }
  const auto& p = s.inference->parallelism;
  return static_cast<std::size_t>(p.tp * p.pp);
}

}  // namespace

bool meets_targets(const spec::Scenario& s, const std::vector<Target>& targets, std::string* wall) {
  if (!unsupported_reason(s).empty()) return false;
  thread_local Evaluator ev;
  const Estimate e = ev.evaluate(s, EvalOptions{false});
  if (wall != nullptr) *wall = e.feasible ? e.binding_wall : "infeasible: " + e.infeasible_reason;
  if (!e.feasible) return false;
  static const std::vector<SweepAxis> no_axes;
  static const std::vector<std::size_t> no_coords;
  std::vector<ExprValue> vars(metric_table().size() + 1);
  for (const auto& t : targets) {
    for (std::size_t id : t.expr.variables()) fill_point_variable(vars, id, no_axes, no_coords, e);
    if (!t.expr.test(vars)) return false;
  }
  return true;
}

ResourceAnswer least_resource(const spec::Scenario& base, const Knob& k, const std::string& resource, const std::vector<Target>& targets) {
  ResourceAnswer a;
  a.resource = resource;
  a.knob = k.path;
  a.unit = k.unit;
  spec::Scenario s = base;
  s.tree = spec::Node{};
  const auto x0o = k.get(s);
  if (!x0o || !(*x0o > 0.0)) {
    a.note = "the scenario has no such figure";
    return a;
  }
  a.current = *x0o;
  const bool integer = k.kind == KnobKind::kInteger;
  const double step_unit = integer && k.degree ? static_cast<double>(per_replica(s)) : 1.0;
  const auto meets = [&](double x, std::string* wall = nullptr) {
    spec::Scenario t = s;
    k.set(t, x);
    ++a.evaluations;
    return meets_targets(t, targets, wall);
  };
  a.met_now = meets(a.current);
  // Bracket: `good` meets, `bad` does not.
  double good = 0.0, bad = 0.0;
  if (a.met_now) {
    good = a.current;
    bad = a.current;
    bool found = false;
    for (int i = 0; i < 60; ++i) {
      double next = integer ? std::floor(bad / 2.0 / step_unit) * step_unit : bad / 2.0;
      if (next < std::max(k.min, step_unit) || next <= 0.0) {
        const double floor_value = std::max(k.min, step_unit);
        if (integer && bad > floor_value) {
          if (meets(floor_value)) {
            good = floor_value;
          } else {
            bad = floor_value;
            found = true;
          }
        }
        break;
      }
      if (!meets(next)) {
        bad = next;
        found = true;
        break;
      }
      good = next;
      bad = next;
    }
    if (!found) {
      if (integer) {
        a.least = good;   // the smallest whole value meets them
      } else {
        a.unconstrained = true;
        a.note = "any amount meets the targets (tried down to " + (k.unit.empty() ? format_double(good, 6) : format_si(good, k.unit)) +
                 "): this resource does not limit them";
      }
      meets(good, &a.binding_wall);
      return a;
    }
  } else {
    bad = a.current;
    good = a.current;
    bool found = false;
    for (int i = 0; i < 40; ++i) {
      double next = integer ? bad * 2.0 : bad * 2.0;
      if (next > k.max) break;
      if (meets(next)) {
        good = next;
        found = true;
        break;
      }
      bad = next;
    }
    if (!found) {
      std::string wall;
      meets(bad, &wall);
      a.binding_wall = wall;
      a.note = "unreachable with this resource alone (tried up to " + (k.unit.empty() ? format_double(bad, 6) : format_si(bad, k.unit)) + ", " +
               std::to_string(static_cast<long long>(std::round(bad / a.current))) + "x; binding there: " + wall + ")";
      return a;
    }
  }
  // Bisection between bad (fails) and good (meets).
  if (integer) {
    while (good - bad > step_unit + 0.5) {
      double mid = std::floor((good + bad) / 2.0 / step_unit) * step_unit;
      if (mid <= bad) mid = bad + step_unit;
      if (mid >= good) break;
      if (meets(mid)) good = mid;
      else bad = mid;
    }
  } else {
    while (good / bad > 1.0 + 1e-5) {
      const double mid = std::sqrt(good * bad);
      if (meets(mid)) good = mid;
      else bad = mid;
    }
  }
  a.least = good;
  meets(good, &a.binding_wall);
  return a;
}

SynthesisResult synthesize(const spec::Scenario& s, const std::string& scenario_text, const std::string& file,
                           const spec::Zoo& zoo, const std::vector<spec::Override>& overrides,
                           const std::vector<Target>& targets) {
  SynthesisResult r;
  r.scenario = s.name;
  for (const auto& t : targets) r.targets.push_back(t.text);
  r.met_now = meets_targets(s, targets);
  const Precision prec = s.training ? s.training->precision : s.inference->precision.activations;
  const std::vector<std::pair<std::string, std::string>> resources = {
      {"peak FLOPS (" + std::string(precision_name(prec)) + ")", "system.accelerator.peak." + std::string(precision_name(prec))},
      {"memory bandwidth", "system.accelerator.memory.bandwidth"},
      {"memory capacity", "system.accelerator.memory.capacity"},
      {"scale-up link bandwidth", "system.node.scale_up.bandwidth"},
      {"network (NIC) bandwidth", "system.node.nics.bandwidth"},
      {"fabric link bandwidth", "system.fabric.link.bandwidth"},
      {"host link bandwidth", "system.accelerator.host_link.bandwidth"},
  };
  for (const auto& [name, path] : resources) {
    const Knob* k = find_knob(path);
    if (k == nullptr || !k->get(s)) continue;
    if (path == "system.accelerator.host_link.bandwidth" && s.system.count > 1) continue;
    if ((path.rfind("system.node.", 0) == 0 || path.rfind("system.fabric.", 0) == 0) && s.system.count <= 1) continue;
    r.resources.push_back(least_resource(s, *k, name, targets));
  }
  r.resources.push_back(least_resource(s, count_knob(s), "accelerator count", targets));
  r.resources.back().knob = "system.count";
  // The zoo: every accelerator in the scenario's place, at the scenario's count (or the least count
  // that meets the targets, for training and serving replicas).
  for (const auto& id : zoo.ids("accelerator")) {
    auto ov = overrides;
    ov.push_back({"system.accelerator", id});
    Diagnostics d;
    auto t = spec::load_scenario_text(scenario_text, file, zoo, ov, d);
    ZooAnswer z;
    z.accelerator = id;
    if (!t) {
      z.note = "not a valid scenario with this accelerator";
      r.zoo.push_back(z);
      continue;
    }
    t->tree = spec::Node{};
    z.count = t->system.count;
    std::string wall;
    z.meets = meets_targets(*t, targets, &wall);
    if (!z.meets && s.training) {
      const auto c = least_resource(*t, count_knob(*t), "accelerator count", targets);
      if (c.least) {
        z.count = std::llround(*c.least);
        z.meets = true;
        z.note = "at " + std::to_string(z.count) + " accelerators";
        count_knob(*t).set(*t, *c.least);
        meets_targets(*t, targets, &wall);
      }
    }
    z.binding_wall = wall;
    const double n = static_cast<double>(z.count);
    if (t->system.accelerator.purchase_price) z.purchase_usd = t->system.accelerator.purchase_price->si() * n;
    if (t->system.accelerator.rental_price) z.rental_usd_per_h = t->system.accelerator.rental_price->si() * 3600.0 * n;
    r.zoo.push_back(z);
  }
  std::stable_sort(r.zoo.begin(), r.zoo.end(), [](const ZooAnswer& x, const ZooAnswer& y) {
    if (x.meets != y.meets) return x.meets;
    const double px = x.purchase_usd.value_or(1e300), py = y.purchase_usd.value_or(1e300);
    if (px != py) return px < py;
    return x.rental_usd_per_h.value_or(1e300) < y.rental_usd_per_h.value_or(1e300);
  });
  return r;
}

}  // namespace mlsim::analysis
