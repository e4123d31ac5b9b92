// Numeric formats of weights, activations and caches, and their sizes in bytes.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlsim {

enum class Precision { kFp64, kFp32, kTf32, kBf16, kFp16, kFp8, kInt8, kFp4, kInt4 };
inline constexpr std::size_t kPrecisionCount = 9;

constexpr double bytes_per_element(Precision p) {
  switch (p) {
    case Precision::kFp64: return 8.0;
    case Precision::kFp32: return 4.0;
    case Precision::kTf32: return 4.0;   // stored as fp32; tf32 is a tensor-core compute mode
    case Precision::kBf16:
    case Precision::kFp16: return 2.0;
    case Precision::kFp8:
    case Precision::kInt8: return 1.0;
    case Precision::kFp4:
    case Precision::kInt4: return 0.5;
  }
  return 0.0;
}

std::string_view precision_name(Precision p);
std::optional<Precision> precision_from_name(std::string_view name);
const std::vector<std::string>& precision_names();

}  // namespace mlsim
