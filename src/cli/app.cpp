#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/context.hpp"
#include "core/atomic_file.hpp"
#include "report/report.hpp"

namespace mlsim::cli {

bool Context::report(const Diagnostics& diags) {
  err << diags.format();
  if (diags.has_errors()) {
    if (diags.error_count() > 1) err << diags.error_count() << " errors\n";
    exit_code = kExitBadInput;
    return true;
  }
  return false;
}

void Context::emit(const std::string& text, const std::string& path, bool force) {
  if (path.empty() || path == "-") {
    out << text;
    return;
  }
  const WriteResult w = write_file_atomically(path, text, force);
  if (!w.ok) {
    err << "mlsim: error: " << w.error << "\n";
    exit_code = kExitBadInput;
  }
}

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Context ctx{out, err, {}, kExitOk};
  CLI::App app{"mlsim: an analytical performance model of ML systems (time, memory, energy, carbon, cost, and which wall binds)",
               "mlsim"};
  app.set_version_flag("--version", report::kVersion);
  app.add_option("--zoo", ctx.zoo_dirs, "a directory of extra zoo entries (repeatable; MLSIM_ZOO too)")->check(CLI::ExistingDirectory);
  app.require_subcommand(1);
  app.fallthrough();
  add_analyze_command(app, ctx);
  add_list_command(app, ctx);
  add_show_command(app, ctx);
  add_lint_command(app, ctx);
  add_accuracy_command(app, ctx);
  add_import_hf_command(app, ctx);
  add_plan_command(app, ctx);
  add_sweep_command(app, ctx);
  add_sensitivity_command(app, ctx);
  add_compare_command(app, ctx);
  add_synthesize_command(app, ctx);
  add_calibrate_command(app, ctx);
  add_collective_command(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    out << report::kVersion << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "mlsim: error: " << e.what() << "\n(run mlsim --help)\n";
    return kExitBadInput;
  } catch (const InputError& e) {
    err << "mlsim: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const InternalError& e) {
    err << "mlsim: " << e.what() << "\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    err << "mlsim: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
  return ctx.exit_code;
}

}  // namespace mlsim::cli
