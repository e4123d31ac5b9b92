// `mlsim list [accelerators|nodes|fabrics|sites|software|models|scenarios]`: the zoo, one entry a line.
#include <CLI/CLI.hpp>
#include <map>

#include "cli/context.hpp"
#include "core/text.hpp"
#include "spec/tree.hpp"

namespace mlsim::cli {

void add_list_command(CLI::App& app, Context& ctx) {
  auto what = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("list", "the zoo's entries, by kind");
  sub->add_option("kind", *what, "accelerators | nodes | fabrics | sites | software | models | scenarios (default: all)")
      ->check(CLI::IsMember({"accelerators", "nodes", "fabrics", "sites", "software", "models", "scenarios"}));
  sub->callback([what, &ctx]() {
    static const std::map<std::string, std::string> kinds = {
        {"accelerators", "accelerator"}, {"nodes", "node"},   {"fabrics", "fabric"},    {"sites", "site"},
        {"software", "software"},        {"models", "model"}, {"scenarios", "scenario"}};
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    if (ctx.report(diags)) return;
    for (const auto& kind : spec::Zoo::kinds()) {
      if (!what->empty() && kinds.at(*what) != kind) continue;
      const auto files = zoo.list(kind);
      if (files.empty()) continue;
      ctx.out << kind << (kind == "software" ? "" : "s") << ":\n";
      for (const auto* f : files) {
        std::string name;
        for (const auto& line : split(f->text, '\n')) {
          if (line.rfind("name:", 0) == 0) name = std::string(trim(line.substr(5)));
        }
        if (name.size() >= 2 && name.front() == '"') name = name.substr(1, name.size() - 2);
        ctx.out << "  " << f->id << std::string(f->id.size() < 28 ? 28 - f->id.size() : 1, ' ') << name << "\n";
      }
    }
  });
}

}  // namespace mlsim::cli
