// `mlsim show ID|SCENARIO [--set ...]`: every figure of an entry (or of a scenario with the entries
// it resolves), with its value, where it was set (file:line:col or --set) and its source.
#include <CLI/CLI.hpp>
#include <filesystem>

#include "cli/context.hpp"
#include "spec/lint.hpp"
#include "spec/scenario.hpp"

namespace mlsim::cli {
namespace {

void print_tree(const spec::Node& n, const std::string& path, const spec::Node* entry, const std::string& entry_path,
                std::ostream& out) {
  if (n.is_map()) {
    // An entry (it has a kind) brings its own sources for the figures below it.
    const spec::Node* here = n.find("kind") != nullptr ? &n : entry;
    const std::string base = n.find("kind") != nullptr ? path : entry_path;
    for (const auto& [key, value] : n.map) {
      if (key == "sources") continue;
      print_tree(value, path.empty() ? key : path + "." + key, here, base, out);
    }
    return;
  }
  std::string value;
  if (n.is_scalar()) {
    value = n.scalar;
  } else if (n.is_seq()) {
    for (const auto& item : n.seq) value += (value.empty() ? "[" : ", ") + item.scalar;
    value += "]";
  } else {
    value = "null";
  }
  out << path << " = " << value << "\n    set at " << n.origin.str();
  if (entry != nullptr) {
    const std::string rel = entry_path.empty() ? path : path.substr(std::min(path.size(), entry_path.size() + 1));
    if (auto src = spec::source_of(*entry, rel)) out << "\n    source: " << *src;
  }
  out << "\n";
}

}  // namespace

void add_show_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string target;
    std::vector<std::string> sets;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("show", "every figure of a zoo entry or scenario, where it was set, and its source");
  sub->add_option("id", opts->target, "a zoo id (h100_sxm, llama3_8b, ...) or a scenario file")->required();
  sub->add_option("--set", opts->sets, "override keys of a scenario, as in analyze");
  sub->callback([opts, &ctx]() {
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    if (ctx.report(diags)) return;
    std::error_code ec;
    const bool is_file = std::filesystem::is_regular_file(opts->target, ec);
    const auto matches = zoo.find_id(opts->target);
    if (is_file || (matches.size() == 1 && matches.front()->kind == "scenario")) {
      std::vector<spec::Override> overrides;
      for (const auto& s : opts->sets) {
        if (auto o = spec::parse_override(s, diags)) overrides.push_back(*o);
      }
      auto scenario = spec::load_scenario_file(opts->target, zoo, overrides, diags);
      if (ctx.report(diags) || !scenario) return;
      print_tree(scenario->tree, "", nullptr, "", ctx.out);
      return;
    }
    if (matches.empty()) {
      ctx.err << "mlsim: error: no zoo entry or file named \"" << opts->target << "\" (mlsim list shows the zoo)\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    for (const auto* f : matches) {
      const spec::Node entry = spec::load_yaml(f->text, f->path, diags);
      if (ctx.report(diags)) return;
      ctx.out << "# " << f->kind << " " << f->id << " (" << f->path << ")\n";
      print_tree(entry, "", &entry, "", ctx.out);
    }
  });
}

}  // namespace mlsim::cli
