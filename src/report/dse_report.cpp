#include "report/dse_report.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace mlsim::report {
namespace {

using json = nlohmann::ordered_json;

json opt(const std::optional<double>& v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }

std::string fmt(double v, const std::string& unit) {
  if (unit.empty()) return format_double(v, 4);
  if (unit == "B") return format_bytes(v);
  if (unit == "s") return format_seconds(v);
  return format_si(v, unit);
}

std::string fixed(double v, int digits) {
  char b[64];
  std::snprintf(b, sizeof b, "%+.*f", digits, v);
  return b;
}

}  // namespace

std::string elasticities_json(const std::string& metric, const std::vector<analysis::Elasticity>& list) {
  json j = json::array();
  for (const auto& e : list) {
    j.push_back({{"knob", e.knob},
                 {"set_path", e.knob},
                 {"metric", metric},
                 {"value", e.value},
                 {"unit", e.unit},
                 {"elasticity", e.elasticity},
                 {"elasticity_down", opt(e.elasticity_down)},
                 {"elasticity_up", opt(e.elasticity_up)},
                 {"x_down", e.x_down},
                 {"x_up", e.x_up},
                 {"wall_down", e.elasticity_down ? json(e.wall_down) : json(nullptr)},
                 {"wall", e.wall},
                 {"wall_up", e.elasticity_up ? json(e.wall_up) : json(nullptr)},
                 {"wall_changes", e.wall_changes},
                 {"note", e.note}});
  }
  return j.dump(2) + "\n";
}

std::string elasticities_table(const std::string& scenario, const std::string& metric, const std::vector<analysis::Elasticity>& list) {
  std::string out = scenario + ": elasticity of " + metric + " (d ln M / d ln x), largest first\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-46s %14s %11s %11s %11s  %s\n", "knob (--set path)", "value", "elasticity", "down", "up", "binding wall");
  out += line;
  for (const auto& e : list) {
    std::string walls = e.wall;
    if (e.wall_changes) walls = (e.elasticity_down ? e.wall_down : std::string("-")) + " | " + e.wall + " | " + (e.elasticity_up ? e.wall_up : std::string("-"));
    std::snprintf(line, sizeof line, "%-46s %14s %11s %11s %11s  %s%s\n", e.knob.c_str(), fmt(e.value, e.unit).c_str(),
                  fixed(e.elasticity, 3).c_str(), e.elasticity_down ? fixed(*e.elasticity_down, 3).c_str() : "-",
                  e.elasticity_up ? fixed(*e.elasticity_up, 3).c_str() : "-", walls.c_str(),
                  e.wall_changes ? "  (the binding wall changes)" : "");
    out += line;
  }
  return out;
}

std::string morris_json(const std::string& metric, const std::vector<analysis::MorrisEffect>& list, std::size_t evaluations) {
  json j = json::array();
  for (const auto& e : list) {
    j.push_back({{"knob", e.knob}, {"set_path", e.knob}, {"metric", metric}, {"mu", e.mu}, {"mu_star", e.mu_star},
                 {"sigma", e.sigma}, {"effects", e.effects}, {"evaluations", evaluations}});
  }
  return j.dump(2) + "\n";
}

std::string morris_table(const std::string& metric, const std::vector<analysis::MorrisEffect>& list, std::size_t evaluations) {
  std::string out = "Morris screening of ln " + metric + " over the ranges (" + std::to_string(evaluations) +
                    " evaluations): mu* = mean |effect| per full range, sigma = spread (interactions, curvature)\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-46s %10s %10s %10s %8s\n", "knob", "mu*", "mu", "sigma", "effects");
  out += line;
  for (const auto& e : list) {
    std::snprintf(line, sizeof line, "%-46s %10.4f %+10.4f %10.4f %8zu\n", e.knob.c_str(), e.mu_star, e.mu, e.sigma, e.effects);
    out += line;
  }
  return out;
}

std::string compare_json(const analysis::CompareResult& r) {
  json walls = json::array();
  for (const auto& w : r.walls) walls.push_back({{"name", w.name}, {"a_s", opt(w.a_s)}, {"b_s", opt(w.b_s)},
                                                 {"delta_s", w.a_s && w.b_s ? json(*w.b_s - *w.a_s) : json(nullptr)}});
  json c = json::array();
  for (const auto& x : r.contributions) {
    c.push_back({{"input", x.input}, {"a", x.a_text}, {"b", x.b_text}, {"a_value", opt(x.a_value)}, {"b_value", opt(x.b_value)}, {"unit", x.unit}, {"shapley_ln", x.shapley_ln}, {"factor", x.factor()},
                 {"share", r.ln_speedup != 0.0 ? json(x.shapley_ln / r.ln_speedup) : json(nullptr)}});
  }
  json j = {{"a", r.a_name},           {"b", r.b_name},
            {"metric", r.metric},      {"a_value", r.a_value},
            {"b_value", r.b_value},    {"speedup", r.speedup},
            {"ln_speedup", r.ln_speedup}, {"binding_wall_a", r.binding_a},
            {"binding_wall_b", r.binding_b}, {"regime_shift", r.regime_shift},
            {"walls", walls},          {"contributions", c},
            {"exact", r.exact},        {"evaluations", r.evaluations}};
  return j.dump(2) + "\n";
}

