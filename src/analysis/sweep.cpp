#include "analysis/sweep.hpp"

#include <cmath>
#include <fnmatch.h>

#include "analysis/metrics.hpp"
#include "core/text.hpp"
#include "core/unit_parser.hpp"

namespace mlsim::analysis {

std::vector<double> expand_range(double lo, double hi, double step, bool geometric, std::string& error) {
  error.clear();
  std::vector<double> out;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(step)) {
    error = "the range's bounds and step must be finite numbers";
    return out;
  }
  if (hi < lo) {
    error = "the range's upper bound is below its lower bound";
    return out;
  }
  if (geometric ? !(step > 1.0) : !(step > 0.0)) {
    error = geometric ? "a geometric range needs a factor above 1 (lo:hi:*2)" : "an additive range needs a positive step (lo:hi:+1)";
    return out;
  }
  if (geometric && !(lo > 0.0)) {
    error = "a geometric range needs a positive lower bound";
    return out;
  }
  // Within a relative 1e-9 of hi counts as landing on it (floating-point steps such as 0.1).
  const double tol = 1e-9 * std::max(std::fabs(hi), std::fabs(lo));
  constexpr std::size_t kMaxValues = 10'000'000;
  for (std::size_t k = 0;; ++k) {
    const double v = geometric ? lo * std::pow(step, static_cast<double>(k)) : lo + step * static_cast<double>(k);
    if (v > hi + tol) break;
    out.push_back(std::min(v, hi));
    if (out.size() > kMaxValues) {
      error = "the range has more than 10 million values";
      out.clear();
      return out;
    }
  }
  return out;
}

std::string reference_kind(const std::string& path) {
  if (path == "system.accelerator") return "accelerator";
  if (path == "system.node") return "node";
  if (path == "system.fabric") return "fabric";
  if (path == "system.site") return "site";
  if (path == "software") return "software";
  if (path == "model") return "model";
  return "";
}

namespace {

std::optional<double> parse_si(const Knob* k, std::string_view text, std::string& error) {
  if (k != nullptr) return parse_knob_value(*k, trim(text), error);
  if (auto v = parse_number(trim(text))) return v;
  error = "expected a number";
  return std::nullopt;
}

}  // namespace

std::optional<SweepAxis> parse_vary(const std::string& text, const spec::Zoo& zoo, std::string& error) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    error = "--vary " + text + ": expected key=values (v1,v2 or lo:hi:+step or lo:hi:*factor or * for every zoo entry)";
    return std::nullopt;
  }
  SweepAxis a;
  a.path = std::string(trim(text.substr(0, eq)));
  const std::string spec = std::string(trim(text.substr(eq + 1)));
  a.knob = find_knob(a.path);
  const std::string kind = reference_kind(a.path);
  const auto fail = [&](const std::string& why) {
    error = "--vary " + text + ": " + why;
    return std::nullopt;
  };
  // A range: lo:hi:+step or lo:hi:*factor (numbers, with units where the knob has a dimension).
  auto parts = split(spec, ':');
  // lo:hi steps by one (counts and lengths).
  if (parts.size() == 2 && kind.empty()) parts.push_back("+1");
  if (parts.size() == 3 && kind.empty()) {
    std::string why;
    const auto lo = parse_si(a.knob, parts[0], why);
    if (!lo) return fail("lower bound: " + why);
    const auto hi = parse_si(a.knob, parts[1], why);
    if (!hi) return fail("upper bound: " + why);
    const std::string_view st = trim(parts[2]);
    if (st.empty() || (st[0] != '+' && st[0] != '*')) return fail("the step must start with + (add) or * (multiply): lo:hi:+1, lo:hi:*2");
    const bool geometric = st[0] == '*';
    std::optional<double> step;
    if (geometric || a.knob == nullptr || a.knob->dimension == DimensionVector{}) {
      step = parse_number(trim(st.substr(1)));
      if (!step && !geometric && a.knob != nullptr) step = parse_si(a.knob, st.substr(1), why);
    } else {
      const UnitParse p = parse_quantity_text(trim(st.substr(1)));
      if (p.value && p.value->dimension == a.knob->dimension) step = p.value->si;
    }
    if (!step) return fail("the step \"" + std::string(st) + "\" is not a number" + (a.knob && !geometric ? " or a " + dimension_name(a.knob->dimension) : ""));
    a.values = expand_range(*lo, *hi, *step, geometric, why);
    if (a.values.empty()) return fail(why);
    for (double& v : a.values) {
      if (a.knob != nullptr && a.knob->kind == KnobKind::kInteger) v = std::round(v);
    }
    for (double v : a.values) {
      if (a.knob != nullptr) {
        std::string range_error;
        (void)parse_knob_value(*a.knob, knob_value_text(*a.knob, v), range_error);
        if (!range_error.empty()) return fail(range_error);
      }
      a.texts.push_back(a.knob != nullptr ? knob_value_text(*a.knob, v) : format_double(v, 17));
    }
    return a;
  }
  // A list; zoo globs for reference paths.
  for (const auto& raw : split(spec, ',')) {
    const std::string item = std::string(trim(raw));
    if (item.empty()) return fail("an empty value in the list");
    if (!kind.empty() && item.find_first_of("*?[") != std::string::npos) {
      std::size_t matched = 0;
      for (const auto& id : zoo.ids(kind)) {
        if (::fnmatch(item.c_str(), id.c_str(), 0) == 0) {
          a.texts.push_back(id);
          ++matched;
        }
      }
      if (matched == 0) return fail("no " + kind + " of the zoo matches \"" + item + "\"");
      continue;
    }
    a.texts.push_back(item);
  }
  if (a.knob != nullptr) {
    for (const auto& t : a.texts) {
      std::string why;
      const auto v = parse_knob_value(*a.knob, t, why);
      if (!v) return fail(why);
      a.values.push_back(*v);
    }
  }
  return a;
}

