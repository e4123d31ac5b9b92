#include "analysis/calibration_fit.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

namespace mlsim::analysis {

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 == 1 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

double mad_over_median(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = median(v);
  if (m == 0.0) return 0.0;
  std::vector<double> dev;
  dev.reserve(v.size());
  for (const double x : v) dev.push_back(std::abs(x - m));
  return median(dev) / std::abs(m);
}

namespace {

void score(AlphaBeta& f, const std::vector<std::pair<double, double>>& pts) {
  double ss = 0.0, mx = 0.0;
  for (const auto& [x, t] : pts) {
    const double pred = f.alpha + (f.bandwidth > 0.0 ? x / f.bandwidth : 0.0);
    const double r = std::abs(pred - t) / t;
    ss += r * r;
    mx = std::max(mx, r);
  }
  f.rms_rel = pts.empty() ? 0.0 : std::sqrt(ss / static_cast<double>(pts.size()));
  f.max_rel = mx;
}

double sq_error(const AlphaBeta& f) { return f.rms_rel * f.rms_rel; }

}  // namespace

AlphaBeta fit_alpha_beta(const std::vector<std::pair<double, double>>& pts) {
  AlphaBeta f;
  if (pts.empty()) return f;
  double xs = 0.0, ts = 0.0;
  for (const auto& [x, t] : pts) {
    xs = std::max(xs, x);
    ts = std::max(ts, t);
  }
  const auto n = static_cast<Eigen::Index>(pts.size());
  // Minimise sum(((a + x s - t) / t)^2): rows [1/t, x/t] . [a, s] = 1, in scaled units for conditioning.
  Eigen::MatrixXd A(n, 2);
  Eigen::VectorXd b = Eigen::VectorXd::Ones(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double x = pts[static_cast<std::size_t>(i)].first / xs;
    const double t = pts[static_cast<std::size_t>(i)].second / ts;
    A(i, 0) = 1.0 / t;
    A(i, 1) = x / t;
  }
  double a = 0.0, s = 0.0;
  if (pts.size() >= 2) {
    const Eigen::Vector2d sol = A.colPivHouseholderQr().solve(b);
    a = sol(0);
    s = sol(1);
  }
  if (pts.size() < 2 || !(a >= 0.0) || !(s > 0.0)) {
    // Constrained: a = 0 (s from the second column alone), or s = 0 (a from the first).
    const double s0 = A.col(1).squaredNorm() > 0.0 ? A.col(1).sum() / A.col(1).squaredNorm() : 0.0;
    const double a0 = A.col(0).sum() / A.col(0).squaredNorm();
    AlphaBeta through_origin{0.0, s0 > 0.0 ? xs / (s0 * ts) : 0.0};
    AlphaBeta flat{a0 * ts, 0.0};
    score(through_origin, pts);
    score(flat, pts);
    f = (s0 > 0.0 && through_origin.rms_rel <= flat.rms_rel) ? through_origin : flat;
    return f;
  }
  f.alpha = a * ts;
  f.bandwidth = xs / (s * ts);
  score(f, pts);
  return f;
}

double envelope_eval(const Envelope& e, double bytes) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& l : e.lines) best = std::min(best, l.alpha + (l.bandwidth > 0.0 ? bytes / l.bandwidth : 0.0));
  return e.lines.empty() ? 0.0 : best;
}

