// Timing statistics and the sampling loop shared by every backend (CALIBRATION.md 5.3): warm up,
// then take >= min_samples samples and keep sampling until the relative spread is below max_noise
// or the configuration's time cap is reached.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace mlsim::probe {

struct Summary {
  std::int64_t n = 0;
  double median = 0;
  double p10 = 0;
  double p90 = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  double rel_spread = 0;   // median absolute deviation / median
};

// Percentile q in [0, 1] with linear interpolation between order statistics (numpy's default,
// Hyndman-Fan type 7). `sorted` must be ascending and non-empty.
double percentile_sorted(const std::vector<double>& sorted, double q);
double median_of(std::vector<double> values);
Summary summarize(std::vector<double> samples);   // n = 0 and zeros for an empty vector

struct TimingPolicy {
  int warmup_min_launches = 3;
  double warmup_s = 0.05;        // at least this much backend time in warm-up
  int min_samples = 10;
  int max_samples = 1000;
  int batch = 10;                // samples asked per call after the first min_samples
  double max_noise = 0.01;       // stop once rel_spread < max_noise
  double config_cap_s = 2.0;     // warm-up + sampling time cap per configuration
};

struct Measured {
  Summary summary;
  int warmup_launches = 0;
  bool timed_out = false;        // stopped by the cap or max_samples before reaching max_noise
};

// `take(count)` returns `count` samples (microseconds); `now_s()` is the backend's clock.
Measured measure(const std::function<std::vector<double>(int)>& take, const std::function<double()>& now_s,
                 const TimingPolicy& policy);

}  // namespace mlsim::probe