std::shared_ptr<const SweepGrid> SweepGrid::make(const std::string& scenario_path, const spec::Zoo& zoo,
                                                  std::vector<spec::Override> base, std::vector<SweepAxis> axes,
                                                  Diagnostics& diags) {
  auto g = std::make_shared<SweepGrid>();
  g->zoo_ = &zoo;
  g->base_overrides_ = std::move(base);
  g->axes_ = std::move(axes);
  // The scenario's text, read once (a file, or a zoo scenario by id).
  if (!spec::read_text_file(scenario_path, g->text_, diags)) {
    diags.clear();
    const spec::ZooFile* z = zoo.find("scenario", scenario_path);
    if (z == nullptr) {
      (void)spec::load_scenario_file(scenario_path, zoo, g->base_overrides_, diags);   // reports why
      if (!diags.has_errors()) diags.error(Origin{scenario_path, 0, 0}, "cannot read the scenario");
      return nullptr;
    }
    g->text_ = z->text;
    g->file_ = z->path;
  } else {
    g->file_ = scenario_path;
  }
  g->base_ = spec::load_scenario_text(g->text_, g->file_, zoo, g->base_overrides_, diags);
  if (!g->base_) return nullptr;
  g->base_->tree = spec::Node{};
  for (auto& a : g->axes_) {
    if (a.texts.empty()) {
      diags.error(Origin{"--vary " + a.path, 0, 0}, "no values");
      return nullptr;
    }
    a.fast = a.knob != nullptr && a.knob->get(*g->base_).has_value();
    if (a.fast) continue;
    // Every value of a slow axis is composed once now, so a bad one is reported before any row.
    for (const auto& t : a.texts) {
      auto overrides = g->base_overrides_;
      overrides.push_back({a.path, t});
      (void)spec::load_scenario_text(g->text_, g->file_, zoo, overrides, diags);
      if (diags.has_errors()) return nullptr;
    }
  }
  g->size_ = 1;
  for (const auto& a : g->axes_) {
    const auto n = static_cast<std::uint64_t>(a.texts.size());
    if (g->size_ > (UINT64_MAX / n)) {
      diags.error(Origin{"--vary", 0, 0}, "the grid has more than 2^64 points");
      return nullptr;
    }
    g->size_ *= n;
  }
  return g;
}

void SweepGrid::coords(std::uint64_t point, std::vector<std::size_t>& out) const {
  out.resize(axes_.size());
  for (std::size_t i = axes_.size(); i-- > 0;) {
    const auto n = static_cast<std::uint64_t>(axes_[i].texts.size());
    out[i] = static_cast<std::size_t>(point % n);
    point /= n;
  }
}

PointEvaluator::PointEvaluator(std::shared_ptr<const SweepGrid> grid, EvalOptions options)
    : grid_(std::move(grid)), options_(options) {}

const Estimate& PointEvaluator::evaluate(std::uint64_t point) {
  const SweepGrid& g = *grid_;
  g.coords(point, coords_);
  // The slow axes' values: recompose only when they change.
  bool same = have_slow_;
  for (std::size_t i = 0, k = 0; same && i < coords_.size(); ++i) {
    if (!g.axes_[i].fast) same = slow_key_[k++] == coords_[i];
  }
  if (!same) {
    slow_key_.clear();
    for (std::size_t i = 0; i < coords_.size(); ++i) {
      if (!g.axes_[i].fast) slow_key_.push_back(coords_[i]);
    }
    have_slow_ = true;
    slow_error_.clear();
    if (slow_key_.empty()) {
      scenario_ = g.base_;
    } else {
      auto overrides = g.base_overrides_;
      for (std::size_t i = 0; i < coords_.size(); ++i) {
        if (!g.axes_[i].fast) overrides.push_back({g.axes_[i].path, g.axes_[i].texts[coords_[i]]});
      }
      Diagnostics d;
      scenario_ = spec::load_scenario_text(g.text_, g.file_, *g.zoo_, overrides, d);
      if (!scenario_) {
        const std::string all = d.format();
        slow_error_ = all.substr(0, all.find('\n'));
      } else {
        scenario_->tree = spec::Node{};
      }
    }
  }
  if (!scenario_) {
    estimate_ = Estimate{};
    estimate_.feasible = false;
    estimate_.infeasible_reason = "this combination of values is not a valid scenario: " + slow_error_;
    return estimate_;
  }
  for (std::size_t i = 0; i < coords_.size(); ++i) {
    const auto& a = g.axes_[i];
    if (a.fast) a.knob->set(*scenario_, a.values[coords_[i]]);
  }
  if (const std::string why = unsupported_reason(*scenario_); !why.empty()) {
    estimate_ = Estimate{};
    estimate_.scenario = scenario_->name;
    estimate_.feasible = false;
    estimate_.infeasible_reason = why;
    return estimate_;
  }
  estimate_ = evaluator_.evaluate(*scenario_, options_);
  return estimate_;
}

