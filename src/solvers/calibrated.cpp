#include "solvers/calibrated.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlsim::solvers {

double interp_loglog(const std::vector<std::pair<double, double>>& p, double x) {
  if (p.empty()) return 0.0;
  if (x <= p.front().first) return p.front().second;
  if (x >= p.back().first) return p.back().second;
  const auto it = std::lower_bound(p.begin(), p.end(), x, [](const auto& a, double v) { return a.first < v; });
  const auto& hi = *it;
  const auto& lo = *(it - 1);
  const double w = (std::log(x) - std::log(lo.first)) / (std::log(hi.first) - std::log(lo.first));
  return std::exp(std::log(lo.second) + w * (std::log(hi.second) - std::log(lo.second)));
}

double size_curve_time(const spec::SizeCurve& c, double bytes) {
  if (bytes <= 0.0) return 0.0;
  if (c.points.empty()) return c.latency_s + (c.bandwidth > 0.0 ? bytes / c.bandwidth : 0.0);
  const auto& last = c.points.back();
  if (bytes > last.first && c.bandwidth > 0.0) return last.second + (bytes - last.first) / c.bandwidth;
  return interp_loglog(c.points, bytes);
}

namespace {

// Operand bytes of one GEMM as the probe runs it (CALIBRATION.md 5.2.1): A and B in the input
// precision, D in the input precision except fp8, whose output is bf16.
double gemm_bytes(Precision p, double m, double n, double k) {
  const double in = bytes_per_element(p);
  const double out = p == Precision::kFp8 ? 2.0 : in;
  return in * (m * k + k * n) + out * m * n;
}

}  // namespace

GemmTable::GemmTable(const spec::GemmCurve& c) : c_(c) {
  for (const auto& p : c_.points) {
    axes_[0].push_back(p.m);
    axes_[1].push_back(p.n);
    axes_[2].push_back(p.k);
    cells_[{p.m, p.n, p.k}] = p.time_s;
  }
  for (auto& a : axes_) {
    std::sort(a.begin(), a.end());
    a.erase(std::unique(a.begin(), a.end()), a.end());
  }
}

double GemmTable::model_time(double m, double n, double k) const {
  const double compute = c_.rate > 0.0 ? 2.0 * m * n * k / c_.rate : 0.0;
  const double memory = c_.bandwidth > 0.0 ? gemm_bytes(c_.precision, m, n, k) / c_.bandwidth : 0.0;
  return c_.latency_s + std::max(compute, memory);
}

std::optional<double> GemmTable::grid_time(double m, double n, double k) const {
  const double q[3] = {m, n, k};
  double lo[3], hi[3], w[3];
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& a = axes_[i];
    if (a.empty() || q[i] < a.front() || q[i] > a.back()) return std::nullopt;
    const auto it = std::lower_bound(a.begin(), a.end(), q[i]);
    hi[i] = *it;
    lo[i] = *it == q[i] ? *it : *(it - 1);
    w[i] = hi[i] == lo[i] ? 0.0 : (std::log(q[i]) - std::log(lo[i])) / (std::log(hi[i]) - std::log(lo[i]));
  }
  double log_t = 0.0;
  for (int corner = 0; corner < 8; ++corner) {
    double weight = 1.0;
    double at[3];
    for (std::size_t i = 0; i < 3; ++i) {
      const bool upper = ((corner >> i) & 1) != 0;
      at[i] = upper ? hi[i] : lo[i];
      weight *= upper ? w[i] : 1.0 - w[i];
    }
    if (weight == 0.0) continue;
    const auto cell = cells_.find({at[0], at[1], at[2]});
    if (cell == cells_.end()) return std::nullopt;
    log_t += weight * std::log(cell->second);
  }
  return std::exp(log_t);
}

double GemmTable::time(double m, double n, double k) const {
  if (cells_.empty()) return model_time(m, n, k);
  const auto clamp = [](const std::vector<double>& a, double v) { return std::clamp(v, a.front(), a.back()); };
  const double cm = clamp(axes_[0], m), cn = clamp(axes_[1], n), ck = clamp(axes_[2], k);
  if (const auto t = grid_time(cm, cn, ck)) {
    if (cm == m && cn == n && ck == k) return *t;
    return *t * model_time(m, n, k) / model_time(cm, cn, ck);
  }
  return model_time(m, n, k);
}

double envelope_time(const std::vector<spec::EnvelopeSegment>& segments, double bytes, double factor) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& s : segments) {
    const double t = s.latency_s + (s.busbw > 0.0 ? bytes * factor / s.busbw : 0.0);
    best = std::min(best, t);
  }
  return segments.empty() ? 0.0 : best;
}

namespace {

double curve_time(const spec::CollectiveCurve& c, double bytes) {
  const double factor = spec::bus_factor_of(c.op, c.ranks).value_or(1.0);
  if (c.points.empty()) return envelope_time(c.segments, bytes, factor);
  const auto& last = c.points.back();
  if (bytes > last.first) {
    // Beyond the sweep: the last point plus the extra bytes at the envelope's largest busbw.
    double busbw = 0.0;
    for (const auto& s : c.segments) busbw = std::max(busbw, s.busbw);
    return last.second + (busbw > 0.0 ? (bytes - last.first) * factor / busbw : 0.0);
  }
  return interp_loglog(c.points, bytes);
}

}  // namespace

std::optional<double> calibrated_collective_time(const spec::CalibratedNode& c, const std::string& op, double bytes,
                                                 long long ranks, long long nodes) {
  if (ranks < 2 || bytes <= 0.0) return std::nullopt;
  const spec::CollectiveCurve* nearest = nullptr;
  for (const auto& k : c.collectives) {
    if (k.op != op) continue;
    if (k.ranks == ranks && k.nodes == nodes) return curve_time(k, bytes);
    if (nodes == 1 && k.nodes == 1 &&
        (nearest == nullptr || std::abs(std::log(static_cast<double>(k.ranks) / static_cast<double>(ranks))) <
                                   std::abs(std::log(static_cast<double>(nearest->ranks) / static_cast<double>(ranks))))) {
      nearest = &k;
    }
  }
  if (nearest == nullptr) return std::nullopt;
  const double f_target = spec::bus_factor_of(op, ranks).value_or(1.0);
  const double f_measured = spec::bus_factor_of(op, nearest->ranks).value_or(1.0);
  return curve_time(*nearest, bytes) * f_target / f_measured;
}

}  // namespace mlsim::solvers
