// Tests of core/units.hpp: the strong Quantity types compose dimensions correctly at compile time
// (mismatched sums do not compile, Bytes / BytesPerSecond is Seconds) and compute the right values.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <functional>
#include <type_traits>

#include "core/units.hpp"

namespace mlsim {
namespace {

// Dimension algebra, checked by the compiler.
static_assert(std::is_same_v<decltype(Bytes(1.0) / BytesPerSecond(1.0)), Seconds>);
static_assert(std::is_same_v<decltype(Flops(1.0) / FlopsPerSecond(1.0)), Seconds>);
static_assert(std::is_same_v<decltype(Watts(1.0) * Seconds(1.0)), Joules>);
static_assert(std::is_same_v<decltype(Joules(1.0) * KilogramsPerJoule(1.0)), Kilograms>);
static_assert(std::is_same_v<decltype(Joules(1.0) * UsdPerJoule(1.0)), Usd>);
static_assert(std::is_same_v<decltype(Joules(1.0) * LitresPerJoule(1.0)), Litres>);
static_assert(std::is_same_v<decltype(UsdPerSecond(1.0) * Seconds(1.0)), Usd>);
static_assert(std::is_same_v<decltype(Bytes(1.0) / Seconds(1.0)), BytesPerSecond>);
static_assert(std::is_same_v<decltype(1.0 / Seconds(1.0)), PerSecond>);
// Same dimension divided, or a product whose dimensions cancel: a plain double.
static_assert(std::is_same_v<decltype(Bytes(1.0) / Bytes(1.0)), double>);
static_assert(std::is_same_v<decltype(PerSecond(1.0) * Seconds(1.0)), double>);
static_assert(std::is_same_v<decltype(Seconds(1.0) * 2.0), Seconds>);
// Mixing dimensions in sums and comparisons does not compile.
static_assert(std::is_invocable_v<std::plus<>, Seconds, Seconds>);
static_assert(!std::is_invocable_v<std::plus<>, Seconds, Bytes>);
static_assert(!std::is_invocable_v<std::minus<>, Joules, Watts>);
static_assert(!std::is_invocable_v<std::less<>, Seconds, Bytes>);
static_assert(!std::is_invocable_v<std::plus<>, Seconds, double>);
// A raw double does not silently become a quantity.
static_assert(!std::is_convertible_v<double, Seconds>);
static_assert(std::is_constructible_v<Seconds, double>);
// The runtime dimension mirrors the type.
static_assert(dimension_of<BytesPerSecond>().exponents == std::array<int, 7>{-1, 1, 0, 0, 0, 0, 0});
static_assert(dimension_of<KilogramsPerJoule>().exponents == std::array<int, 7>{0, 0, 0, -1, 0, 1, 0});

TEST_CASE("Bytes over a bandwidth is a time in seconds") {
  // 80 GiB at 3.35 TB/s: 85899345920 / 3.35e12 = 0.025641596 s
  const Seconds t = Bytes(80.0 * 1073741824.0) / BytesPerSecond(3.35e12);
  CHECK(t.si() == mlsim::test::approx(0.0256415958).epsilon(1e-9));
  // FLOPs over a rate: 2e15 FLOP / 1e15 FLOPS = 2 s
  CHECK((Flops(2e15) / FlopsPerSecond(1e15)).si() == 2.0);
}

TEST_CASE("products and quotients carry the values") {
  // 700 W for one hour: 700 * 3600 = 2.52e6 J
  const Joules e = Watts(700.0) * Seconds(3600.0);
  CHECK(e.si() == 2.52e6);
  // 2.52e6 J at 0.4/3.6e6 kg/J: 2.52e6 * 0.4 / 3.6e6 = 0.28 kg
  const Kilograms co2 = e * KilogramsPerJoule(0.4 / 3.6e6);
  CHECK(co2.si() == mlsim::test::approx(0.28).epsilon(1e-12));
  // 1 GB / 2 s = 0.5 GB/s
  CHECK((Bytes(1e9) / Seconds(2.0)).si() == 5e8);
  // 1 / 0.25 s = 4 /s
  CHECK((1.0 / Seconds(0.25)).si() == 4.0);
}

TEST_CASE("dimensionless results are plain doubles") {
  // 30 GiB of 80 GiB: 0.375
  const double fraction = Bytes(30.0) / Bytes(80.0);
  CHECK(fraction == 0.375);
  // 5 requests/s for 3 s: 15 requests
  const double requests = PerSecond(5.0) * Seconds(3.0);
  CHECK(requests == 15.0);
}

TEST_CASE("sums, differences, scaling and compound assignment") {
  using namespace literals;
  const Seconds a = 1.5_s;
  const Seconds b = 2.5_us;   // 2.5e-6 s
  CHECK((a + b).si() == mlsim::test::approx(1.5000025).epsilon(1e-15));
  CHECK((a - a).si() == 0.0);
  CHECK((-a).si() == -1.5);
  CHECK((a * 2.0).si() == 3.0);
  CHECK((4.0 * a).si() == 6.0);
  CHECK((a / 3.0).si() == 0.5);
  Bytes total = 1024_B;
  total += 1024_B;   // 2048
  total *= 3.0;      // 6144
  total -= 144_B;    // 6000
  total /= 4.0;      // 1500
  CHECK(total.si() == 1500.0);
  CHECK(Seconds().si() == 0.0);
}

TEST_CASE("max, min and comparisons within one dimension") {
  const Seconds fast(0.001), slow(0.002);
  CHECK(max(fast, slow).si() == 0.002);
  CHECK(max(slow, fast).si() == 0.002);
  CHECK(min(fast, slow).si() == 0.001);
  CHECK(min(slow, fast).si() == 0.001);
  CHECK(fast < slow);
  CHECK(slow > fast);
  CHECK(fast <= fast);
  CHECK(fast == Seconds(0.001));
  CHECK(fast != slow);
  CHECK_FALSE(slow < fast);
}

TEST_CASE("constexpr arithmetic") {
  constexpr Seconds t = Bytes(6e9) / BytesPerSecond(2e9);   // 6 GB / 2 GB/s = 3 s
  static_assert(t.si() == 3.0);
  constexpr Watts p = Joules(10.0) / Seconds(4.0);          // 2.5 W
  static_assert(p.si() == 2.5);
  CHECK(t.si() == 3.0);
  CHECK(p.si() == 2.5);
}

TEST_CASE("dimension names for diagnostics") {
  CHECK(dimension_name(dimension_of<BytesPerSecond>()) == "a bandwidth");
  CHECK(dimension_name(dimension_of<Seconds>()) == "a time");
  CHECK(dimension_name(dimension_of<Bytes>()) == "a size in bytes");
  CHECK(dimension_name(dimension_of<FlopsPerSecond>()) == "a compute rate (FLOPS)");
  CHECK(dimension_name(dimension_of<KilogramsPerJoule>()) == "a carbon intensity");
  CHECK(dimension_name(dimension_of<PerSecond>()) == "a rate per time");
  CHECK(dimension_name(DimensionVector{}) == "a plain number");
  CHECK(dimension_name(DimensionVector{{2, 0, 0, 0, 0, 0, 0}}) == "an unsupported combination of units");
}

}  // namespace
}  // namespace mlsim