bool ParetoFront::offer(std::uint64_t id, const std::vector<double>& keys) {
  for (double k : keys) {
    if (std::isnan(k)) return false;
  }
  const auto dominates = [](const std::vector<double>& a, const std::vector<double>& b) {
    bool strictly = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] > b[i]) return false;
      if (a[i] < b[i]) strictly = true;
    }
    return strictly;
  };
  for (const auto& it : items_) {
    if (dominates(it.keys, keys) || it.keys == keys) return false;   // ties: the earlier point stays
  }
  std::erase_if(items_, [&](const Item& it) { return dominates(keys, it.keys); });
  items_.push_back({id, keys});
  return true;
}

}  // namespace mlsim::analysis

namespace mlsim::analysis {

std::optional<DimensionVector> metric_dimension(const std::string& path) {
  auto parts = split(path, '.');
  while (!parts.empty() && (parts.back() == "p50" || parts.back() == "p90" || parts.back() == "p99")) parts.pop_back();
  if (parts.empty()) return std::nullopt;
  const std::string& leaf = parts.back();
  const auto ends = [&](std::string_view s) { return leaf.size() >= s.size() && leaf.compare(leaf.size() - s.size(), s.size(), s) == 0; };
  if (ends("_per_s")) return dimension_of<PerSecond>();
  if (ends("_s")) return dimension_of<Seconds>();
  if (ends("_bytes") || ends("_bytes_per_token")) return dimension_of<Bytes>();
  if (ends("_j")) return dimension_of<Joules>();
  if (ends("_usd")) return dimension_of<Usd>();
  if (ends("_kg")) return dimension_of<Kilograms>();
  if (ends("_l")) return dimension_of<Litres>();
  return std::nullopt;
}

std::optional<Expression> parse_point_expression(std::string_view text, const std::vector<SweepAxis>& axes, ExprError& error) {
  const std::size_t n_axes = axes.size();
  const std::size_t n_metrics = metric_table().size();
  const auto lookup = [&](std::string_view name, std::string& why) -> std::optional<ExprVar> {
    for (std::size_t i = 0; i < n_axes; ++i) {
      if (axes[i].path == name) {
        ExprVar v;
        v.id = i;
        v.is_string = axes[i].values.empty();
        if (axes[i].knob != nullptr && !(axes[i].knob->dimension == DimensionVector{})) v.dimension = axes[i].knob->dimension;
        return v;
      }
    }
    if (name == "binding_wall") return ExprVar{n_axes + n_metrics, true, std::nullopt};
    if (const auto m = resolve_metric(name, why)) {
      why.clear();
      return ExprVar{n_axes + *m, false, metric_dimension(metric_table()[*m].path)};
    }
    if (find_knob(name) != nullptr) {
      why = "\"" + std::string(name) + "\" is a knob that this sweep does not vary; only varied knobs (--vary) and metrics can be used";
    }
    return std::nullopt;
  };
  return Expression::parse(text, lookup, error);
}

void fill_point_variable(std::vector<ExprValue>& vars, std::size_t id, const std::vector<SweepAxis>& axes,
                         const std::vector<std::size_t>& coords, const Estimate& e) {
  const std::size_t n_axes = axes.size();
  const std::size_t n_metrics = metric_table().size();
  ExprValue& v = vars[id];
  v = ExprValue{};
  if (id < n_axes) {
    const auto& a = axes[id];
    if (a.values.empty()) {
      v.is_str = true;
      v.str = a.texts[coords[id]];
    } else {
      v.num = a.values[coords[id]];
    }
  } else if (id < n_axes + n_metrics) {
    // memory.fits and feasible are known for an infeasible point; its other figures are not.
    const auto& m = metric_table()[id - n_axes];
    if (e.feasible || m.boolean) {
      if (const auto x = m.get(e)) v.num = *x;
    }
  } else {
    v.is_str = true;
    v.str = e.feasible ? std::string_view(e.binding_wall) : std::string_view();
  }
}

}  // namespace mlsim::analysis
