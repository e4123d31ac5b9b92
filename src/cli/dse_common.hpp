// Shared by the design-space commands (sweep, sensitivity, compare, synthesize): bad-input
// reporting, including an expression's error with its column and a caret under it.
#pragma once

#include <string>

#include "analysis/expression.hpp"
#include "analysis/evaluate.hpp"
#include "cli/context.hpp"

namespace mlsim::cli {

// Prints "mlsim: error: MESSAGE", sets exit code 2; returns false (for `return fail_input(...)`).
inline bool fail_input(Context& ctx, const std::string& message) {
  ctx.err << "mlsim: error: " << message << "\n";
  ctx.exit_code = kExitBadInput;
  return false;
}

// "--where:1:12: error: ...", then the expression and a caret under the column.
inline bool fail_expression(Context& ctx, const std::string& option, const std::string& text, const analysis::ExprError& e) {
  ctx.err << option << ":1:" << e.column << ": error: " << e.message << "\n  " << text << "\n  "
          << std::string(e.column > 0 ? e.column - 1 : 0, ' ') << "^\n";
  ctx.exit_code = kExitBadInput;
  return false;
}

}  // namespace mlsim::cli

#include <optional>
#include <vector>

#include "spec/scenario.hpp"

namespace mlsim::cli {

// Parses --set texts and loads a scenario; reports problems (exit 2) and returns nullopt.
inline std::optional<spec::Scenario> load_for_dse(Context& ctx, const spec::Zoo& zoo, const std::string& path,
                                                  const std::vector<std::string>& sets, Diagnostics& diags,
                                                  std::vector<spec::Override>* parsed = nullptr) {
  std::vector<spec::Override> overrides;
  for (const auto& s : sets) {
    if (auto o = spec::parse_override(s, diags)) overrides.push_back(*o);
  }
  std::optional<spec::Scenario> sc;
  if (!diags.has_errors()) sc = spec::load_scenario_file(path, zoo, overrides, diags);
  if (ctx.report(diags) || !sc) {
    ctx.exit_code = kExitBadInput;
    return std::nullopt;
  }
  if (const std::string why = analysis::unsupported_reason(*sc); !why.empty()) {
    ctx.err << sc->file << ": error: " << why << "\n";
    ctx.exit_code = kExitBadInput;
    return std::nullopt;
  }
  if (parsed != nullptr) *parsed = overrides;
  return sc;
}

}  // namespace mlsim::cli
