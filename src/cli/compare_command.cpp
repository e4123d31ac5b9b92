// `mlsim compare A [B] [--a-set ...] [--b-set ...] [--metric M] [-f text|json]`: the differential
// explainer between two scenarios (or two --set variants of one).
#include <CLI/CLI.hpp>

#include "cli/report_options.hpp"
#include "analysis/compare.hpp"
#include "analysis/metrics.hpp"
#include "analysis/sensitivity.hpp"
#include "cli/dse_common.hpp"
#include "report/dse_report.hpp"

namespace mlsim::cli {

void add_compare_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string a, b, metric, format = "text", output;
    std::vector<std::string> sets, a_sets, b_sets;
    bool force = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("compare", "A against B: per-wall deltas, the regime shift, and the speedup split among the changed inputs");
  sub->add_option("a", o->a, "scenario A (file or zoo id)")->required();
  sub->add_option("b", o->b, "scenario B (default: A again, with --b-set)");
  sub->add_option("--set", o->sets, "override keys of both")->allow_extra_args(false);
  sub->add_option("--a-set", o->a_sets, "override keys of A only")->allow_extra_args(false);
  sub->add_option("--b-set", o->b_sets, "override keys of B only")->allow_extra_args(false);
  sub->add_option("--metric", o->metric, "the metric (default tpot_s for serving, step_time_s for training)");
  add_report_options(sub, o->format, {"text", "json"}, o->output, o->force);
  sub->callback([o, &ctx]() {
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    auto sa_sets = o->sets;
    sa_sets.insert(sa_sets.end(), o->a_sets.begin(), o->a_sets.end());
    auto sb_sets = o->sets;
    sb_sets.insert(sb_sets.end(), o->b_sets.begin(), o->b_sets.end());
    if (o->b.empty() && o->b_sets.empty() && o->a_sets.empty()) return (void)fail_input(ctx, "compare needs B, or --a-set/--b-set variants of A");
    auto a = load_for_dse(ctx, zoo, o->a, sa_sets, diags);
    if (!a) return;
    auto b = load_for_dse(ctx, zoo, o->b.empty() ? o->a : o->b, sb_sets, diags);
    if (!b) return;
    if (a->training.has_value() != b->training.has_value()) return (void)fail_input(ctx, "A and B must both be training or both be inference");
    std::size_t metric = analysis::default_sensitivity_metric(*a);
    if (!o->metric.empty()) {
      std::string err;
      const auto m = analysis::resolve_metric(o->metric, err);
      if (!m) return (void)fail_input(ctx, "--metric: " + err);
      metric = *m;
    }
    if (o->b.empty()) {
      a->name += " [" + (o->a_sets.empty() ? std::string("as is") : "") ;
      for (std::size_t i = 0; i < o->a_sets.size(); ++i) a->name += (i ? ", " : "") + o->a_sets[i];
      a->name += "]";
      b->name += " [";
      for (std::size_t i = 0; i < o->b_sets.size(); ++i) b->name += (i ? ", " : "") + o->b_sets[i];
      b->name += "]";
    }
    std::string err;
    const auto r = analysis::compare(*a, *b, metric, err);
    if (!r) return (void)fail_input(ctx, err);
    ctx.emit(o->format == "json" ? report::compare_json(*r) : report::compare_text(*r), o->output, o->force);
  });
}

}  // namespace mlsim::cli
