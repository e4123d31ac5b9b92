// The per-operator roofline: an operator takes the larger of its FLOPs over the achieved compute
// rate (precision-specific dense peak x efficiency for its class) and its bytes over the achieved
// HBM bandwidth (peak x efficiency). Williams, Waterman & Patterson, "Roofline", CACM 2009.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "solvers/calibrated.hpp"
#include "spec/hardware.hpp"
#include "workload/operator.hpp"

namespace mlsim::solvers {

enum class Bound { kCompute, kMemoryBandwidth };
const char* bound_name(Bound b);

// Achieved rates of one accelerator, computed once per evaluation.
struct Rates {
  std::array<double, kPrecisionCount> gemm{};        // FLOP/s achieved by GEMMs (0: unsupported)
  std::array<double, kPrecisionCount> attention{};   // FLOP/s achieved by fused attention
  std::array<double, kPrecisionCount> vector{};      // FLOP/s for elementwise work (never binding in practice)
  double memory_bandwidth = 0.0;                     // B/s achieved
  // GEMM size effect: (ln FLOPs, fraction of the large-GEMM rate), ascending (empty: none).
  std::vector<std::pair<double, double>> gemm_size;
  // Measured curves of a calibrated accelerator (null: the nominal figures above, unchanged).
  struct Calibrated {
    std::array<std::optional<GemmTable>, kPrecisionCount> gemm;   // GEMM time by shape
    std::optional<spec::SizeCurve> memory;                       // HBM time by traffic (the copy curve)
    // The fixed per-kernel cost inside every measured kernel time (the measured device gap: an empty
    // kernel's share of back-to-back launches). The launch model charges it per kernel, so the
    // roofline takes measured times minus it (never below zero).
    double kernel_fixed_s = 0.0;
  };
  std::shared_ptr<const Calibrated> calibrated;
};

// The fraction of the large-GEMM rate that a GEMM of `flops` FLOPs reaches (1 without a curve).
double gemm_size_factor(const Rates& r, double flops);

Rates achieved_rates(const spec::AcceleratorSpec& a);

struct OpTime {
  double compute_s = 0.0;
  double memory_s = 0.0;
  [[nodiscard]] double time_s() const { return compute_s > memory_s ? compute_s : memory_s; }
  [[nodiscard]] Bound bound() const { return compute_s >= memory_s ? Bound::kCompute : Bound::kMemoryBandwidth; }
};

// Time of one instance. A precision the accelerator lacks returns nullopt (an infeasible point).
std::optional<OpTime> time_operator(const workload::Operator& op, const Rates& r);

}  // namespace mlsim::solvers
