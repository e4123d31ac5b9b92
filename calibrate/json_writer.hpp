// A small streaming JSON writer, so the probe needs no third-party library: objects and arrays,
// strings escaped per RFC 8259, doubles in the shortest form that reads back to the same value
// (std::to_chars), non-finite numbers as null. Objects or arrays opened `inline_` go on one line.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlsim::probe {

std::string json_quote(std::string_view text);   // "..." with escapes
std::string json_number(double v);               // shortest round-trip; "null" if not finite
std::string json_integer(std::int64_t v);
std::string json_integer(std::uint64_t v);

class JsonWriter {
 public:
  explicit JsonWriter(int indent = 2) : indent_(indent) {}

  JsonWriter& begin_object(bool inline_ = false);
  JsonWriter& end_object();
  JsonWriter& begin_array(bool inline_ = false);
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s) { return raw(json_quote(s)); }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(double v) { return raw(json_number(v)); }
  JsonWriter& value(bool b) { return raw(b ? "true" : "false"); }
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  JsonWriter& value(T v) {
    if constexpr (std::is_signed_v<T>) {
      return raw(json_integer(static_cast<std::int64_t>(v)));
    } else {
      return raw(json_integer(static_cast<std::uint64_t>(v)));
    }
  }
  JsonWriter& null() { return raw("null"); }

  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  JsonWriter& null_field(std::string_view k) {
    key(k);
    return null();
  }

  // The document so far; complete once every container is closed.
  const std::string& str() const { return out_; }
  bool complete() const { return stack_.empty() && wrote_root_; }

 private:
  struct Frame {
    bool object = false;
    bool inline_ = false;
    int count = 0;
    bool after_key = false;
  };
  JsonWriter& raw(std::string_view token);   // a scalar value
  void before_value();                        // separator and indentation for a new element
  void newline(std::size_t depth);
  JsonWriter& open(bool object, bool inline_);
  JsonWriter& close(bool object);

  int indent_;
  std::string out_;
  std::vector<Frame> stack_;
  bool wrote_root_ = false;
};

}  // namespace mlsim::probe
