// `mlsim synthesize SCENARIO --target "tpot_s < 50ms" [--target ...] [-f text|json]`: the least of
// each resource that meets the targets, and the zoo accelerators that do, cheapest first.
#include <CLI/CLI.hpp>

#include "cli/report_options.hpp"
#include "analysis/sweep.hpp"
#include "analysis/synthesize.hpp"
#include "cli/dse_common.hpp"
#include "report/dse_report.hpp"

namespace mlsim::cli {

void add_synthesize_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string scenario, format = "text", output;
    std::vector<std::string> sets, targets;
    bool force = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("synthesize", "the inverse roofline: the least FLOPS, bandwidth, capacity, link speed or count that meets targets");
  sub->add_option("scenario", o->scenario, "a scenario file or zoo id")->required();
  sub->add_option("--set", o->sets, "override keys first, as in analyze")->allow_extra_args(false);
  sub->add_option("--target", o->targets, "a condition on metrics, e.g. \"tpot_s < 50ms\" (repeatable; all must hold)")
      ->allow_extra_args(false)
      ->required();
  add_report_options(sub, o->format, {"text", "json"}, o->output, o->force);
  sub->callback([o, &ctx]() {
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    std::vector<spec::Override> overrides;
    auto s = load_for_dse(ctx, zoo, o->scenario, o->sets, diags, &overrides);
    if (!s) return;
    std::vector<analysis::Target> targets;
    for (const auto& t : o->targets) {
      analysis::ExprError err;
      auto e = analysis::parse_point_expression(t, {}, err);
      if (!e) return (void)fail_expression(ctx, "--target", t, err);
      targets.push_back({t, std::move(*e)});
    }
    std::string text;
    std::string file = s->file;
    Diagnostics d2;
    if (!spec::read_text_file(s->file, text, d2)) {
      const spec::ZooFile* z = zoo.find("scenario", o->scenario);
      if (z == nullptr) return (void)fail_input(ctx, s->file + ": cannot read the scenario again");
      text = z->text;
      file = z->path;
    }
    const auto r = analysis::synthesize(*s, text, file, zoo, overrides, targets);
    ctx.emit(o->format == "json" ? report::synthesize_json(r) : report::synthesize_text(r), o->output, o->force);
  });
}

}  // namespace mlsim::cli
