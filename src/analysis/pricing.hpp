// Prices a range of operators on the roofline: their total GPU time split by bound, and the rows
// of the per-operator table. Shared by the training and inference evaluations.
#pragma once

#include <vector>

#include "analysis/estimate.hpp"
#include "solvers/launch_overhead.hpp"
#include "solvers/roofline.hpp"
#include "workload/operator.hpp"

namespace mlsim::analysis {

struct Priced {
  double gpu_s = 0, compute_bound_s = 0, memory_bound_s = 0, kernels = 0, flops = 0, bytes = 0;
  double serial_s = 0;   // with a launch model: the sum of per-kernel max(device, host) (solvers::serialized_time)
  bool unsupported = false;   // an operator's precision has no peak on this accelerator
  Precision unsupported_precision = Precision::kBf16;

  Priced& operator+=(const Priced& o);
  // Every additive figure times `f` (a stage of f times as many layers).
  [[nodiscard]] Priced scaled(double f) const;
};

Priced price_ops(const workload::OperatorList& ops, std::size_t first, std::size_t last, const solvers::Rates& rates,
                 std::vector<OperatorRow>* rows, const solvers::LaunchModel* launch = nullptr);

// Marks the wall with the largest time as binding (memory capacity when the job does not fit).
void choose_binding_wall(Estimate& e);

}  // namespace mlsim::analysis
