// Fitting of raw measurements (spec/calibration_raw.hpp) into calibrated curves
// (spec/calibrated.hpp), no GPU needed. Models and their sources (CALIBRATION.md 4 and 5.5):
// - alpha-beta t = a + S / B: weighted least squares with weights 1 / t^2 (relative error), a >= 0;
// - the lower envelope of K <= 3 alpha-beta lines t = min_k(a_k + S / B_k) (NCCL's tuner takes the
//   minimum over algorithm and protocol of latency + bytes / bandwidth, src/graph/tuning.cc):
//   dynamic programming over contiguous segments of the size-sorted points, the smallest K whose
//   largest relative error is within 1.25x of the K = 3 fit's or below 10 %;
// - GEMM t = t0 + max(2mnk / R, bytes / W) (a roofline with a fixed cost, Williams et al. 2009;
//   CALIBRATION.md 4 fits LLMCompass's A100 sweeps with this form within 3.3 % rms).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "spec/calibrated.hpp"
#include "spec/calibration_raw.hpp"

namespace mlsim::analysis {

// Statistics of a sample: the median (mean of the middle two for an even count) and the spread
// MAD / median (median absolute deviation over the median; 0 for fewer than 2 values).
double median(std::vector<double> v);
double mad_over_median(const std::vector<double>& v);

struct AlphaBeta {
  double alpha = 0.0;       // s
  double bandwidth = 0.0;   // B/s (infinite slope-free data gives 0: no size dependence)
  double rms_rel = 0.0, max_rel = 0.0;
};
// Fits t = alpha + bytes / bandwidth to (bytes, seconds) points (at least 2 with distinct bytes).
AlphaBeta fit_alpha_beta(const std::vector<std::pair<double, double>>& points);

struct Envelope {
  std::vector<AlphaBeta> lines;   // by ascending bandwidth
  double rms_rel = 0.0, max_rel = 0.0;
};
// The lower envelope of at most `max_lines` alpha-beta lines (each segment at least 2 points).
Envelope fit_envelope(std::vector<std::pair<double, double>> points, int max_lines = 3);
double envelope_eval(const Envelope& e, double bytes);

struct GemmSample {
  double m = 0, n = 0, k = 0, time_s = 0;
};
// Fits latency, rate and bandwidth of t = latency + max(2mnk / rate, bytes / bandwidth).
spec::GemmCurve fit_gemm(Precision p, const std::vector<GemmSample>& samples);

// busbw and algbw exactly as nccl-tests defines them (doc/PERFORMANCE.md): algbw = S / t,
// busbw = algbw x the op's bus factor.
double algbw(double bytes, double seconds);
double busbw(const std::string& op, long long ranks, double bytes, double seconds);

// Whole files: accelerator figures (GEMM, memory, L2, host link, launch) and node figures
// (collectives). `raw_name` is recorded as provenance.
spec::CalibratedAccelerator fit_accelerator(const spec::RawCalibration& raw, const std::string& raw_name);
spec::CalibratedNode fit_node(const spec::RawCalibration& raw, const std::string& raw_name);

}  // namespace mlsim::analysis