std::string compare_text(const analysis::CompareResult& r) {
  std::string out = "A: " + r.a_name + "\nB: " + r.b_name + "\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%s: %s -> %s, speedup %.3fx (ln %.4f)\n", r.metric.c_str(), format_double(r.a_value, 5).c_str(),
                format_double(r.b_value, 5).c_str(), r.speedup, r.ln_speedup);
  out += line;
  out += "binding wall: " + r.binding_a + " -> " + r.binding_b + (r.regime_shift ? "  (regime shift)\n" : "  (same regime)\n\n");
  if (r.regime_shift) out += "\n";
  std::snprintf(line, sizeof line, "%-18s %12s %12s %9s\n", "wall", "A", "B", "B/A");
  out += line;
  for (const auto& w : r.walls) {
    std::snprintf(line, sizeof line, "%-18s %12s %12s %9s\n", w.name.c_str(), w.a_s ? format_seconds(*w.a_s).c_str() : "-",
                  w.b_s ? format_seconds(*w.b_s).c_str() : "-",
                  w.a_s && w.b_s && *w.a_s > 0 ? (format_double(*w.b_s / *w.a_s, 3) + "x").c_str() : "-");
    out += line;
  }
  out += "\nthe speedup by input (Shapley values of ln speedup; they multiply to the total" +
         std::string(r.exact ? ", exact over every subset)\n" : ", 2000 sampled orders)\n");
  std::snprintf(line, sizeof line, "%-44s %14s %14s %9s %8s\n", "input", "A", "B", "factor", "share");
  out += line;
  for (const auto& c : r.contributions) {
    const std::string at = c.a_value ? fmt(*c.a_value, c.unit) : c.a_text, bt = c.b_value ? fmt(*c.b_value, c.unit) : c.b_text;
    std::snprintf(line, sizeof line, "%-44s %14s %14s %8.3fx %7.1f%%\n", c.input.c_str(), at.c_str(), bt.c_str(), c.factor(),
                  r.ln_speedup != 0.0 ? 100.0 * c.shapley_ln / r.ln_speedup : 0.0);
    out += line;
  }
  return out;
}

std::string synthesize_json(const analysis::SynthesisResult& r) {
  json res = json::array();
  for (const auto& a : r.resources) {
    res.push_back({{"resource", a.resource}, {"knob", a.knob}, {"set_path", a.knob}, {"unit", a.unit}, {"current", a.current},
                   {"least", opt(a.least)}, {"ratio", a.least && a.current > 0 ? json(*a.least / a.current) : json(nullptr)},
                   {"met_now", a.met_now}, {"unconstrained", a.unconstrained}, {"binding_wall", a.binding_wall}, {"note", a.note}, {"evaluations", a.evaluations}});
  }
  json zoo = json::array();
  for (const auto& z : r.zoo) {
    zoo.push_back({{"accelerator", z.accelerator}, {"count", z.count}, {"meets", z.meets}, {"purchase_usd", opt(z.purchase_usd)},
                   {"rental_usd_per_h", opt(z.rental_usd_per_h)}, {"binding_wall", z.binding_wall}, {"note", z.note}});
  }
  json j = {{"scenario", r.scenario}, {"targets", r.targets}, {"met_now", r.met_now}, {"resources", res}, {"zoo", zoo}};
  return j.dump(2) + "\n";
}

std::string synthesize_text(const analysis::SynthesisResult& r) {
  std::string out = r.scenario + ": targets";
  for (const auto& t : r.targets) out += " [" + t + "]";
  out += r.met_now ? " are met as it is\n\n" : " are not met as it is\n\n";
  out += "the least of each resource alone that meets them:\n";
  char line[512];
  for (const auto& a : r.resources) {
    if (a.least) {
      std::snprintf(line, sizeof line, "  %-28s %14s (now %s, %.3fx; binding then: %s)%s%s\n", a.resource.c_str(),
                    (a.unit == "" ? format_double(*a.least, 6) : fmt(*a.least, a.unit)).c_str(),
                    (a.unit == "" ? format_double(a.current, 6) : fmt(a.current, a.unit)).c_str(), *a.least / a.current,
                    a.binding_wall.c_str(), a.note.empty() ? "" : "; ", a.note.c_str());
    } else {
      std::snprintf(line, sizeof line, "  %-28s %14s %s\n", a.resource.c_str(), a.unconstrained ? "any" : "-", a.note.c_str());
    }
    out += line;
  }
  out += "\nzoo accelerators in its place, cheapest first:\n";
  for (const auto& z : r.zoo) {
    std::snprintf(line, sizeof line, "  %-16s %5lld  %-5s %14s %14s  %s%s%s\n", z.accelerator.c_str(), z.count, z.meets ? "meets" : "no",
                  z.purchase_usd ? (format_double(*z.purchase_usd, 6) + " USD").c_str() : "-",
                  z.rental_usd_per_h ? (format_double(*z.rental_usd_per_h, 4) + " USD/h").c_str() : "-", z.binding_wall.c_str(),
                  z.note.empty() ? "" : "; ", z.note.c_str());
    out += line;
  }
  return out;
}

}  // namespace mlsim::report
