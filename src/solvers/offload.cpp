#include "solvers/offload.hpp"

namespace mlsim::solvers {

Offload weight_offload(double weight_bytes, double hbm_free_for_weights, double host_link_bytes_per_s) {
  Offload o;
  const double free = hbm_free_for_weights > 0.0 ? hbm_free_for_weights : 0.0;
  o.offloaded_bytes = weight_bytes > free ? weight_bytes - free : 0.0;
  o.stream_s = host_link_bytes_per_s > 0.0 ? o.offloaded_bytes / host_link_bytes_per_s : 0.0;
  return o;
}

}  // namespace mlsim::solvers
