// Relative comparison of floating-point results.
#pragma once

#include <doctest/doctest.h>

#include <limits>

namespace mlsim::test {

// doctest::Approx allows epsilon x (scale + max(|a|, |b|)) with scale 1 by default: an absolute
// floor of epsilon that lets any two small quantities compare equal (2 us and 1 us agree within
// Approx(x).epsilon(0.01)). Every test compares relatively instead; the smallest normal double as
// the scale keeps 0 == approx(0) true (doctest's test is strict: |a - b| < tolerance).
inline doctest::Approx approx(double value) {
  return doctest::Approx(value).scale(std::numeric_limits<double>::min());
}

}  // namespace mlsim::test
