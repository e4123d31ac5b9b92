// Evaluation of calibrated curves (spec/calibrated.hpp), as CALIBRATION.md 5.7 describes: inside
// the measured points, piecewise-linear interpolation of log t against log size (GEMM: multilinear
// in log m, log n, log k over a complete cell of the measured grid); outside, the fitted model
// (t = latency + bytes / bandwidth; GEMM t = latency + max(2mnk / rate, bytes / bandwidth); a
// collective's lower envelope of alpha-beta lines), anchored so the curve is continuous at the
// edge of the measured range.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "spec/calibrated.hpp"

namespace mlsim::solvers {

// Piecewise-linear interpolation of log y against log x through points with ascending, positive
// x and y; clamps to the end values outside.
double interp_loglog(const std::vector<std::pair<double, double>>& points, double x);

// Time of moving `bytes` on a size curve: the interpolated points inside, the smallest point's
// time below them (a latency floor), the last point plus the extra bytes at the fitted bandwidth
// above them; the model alone when there are no points.
double size_curve_time(const spec::SizeCurve& c, double bytes);

// GEMM time model and lookup, precomputed once per accelerator (the grid's axes and cells).
class GemmTable {
 public:
  explicit GemmTable(const spec::GemmCurve& c);
  [[nodiscard]] double model_time(double m, double n, double k) const;
  // Interpolated inside a complete cell of the measured grid, the model (scaled to meet the
  // grid at its edge) outside.
  [[nodiscard]] double time(double m, double n, double k) const;
  [[nodiscard]] const spec::GemmCurve& curve() const { return c_; }

 private:
  [[nodiscard]] std::optional<double> grid_time(double m, double n, double k) const;
  spec::GemmCurve c_;
  std::vector<double> axes_[3];
  std::map<std::tuple<double, double, double>, double> cells_;
};

// The envelope t = min_k(latency_k + bytes x factor / busbw_k).
double envelope_time(const std::vector<spec::EnvelopeSegment>& segments, double bytes, double factor);

// Time of one collective on `ranks` ranks spanning `nodes` nodes from a node's measured curves:
// the curve of the same op, group size and node count (interpolated; envelope beyond the last
// point); a single-node group of another size takes the closest measured single-node size and
// rescales by the bus factors (busbw is the size-independent quantity, nccl-tests PERFORMANCE.md).
// nullopt when no curve of the op applies.
std::optional<double> calibrated_collective_time(const spec::CalibratedNode& c, const std::string& op, double bytes,
                                                 long long ranks, long long nodes);

}  // namespace mlsim::solvers
