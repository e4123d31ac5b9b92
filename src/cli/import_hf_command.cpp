// `mlsim import-hf config.json [-o model.yaml] [--id ID] [--force]`: a Hugging Face config.json
// (llama, mistral, mixtral, qwen2, gpt2) as a model entry of the zoo, checked by the model reader,
// with the config as the source of its architecture figures.
#include <CLI/CLI.hpp>
#include <cctype>
#include <filesystem>

#include "cli/context.hpp"
#include "spec/model.hpp"
#include "spec/scenario.hpp"

namespace mlsim::cli {

void add_import_hf_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string config, output, id;
    bool force = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("import-hf", "a Hugging Face config.json as a model YAML of the zoo");
  sub->add_option("config", opts->config, "the model's config.json")->required();
  sub->add_option("-o,--output", opts->output, "write the model YAML to FILE (atomically)");
  sub->add_option("--id", opts->id, "the zoo id (default: the config's folder name, lower-case with underscores)");
  sub->add_flag("--force", opts->force, "overwrite FILE if it exists");
  sub->callback([opts, &ctx]() {
    Diagnostics diags;
    std::string text;
    if (!spec::read_text_file(opts->config, text, diags)) {
      ctx.report(diags);
      return;
    }
    const spec::Node config = spec::load_yaml(text, opts->config, diags);   // JSON is YAML
    if (ctx.report(diags)) return;
    spec::Node model = spec::model_tree_from_hf_config(config, diags);
    if (ctx.report(diags)) return;
    std::string id = opts->id;
    if (id.empty()) {
      const auto parent = std::filesystem::absolute(opts->config).parent_path().filename().string();
      for (char c : parent) id += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '_';
    }
    const Origin here{opts->config, 0, 0};
    spec::Node with_header;
    with_header.kind = spec::Node::Kind::kMap;
    with_header.origin = model.origin;
    for (std::size_t i = 0; i < model.map.size(); ++i) {
      with_header.set(model.map[i].first, model.map[i].second, model.key_origins[i]);
      if (model.map[i].first == "kind") {
        with_header.set("id", spec::Node::make_scalar(id, here), here);
        with_header.set("name", spec::Node::make_scalar(id, here), here);
      }
    }
    spec::Node sources;
    sources.kind = spec::Node::Kind::kMap;
    sources.set("architecture",
                spec::Node::make_scalar("Hugging Face config.json (" + std::filesystem::path(opts->config).filename().string() +
                                            "), imported by mlsim import-hf",
                                        here),
                here);
    with_header.set("sources", sources, here);
    spec::read_model(with_header, diags);   // the entry must read back as a valid model
    if (ctx.report(diags)) return;
    ctx.emit("# Imported from " + opts->config + " by mlsim import-hf.\n" + spec::to_yaml(with_header), opts->output, opts->force);
  });
}

}  // namespace mlsim::cli
