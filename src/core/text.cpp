#include "core/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mlsim {

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

std::optional<std::string> did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string format_double(double v, int significant) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", significant, v);
  return buf;
}

std::string format_si(double value, std::string_view unit, int digits) {
  static const struct {
    double scale;
    const char* prefix;
  } steps[] = {{1e18, "E"}, {1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1.0, ""}};
  const double a = std::fabs(value);
  for (const auto& s : steps) {
    if (a >= s.scale || s.scale == 1.0) {
      return format_double(value / s.scale, digits) + " " + s.prefix + std::string(unit);
    }
  }
  return format_double(value, digits) + " " + std::string(unit);
}

std::string format_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = bytes;
  std::size_t i = 0;
  while (std::fabs(v) >= 1024.0 && i + 1 < std::size(units)) {
    v /= 1024.0;
    ++i;
  }
  return format_double(v, 4) + " " + units[i];
}

std::string format_seconds(double s) {
  const double a = std::fabs(s);
  if (a == 0.0) return "0 s";
  if (a < 1e-6) return format_double(s * 1e9, 4) + " ns";
  if (a < 1e-3) return format_double(s * 1e6, 4) + " us";
  if (a < 1.0) return format_double(s * 1e3, 4) + " ms";
  if (a < 120.0) return format_double(s, 4) + " s";
  if (a < 7200.0) return format_double(s / 60.0, 4) + " min";
  if (a < 3 * 86400.0) return format_double(s / 3600.0, 4) + " h";
  return format_double(s / 86400.0, 4) + " d";
}

}  // namespace mlsim
