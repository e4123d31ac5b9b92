#include "solvers/data_pipeline.hpp"

#include <algorithm>
#include <limits>

namespace mlsim::solvers {

DataSupply data_supply(double bytes_per_sample, double storage_bytes_per_s, double network_bytes_per_s,
                       double decode_per_core, double workers) {
  DataSupply s;
  const double inf = std::numeric_limits<double>::infinity();
  s.storage_samples_per_s = storage_bytes_per_s > 0 && bytes_per_sample > 0 ? storage_bytes_per_s / bytes_per_sample : 0.0;
  s.network_samples_per_s = network_bytes_per_s > 0 && bytes_per_sample > 0 ? network_bytes_per_s / bytes_per_sample : 0.0;
  s.decode_samples_per_s = decode_per_core > 0 && workers > 0 ? decode_per_core * workers : 0.0;
  double best = inf;
  const auto consider = [&](double v, const char* name) {
    if (v > 0 && v < best) {
      best = v;
      s.limiter = name;
    }
  };
  consider(s.storage_samples_per_s, "storage");
  consider(s.network_samples_per_s, "network");
  consider(s.decode_samples_per_s, "decode");
  s.supply_samples_per_s = best == inf ? 0.0 : best;
  return s;
}

double fed_fraction(double supply_samples_per_s, double demand_samples_per_s) {
  if (demand_samples_per_s <= 0.0) return 1.0;
  if (supply_samples_per_s <= 0.0) return 1.0;   // nothing limits
  return std::min(1.0, supply_samples_per_s / demand_samples_per_s);
}

}  // namespace mlsim::solvers
