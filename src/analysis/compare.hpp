// The differential explainer: scenario A against scenario B on one metric. Per-wall times, the
// binding wall before and after (a regime shift when they differ), and ln(speedup) split among the
// changed inputs by Shapley values (Shapley 1953), so the split does not depend on the order the
// inputs are changed in: phi_i = sum over S not containing i of |S|!(n-|S|-1)!/n! (v(S+i) - v(S)),
// v(S) = ln M(A) - ln M(A with the inputs in S taken from B). Inputs are the numeric knobs that
// differ (peaks of every precision count as one input, as do the per-precision GEMM efficiencies),
// plus "other" for what no knob expresses (a zoo entry's curves, ids), which makes the values sum
// exactly to ln(speedup). Exact over all subsets up to 14 inputs; above, 2000 sampled orders.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spec/scenario.hpp"

namespace mlsim::analysis {

struct CompareWall {
  std::string name;
  std::optional<double> a_s, b_s;
};

struct Contribution {
  std::string input;          // a knob path (or group), or "other"
  std::string a_text, b_text; // the values in A and B, as --set text ("" for other)
  std::optional<double> a_value, b_value;   // SI (absent for other)
  std::string unit;
  double shapley_ln = 0.0;    // its share of ln(speedup)
  [[nodiscard]] double factor() const;   // exp(shapley_ln): the speedup it accounts for
};

struct CompareResult {
  std::string a_name, b_name, metric;
  bool higher_is_better = false;
  double a_value = 0.0, b_value = 0.0;
  double speedup = 1.0;       // M_A / M_B for a time, M_B / M_A for a rate
  double ln_speedup = 0.0;
  std::string binding_a, binding_b;
  bool regime_shift = false;
  std::vector<CompareWall> walls;
  std::vector<Contribution> contributions;   // largest magnitude first
  bool exact = true;
  std::size_t evaluations = 0;
};

// nullopt with `error` when A or B (or a mix of their inputs) is infeasible or lacks the metric.
std::optional<CompareResult> compare(const spec::Scenario& a, const spec::Scenario& b, std::size_t metric, std::string& error);

}  // namespace mlsim::analysis
