// FakeBackend: a deterministic stand-in for a GPU, so the probe's output (and mlsim's fitting of it)
// can be tested end to end without one. Times come from a fixed roofline plus overheads, perturbed by
// seeded noise; the same (device, seed, flags) always gives the same samples, on any machine.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "backend.hpp"

namespace mlsim::probe {

struct FakeLine {        // one alpha-beta segment of a collective: t = alpha + S * factor / busbw
  double alpha_us;
  double busbw_gbs;
};

struct FakeParams {
  DeviceInfo device;
  // GEMM: t = t0 + max(2mnk / (peak x eta), bytes / gemm_mem_gbs)
  double peak_tflops[4] = {0, 0, 0, 0};   // dense, indexed by Precision; 0 = unsupported
  double eta[4] = {0, 0, 0, 0};
  double gemm_t0_us = 0;
  double gemm_mem_gbs = 0;
  // HBM: t = t0 + traffic / bw, per pattern (read, write, copy, triad)
  double mem_t0_us = 0;
  double mem_gbs[4] = {0, 0, 0, 0};
  // L2: flat up to l2_effective_bytes, log-linear down to the HBM read rate at twice that
  double l2_gbs = 0;
  std::uint64_t l2_effective_bytes = 0;
  // Host link: t = t0 + bytes / bw
  double pinned_t0_us = 0, pageable_t0_us = 0;
  double h2d_gbs = 0, d2h_gbs = 0, h2d_pageable_gbs = 0, d2h_pageable_gbs = 0;
  // Launch and call overheads, microseconds
  double host_enqueue_us = 0, device_gap_us = 0, device_gap_graph_us = 0;
  double cublaslt_min_us = 0, memcpy_min_us = 0, nccl_min_us = 0;
  // Collectives: lower envelope of lines (NCCL's own tuner has this shape; CALIBRATION.md 4)
  std::vector<FakeLine> all_reduce_lines;
  std::vector<FakeLine> other_lines;       // all_gather, reduce_scatter, broadcast, all_to_all
  double single_rank_copy_gbs = 0;         // nranks = 1: floor + local copy
  // Noise: sample = t (1 + noise_rel z1) + noise_abs_us z2, with 2 % of samples 8 % slower
  double noise_rel = 0.004;
  double noise_abs_us = 0.02;
};

// "h100" (H100 SXM 80 GB) or "a100" (A100 SXM 80 GB); throws std::invalid_argument otherwise.
FakeParams fake_params(std::string_view device);

// Noise-free times of the model, exposed for tests.
double fake_gemm_us(const FakeParams& p, const GemmShape& s);
double fake_collective_us(const FakeParams& p, CollectiveOp op, int nranks, std::uint64_t bytes);

class FakeBackend final : public Backend {
 public:
  FakeBackend(FakeParams params, std::string device_key, std::uint64_t seed, int nranks, int device_index);

  std::string_view kind() const override { return "fake"; }
  DeviceInfo device() const override { return params_.device; }
  SoftwareInfo software() const override { return {"fake", "fake", "fake", "fake"}; }
  std::vector<Condition> conditions() const override;
  bool supports(Precision p) const override;
  CollectiveSetup collectives() override;
  double now_s() override { return clock_s_; }
  void soak(double seconds) override { clock_s_ += seconds; }

  Samples gemm(const GemmShape& shape, int count) override;
  Samples memory(MemoryPattern pattern, std::uint64_t array_bytes, int count) override;
  Samples l2_read(std::uint64_t working_set_bytes, std::uint64_t traffic_bytes, int count) override;
  Samples host_link(HostLinkKind kind, std::uint64_t bytes, int count) override;
  Samples launch(LaunchKind kind, int count) override;
  Samples collective(CollectiveOp op, std::uint64_t bytes, int count) override;
  void release() override {}

 private:
  // `count` noisy samples around `t_us` from the configuration's own random stream; advances the
  // simulated clock by the samples plus `overhead_us` per sample (flushes, synchronisation).
  Samples draw(const std::string& key, double t_us, int count, double overhead_us);

  FakeParams params_;
  std::string device_key_;
  std::uint64_t seed_;
  int nranks_;
  double clock_s_ = 0;
  std::map<std::string, std::mt19937_64> streams_;
};

}  // namespace mlsim::probe
