// Statistics and the warm-up / sample / stop loop (CALIBRATION.md 5.3).
#include "timing.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace mlsim::probe {

double percentile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return percentile_sorted(values, 0.5);
}

Summary summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.n = static_cast<std::int64_t>(samples.size());
  s.median = percentile_sorted(samples, 0.5);
  s.p10 = percentile_sorted(samples, 0.1);
  s.p90 = percentile_sorted(samples, 0.9);
  s.min = samples.front();
  s.max = samples.back();
  double sum = 0;
  for (double v : samples) sum += v;
  s.mean = sum / static_cast<double>(samples.size());
  std::vector<double> dev;
  dev.reserve(samples.size());
  for (double v : samples) dev.push_back(std::fabs(v - s.median));
  const double mad = median_of(std::move(dev));
  s.rel_spread = s.median > 0 ? mad / s.median : 0.0;
  return s;
}

Measured measure(const std::function<std::vector<double>(int)>& take, const std::function<double()>& now_s,
                 const TimingPolicy& policy) {
  Measured out;
  const double start = now_s();
  // Warm-up: at least warmup_min_launches samples and warmup_s of backend time; the batch doubles so
  // that tiny kernels do not pay one synchronisation per launch.
  int batch = 1;
  while (out.warmup_launches < policy.warmup_min_launches || now_s() - start < policy.warmup_s) {
    out.warmup_launches += static_cast<int>(take(batch).size());
    batch = std::min(batch * 2, 32);
    if (now_s() - start > policy.config_cap_s) break;
  }
  std::vector<double> samples = take(std::max(policy.min_samples, 1));
  for (;;) {
    out.summary = summarize(samples);
    if (out.summary.rel_spread < policy.max_noise) break;
    if (static_cast<int>(samples.size()) >= policy.max_samples || now_s() - start > policy.config_cap_s) {
      out.timed_out = true;
      break;
    }
    const int want = std::min(std::max(policy.batch, 1), policy.max_samples - static_cast<int>(samples.size()));
    const std::vector<double> more = take(want);
    if (more.empty()) {
      out.timed_out = true;
      break;
    }
    samples.insert(samples.end(), more.begin(), more.end());
  }
  return out;
}

}  // namespace mlsim::probe
