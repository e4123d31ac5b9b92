#include "spec/precision.hpp"

namespace mlsim {

const std::vector<std::string>& precision_names() {
  static const std::vector<std::string> names = {"fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4", "int4"};
  return names;
}

std::string_view precision_name(Precision p) { return precision_names()[static_cast<std::size_t>(p)]; }

std::optional<Precision> precision_from_name(std::string_view name) {
  const auto& names = precision_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<Precision>(i);
  }
  return std::nullopt;
}

}  // namespace mlsim