namespace {

void score(Envelope& e, const std::vector<std::pair<double, double>>& pts) {
  double ss = 0.0, mx = 0.0;
  for (const auto& [x, t] : pts) {
    const double r = std::abs(envelope_eval(e, x) - t) / t;
    ss += r * r;
    mx = std::max(mx, r);
  }
  e.rms_rel = pts.empty() ? 0.0 : std::sqrt(ss / static_cast<double>(pts.size()));
  e.max_rel = mx;
}

// The best partition of the points into exactly `k` contiguous segments (>= 2 points each) whose
// lines form a consistent lower envelope: every line has a positive slope, and from one segment to
// the next (larger sizes) the latency does not fall and the bandwidth rises, as NCCL's protocols go
// from LL (low latency, low bandwidth) to Simple (higher latency, full bandwidth). Without that
// order a line fitted to large sizes could undercut the small ones under the minimum. Dynamic
// programming over (segment count, last segment's start, end): O(k n^3) line lookups, n <= ~40.
Envelope envelope_with(const std::vector<std::pair<double, double>>& pts, int k) {
  const std::size_t n = pts.size();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<AlphaBeta>> line(n, std::vector<AlphaBeta>(n));
  std::vector<std::vector<double>> cost(n, std::vector<double>(n, inf));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const std::vector<std::pair<double, double>> seg(pts.begin() + static_cast<std::ptrdiff_t>(i),
                                                       pts.begin() + static_cast<std::ptrdiff_t>(j) + 1);
      line[i][j] = fit_alpha_beta(seg);
      if (line[i][j].bandwidth > 0.0) cost[i][j] = sq_error(line[i][j]) * static_cast<double>(seg.size());
    }
  }
  const auto K = static_cast<std::size_t>(k);
  // best[s][i][j]: points 0..j in s+1 segments, the last one i..j; prev[s][i][j]: the start of the one before.
  std::vector<std::vector<std::vector<double>>> best(K, std::vector<std::vector<double>>(n, std::vector<double>(n, inf)));
  std::vector<std::vector<std::vector<std::size_t>>> prev(K, std::vector<std::vector<std::size_t>>(n, std::vector<std::size_t>(n, 0)));
  for (std::size_t j = 1; j < n; ++j) best[0][0][j] = cost[0][j];
  for (std::size_t s = 1; s < K; ++s) {
    for (std::size_t i = 2; i + 1 < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        if (!std::isfinite(cost[i][j])) continue;
        for (std::size_t h = 0; h + 1 < i; ++h) {   // previous segment h..i-1
          const double c = best[s - 1][h][i - 1];
          if (!std::isfinite(c)) continue;
          const AlphaBeta& a = line[h][i - 1];
          const AlphaBeta& b = line[i][j];
          if (b.alpha < a.alpha || b.bandwidth <= a.bandwidth) continue;
          if (c + cost[i][j] < best[s][i][j]) {
            best[s][i][j] = c + cost[i][j];
            prev[s][i][j] = h;
          }
        }
      }
    }
  }
  Envelope e;
  std::size_t start = 0;
  double total = inf;
  for (std::size_t i = 0; i < n; ++i) {
    if (best[K - 1][i][n - 1] < total) {
      total = best[K - 1][i][n - 1];
      start = i;
    }
  }
  if (!std::isfinite(total)) return e;
  std::size_t end = n - 1;
  for (std::size_t s = K; s-- > 0;) {
    e.lines.push_back(line[start][end]);
    if (s == 0) break;
    const std::size_t h = prev[s][start][end];
    end = start - 1;
    start = h;
  }
  std::reverse(e.lines.begin(), e.lines.end());
  score(e, pts);
  return e;
}

}  // namespace

Envelope fit_envelope(std::vector<std::pair<double, double>> pts, int max_lines) {
  std::sort(pts.begin(), pts.end());
  std::vector<Envelope> fits;
  for (int k = 1; k <= max_lines && static_cast<std::size_t>(2 * k) <= pts.size(); ++k) {
    Envelope e = envelope_with(pts, k);
    if (!e.lines.empty()) fits.push_back(std::move(e));
  }
  if (fits.empty()) {
    // No increasing line fits (flat or too few points): one unconstrained line.
    Envelope e;
    if (!pts.empty()) e.lines.push_back(fit_alpha_beta(pts));
    score(e, pts);
    return e;
  }
  const double best_max = fits.back().max_rel;
  for (const auto& e : fits) {
    if (e.max_rel <= 1.25 * best_max || e.max_rel < 0.10) return e;
  }
  return fits.back();
}

namespace {

double gemm_bytes(Precision p, double m, double n, double k) {
  const double in = bytes_per_element(p);
  const double out = p == Precision::kFp8 ? 2.0 : in;
  return in * (m * k + k * n) + out * m * n;
}

struct GemmScore {
  double rms = 0.0, max = 0.0;
};

GemmScore score_gemm(const spec::GemmCurve& g, const std::vector<GemmSample>& s) {
  GemmScore out;
  double ss = 0.0;
  for (const auto& x : s) {
    const double pred = g.latency_s + std::max(2.0 * x.m * x.n * x.k / g.rate, gemm_bytes(g.precision, x.m, x.n, x.k) / g.bandwidth);
    const double r = std::abs(pred - x.time_s) / x.time_s;
    ss += r * r;
    out.max = std::max(out.max, r);
  }
  out.rms = s.empty() ? 0.0 : std::sqrt(ss / static_cast<double>(s.size()));
  return out;
}

}  // namespace

