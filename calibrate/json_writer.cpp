// Streaming JSON writer (see json_writer.hpp).
#include "json_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace mlsim::probe {

std::string json_quote(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(hex[u >> 4]);
          out.push_back(hex[u & 0xF]);
        } else {
          out.push_back(c);   // UTF-8 bytes pass through unchanged
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == 0.0) return "0";   // also turns -0 into 0
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);   // shortest round-trip
  return std::string(buf.data(), res.ptr);
}

std::string json_integer(std::int64_t v) {
  std::array<char, 32> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), res.ptr);
}

std::string json_integer(std::uint64_t v) {
  std::array<char, 32> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), res.ptr);
}

void JsonWriter::newline(std::size_t depth) {
  out_.push_back('\n');
  out_.append(depth * static_cast<std::size_t>(indent_), ' ');
}

void JsonWriter::before_value() {
  if (stack_.empty()) {
    if (wrote_root_) throw std::logic_error("JsonWriter: a second root value");
    wrote_root_ = true;
    return;
  }
  Frame& f = stack_.back();
  if (f.object) {
    if (!f.after_key) throw std::logic_error("JsonWriter: value in an object without a key");
    f.after_key = false;
    return;
  }
  if (f.count > 0) out_.push_back(',');
  if (f.inline_) {
    if (f.count > 0) out_.push_back(' ');
  } else {
    newline(stack_.size());
  }
  ++f.count;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  if (stack_.empty() || !stack_.back().object || stack_.back().after_key) {
    throw std::logic_error("JsonWriter: key outside an object");
  }
  Frame& f = stack_.back();
  if (f.count > 0) out_.push_back(',');
  if (f.inline_) {
    if (f.count > 0) out_.push_back(' ');
  } else {
    newline(stack_.size());
  }
  ++f.count;
  out_ += json_quote(k);
  out_ += ": ";
  f.after_key = true;
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view token) {
  before_value();
  out_ += token;
  return *this;
}

JsonWriter& JsonWriter::open(bool object, bool inline_) {
  const bool parent_inline = !stack_.empty() && stack_.back().inline_;
  before_value();
  out_.push_back(object ? '{' : '[');
  stack_.push_back(Frame{object, inline_ || parent_inline, 0, false});
  return *this;
}

JsonWriter& JsonWriter::close(bool object) {
  if (stack_.empty() || stack_.back().object != object || stack_.back().after_key) {
    throw std::logic_error("JsonWriter: mismatched close");
  }
  const Frame f = stack_.back();
  stack_.pop_back();
  if (!f.inline_ && f.count > 0) newline(stack_.size());
  out_.push_back(object ? '}' : ']');
  return *this;
}

JsonWriter& JsonWriter::begin_object(bool inline_) { return open(true, inline_); }
JsonWriter& JsonWriter::end_object() { return close(true); }
JsonWriter& JsonWriter::begin_array(bool inline_) { return open(false, inline_); }
JsonWriter& JsonWriter::end_array() { return close(false); }

}  // namespace mlsim::probe
