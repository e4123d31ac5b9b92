// The input pipeline of one node (docs/operations.md): samples per second that storage, the
// network and the host's decode workers supply, against what the accelerators consume.
#pragma once

#include <string>

namespace mlsim::solvers {

struct DataSupply {
  double storage_samples_per_s = 0;   // storage read bandwidth / bytes per sample
  double network_samples_per_s = 0;   // ingestion bandwidth / bytes per sample (0: not limited)
  double decode_samples_per_s = 0;    // per-core decode rate x workers (0: not limited)
  double supply_samples_per_s = 0;    // the smallest of those that apply
  std::string limiter;                // "storage", "network" or "decode"
};

// Any rate given as <= 0 does not limit.
DataSupply data_supply(double bytes_per_sample, double storage_bytes_per_s, double network_bytes_per_s,
                       double decode_per_core, double workers);

// Fraction of the time the accelerators can be fed: min(1, supply / demand).
double fed_fraction(double supply_samples_per_s, double demand_samples_per_s);

}  // namespace mlsim::solvers
