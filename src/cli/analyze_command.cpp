// `mlsim analyze SCENARIO [--set key=value]... [--format table|json|csv] [-o FILE [--force]]`
#include <CLI/CLI.hpp>

#include "cli/report_options.hpp"
#include "analysis/evaluate.hpp"
#include "cli/context.hpp"
#include "report/report.hpp"
#include "spec/scenario.hpp"

namespace mlsim::cli {

void add_analyze_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string scenario, format = "table", output;
    std::vector<std::string> sets;
    bool force = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("analyze", "every wall, the binding one, the headline numbers and the operator table");
  sub->add_option("scenario", opts->scenario, "a scenario file, or the id of a zoo scenario")->required();
  sub->add_option("--set", opts->sets, "override any key of the scenario or its entries: --set training.micro_batch=2");
  add_report_options(sub, opts->format, {"table", "json", "csv"}, opts->output, opts->force);
  sub->callback([opts, &ctx]() {
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    std::vector<spec::Override> overrides;
    for (const auto& s : opts->sets) {
      if (auto o = spec::parse_override(s, diags)) overrides.push_back(*o);
    }
    std::optional<spec::Scenario> scenario;
    if (!diags.has_errors()) scenario = spec::load_scenario_file(opts->scenario, zoo, overrides, diags);
    if (ctx.report(diags) || !scenario) {
      if (ctx.exit_code == kExitOk) ctx.exit_code = kExitBadInput;
      return;
    }
    if (const std::string why = analysis::unsupported_reason(*scenario); !why.empty()) {
      ctx.err << scenario->file << ": error: " << why << "\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    analysis::Evaluator evaluator;
    const analysis::Estimate e = evaluator.evaluate(*scenario);
    std::string text;
    if (opts->format == "json") {
      text = report::to_json(e);
    } else if (opts->format == "csv") {
      text = report::to_csv(e);
    } else {
      text = report::to_table(e);
    }
    ctx.emit(text, opts->output, opts->force);
  });
}

}  // namespace mlsim::cli
