// MapReader reads one YAML mapping into spec fields. Each call names a key, so the calls of a parse
// function are the single truth for that kind: the keys it asks for are the keys allowed, unknown
// keys are reported (with a suggestion) by finish(), and every problem is collected, none thrown.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/diagnostics.hpp"
#include "core/unit_parser.hpp"
#include "core/units.hpp"
#include "spec/tree.hpp"

namespace mlsim::spec {

enum class Need { kOptional, kRequired };

class MapReader {
 public:
  // `what` names the mapping in messages ("accelerator h100_sxm", "training.parallelism").
  MapReader(const Node* node, Diagnostics& diags, std::string what);
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;
  ~MapReader() = default;

  [[nodiscard]] bool valid() const { return node_ != nullptr && node_->is_map(); }
  [[nodiscard]] const Node* node() const { return node_; }
  [[nodiscard]] const std::string& what() const { return what_; }

  // The raw node of a key (marks the key as known); reports a missing required key.
  const Node* get(const std::string& key, Need need = Need::kOptional);
  // Marks keys as allowed without reading them (e.g. `sources`, read elsewhere).
  void allow(std::initializer_list<const char*> keys);

  template <class Q>
  std::optional<Q> quantity(const std::string& key, std::string_view example, Need need = Need::kOptional,
                            bool allow_zero = false) {
    const auto v = quantity_si(key, quantity_check<Q>(example, allow_zero), need);
    return v ? std::optional<Q>(Q(*v)) : std::nullopt;
  }
  std::optional<double> number(const std::string& key, Need need = Need::kOptional, double min = -1e308,
                               double max = 1e308);
  std::optional<long long> integer(const std::string& key, Need need = Need::kOptional, long long min = 0,
                                   long long max = (1LL << 53));
  std::optional<std::string> string(const std::string& key, Need need = Need::kOptional);
  std::optional<bool> boolean(const std::string& key, Need need = Need::kOptional);
  std::optional<std::string> choice(const std::string& key, const std::vector<std::string>& choices,
                                    Need need = Need::kOptional);

  // Reports unknown keys. Call once, after every key has been read.
  void finish();

  // Errors about a value of this map.
  void error_at(const Node& n, const std::string& message);

 private:
  std::optional<double> quantity_si(const std::string& key, const QuantityCheck& check, Need need);
  const Node* scalar_or_report(const std::string& key, Need need, const char* expected);

  const Node* node_;
  Diagnostics& diags_;
  std::string what_;
  std::vector<std::string> known_;
};

// Reads a scalar as a number (plain YAML value); reports and returns nullopt otherwise.
std::optional<double> read_number(const Node& n, Diagnostics& diags, const std::string& what);

}  // namespace mlsim::spec
