// Small text helpers: trimming, "did you mean" suggestions, and human formatting of quantities.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlsim {

std::string_view trim(std::string_view s);
std::size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within a distance that scales with the word's length, if any.
std::optional<std::string> did_you_mean(const std::string& word, const std::vector<std::string>& candidates);
std::vector<std::string> split(std::string_view s, char sep);

// Humanized figures for tables: "80.0 GiB", "3.35 TB/s", "12.3 ms".
std::string format_bytes(double bytes);
std::string format_seconds(double seconds);
std::string format_si(double value, std::string_view unit, int digits = 3);
std::string format_double(double v, int significant = 6);

}  // namespace mlsim
