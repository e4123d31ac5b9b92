// Unit grammar: NUMBER [NUMERATOR] ["/" DENOMINATOR], each side a base unit with an optional
// prefix. SI prefixes k..E (and m, u, µ, n for small time, energy and volume); binary prefixes
// Ki..Ei only on bytes and bits. GB is 1e9, GiB is 2^30; b is a bit, B a byte.
#include "core/unit_parser.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "core/text.hpp"

namespace mlsim {
namespace {

struct BaseUnit {
  std::string_view symbol;
  double scale;            // to SI
  DimensionVector dim;
  bool binary_prefix_ok;   // Ki, Mi, ...
  bool small_prefix_ok;    // m, u, n
  bool large_prefix_ok;    // k, M, G, ...
};

constexpr DimensionVector kTime{{1, 0, 0, 0, 0, 0, 0}};
constexpr DimensionVector kData{{0, 1, 0, 0, 0, 0, 0}};
constexpr DimensionVector kWork{{0, 0, 1, 0, 0, 0, 0}};
constexpr DimensionVector kWorkRate{{-1, 0, 1, 0, 0, 0, 0}};
constexpr DimensionVector kEnergy{{0, 0, 0, 1, 0, 0, 0}};
constexpr DimensionVector kPower{{-1, 0, 0, 1, 0, 0, 0}};
constexpr DimensionVector kMoney{{0, 0, 0, 0, 1, 0, 0}};
constexpr DimensionVector kMass{{0, 0, 0, 0, 0, 1, 0}};
constexpr DimensionVector kVolume{{0, 0, 0, 0, 0, 0, 1}};
constexpr DimensionVector kNone{};

// Longest symbols first so that "FLOPS" wins over "FLOP" and "min" over "m"+"in".
const std::vector<BaseUnit>& base_units() {
  static const std::vector<BaseUnit> units = {
      {"gCO2e", 1e-3, kMass, false, false, true},
      {"tCO2e", 1e3, kMass, false, false, false},
      {"FLOPS", 1.0, kWorkRate, false, false, true},
      {"gCO2", 1e-3, kMass, false, false, true},
      {"tCO2", 1e3, kMass, false, false, false},
      {"FLOP", 1.0, kWork, false, false, true},
      {"OPS", 1.0, kWorkRate, false, false, true},
      {"USD", 1.0, kMoney, false, false, true},
      {"min", 60.0, kTime, false, false, false},
      {"Wh", 3600.0, kEnergy, false, false, true},
      {"B", 1.0, kData, true, false, true},
      {"b", 0.125, kData, true, false, true},
      {"s", 1.0, kTime, false, true, false},
      {"h", 3600.0, kTime, false, false, false},
      {"d", 86400.0, kTime, false, false, false},
      {"W", 1.0, kPower, false, true, true},
      {"J", 1.0, kEnergy, false, true, true},
      {"g", 1e-3, kMass, false, false, true},
      {"t", 1e3, kMass, false, false, false},
      {"L", 1.0, kVolume, false, true, false},
  };
  return units;
}

struct Prefix {
  std::string_view symbol;
  double scale;
  enum Kind { kBinary, kSmall, kLarge } kind;
};

const std::vector<Prefix>& prefixes() {
  static const std::vector<Prefix> list = {
      {"Ki", 1024.0, Prefix::kBinary}, {"Mi", 1048576.0, Prefix::kBinary},
      {"Gi", 1073741824.0, Prefix::kBinary}, {"Ti", 1099511627776.0, Prefix::kBinary},
      {"Pi", 1125899906842624.0, Prefix::kBinary}, {"Ei", 1152921504606846976.0, Prefix::kBinary},
      {"k", 1e3, Prefix::kLarge}, {"M", 1e6, Prefix::kLarge}, {"G", 1e9, Prefix::kLarge},
      {"T", 1e12, Prefix::kLarge}, {"P", 1e15, Prefix::kLarge}, {"E", 1e18, Prefix::kLarge},
      {"m", 1e-3, Prefix::kSmall}, {"u", 1e-6, Prefix::kSmall}, {"\xC2\xB5", 1e-6, Prefix::kSmall},
      {"n", 1e-9, Prefix::kSmall},
  };
  return list;
}

DimensionVector add(DimensionVector a, const DimensionVector& b, int sign) {
  for (std::size_t i = 0; i < a.exponents.size(); ++i) a.exponents[i] += sign * b.exponents[i];
  return a;
}

struct UnitTerm {
  double scale = 1.0;
  DimensionVector dim;
};

std::optional<UnitTerm> parse_unit_term(std::string_view token) {
  for (const auto& u : base_units()) {
    if (token == u.symbol) return UnitTerm{u.scale, u.dim};
  }
  for (const auto& p : prefixes()) {
    if (token.size() <= p.symbol.size() || token.substr(0, p.symbol.size()) != p.symbol) continue;
    const std::string_view rest = token.substr(p.symbol.size());
    for (const auto& u : base_units()) {
      if (rest != u.symbol) continue;
      const bool ok = (p.kind == Prefix::kBinary && u.binary_prefix_ok) ||
                      (p.kind == Prefix::kSmall && u.small_prefix_ok) ||
                      (p.kind == Prefix::kLarge && u.large_prefix_ok);
      if (ok) return UnitTerm{p.scale * u.scale, u.dim};
    }
  }
  return std::nullopt;
}

std::vector<std::string> known_unit_spellings() {
  return {"B", "kB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "b", "Mb", "Gb", "Tb",
          "B/s", "GB/s", "TB/s", "Gb/s", "GiB/s", "TFLOPS", "PFLOPS", "GFLOPS", "TFLOP/s", "TOPS",
          "s", "ms", "us", "ns", "min", "h", "d", "W", "kW", "MW", "J", "kJ", "Wh", "kWh", "MWh",
          "USD", "USD/h", "USD/kWh", "gCO2/kWh", "kgCO2", "tCO2", "L", "L/kWh", "/s"};
}

}  // namespace

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double v = 0.0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || ptr != last || !std::isfinite(v)) return std::nullopt;
  return v;
}