spec::GemmCurve fit_gemm(Precision p, const std::vector<GemmSample>& s) {
  spec::GemmCurve g;
  g.precision = p;
  if (s.empty()) return g;
  // Start from the best achieved rate and bandwidth, then alternate: classify each shape as
  // compute- or memory-bound under the current fit, solve the linear weighted least squares
  // t = t0 + F c [compute] + B w [memory] (rows divided by t), reclassify; at most 20 rounds.
  double r0 = 0.0, w0 = 0.0;
  for (const auto& x : s) {
    r0 = std::max(r0, 2.0 * x.m * x.n * x.k / x.time_s);
    w0 = std::max(w0, gemm_bytes(p, x.m, x.n, x.k) / x.time_s);
  }
  g.latency_s = 0.0;
  g.rate = r0;
  g.bandwidth = w0;
  GemmScore best_score = score_gemm(g, s);
  spec::GemmCurve best = g;
  const double ts = median([&] {
    std::vector<double> t;
    for (const auto& x : s) t.push_back(x.time_s);
    return t;
  }());
  for (int round = 0; round < 20; ++round) {
    const auto n = static_cast<Eigen::Index>(s.size());
    Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n, 3);
    const Eigen::VectorXd b = Eigen::VectorXd::Ones(n);
    bool any_c = false, any_m = false;
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto& x = s[static_cast<std::size_t>(i)];
      const double F = 2.0 * x.m * x.n * x.k, B = gemm_bytes(p, x.m, x.n, x.k);
      const bool compute = F / g.rate >= B / g.bandwidth;
      // Unknowns in scaled units: t0 / ts, c x r0, w x w0 (all near 1).
      A(i, 0) = ts / x.time_s;
      if (compute) {
        A(i, 1) = F / r0 / x.time_s;
        any_c = true;
      } else {
        A(i, 2) = B / w0 / x.time_s;
        any_m = true;
      }
    }
    std::vector<Eigen::Index> cols = {0};
    if (any_c) cols.push_back(1);
    if (any_m) cols.push_back(2);
    Eigen::MatrixXd Ar(n, static_cast<Eigen::Index>(cols.size()));
    for (std::size_t j = 0; j < cols.size(); ++j) Ar.col(static_cast<Eigen::Index>(j)) = A.col(cols[j]);
    const Eigen::VectorXd sol = Ar.colPivHouseholderQr().solve(b);
    spec::GemmCurve next = g;
    next.latency_s = std::max(0.0, sol(0) * ts);
    for (std::size_t j = 1; j < cols.size(); ++j) {
      const double v = sol(static_cast<Eigen::Index>(j));
      if (!(v > 0.0)) continue;   // keep the previous value of a parameter the data cannot pin down
      if (cols[j] == 1) next.rate = r0 / v;
      if (cols[j] == 2) next.bandwidth = w0 / v;
    }
    const GemmScore sc = score_gemm(next, s);
    if (sc.rms < best_score.rms) {
      best_score = sc;
      best = next;
    }
    if (next.latency_s == g.latency_s && next.rate == g.rate && next.bandwidth == g.bandwidth) break;
    g = next;
  }
  best.quality.rms_rel = best_score.rms;
  best.quality.max_rel = best_score.max;
  return best;
}

double algbw(double bytes, double seconds) { return seconds > 0.0 ? bytes / seconds : 0.0; }

double busbw(const std::string& op, long long ranks, double bytes, double seconds) {
  return algbw(bytes, seconds) * spec::bus_factor_of(op, ranks).value_or(0.0);
}

namespace {

spec::FitQuality quality_of(const std::vector<spec::RawStats>& st) {
  spec::FitQuality q;
  std::vector<double> spreads;
  for (const auto& s : st) {
    q.samples += s.samples;
    spreads.push_back(s.spread);
  }
  q.spread = median(spreads);
  return q;
}

spec::CalibrationProvenance provenance(const spec::RawCalibration& raw, const std::string& raw_name) {
  return {raw.device, raw.driver, raw.date, raw.tool, raw_name};
}

// Bigger transfers never take less time (CALIBRATION.md 5.5, monotone cleanup). Timing noise is
// upward (preemption, a clock ramp, a late first sample), so an inversion is resolved by keeping the
// lower time: a running minimum from the largest size down. Equal sizes are merged first.
std::vector<std::pair<double, double>> monotone(std::vector<std::pair<double, double>> p) {
  std::sort(p.begin(), p.end());
  std::vector<std::pair<double, double>> out;
  for (const auto& [x, t] : p) {
    if (!out.empty() && x == out.back().first) continue;
    out.emplace_back(x, t);
  }
  for (std::size_t i = out.size(); i-- > 1;) out[i - 1].second = std::min(out[i - 1].second, out[i].second);
  return out;
}

spec::SizeCurve size_curve(const std::string& name, const std::vector<spec::RawSized>& rows) {
  spec::SizeCurve c;
  c.name = name;
  std::vector<std::pair<double, double>> pts;
  std::vector<spec::RawStats> st;
  for (const auto& r : rows) {
    pts.emplace_back(r.bytes, r.stats.median_s);
    st.push_back(r.stats);
  }
  c.points = monotone(pts);
  const AlphaBeta f = fit_alpha_beta(c.points);
  c.latency_s = f.alpha;
  c.bandwidth = f.bandwidth;
  c.quality = quality_of(st);
  c.quality.rms_rel = f.rms_rel;
  c.quality.max_rel = f.max_rel;
  return c;
}

}  // namespace

