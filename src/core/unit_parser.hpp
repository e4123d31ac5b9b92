// Parses human quantities ("80 GiB", "3.35 TB/s", "989 TFLOPS", "2.1 USD/h", "5 /s") into SI values
// with their dimension, and checks them against the dimension a field expects.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/units.hpp"

namespace mlsim {

struct ParsedQuantity {
  double si = 0.0;
  DimensionVector dimension;
};

// An error found while parsing a quantity: the message and the 0-based column in the text.
struct UnitError {
  std::string message;
  std::size_t column = 0;
};

struct UnitParse {
  std::optional<ParsedQuantity> value;
  std::optional<UnitError> error;
};

UnitParse parse_quantity_text(std::string_view text);

// Parses and checks the dimension. `example` is shown in messages ("3.35 TB/s").
// Sizes and rates must be positive; `allow_zero` admits 0 (e.g. a price or an idle power of 0).
struct QuantityCheck {
  DimensionVector expected;
  std::string_view example;
  bool allow_zero = false;
};
UnitParse parse_checked_quantity(std::string_view text, const QuantityCheck& check);

template <class Q>
QuantityCheck quantity_check(std::string_view example, bool allow_zero = false) {
  return QuantityCheck{dimension_of<Q>(), example, allow_zero};
}

// Parses a plain number ("1e9", "0.8"); nullopt if the whole text is not one finite number.
std::optional<double> parse_number(std::string_view text);

}  // namespace mlsim
