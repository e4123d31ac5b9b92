// The options every report-writing subcommand shares: --format/-f (one of `formats`, the first
// named in the help), -o/--output (written atomically) and --force (overwrite an existing file).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace mlsim::cli {

inline void add_report_options(CLI::App* sub, std::string& format, const std::vector<std::string>& formats, std::string& output,
                               bool& force) {
  std::string help;
  for (const auto& f : formats) help += (help.empty() ? "" : " | ") + f;
  sub->add_option("--format,-f", format, help)->check(CLI::IsMember(formats));
  sub->add_option("-o,--output", output, "write the report to FILE (atomically)");
  sub->add_flag("--force", force, "overwrite FILE if it exists");
}

}  // namespace mlsim::cli