spec::CalibratedAccelerator fit_accelerator(const spec::RawCalibration& raw, const std::string& raw_name) {
  spec::CalibratedAccelerator c;
  c.provenance = provenance(raw, raw_name);
  std::map<Precision, std::vector<const spec::RawGemm*>> by_prec;
  for (const auto& g : raw.gemm) by_prec[g.precision].push_back(&g);
  for (const auto& [p, rows] : by_prec) {
    std::vector<GemmSample> s;
    std::vector<spec::RawStats> st;
    for (const auto* r : rows) {
      s.push_back({r->m, r->n, r->k, r->stats.median_s});
      st.push_back(r->stats);
    }
    spec::GemmCurve g = fit_gemm(p, s);
    const spec::FitQuality q = quality_of(st);
    g.quality.samples = q.samples;
    g.quality.spread = q.spread;
    std::map<std::tuple<double, double, double>, double> unique;
    for (const auto& x : s) unique.emplace(std::make_tuple(x.m, x.n, x.k), x.time_s);
    for (const auto& [mnk, t] : unique) g.points.push_back({std::get<0>(mnk), std::get<1>(mnk), std::get<2>(mnk), t});
    c.gemm.push_back(std::move(g));
  }
  for (const auto& [pattern, rows] : raw.memory) c.memory.push_back(size_curve(pattern, rows));
  for (const auto& [dir, rows] : raw.host_link) c.host_link.push_back(size_curve(dir, rows));
  if (!raw.l2.empty()) {
    // Plateau: the median rate over the smallest third of the working sets; the effective capacity:
    // the first working set whose rate has fallen halfway from the plateau to the largest set's.
    std::vector<std::pair<double, double>> bw;   // (working set, B/s)
    std::vector<spec::RawStats> st;
    for (const auto& r : raw.l2) {
      bw.emplace_back(r.working_set, r.bytes / r.stats.median_s);
      st.push_back(r.stats);
    }
    std::sort(bw.begin(), bw.end());
    std::vector<double> small;
    for (std::size_t i = 0; i < std::max<std::size_t>(1, bw.size() / 3); ++i) small.push_back(bw[i].second);
    const double plateau = median(small);
    const double floor = bw.back().second;
    c.l2_bandwidth = plateau;
    c.l2_quality = quality_of(st);
    for (const auto& [ws, rate] : bw) {
      if (ws > 0.0 && rate < 0.5 * (plateau + floor) && plateau > 1.2 * floor) {
        c.l2_capacity = ws;
        break;
      }
    }
  }
  std::vector<spec::RawStats> launch;
  if (raw.device_gap) {
    c.device_gap_s = raw.device_gap->median_s;
    launch.push_back(*raw.device_gap);
  }
  if (raw.graph_gap) {
    c.graph_gap_s = raw.graph_gap->median_s;
    launch.push_back(*raw.graph_gap);
  }
  if (raw.host_enqueue) {
    c.host_enqueue_s = raw.host_enqueue->median_s;
    launch.push_back(*raw.host_enqueue);
  }
  c.launch_quality = quality_of(launch);
  return c;
}

spec::CalibratedNode fit_node(const spec::RawCalibration& raw, const std::string& raw_name) {
  spec::CalibratedNode c;
  c.provenance = provenance(raw, raw_name);
  std::map<std::tuple<std::string, long long, long long>, std::vector<const spec::RawCollective*>> groups;
  for (const auto& r : raw.collectives) groups[{r.op, r.nranks, r.nodes}].push_back(&r);
  for (const auto& [key, rows] : groups) {
    spec::CollectiveCurve k;
    k.op = std::get<0>(key);
    k.ranks = std::get<1>(key);
    k.nodes = std::get<2>(key);
    k.dtype = rows.front()->dtype;
    k.source = raw.source;
    std::vector<std::pair<double, double>> pts;
    std::vector<spec::RawStats> st;
    for (const auto* r : rows) {
      pts.emplace_back(r->bytes, r->stats.median_s);
      st.push_back(r->stats);
    }
    k.points = monotone(pts);
    const Envelope e = fit_envelope(k.points);
    const double factor = spec::bus_factor_of(k.op, k.ranks).value_or(1.0);
    for (const auto& l : e.lines) k.segments.push_back({l.alpha, l.bandwidth * factor});
    k.quality = quality_of(st);
    k.quality.rms_rel = e.rms_rel;
    k.quality.max_rel = e.max_rel;
    if (k.segments.empty()) continue;   // fewer than 2 sizes: nothing to fit
    c.collectives.push_back(std::move(k));
  }
  return c;
}

}  // namespace mlsim::analysis
