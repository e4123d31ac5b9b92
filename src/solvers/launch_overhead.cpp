#include "solvers/launch_overhead.hpp"

namespace mlsim::solvers {

SequenceTime sequence_time(double gpu_s, double kernels, const LaunchModel& m, double serial_s) {
  SequenceTime t;
  t.gpu_s = gpu_s;
  if (m.cuda_graphs) {
    t.gaps_s = kernels * m.device_gap_s;   // the caller passes the graph gap as device_gap_s
    t.host_s = m.graph_launch_s;
  } else {
    t.gaps_s = kernels * m.device_gap_s;
    t.host_s = kernels * m.host_per_kernel_s;
    // Serialized: the device waits for the host at every kernel that is shorter than its launch.
    if (!m.host_runs_ahead && serial_s > t.gpu_s + t.gaps_s) t.gaps_s = serial_s - t.gpu_s;
    // Blocking launches: the device also idles through every kernel's host work.
    if (m.launch_blocking) t.gaps_s = kernels * m.device_gap_s + t.host_s;
  }
  return t;
}

double serialized_time(double op_s, double kernels, const LaunchModel& m) {
  if (kernels <= 0.0) return op_s;
  const double per_kernel = op_s / kernels + m.device_gap_s;
  return kernels * (per_kernel > m.host_per_kernel_s ? per_kernel : m.host_per_kernel_s);
}

}  // namespace mlsim::solvers
