// Weight offload to host memory: the weights that do not fit in HBM stay in host memory and
// stream over the host link each pass (FlexGen, Sheng et al. 2023); with prefetch the stream
// overlaps the resident layers' compute, so a pass costs max(device time, streaming time).
#pragma once

namespace mlsim::solvers {

struct Offload {
  double offloaded_bytes = 0.0;
  double stream_s = 0.0;   // per pass
};

Offload weight_offload(double weight_bytes, double hbm_free_for_weights, double host_link_bytes_per_s);

}  // namespace mlsim::solvers
