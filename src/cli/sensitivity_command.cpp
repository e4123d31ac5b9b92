// `mlsim sensitivity SCENARIO [--metric M] [--step 0.01] [--range KNOB=lo:hi ... [--trajectories R]]
// [-f table|json]`: elasticities of every numeric knob, ranked; with --range, Morris screening.
#include <CLI/CLI.hpp>

#include "cli/report_options.hpp"
#include "analysis/metrics.hpp"
#include "analysis/sensitivity.hpp"
#include "cli/dse_common.hpp"
#include "core/text.hpp"
#include "report/dse_report.hpp"

namespace mlsim::cli {

void add_sensitivity_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string scenario, metric, format = "table", output;
    std::vector<std::string> sets, ranges;
    double step = 0.01;
    std::size_t trajectories = 20;
    int levels = 4;
    std::uint64_t seed = 1;
    bool force = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("sensitivity", "elasticities d ln M / d ln x of every numeric knob, ranked; --range for Morris screening");
  sub->add_option("scenario", o->scenario, "a scenario file or zoo id")->required();
  sub->add_option("--set", o->sets, "override keys first, as in analyze")->allow_extra_args(false);
  sub->add_option("--metric", o->metric, "the metric (JSON path or unique leaf; default tpot_s for serving, step_time_s for training, rlhf.iteration_s for RLHF)");
  sub->add_option("--step", o->step, "relative step of real knobs for the differences")->check(CLI::Range(1e-6, 0.5));
  sub->add_option("--range", o->ranges, "KNOB=lo:hi: screen globally (Morris elementary effects) over these ranges; repeatable")
      ->allow_extra_args(false);
  sub->add_option("--trajectories", o->trajectories, "Morris trajectories (each costs factors + 1 evaluations)")->check(CLI::Range(2, 100000));
  sub->add_option("--seed", o->seed, "seed of the Morris design");
  add_report_options(sub, o->format, {"table", "json"}, o->output, o->force);
  sub->callback([o, &ctx]() {
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    auto s = load_for_dse(ctx, zoo, o->scenario, o->sets, diags);
    if (!s) return;
    std::size_t metric = analysis::default_sensitivity_metric(*s);
    if (!o->metric.empty()) {
      std::string err;
      const auto m = analysis::resolve_metric(o->metric, err);
      if (!m) return (void)fail_input(ctx, "--metric: " + err);
      metric = *m;
    }
    const std::string metric_path = analysis::metric_table()[metric].path;
    if (!o->ranges.empty()) {
      std::vector<analysis::RangeFactor> factors;
      for (const auto& text : o->ranges) {
        const auto eq = text.find('=');
        const std::string path = eq == std::string::npos ? text : std::string(trim(text.substr(0, eq)));
        const analysis::Knob* k = analysis::find_knob(path);
        if (k == nullptr || !k->get(*s)) return (void)fail_input(ctx, "--range " + text + ": \"" + path + "\" is not a numeric knob of this scenario");
        const auto parts = eq == std::string::npos ? std::vector<std::string>{} : split(text.substr(eq + 1), ':');
        if (parts.size() != 2) return (void)fail_input(ctx, "--range " + text + ": expected KNOB=lo:hi");
        std::string err;
        const auto lo = analysis::parse_knob_value(*k, trim(parts[0]), err);
        if (!lo) return (void)fail_input(ctx, "--range " + text + ": " + err);
        const auto hi = analysis::parse_knob_value(*k, trim(parts[1]), err);
        if (!hi) return (void)fail_input(ctx, "--range " + text + ": " + err);
        if (!(*hi > *lo)) return (void)fail_input(ctx, "--range " + text + ": hi must be above lo");
        factors.push_back({k, *lo, *hi, *lo > 0 && *hi / *lo >= 10.0});
      }
      const auto design = analysis::SamplingDesign::morris(factors.size(), o->trajectories, o->levels, o->seed);
      std::size_t evaluations = 0;
      const auto effects = analysis::morris_screening(*s, metric, factors, design, evaluations);
      ctx.emit(o->format == "json" ? report::morris_json(metric_path, effects, evaluations)
                                   : report::morris_table(metric_path, effects, evaluations),
               o->output, o->force);
      return;
    }
    std::string err;
    const auto list = analysis::elasticities(*s, metric, o->step, err);
    if (!err.empty()) return (void)fail_input(ctx, s->file + ": " + err);
    ctx.emit(o->format == "json" ? report::elasticities_json(metric_path, list) : report::elasticities_table(s->name, metric_path, list),
             o->output, o->force);
  });
}

}  // namespace mlsim::cli
