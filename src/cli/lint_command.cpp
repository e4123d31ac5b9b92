// `mlsim lint FILE... | --all`: validate spec files, every diagnostic at once, file:line:col.
#include <CLI/CLI.hpp>

#include "cli/context.hpp"
#include "spec/lint.hpp"
#include "spec/scenario.hpp"

namespace mlsim::cli {

void add_lint_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::vector<std::string> files;
    bool all = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("lint", "validate spec files (every figure must carry its unit and its source)");
  sub->add_option("files", opts->files, "YAML files of any kind");
  sub->add_flag("--all", opts->all, "lint every entry of the zoo (embedded and --zoo)");
  sub->callback([opts, &ctx]() {
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    if (opts->files.empty() && !opts->all) {
      ctx.err << "mlsim: error: give files to lint, or --all\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    std::size_t checked = 0;
    for (const auto& path : opts->files) {
      std::string text;
      if (spec::read_text_file(path, text, diags)) spec::lint_text(text, path, zoo, diags);
      ++checked;
    }
    if (opts->all) {
      for (const auto* f : zoo.list("")) {
        spec::lint_text(f->text, f->path, zoo, diags);
        ++checked;
      }
    }
    if (!ctx.report(diags)) ctx.err << checked << " file(s) OK\n";
  });
}

}  // namespace mlsim::cli