UnitParse parse_quantity_text(std::string_view text) {
  UnitParse out;
  const std::string_view trimmed = trim(text);
  const std::size_t lead = static_cast<std::size_t>(trimmed.data() - text.data());
  // Split the number from the unit at the first character that cannot belong to a number.
  std::size_t i = 0;
  while (i < trimmed.size()) {
    const char c = trimmed[i];
    const bool exp_sign = (c == '-' || c == '+') && i > 0 && (trimmed[i - 1] == 'e' || trimmed[i - 1] == 'E');
    const bool exp = (c == 'e' || c == 'E') && i > 0 && i + 1 < trimmed.size() &&
                     (std::isdigit(static_cast<unsigned char>(trimmed[i + 1])) || trimmed[i + 1] == '-' || trimmed[i + 1] == '+');
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || exp || exp_sign || (i == 0 && (c == '-' || c == '+'))) {
      ++i;
    } else {
      break;
    }
  }
  const auto number = parse_number(trimmed.substr(0, i));
  if (!number) {
    out.error = UnitError{"expected a number followed by a unit (e.g. \"80 GiB\"), got \"" + std::string(trimmed) + "\"", lead};
    return out;
  }
  std::string_view unit = trim(trimmed.substr(i));
  const std::size_t unit_col = lead + static_cast<std::size_t>(unit.data() - trimmed.data());
  ParsedQuantity q{*number, {}};
  if (unit.empty()) {
    out.value = q;
    return out;
  }
  const std::size_t slash = unit.find('/');
  const std::string_view numerator = trim(unit.substr(0, slash));
  if (!numerator.empty()) {
    const auto term = parse_unit_term(numerator);
    if (!term) {
      std::string msg = "unknown unit \"" + std::string(unit) + "\"";
      if (auto s = did_you_mean(std::string(unit), known_unit_spellings())) msg += "; did you mean \"" + *s + "\"?";
      out.error = UnitError{msg, unit_col};
      return out;
    }
    q.si *= term->scale;
    q.dimension = term->dim;
  }
  if (slash != std::string_view::npos) {
    const std::string_view denominator = trim(unit.substr(slash + 1));
    const auto term = denominator.empty() ? std::nullopt : parse_unit_term(denominator);
    if (!term) {
      std::string msg = "unknown unit \"" + std::string(unit) + "\"";
      if (auto s = did_you_mean(std::string(unit), known_unit_spellings())) msg += "; did you mean \"" + *s + "\"?";
      out.error = UnitError{msg, unit_col};
      return out;
    }
    q.si /= term->scale;
    q.dimension = add(q.dimension, term->dim, -1);
  }
  out.value = q;
  return out;
}

UnitParse parse_checked_quantity(std::string_view text, const QuantityCheck& check) {
  UnitParse p = parse_quantity_text(text);
  if (!p.value) return p;
  const std::string example(check.example);
  if (p.value->dimension == kNone && check.expected != kNone) {
    p.error = UnitError{"missing unit: expected " + dimension_name(check.expected) + " with a unit (e.g. \"" + example + "\")", 0};
    p.value.reset();
    return p;
  }
  if (!(p.value->dimension == check.expected)) {
    p.error = UnitError{"wrong dimension: \"" + std::string(trim(text)) + "\" is " + dimension_name(p.value->dimension) +
                            ", expected " + dimension_name(check.expected) + " (e.g. \"" + example + "\")",
                        0};
    p.value.reset();
    return p;
  }
  if (p.value->si < 0.0 || (!check.allow_zero && p.value->si == 0.0)) {
    p.error = UnitError{std::string("must be ") + (check.allow_zero ? "zero or positive" : "positive") + ", got \"" +
                            std::string(trim(text)) + "\"",
                        0};
    p.value.reset();
  }
  return p;
}

std::string dimension_name(const DimensionVector& d) {
  struct Named {
    DimensionVector dim;
    const char* name;
  };
  static const Named names[] = {
      {kNone, "a plain number"},
      {kTime, "a time"},
      {kData, "a size in bytes"},
      {kWork, "an amount of work (FLOP)"},
      {kWorkRate, "a compute rate (FLOPS)"},
      {kEnergy, "an energy"},
      {kPower, "a power"},
      {kMoney, "an amount of money"},
      {kMass, "a mass of CO2"},
      {kVolume, "a volume"},
      {{{-1, 1, 0, 0, 0, 0, 0}}, "a bandwidth"},
      {{{-1, 0, 0, 0, 1, 0, 0}}, "a price per time"},
      {{{0, 0, 0, -1, 1, 0, 0}}, "a price per energy"},
      {{{0, 0, 0, -1, 0, 1, 0}}, "a carbon intensity"},
      {{{0, 0, 0, -1, 0, 0, 1}}, "a water use per energy"},
      {{{-1, 0, 0, 0, 0, 0, 0}}, "a rate per time"},
  };
  for (const auto& n : names) {
    if (n.dim == d) return n.name;
  }
  return "an unsupported combination of units";
}

}  // namespace mlsim
