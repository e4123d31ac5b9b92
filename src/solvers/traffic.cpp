#include "solvers/traffic.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mlsim::solvers {

double LengthDistribution::expected() const {
  switch (kind) {
    case Kind::kFixed:
    case Kind::kExponential:
    case Kind::kLognormal: return mean;
    case Kind::kUniform: return (min + max) / 2.0;
    case Kind::kEmpirical:
      return values.empty() ? 1.0 : std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  }
  return mean;
}

namespace {

long long draw(const LengthDistribution& d, std::mt19937_64& rng) {
  double v = d.mean;
  switch (d.kind) {
    case LengthDistribution::Kind::kFixed: break;
    case LengthDistribution::Kind::kUniform:
      v = std::uniform_real_distribution<double>(d.min, d.max + 1.0)(rng);
      break;
    case LengthDistribution::Kind::kExponential: v = std::exponential_distribution<double>(1.0 / d.mean)(rng); break;
    case LengthDistribution::Kind::kLognormal: {
      // A lognormal of mean `mean`: mu = ln(mean) - sigma^2 / 2.
      const double mu = std::log(d.mean) - d.sigma * d.sigma / 2.0;
      v = std::lognormal_distribution<double>(mu, d.sigma)(rng);
      break;
    }
    case LengthDistribution::Kind::kEmpirical:
      if (!d.values.empty()) {
        v = d.values[std::uniform_int_distribution<std::size_t>(0, d.values.size() - 1)(rng)];
      }
      break;
  }
  if (d.kind == LengthDistribution::Kind::kUniform) v = std::floor(v);
  v = std::max(1.0, std::round(v));
  if (d.kind != LengthDistribution::Kind::kFixed && d.max > 1.0 && d.kind != LengthDistribution::Kind::kUniform) {
    v = std::min(v, d.max);
  }
  return static_cast<long long>(v);
}

}  // namespace

std::vector<Request> generate_requests(long long count, Arrival arrival, double rate, const LengthDistribution& prompt,
                                       const LengthDistribution& output, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Request> out;
  out.reserve(static_cast<std::size_t>(std::max<long long>(0, count)));
  double t = 0.0;
  std::exponential_distribution<double> gap(rate > 0.0 ? rate : 1.0);
  for (long long i = 0; i < count; ++i) {
    Request r;
    if (arrival == Arrival::kPoisson) {
      t += gap(rng);
    } else if (arrival == Arrival::kConstant) {
      t = static_cast<double>(i) / rate;
    }
    r.arrival_s = arrival == Arrival::kOffline ? 0.0 : t;
    r.prompt = draw(prompt, rng);
    r.output = draw(output, rng);
    out.push_back(r);
  }
  return out;
}

}  // namespace mlsim::solvers
