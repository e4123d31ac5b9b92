// What every subcommand shares: the output streams, the zoo directories, and the exit code.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/diagnostics.hpp"
#include "spec/zoo.hpp"

namespace CLI {
class App;
}

namespace mlsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;

struct Context {
  std::ostream& out;
  std::ostream& err;
  std::vector<std::string> zoo_dirs;
  int exit_code = kExitOk;

  spec::Zoo load_zoo(Diagnostics& diags) const { return spec::Zoo::load(zoo_dirs, diags); }
  // Prints the diagnostics to stderr; returns true (and sets exit code 2) if any is an error.
  bool report(const Diagnostics& diags);
  // Writes `text` to stdout, or atomically to `path` (kept unless `force`).
  void emit(const std::string& text, const std::string& path, bool force);
};

void add_accuracy_command(CLI::App& app, Context& ctx);
void add_calibrate_command(CLI::App& app, Context& ctx);
void add_analyze_command(CLI::App& app, Context& ctx);
void add_import_hf_command(CLI::App& app, Context& ctx);
void add_plan_command(CLI::App& app, Context& ctx);
void add_list_command(CLI::App& app, Context& ctx);
void add_show_command(CLI::App& app, Context& ctx);
void add_lint_command(CLI::App& app, Context& ctx);
void add_sweep_command(CLI::App& app, Context& ctx);
void add_sensitivity_command(CLI::App& app, Context& ctx);
void add_compare_command(CLI::App& app, Context& ctx);
void add_synthesize_command(CLI::App& app, Context& ctx);
void add_collective_command(CLI::App& app, Context& ctx);

}  // namespace mlsim::cli
