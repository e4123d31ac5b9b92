// Helpers shared by the tests: the embedded zoo, scenarios from text, and running the CLI in-process.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "core/diagnostics.hpp"
#include "spec/scenario.hpp"
#include "spec/zoo.hpp"

namespace mlsim::test {

inline const spec::Zoo& zoo() {
  static const spec::Zoo z = [] {
    Diagnostics d;
    return spec::Zoo::load({}, d);
  }();
  return z;
}

// Loads a scenario from YAML text; CHECKs nothing, returns nullopt with diags on error.
inline std::optional<spec::Scenario> scenario_from_text(const std::string& text, Diagnostics& diags,
                                                        const std::vector<spec::Override>& overrides = {}) {
  return spec::load_scenario_text(text, "test.yaml", zoo(), overrides, diags);
}

// Loads a zoo entry and reads it with `read` (read_accelerator, read_model, ...).
template <class Read>
auto zoo_entry(const std::string& kind, const std::string& id, Read read) {
  Diagnostics d;
  const spec::Node n = spec::load_entry(zoo(), kind, id, Origin{"test", 0, 0}, d);
  return read(n, d);
}

struct CliResult {
  int code = 0;
  std::string out, err;
};

inline CliResult run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "mlsim");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  CliResult r;
  r.code = cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

inline std::string source_path(const std::string& rel) { return std::string(MLSIM_SOURCE_DIR) + "/" + rel; }

}  // namespace mlsim::test
