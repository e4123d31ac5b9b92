// Tests of core/unit_parser: every unit family of docs/zoo_schema.md parses to its SI value and
// dimension, and bad quantities get the exact messages (and columns) the user sees.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <string>

#include "core/unit_parser.hpp"

namespace mlsim {
namespace {

// A purely relative tolerance (doctest's default adds an absolute 1.0 scale, useless for 1e-10).
doctest::Approx rel(double v, double eps = 1e-12) { return mlsim::test::approx(v).epsilon(eps).scale(0.0); }

double si_of(const std::string& text, const DimensionVector& dim) {
  const UnitParse p = parse_quantity_text(text);
  REQUIRE_MESSAGE(p.value.has_value(), text << ": " << (p.error ? p.error->message : ""));
  CHECK_MESSAGE(p.value->dimension == dim, text);
  return p.value->si;
}

template <class Q>
double si(const std::string& text) { return si_of(text, dimension_of<Q>()); }

// The error message of a checked parse (and that no value came back).
template <class Q>
std::string error_of(const std::string& text, std::string_view example, bool allow_zero = false) {
  const UnitParse p = parse_checked_quantity(text, quantity_check<Q>(example, allow_zero));
  CHECK_FALSE(p.value.has_value());
  REQUIRE(p.error.has_value());
  return p.error->message;
}

TEST_CASE("sizes in bytes: GB is 1e9, GiB is 2^30, b is a bit") {
  CHECK(si<Bytes>("80 GiB") == 80.0 * 1073741824.0);   // 85899345920
  CHECK(si<Bytes>("80GiB") == 85899345920.0);           // the space is optional
  CHECK(si<Bytes>("50 MiB") == 52428800.0);             // 50 * 2^20
  CHECK(si<Bytes>("2 TiB") == 2199023255552.0);         // 2 * 2^40
  CHECK(si<Bytes>("16 GB") == 16e9);
  CHECK(si<Bytes>("1e9 B") == 1e9);
  CHECK(si<Bytes>("64 Mb") == 8e6);                     // 64e6 bits / 8
  CHECK(si<Bytes>("1 KiB") == 1024.0);
  CHECK(si<Bytes>("1 kB") == 1000.0);
}

TEST_CASE("bandwidths in bytes and bits per second") {
  CHECK(si<BytesPerSecond>("3.35 TB/s") == rel(3.35e12));
  CHECK(si<BytesPerSecond>("450 GB/s") == 450e9);
  CHECK(si<BytesPerSecond>("400 Gb/s") == 5e10);                  // 400e9 bits / 8
  CHECK(si<BytesPerSecond>("25 GiB/s") == 25.0 * 1073741824.0);   // 26843545600
  CHECK(si<BytesPerSecond>("64 GB / s") == 64e9);                 // spaces around the slash
}

TEST_CASE("compute rates: FLOPS, OPS and FLOP/s are one dimension") {
  CHECK(si<FlopsPerSecond>("989.4 TFLOPS") == rel(989.4e12));
  CHECK(si<FlopsPerSecond>("1978.9 TOPS") == rel(1978.9e12));
  CHECK(si<FlopsPerSecond>("312 TFLOP/s") == 312e12);
  CHECK(si<FlopsPerSecond>("1.98 PFLOPS") == rel(1.98e15));
  CHECK(si<Flops>("6 GFLOP") == 6e9);
}

TEST_CASE("times from nanoseconds to days") {
  CHECK(si<Seconds>("2.5 us") == rel(2.5e-6));
  CHECK(si<Seconds>("2.5 \xC2\xB5" "s") == rel(2.5e-6));   // the micro sign
  CHECK(si<Seconds>("1 us") == 1e-6);
  CHECK(si<Seconds>("30 ms") == rel(0.030));
  CHECK(si<Seconds>("7 ns") == rel(7e-9));
  CHECK(si<Seconds>("1 s") == 1.0);
  CHECK(si<Seconds>("30 min") == 1800.0);                 // 30 * 60
  CHECK(si<Seconds>("2 h") == 7200.0);                    // 2 * 3600
  CHECK(si<Seconds>("30 d") == 2592000.0);                // 30 * 86400
}

TEST_CASE("power and energy") {
  CHECK(si<Watts>("700 W") == 700.0);
  CHECK(si<Watts>("3.7 kW") == rel(3700.0));
  CHECK(si<Joules>("1 kWh") == 3.6e6);                    // 1000 W * 3600 s
  CHECK(si<Joules>("1.2 kWh") == rel(4.32e6));
  CHECK(si<Joules>("5 J") == 5.0);
}

TEST_CASE("money, carbon, water and rates") {
  CHECK(si<Usd>("25000 USD") == 25000.0);
  CHECK(si<UsdPerSecond>("2.5 USD/h") == rel(2.5 / 3600.0));
  CHECK(si<UsdPerJoule>("0.08 USD/kWh") == rel(0.08 / 3.6e6));
  CHECK(si<KilogramsPerJoule>("400 gCO2/kWh") == rel(0.4 / 3.6e6));   // 400 g = 0.4 kg per 3.6e6 J
  CHECK(si<Kilograms>("150 kgCO2") == rel(150.0));
  CHECK(si<Kilograms>("2 tCO2") == 2000.0);
  CHECK(si<LitresPerJoule>("1.8 L/kWh") == rel(1.8 / 3.6e6));
  CHECK(si<PerSecond>("5 /s") == 5.0);
}

TEST_CASE("a bare number parses as dimensionless") {
  CHECK(si_of("0.8", DimensionVector{}) == 0.8);
  CHECK(si_of("  1e9  ", DimensionVector{}) == 1e9);
}

TEST_CASE("checked quantities accept the expected dimension") {
  const UnitParse p = parse_checked_quantity("3.35 TB/s", quantity_check<BytesPerSecond>("3.35 TB/s"));
  REQUIRE(p.value.has_value());
  CHECK_FALSE(p.error.has_value());
  CHECK(p.value->si == rel(3.35e12));
  // Zero where allowed (an idle power, a price).
  const UnitParse z = parse_checked_quantity("0 W", quantity_check<Watts>("90 W", true));
  REQUIRE(z.value.has_value());
  CHECK(z.value->si == 0.0);
}

TEST_CASE("a bare number where a unit is needed") {
  CHECK(error_of<BytesPerSecond>("3.35", "3.35 TB/s") ==
        "missing unit: expected a bandwidth with a unit (e.g. \"3.35 TB/s\")");
  CHECK(error_of<Bytes>("80", "80 GiB") == "missing unit: expected a size in bytes with a unit (e.g. \"80 GiB\")");
}

TEST_CASE("a unit of the wrong dimension") {
  CHECK(error_of<BytesPerSecond>("3 TB", "3.35 TB/s") ==
        "wrong dimension: \"3 TB\" is a size in bytes, expected a bandwidth (e.g. \"3.35 TB/s\")");
  CHECK(error_of<UsdPerJoule>("2.5 USD/h", "0.08 USD/kWh") ==
        "wrong dimension: \"2.5 USD/h\" is a price per time, expected a price per energy (e.g. \"0.08 USD/kWh\")");
  CHECK(error_of<Seconds>("700 W", "2.5 us") ==
        "wrong dimension: \"700 W\" is a power, expected a time (e.g. \"2.5 us\")");
}

TEST_CASE("unknown units, with a suggestion where one is close") {
  // "GBs" is one edit from "GB" (the first candidate at distance 1); the column points at the unit.
  UnitParse p = parse_quantity_text("3 GBs");
  REQUIRE(p.error.has_value());
  CHECK_FALSE(p.value.has_value());
  CHECK(p.error->message == "unknown unit \"GBs\"; did you mean \"GB\"?");
  CHECK(p.error->column == 2);
  // Leading spaces shift the column: "  3 TB/x" has its unit at 0-based column 4.
  p = parse_quantity_text("  3 TB/x");
  REQUIRE(p.error.has_value());
  CHECK(p.error->message == "unknown unit \"TB/x\"; did you mean \"TB/s\"?");
  CHECK(p.error->column == 4);
  // Nothing within one edit of "furlong".
  p = parse_quantity_text("5 furlong");
  REQUIRE(p.error.has_value());
  CHECK(p.error->message == "unknown unit \"furlong\"");
  // A prefix a unit does not take: bytes have no milli, watts no binary prefixes.
  p = parse_quantity_text("80 mB");
  REQUIRE(p.error.has_value());
  CHECK(p.error->message == "unknown unit \"mB\"; did you mean \"B\"?");
  p = parse_quantity_text("1 KiW");
  REQUIRE(p.error.has_value());
  CHECK(p.error->message.rfind("unknown unit \"KiW\"", 0) == 0);
  // The checked parse passes the unit error through unchanged.
  CHECK(error_of<BytesPerSecond>("3 GBs", "3.35 TB/s") == "unknown unit \"GBs\"; did you mean \"GB\"?");
}

TEST_CASE("negative and zero sizes") {
  CHECK(error_of<Bytes>("-80 GiB", "80 GiB") == "must be positive, got \"-80 GiB\"");
  CHECK(error_of<Bytes>("0 GiB", "80 GiB") == "must be positive, got \"0 GiB\"");
  CHECK(error_of<BytesPerSecond>("0 TB/s", "3.35 TB/s") == "must be positive, got \"0 TB/s\"");
  CHECK(error_of<Watts>("-1 W", "90 W", true) == "must be zero or positive, got \"-1 W\"");
}

TEST_CASE("garbage is not a number") {
  UnitParse p = parse_quantity_text("abc");
  REQUIRE(p.error.has_value());
  CHECK(p.error->message == "expected a number followed by a unit (e.g. \"80 GiB\"), got \"abc\"");
  CHECK(p.error->column == 0);
  p = parse_quantity_text("   fast");
  REQUIRE(p.error.has_value());
  CHECK(p.error->message == "expected a number followed by a unit (e.g. \"80 GiB\"), got \"fast\"");
  CHECK(p.error->column == 3);
  p = parse_quantity_text("");
  REQUIRE(p.error.has_value());
  CHECK(p.error->message == "expected a number followed by a unit (e.g. \"80 GiB\"), got \"\"");
  // Non-finite numbers are garbage too.
  for (const char* text : {"nan GiB", "inf W", "1e999 B"}) {
    p = parse_quantity_text(text);
    CHECK_MESSAGE(p.error.has_value(), text);
    CHECK_FALSE(p.value.has_value());
  }
}

TEST_CASE("parse_number") {
  CHECK(parse_number("1e9") == 1e9);
  CHECK(parse_number("0.8") == 0.8);
  CHECK(parse_number(" 42 ") == 42.0);
  CHECK(parse_number("+5") == 5.0);
  CHECK(parse_number("-3.5") == -3.5);
  CHECK(parse_number("5e-3") == 0.005);
  CHECK(parse_number(".5") == 0.5);
  for (const char* bad : {"", "   ", "nan", "NaN", "inf", "-inf", "infinity", "1e999", "12abc", "1,5", "0x10",
                          "++5", "1 GiB", "e9"}) {
    CHECK_FALSE_MESSAGE(parse_number(bad).has_value(), bad);
  }
}

}  // namespace
}  // namespace mlsim
