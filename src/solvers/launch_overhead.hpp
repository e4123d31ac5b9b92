// Host and launch time. Launches are asynchronous, so a sequence of kernels costs
// max(sum of GPU times + kernels x device gap, host time); CUDA graphs replace the host term by one
// graph launch and the device gap by the graph gap (gpu-benches gpu-small-kernels: ~2.5 us vs
// ~1.4 us per kernel on H200; CALIBRATION.md 3.5).
#pragma once

namespace mlsim::solvers {

struct LaunchModel {
  double device_gap_s = 0.0;       // per kernel, on the device
  double host_per_kernel_s = 0.0;  // per kernel, on the host (eager)
  double graph_launch_s = 0.0;     // per graph replay (graphs)
  bool cuda_graphs = false;
};

struct SequenceTime {
  double gpu_s = 0.0;       // sum of operator times
  double gaps_s = 0.0;      // kernels x device gap
  double host_s = 0.0;      // host time to issue the sequence
  [[nodiscard]] double device_s() const { return gpu_s + gaps_s; }
  [[nodiscard]] double total_s() const { return device_s() > host_s ? device_s() : host_s; }
  // The part of the total that launching costs beyond the operators themselves.
  [[nodiscard]] double launch_overhead_s() const { return total_s() - gpu_s; }
};

SequenceTime sequence_time(double gpu_s, double kernels, const LaunchModel& m);

}  // namespace mlsim::solvers
