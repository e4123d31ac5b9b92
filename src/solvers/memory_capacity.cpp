#include "solvers/memory_capacity.hpp"

#include <cmath>

namespace mlsim::solvers {

CapacityCheck check_capacity(double used_bytes, double capacity_bytes) {
  return CapacityCheck{used_bytes <= capacity_bytes, used_bytes, capacity_bytes};
}

long long largest_batch(double capacity_bytes, double fixed_bytes, double per_item_bytes) {
  if (per_item_bytes <= 0.0 || capacity_bytes <= fixed_bytes) return 0;
  const double n = std::floor((capacity_bytes - fixed_bytes) / per_item_bytes);
  return n > 9.0e15 ? 9'000'000'000'000'000LL : static_cast<long long>(n);
}

}  // namespace mlsim::solvers
