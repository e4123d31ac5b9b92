#include "spec/reader.hpp"

#include <algorithm>
#include <cmath>

#include "core/text.hpp"

namespace mlsim::spec {

MapReader::MapReader(const Node* node, Diagnostics& diags, std::string what)
    : node_(node), diags_(diags), what_(std::move(what)) {
  if (node_ != nullptr && !node_->is_map()) {
    diags_.error(node_->origin, what_ + " must be a mapping of keys to values");
    node_ = nullptr;
  }
}

void MapReader::error_at(const Node& n, const std::string& message) { diags_.error(n.origin, message); }

const Node* MapReader::get(const std::string& key, Need need) {
  known_.push_back(key);
  const Node* v = node_ ? node_->find(key) : nullptr;
  if (v != nullptr && v->is_null()) v = nullptr;
  if (v == nullptr && need == Need::kRequired && node_ != nullptr) {
    diags_.error(node_->origin, "missing required key \"" + key + "\" in " + what_);
  }
  return v;
}

void MapReader::allow(std::initializer_list<const char*> keys) {
  for (const char* k : keys) known_.emplace_back(k);
}

const Node* MapReader::scalar_or_report(const std::string& key, Need need, const char* expected) {
  const Node* v = get(key, need);
  if (v == nullptr) return nullptr;
  if (!v->is_scalar()) {
    diags_.error(v->origin, what_ + "." + key + ": expected " + expected);
    return nullptr;
  }
  return v;
}

std::optional<double> MapReader::quantity_si(const std::string& key, const QuantityCheck& check, Need need) {
  const Node* v = scalar_or_report(key, need, "a quantity with a unit");
  if (v == nullptr) return std::nullopt;
  const UnitParse p = parse_checked_quantity(v->scalar, check);
  if (!p.value) {
    Origin at = v->origin;
    if (!v->quoted && at.line > 0) at.column += static_cast<int>(p.error->column);
    diags_.error(at, what_ + "." + key + ": " + p.error->message);
    return std::nullopt;
  }
  return p.value->si;
}

std::optional<double> read_number(const Node& n, Diagnostics& diags, const std::string& what) {
  if (!n.is_scalar()) {
    diags.error(n.origin, what + ": expected a number");
    return std::nullopt;
  }
  const auto v = parse_number(n.scalar);
  if (!v || n.quoted) {
    const UnitParse p = parse_quantity_text(n.scalar);
    if (p.value && !(p.value->dimension == DimensionVector{})) {
      diags.error(n.origin, what + ": expected a plain number without a unit, got \"" + n.scalar + "\"");
    } else {
      diags.error(n.origin, what + ": expected a number, got \"" + n.scalar + "\"");
    }
    return std::nullopt;
  }
  return v;
}

std::optional<double> MapReader::number(const std::string& key, Need need, double min, double max) {
  const Node* v = scalar_or_report(key, need, "a number");
  if (v == nullptr) return std::nullopt;
  const auto x = read_number(*v, diags_, what_ + "." + key);
  if (!x) return std::nullopt;
  if (*x < min || *x > max) {
    diags_.error(v->origin, what_ + "." + key + ": " + format_double(*x) + " is out of range [" + format_double(min) +
                                ", " + format_double(max) + "]");
    return std::nullopt;
  }
  return x;
}

std::optional<long long> MapReader::integer(const std::string& key, Need need, long long min, long long max) {
  const Node* v = scalar_or_report(key, need, "a whole number");
  if (v == nullptr) return std::nullopt;
  const auto x = read_number(*v, diags_, what_ + "." + key);
  if (!x) return std::nullopt;
  if (std::floor(*x) != *x || *x < static_cast<double>(min) || *x > static_cast<double>(max)) {
    diags_.error(v->origin, what_ + "." + key + ": expected a whole number in [" + std::to_string(min) + ", " +
                                std::to_string(max) + "], got \"" + v->scalar + "\"");
    return std::nullopt;
  }
  return static_cast<long long>(*x);
}

std::optional<std::string> MapReader::string(const std::string& key, Need need) {
  const Node* v = scalar_or_report(key, need, "a string");
  if (v == nullptr) return std::nullopt;
  return v->scalar;
}

std::optional<bool> MapReader::boolean(const std::string& key, Need need) {
  const Node* v = scalar_or_report(key, need, "true or false");
  if (v == nullptr) return std::nullopt;
  if (!v->quoted && (v->scalar == "true" || v->scalar == "True")) return true;
  if (!v->quoted && (v->scalar == "false" || v->scalar == "False")) return false;
  diags_.error(v->origin, what_ + "." + key + ": expected true or false, got \"" + v->scalar + "\"");
  return std::nullopt;
}

std::optional<std::string> MapReader::choice(const std::string& key, const std::vector<std::string>& choices,
                                             Need need) {
  const Node* v = scalar_or_report(key, need, "one of the listed words");
  if (v == nullptr) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), v->scalar) != choices.end()) return v->scalar;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : " | ") + c;
  std::string msg = what_ + "." + key + ": unknown value \"" + v->scalar + "\"; expected " + list;
  if (auto s = did_you_mean(v->scalar, choices)) msg += " (did you mean \"" + *s + "\"?)";
  diags_.error(v->origin, msg);
  return std::nullopt;
}

void MapReader::finish() {
  if (node_ == nullptr) return;
  for (std::size_t i = 0; i < node_->map.size(); ++i) {
    const std::string& key = node_->map[i].first;
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string msg = "unknown key \"" + key + "\" in " + what_;
    if (auto s = did_you_mean(key, known_)) msg += "; did you mean \"" + *s + "\"?";
    diags_.error(node_->key_origins[i], msg);
  }
}

}  // namespace mlsim::spec
