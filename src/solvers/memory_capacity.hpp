// The memory-capacity wall: does the footprint fit the device, and the largest batch that fits
// when the footprint is fixed + per-item x batch.
#pragma once

namespace mlsim::solvers {

struct CapacityCheck {
  bool fits = false;
  double used_bytes = 0.0;
  double capacity_bytes = 0.0;
  [[nodiscard]] double utilization() const { return capacity_bytes > 0.0 ? used_bytes / capacity_bytes : 0.0; }
  [[nodiscard]] double shortfall_bytes() const { return used_bytes > capacity_bytes ? used_bytes - capacity_bytes : 0.0; }
};

CapacityCheck check_capacity(double used_bytes, double capacity_bytes);

// floor((capacity - fixed) / per_item), 0 when not even one fits.
long long largest_batch(double capacity_bytes, double fixed_bytes, double per_item_bytes);

}  // namespace mlsim::solvers
