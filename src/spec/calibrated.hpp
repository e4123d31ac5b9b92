// The `calibrated:` block of accelerator and node entries: measured curves written by
// `mlsim calibrate` (docs/calibration.md). An accelerator carries GEMM times by shape and
// precision, HBM and host-link times by transfer size, L2 and launch figures; a node carries
// collective times by size per (operation, group size). Each curve keeps its measured points (the
// solver interpolates them in log-log space) and its fitted model (used outside the points), with
// sample counts and spread. Times and sizes are SI inside (s, B, B/s, FLOP/s).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spec/precision.hpp"
#include "spec/reader.hpp"
#include "spec/tree.hpp"

namespace mlsim::spec {

// Where a calibrated block comes from.
struct CalibrationProvenance {
  std::string device, driver, date, tool, raw;

  friend bool operator==(const CalibrationProvenance&, const CalibrationProvenance&) = default;
};

// Goodness of a fit and how much data stands behind it.
struct FitQuality {
  long long samples = 0;     // timed samples behind the curve (sum over its points)
  double spread = 0.0;       // median over points of MAD / median of a point's samples
  double rms_rel = 0.0;      // fitted model vs the points: root mean square relative error
  double max_rel = 0.0;      // the largest relative error

  friend bool operator==(const FitQuality&, const FitQuality&) = default;
};

// A time-vs-bytes curve fitted as t = latency + bytes / bandwidth (memory, host link).
struct SizeCurve {
  std::string name;                                // pattern (copy, read, write, triad) or direction
  double latency_s = 0.0;
  double bandwidth = 0.0;                          // B/s
  std::vector<std::pair<double, double>> points;   // (bytes, seconds), bytes ascending
  FitQuality quality;

  friend bool operator==(const SizeCurve&, const SizeCurve&) = default;
};

struct GemmPoint {
  double m = 0, n = 0, k = 0, time_s = 0;
  friend bool operator==(const GemmPoint&, const GemmPoint&) = default;
};

// GEMM time by shape for one precision; the model is t = latency + max(2mnk / rate, bytes / bandwidth).
struct GemmCurve {
  Precision precision = Precision::kBf16;
  double latency_s = 0.0;
  double rate = 0.0;          // FLOP/s of large GEMMs
  double bandwidth = 0.0;     // B/s of memory-bound (skinny) GEMMs
  std::vector<GemmPoint> points;
  FitQuality quality;

  friend bool operator==(const GemmCurve&, const GemmCurve&) = default;
};

struct CalibratedAccelerator {
  CalibrationProvenance provenance;
  std::vector<GemmCurve> gemm;
  std::vector<SizeCurve> memory;      // by pattern
  std::vector<SizeCurve> host_link;   // by direction: h2d_pinned, d2h_pinned, h2d_pageable, d2h_pageable
  std::optional<double> l2_bandwidth;           // B/s, plateau
  std::optional<double> l2_capacity;            // B, where the bandwidth has fallen halfway to HBM
  std::optional<double> device_gap_s, graph_gap_s, host_enqueue_s;
  FitQuality l2_quality, launch_quality;

  [[nodiscard]] const GemmCurve* gemm_at(Precision p) const;
  [[nodiscard]] const SizeCurve* memory_at(const std::string& pattern) const;
  [[nodiscard]] const SizeCurve* host_link_at(const std::string& direction) const;

  friend bool operator==(const CalibratedAccelerator&, const CalibratedAccelerator&) = default;
};

// One segment of a lower envelope: t = latency + bytes x bus_factor / busbw.
struct EnvelopeSegment {
  double latency_s = 0.0;
  double busbw = 0.0;   // B/s
  friend bool operator==(const EnvelopeSegment&, const EnvelopeSegment&) = default;
};

struct CollectiveCurve {
  std::string op;            // all_reduce, all_gather, reduce_scatter, all_to_all, broadcast, send_recv
  long long ranks = 1;
  long long nodes = 1;       // nodes the measured group spanned
  std::string dtype, source;
  std::vector<EnvelopeSegment> segments;           // lower envelope, 1 to 3 lines
  std::vector<std::pair<double, double>> points;   // (nccl-tests bytes, seconds), ascending
  FitQuality quality;

  friend bool operator==(const CollectiveCurve&, const CollectiveCurve&) = default;
};

struct CalibratedNode {
  CalibrationProvenance provenance;
  std::vector<CollectiveCurve> collectives;

  friend bool operator==(const CalibratedNode&, const CalibratedNode&) = default;
};

// nccl-tests' bus factor by operation name (all_reduce 2(n-1)/n; all_gather, reduce_scatter,
// all_to_all (n-1)/n; broadcast, reduce, send_recv 1); nullopt for an unknown name.
std::optional<double> bus_factor_of(const std::string& op, long long n);
const std::vector<std::string>& collective_op_names();

// Readers of the block (strict: unknown keys are errors, every figure carries its unit).
CalibratedAccelerator read_calibrated_accelerator(const Node& n, Diagnostics& d);
CalibratedNode read_calibrated_node(const Node& n, Diagnostics& d);

// Writers (the inverse of the readers: read(write(x)) == x up to the printed precision).
Node calibrated_to_node(const CalibratedAccelerator& c);
Node calibrated_to_node(const CalibratedNode& c);

}  // namespace mlsim::spec
