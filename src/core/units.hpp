// Strong quantity types: every dimensioned value inside mlsim is a Quantity<Dim> in SI base units
// (seconds, bytes, FLOP, joules, US dollars, kilograms, litres). Adding seconds to bytes does not
// compile; Bytes / BytesPerSecond is Seconds. Human units are parsed at the boundary (unit_parser).
#pragma once

#include <array>
#include <cmath>
#include <compare>
#include <string>

namespace mlsim {

// Exponents of the base dimensions: time, data (bytes), work (FLOP), energy, money, mass, volume.
template <int T, int D, int F, int E, int M, int K, int V>
struct Dim {
  static constexpr std::array<int, 7> exponents{T, D, F, E, M, K, V};
};

template <class A, class B>
using DimMul = Dim<A::exponents[0] + B::exponents[0], A::exponents[1] + B::exponents[1],
                   A::exponents[2] + B::exponents[2], A::exponents[3] + B::exponents[3],
                   A::exponents[4] + B::exponents[4], A::exponents[5] + B::exponents[5],
                   A::exponents[6] + B::exponents[6]>;
template <class A, class B>
using DimDiv = Dim<A::exponents[0] - B::exponents[0], A::exponents[1] - B::exponents[1],
                   A::exponents[2] - B::exponents[2], A::exponents[3] - B::exponents[3],
                   A::exponents[4] - B::exponents[4], A::exponents[5] - B::exponents[5],
                   A::exponents[6] - B::exponents[6]>;

using Dimensionless = Dim<0, 0, 0, 0, 0, 0, 0>;

template <class D>
class Quantity {
 public:
  using dim = D;
  constexpr Quantity() = default;
  constexpr explicit Quantity(double value) : value_(value) {}
  [[nodiscard]] constexpr double si() const { return value_; }

  constexpr Quantity& operator+=(Quantity o) { value_ += o.value_; return *this; }
  constexpr Quantity& operator-=(Quantity o) { value_ -= o.value_; return *this; }
  constexpr Quantity& operator*=(double s) { value_ *= s; return *this; }
  constexpr Quantity& operator/=(double s) { value_ /= s; return *this; }
  friend constexpr Quantity operator+(Quantity a, Quantity b) { return Quantity(a.value_ + b.value_); }
  friend constexpr Quantity operator-(Quantity a, Quantity b) { return Quantity(a.value_ - b.value_); }
  friend constexpr Quantity operator-(Quantity a) { return Quantity(-a.value_); }
  friend constexpr Quantity operator*(Quantity a, double s) { return Quantity(a.value_ * s); }
  friend constexpr Quantity operator*(double s, Quantity a) { return Quantity(a.value_ * s); }
  friend constexpr Quantity operator/(Quantity a, double s) { return Quantity(a.value_ / s); }
  friend constexpr auto operator<=>(Quantity a, Quantity b) = default;

 private:
  double value_ = 0.0;
};

template <class A, class B>
constexpr auto operator*(Quantity<A> a, Quantity<B> b) {
  if constexpr (std::is_same_v<DimMul<A, B>, Dimensionless>) {
    return a.si() * b.si();
  } else {
    return Quantity<DimMul<A, B>>(a.si() * b.si());
  }
}
template <class A, class B>
constexpr auto operator/(Quantity<A> a, Quantity<B> b) {
  if constexpr (std::is_same_v<A, B>) {
    return a.si() / b.si();
  } else {
    return Quantity<DimDiv<A, B>>(a.si() / b.si());
  }
}
template <class A>
constexpr auto operator/(double s, Quantity<A> a) {
  return Quantity<DimDiv<Dimensionless, A>>(s / a.si());
}
template <class A>
constexpr Quantity<A> max(Quantity<A> a, Quantity<A> b) { return a < b ? b : a; }
template <class A>
constexpr Quantity<A> min(Quantity<A> a, Quantity<A> b) { return b < a ? b : a; }

using TimeDim = Dim<1, 0, 0, 0, 0, 0, 0>;
using DataDim = Dim<0, 1, 0, 0, 0, 0, 0>;
using WorkDim = Dim<0, 0, 1, 0, 0, 0, 0>;
using EnergyDim = Dim<0, 0, 0, 1, 0, 0, 0>;
using MoneyDim = Dim<0, 0, 0, 0, 1, 0, 0>;
using MassDim = Dim<0, 0, 0, 0, 0, 1, 0>;
using VolumeDim = Dim<0, 0, 0, 0, 0, 0, 1>;

using Seconds = Quantity<TimeDim>;
using Bytes = Quantity<DataDim>;
using Flops = Quantity<WorkDim>;                                // a count of floating-point operations
using Joules = Quantity<EnergyDim>;
using Usd = Quantity<MoneyDim>;
using Kilograms = Quantity<MassDim>;                            // of CO2-equivalent
using Litres = Quantity<VolumeDim>;
using BytesPerSecond = Quantity<DimDiv<DataDim, TimeDim>>;
using FlopsPerSecond = Quantity<DimDiv<WorkDim, TimeDim>>;
using Watts = Quantity<DimDiv<EnergyDim, TimeDim>>;
using UsdPerSecond = Quantity<DimDiv<MoneyDim, TimeDim>>;
using UsdPerJoule = Quantity<DimDiv<MoneyDim, EnergyDim>>;
using KilogramsPerJoule = Quantity<DimDiv<MassDim, EnergyDim>>;
using LitresPerJoule = Quantity<DimDiv<VolumeDim, EnergyDim>>;
using PerSecond = Quantity<DimDiv<Dimensionless, TimeDim>>;

// The runtime view of a dimension, for checking parsed units against the type a field expects.
struct DimensionVector {
  std::array<int, 7> exponents{};
  friend bool operator==(const DimensionVector&, const DimensionVector&) = default;
};
template <class Q>
constexpr DimensionVector dimension_of() { return DimensionVector{Q::dim::exponents}; }

// A human name of a dimension ("bandwidth", "time"), for diagnostics.
std::string dimension_name(const DimensionVector& d);

namespace literals {
constexpr Seconds operator""_s(long double v) { return Seconds(static_cast<double>(v)); }
constexpr Seconds operator""_us(long double v) { return Seconds(static_cast<double>(v) * 1e-6); }
constexpr Bytes operator""_B(unsigned long long v) { return Bytes(static_cast<double>(v)); }
}  // namespace literals

}  // namespace mlsim
