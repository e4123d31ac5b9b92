// `mlsim accuracy [INPUT]... [--format table|json|md] [--points all|published|none] [-o FILE [--force]]`
// Scores mlsim against published measurements: a published.yaml-style list, vTrain CSVs, or a
// directory of them; with no input, the project's validation/ folder (found from the current
// directory upwards). Prediction errors are results (exit 0); bad input is exit 2.
#include <CLI/CLI.hpp>
#include <filesystem>

#include "cli/report_options.hpp"
#include "analysis/accuracy.hpp"
#include "cli/context.hpp"
#include "report/accuracy_report.hpp"

namespace mlsim::cli {

void add_accuracy_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::vector<std::string> inputs, sets;
    std::string format = "table", output, points = "published", scenario_of;
    bool force = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "accuracy", "predict published measurements and report the error per point, per category and overall");
  sub->add_option("inputs", opts->inputs,
                  "published.yaml-style files, vTrain CSVs (*.csv) or directories of them (default: the project's validation/)");
  add_report_options(sub, opts->format, {"table", "json", "md"}, opts->output, opts->force);
  sub->add_option("--points", opts->points,
                  "which points the table and md list one by one: all | published (data-set rows summarised) | none")
      ->check(CLI::IsMember({"all", "published", "none"}));
  sub->add_option("--scenario", opts->scenario_of,
                  "print the scenario built for the point with this id (to rerun it with `mlsim analyze`) instead of the report");
  sub->add_option("--set", opts->sets, "override KEY=VALUE in every point's scenario, as in analyze (a what-if, or a fit)");
  sub->callback([opts, &ctx]() {
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    std::vector<spec::Override> overrides;
    for (const auto& set : opts->sets) {
      if (auto o = spec::parse_override(set, diags)) overrides.push_back(*o);
    }
    std::vector<std::string> inputs = opts->inputs;
    if (inputs.empty()) {
      std::error_code ec;
      const std::string dir = analysis::find_validation_dir(std::filesystem::current_path(ec).string());
      if (dir.empty()) {
        ctx.err << "mlsim: error: no input given and no validation/published.yaml in the current directory or its parents "
                   "(give a published.yaml, a vTrain CSV or a directory)\n";
        ctx.exit_code = kExitBadInput;
        return;
      }
      inputs.push_back(dir);
    }
    analysis::AccuracyReport report;
    if (!diags.has_errors()) report = analysis::run_accuracy(inputs, zoo, diags, overrides);
    if (ctx.report(diags)) return;
    if (!opts->scenario_of.empty()) {
      for (const auto& p : report.points) {
        if (p.id != opts->scenario_of) continue;
        if (p.scenario_yaml.empty()) {
          ctx.err << "mlsim: error: point " << p.id << " has no scenario: " << p.reason << "\n";
          ctx.exit_code = kExitBadInput;
          return;
        }
        std::string text = "# the scenario `mlsim accuracy` built for " + p.id + " (" + p.source + ")\n";
        for (const auto& note : p.notes) text += "# assumed: " + note + "\n";
        for (const auto& o : p.overrides) text += "# and, as --set: " + o.path + "=" + o.value + "\n";
        ctx.emit(text + p.scenario_yaml, opts->output, opts->force);
        return;
      }
      ctx.err << "mlsim: error: no point with id '" << opts->scenario_of << "' in the inputs\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    const report::PointDetail detail = opts->points == "all"    ? report::PointDetail::kAll
                                       : opts->points == "none" ? report::PointDetail::kNone
                                                                : report::PointDetail::kPublished;
    std::string text;
    if (opts->format == "json") {
      text = report::accuracy_to_json(report);
    } else if (opts->format == "md") {
      text = report::accuracy_to_markdown(report, detail);
    } else {
      text = report::accuracy_to_table(report, detail);
    }
    ctx.emit(text, opts->output, opts->force);
  });
}

}  // namespace mlsim::cli
