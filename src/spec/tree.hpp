// A YAML document as a plain tree whose every node remembers where it came from (file:line:col or
// the command line). Scenarios are composed on this tree: references to zoo entries are replaced by
// the entries' own trees, then `--set` overrides are applied, then the tree is read into specs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/diagnostics.hpp"

namespace mlsim::spec {

struct Node {
  enum class Kind { kNull, kScalar, kMap, kSeq };
  Kind kind = Kind::kNull;
  std::string scalar;        // for kScalar
  bool quoted = false;       // a quoted scalar is never null or a number
  std::vector<std::pair<std::string, Node>> map;   // in file order
  std::vector<Origin> key_origins;                 // parallel to `map`
  std::vector<Node> seq;
  Origin origin;

  [[nodiscard]] bool is_map() const { return kind == Kind::kMap; }
  [[nodiscard]] bool is_scalar() const { return kind == Kind::kScalar; }
  [[nodiscard]] bool is_seq() const { return kind == Kind::kSeq; }
  [[nodiscard]] bool is_null() const { return kind == Kind::kNull; }
  [[nodiscard]] const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  // Sets (or adds) a key of a map node.
  Node& set(const std::string& key, Node value, const Origin& key_origin);

  static Node make_scalar(std::string text, const Origin& origin);
};

// Loads YAML text. Syntax errors and duplicate keys go to `diags`; returns a null node on failure.
Node load_yaml(const std::string& text, const std::string& file, Diagnostics& diags);

// Writes a tree back as YAML (block style), for `mlsim show` and calibrated entries.
std::string to_yaml(const Node& node);

}  // namespace mlsim::spec
