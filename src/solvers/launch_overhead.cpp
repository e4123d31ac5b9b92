#include "solvers/launch_overhead.hpp"

namespace mlsim::solvers {

SequenceTime sequence_time(double gpu_s, double kernels, const LaunchModel& m) {
  SequenceTime t;
  t.gpu_s = gpu_s;
  if (m.cuda_graphs) {
    t.gaps_s = kernels * m.device_gap_s;   // the caller passes the graph gap as device_gap_s
    t.host_s = m.graph_launch_s;
  } else {
    t.gaps_s = kernels * m.device_gap_s;
    t.host_s = kernels * m.host_per_kernel_s;
  }
  return t;
}

}  // namespace mlsim::solvers
