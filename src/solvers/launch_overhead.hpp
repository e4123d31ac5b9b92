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
  // Whether the host queues kernels ahead of the device (the CUDA stream is asynchronous). When it
  // cannot (an eager framework whose Python and dispatcher work per operator is as long as the
  // small kernels it launches, observed on vTrain's Megatron runs), every kernel costs the longer
  // of its device time and its host time.
  bool host_runs_ahead = true;
  // CUDA_LAUNCH_BLOCKING=1: every launch returns only when its kernel has finished, so the host's
  // work and the device's never overlap and a sequence costs the sum of both.
  bool launch_blocking = false;
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

// `serial_s` is the sum over kernels of max(device time + gap, host time) (serialized_time); it is
// used when the host does not run ahead.
SequenceTime sequence_time(double gpu_s, double kernels, const LaunchModel& m, double serial_s = 0.0);

// One operator of `kernels` kernels taking `op_s` on the device, when the host cannot run ahead.
double serialized_time(double op_s, double kernels, const LaunchModel& m);

}  // namespace mlsim::solvers
