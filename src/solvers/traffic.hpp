// Serving traffic: request arrivals (Poisson, constant rate, or all at once for offline
// throughput) and prompt/output lengths (fixed, uniform, exponential, lognormal, or drawn from a
// list of lengths such as a CSV trace), drawn from a seeded generator so a run is reproducible.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace mlsim::solvers {

enum class Arrival { kPoisson, kConstant, kOffline };

struct LengthDistribution {
  enum class Kind { kFixed, kUniform, kExponential, kLognormal, kEmpirical } kind = Kind::kFixed;
  double mean = 1.0;            // fixed: the value; exponential and lognormal: the mean
  double min = 1.0, max = 1.0;  // uniform bounds (inclusive); every draw is clamped to [1, max] when max > 0
  double sigma = 0.5;           // lognormal: the standard deviation of the log
  std::vector<double> values;   // empirical: drawn uniformly (a CSV column of lengths)
  [[nodiscard]] double expected() const;
};

struct Request {
  double arrival_s = 0.0;
  long long prompt = 1, output = 1;
};

// `count` requests at `rate` per second (ignored offline: all arrive at 0), lengths drawn
// independently; the same seed gives the same requests.
std::vector<Request> generate_requests(long long count, Arrival arrival, double rate, const LengthDistribution& prompt,
                                       const LengthDistribution& output, std::uint64_t seed);

}  // namespace mlsim::solvers
