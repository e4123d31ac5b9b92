#include "spec/lint.hpp"

#include "core/unit_parser.hpp"
#include "spec/hardware.hpp"
#include "spec/model.hpp"
#include "spec/scenario.hpp"

namespace mlsim::spec {
namespace {

// Keys that identify an entry rather than state a figure.
bool is_header_key(const std::string& key) {
  return key == "schema_version" || key == "kind" || key == "id" || key == "name" || key == "sources" || key == "description";
}

bool is_figure(const Node& n) {
  if (!n.is_scalar()) return false;
  const UnitParse p = parse_quantity_text(n.scalar);
  return p.value.has_value();
}

void walk_figures(const Node& entry, const Node& n, const std::string& path, Diagnostics& diags) {
  if (n.is_map()) {
    for (std::size_t i = 0; i < n.map.size(); ++i) {
      const auto& [key, value] = n.map[i];
      if (path.empty() && is_header_key(key)) continue;
      walk_figures(entry, value, path.empty() ? key : path + "." + key, diags);
    }
    return;
  }
  if (n.is_seq()) {
    bool any = false;
    for (const auto& item : n.seq) any = any || is_figure(item);
    if (any && !source_of(entry, path)) diags.error(n.origin, "figure \"" + path + "\" has no source: add sources." + path);
    return;
  }
  if (is_figure(n) && !source_of(entry, path)) {
    // A top-level figure has one key to name; a nested one may be covered by its parent too.
    const auto dot = path.find('.');
    diags.error(n.origin, "figure \"" + path + "\" has no source: add sources." + path.substr(0, dot) +
                              (dot == std::string::npos ? "" : " (or sources." + path + ")"));
  }
}

}  // namespace

std::optional<std::string> source_of(const Node& entry, const std::string& path) {
  const Node* sources = entry.is_map() ? entry.find("sources") : nullptr;
  if (sources == nullptr || !sources->is_map()) return std::nullopt;
  std::string p = path;
  while (true) {
    if (const Node* s = sources->find(p); s != nullptr && s->is_scalar()) return s->scalar;
    const auto dot = p.rfind('.');
    if (dot == std::string::npos) break;
    p = p.substr(0, dot);
  }
  // A model's architecture figures may share one source (its config.json or paper table).
  const Node* kind = entry.find("kind");
  if (kind != nullptr && kind->scalar == "model" && path != "published_params") {
    if (const Node* s = sources->find("architecture"); s != nullptr && s->is_scalar()) return s->scalar;
  }
  return std::nullopt;
}

void check_sources(const Node& entry, Diagnostics& diags) {
  if (!entry.is_map()) return;
  walk_figures(entry, entry, "", diags);
}

void lint_text(const std::string& text, const std::string& file, const Zoo& zoo, Diagnostics& diags) {
  Node root = load_yaml(text, file, diags);
  if (diags.has_errors()) return;
  if (!root.is_map()) {
    diags.error(root.origin, "expected a mapping with schema_version and kind");
    return;
  }
  const Node* kind = root.find("kind");
  if (kind == nullptr || !kind->is_scalar()) {
    diags.error(root.origin, "missing required key \"kind\" (one of accelerator, node, fabric, site, software, model, scenario)");
    return;
  }
  const std::string k = kind->scalar;
  if (k == "scenario") {
    load_scenario_text(text, file, zoo, {}, diags);
    return;
  }
  if (k == "accelerator") {
    read_accelerator(root, diags);
  } else if (k == "node") {
    read_node(root, diags);
  } else if (k == "fabric") {
    read_fabric(root, diags);
  } else if (k == "site") {
    read_site(root, diags);
  } else if (k == "software") {
    read_software(root, diags);
  } else if (k == "model") {
    read_model(root, diags);
  } else {
    diags.error(kind->origin, "unknown kind \"" + k + "\"; expected accelerator, node, fabric, site, software, model or scenario");
    return;
  }
  check_sources(root, diags);
}

}  // namespace mlsim::spec
