// yaml-cpp is used only here: it parses, and its nodes are converted into our own tree with origins.
#include "spec/tree.hpp"

#include <yaml-cpp/yaml.h>

#include <set>
#include <sstream>

namespace mlsim::spec {
namespace {

Origin origin_of(const YAML::Mark& mark, const std::string& file) {
  // yaml-cpp marks are 0-based; diagnostics are 1-based.
  return Origin{file, mark.line + 1, mark.column + 1};
}

Node convert(const YAML::Node& y, const std::string& file, Diagnostics& diags) {
  Node n;
  n.origin = origin_of(y.Mark(), file);
  switch (y.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      n.kind = Node::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      n.kind = Node::Kind::kScalar;
      n.scalar = y.Scalar();
      n.quoted = y.Tag() == "!";
      if (!n.quoted && (n.scalar == "~" || n.scalar == "null" || n.scalar == "Null" || n.scalar == "NULL")) {
        n.kind = Node::Kind::kNull;
        n.scalar.clear();
      }
      break;
    case YAML::NodeType::Sequence:
      n.kind = Node::Kind::kSeq;
      for (const auto& item : y) n.seq.push_back(convert(item, file, diags));
      break;
    case YAML::NodeType::Map: {
      n.kind = Node::Kind::kMap;
      std::set<std::string> seen;
      for (const auto& kv : y) {
        const Origin key_origin = origin_of(kv.first.Mark(), file);
        if (!kv.first.IsScalar()) {
          diags.error(key_origin, "keys must be plain words");
          continue;
        }
        const std::string key = kv.first.Scalar();
        if (!seen.insert(key).second) {
          diags.error(key_origin, "duplicate key \"" + key + "\"");
          continue;
        }
        n.map.emplace_back(key, convert(kv.second, file, diags));
        n.key_origins.push_back(key_origin);
      }
      break;
    }
  }
  return n;
}

void emit(const Node& n, YAML::Emitter& out) {
  switch (n.kind) {
    case Node::Kind::kNull:
      out << YAML::Null;
      break;
    case Node::Kind::kScalar:
      if (n.quoted) out << YAML::DoubleQuoted;
      out << n.scalar;
      break;
    case Node::Kind::kSeq: {
      bool flat = true;
      for (const auto& c : n.seq) flat = flat && c.is_scalar();
      if (flat) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& c : n.seq) emit(c, out);
      out << YAML::EndSeq;
      break;
    }
    case Node::Kind::kMap:
      out << YAML::BeginMap;
      for (const auto& [k, v] : n.map) {
        out << YAML::Key << k << YAML::Value;
        emit(v, out);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

const Node* Node::find(std::string_view key) const {
  for (const auto& [k, v] : map) {
    if (k == key) return &v;
  }
  return nullptr;
}

Node* Node::find(std::string_view key) {
  for (auto& [k, v] : map) {
    if (k == key) return &v;
  }
  return nullptr;
}

Node& Node::set(const std::string& key, Node value, const Origin& key_origin) {
  if (kind != Kind::kMap) {
    kind = Kind::kMap;
    scalar.clear();
  }
  for (std::size_t i = 0; i < map.size(); ++i) {
    if (map[i].first == key) {
      map[i].second = std::move(value);
      key_origins[i] = key_origin;
      return map[i].second;
    }
  }
  map.emplace_back(key, std::move(value));
  key_origins.push_back(key_origin);
  return map.back().second;
}

Node Node::make_scalar(std::string text, const Origin& origin) {
  Node n;
  n.kind = Kind::kScalar;
  n.scalar = std::move(text);
  n.origin = origin;
  return n;
}

Node load_yaml(const std::string& text, const std::string& file, Diagnostics& diags) {
  diags.add_source(file, text);
  try {
    const YAML::Node root = YAML::Load(text);
    return convert(root, file, diags);
  } catch (const YAML::Exception& e) {
    diags.error(origin_of(e.mark, file), "malformed YAML: " + e.msg);
  }
  return Node{};
}

std::string to_yaml(const Node& node) {
  YAML::Emitter out;
  emit(node, out);
  return std::string(out.c_str()) + "\n";
}

}  // namespace mlsim::spec
