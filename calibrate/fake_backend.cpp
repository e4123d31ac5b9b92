// The fake GPU (see fake_backend.hpp). Figures are round values near the published ones in
// CALIBRATION.md section 3; they are test fixtures, not claims about real hardware.
#include "fake_backend.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sweeps.hpp"

namespace mlsim::probe {
namespace {

constexpr std::size_t idx(Precision p) { return static_cast<std::size_t>(p); }

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Uniform in (0, 1) from the top 53 bits; std::mt19937_64 is fully specified, unlike the standard
// distributions, so the samples are the same with every standard library.
double uniform01(std::mt19937_64& g) { return (static_cast<double>(g() >> 11) + 0.5) * 0x1.0p-53; }

double standard_normal(std::mt19937_64& g) {   // Box-Muller
  const double u1 = uniform01(g);
  const double u2 = uniform01(g);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

double bytes_over(std::uint64_t bytes, double gbs) { return static_cast<double>(bytes) / (gbs * 1e3); }  // us

}  // namespace

FakeParams fake_params(std::string_view device) {
  FakeParams p;
  if (device == "h100") {
    p.device = {"NVIDIA H100 80GB HBM3 (fake)", 9, 0, 132, 52428800ull, 85520809984ull, std::nullopt, "", 0};
    p.peak_tflops[idx(Precision::bf16)] = 989;
    p.peak_tflops[idx(Precision::fp16)] = 989;
    p.peak_tflops[idx(Precision::tf32)] = 494.5;
    p.peak_tflops[idx(Precision::fp8_e4m3)] = 1979;
    p.eta[idx(Precision::bf16)] = 0.80;
    p.eta[idx(Precision::fp16)] = 0.80;
    p.eta[idx(Precision::tf32)] = 0.75;
    p.eta[idx(Precision::fp8_e4m3)] = 0.70;
    p.gemm_t0_us = 4.0;
    p.gemm_mem_gbs = 2800;
    p.mem_t0_us = 2.5;
    p.mem_gbs[0] = 3150; p.mem_gbs[1] = 2900; p.mem_gbs[2] = 2950; p.mem_gbs[3] = 3000;
    p.l2_gbs = 9000;
    p.l2_effective_bytes = 40ull << 20;
    p.pinned_t0_us = 2.5; p.pageable_t0_us = 8.0;
    p.h2d_gbs = 52; p.d2h_gbs = 52; p.h2d_pageable_gbs = 24; p.d2h_pageable_gbs = 20;
    p.host_enqueue_us = 2.0; p.device_gap_us = 2.2; p.device_gap_graph_us = 1.3;
    p.cublaslt_min_us = 4.5; p.memcpy_min_us = 2.5; p.nccl_min_us = 8.0;
    p.all_reduce_lines = {{25, 6}, {38, 354}, {82, 472}};   // CALIBRATION.md 4, Azure H100 fit
    p.other_lines = {{20, 5}, {30, 300}, {60, 370}};
    p.single_rank_copy_gbs = 1400;
  } else if (device == "a100") {
    p.device = {"NVIDIA A100-SXM4-80GB (fake)", 8, 0, 108, 41943040ull, 85198045184ull, std::nullopt, "", 0};
    p.peak_tflops[idx(Precision::bf16)] = 312;
    p.peak_tflops[idx(Precision::fp16)] = 312;
    p.peak_tflops[idx(Precision::tf32)] = 156;
    p.eta[idx(Precision::bf16)] = 0.85;
    p.eta[idx(Precision::fp16)] = 0.85;
    p.eta[idx(Precision::tf32)] = 0.80;
    p.gemm_t0_us = 5.0;
    p.gemm_mem_gbs = 1600;
    p.mem_t0_us = 3.0;
    p.mem_gbs[0] = 1800; p.mem_gbs[1] = 1750; p.mem_gbs[2] = 1620; p.mem_gbs[3] = 1700;
    p.l2_gbs = 5400;
    p.l2_effective_bytes = 32ull << 20;
    p.pinned_t0_us = 3.0; p.pageable_t0_us = 10.0;
    p.h2d_gbs = 26.3; p.d2h_gbs = 26.3; p.h2d_pageable_gbs = 15; p.d2h_pageable_gbs = 12;
    p.host_enqueue_us = 2.5; p.device_gap_us = 2.6; p.device_gap_graph_us = 1.6;
    p.cublaslt_min_us = 6.0; p.memcpy_min_us = 3.0; p.nccl_min_us = 10.0;
    p.all_reduce_lines = {{45, 3}, {60, 180}, {100, 232}};
    p.other_lines = {{35, 3}, {45, 160}, {80, 200}};
    p.single_rank_copy_gbs = 800;
  } else {
    throw std::invalid_argument("unknown fake device '" + std::string(device) + "' (expected h100 or a100)");
  }
  return p;
}

double fake_gemm_us(const FakeParams& p, const GemmShape& s) {
  const double rate = p.peak_tflops[idx(s.precision)] * p.eta[idx(s.precision)] * 1e12;
  const double compute_us = gemm_flops(s) / rate * 1e6;
  const double memory_us = gemm_min_bytes(s) / (p.gemm_mem_gbs * 1e3);
  return p.gemm_t0_us + std::max(compute_us, memory_us);
}

double fake_collective_us(const FakeParams& p, CollectiveOp op, int nranks, std::uint64_t bytes) {
  if (nranks <= 1) return p.nccl_min_us + bytes_over(bytes, p.single_rank_copy_gbs);
  const double factor = busbw_factor(op, nranks);
  const auto& lines = op == CollectiveOp::all_reduce ? p.all_reduce_lines : p.other_lines;
  double best = 1e300;
  for (const auto& l : lines) best = std::min(best, l.alpha_us + static_cast<double>(bytes) * factor / (l.busbw_gbs * 1e3));
  return best;
}

FakeBackend::FakeBackend(FakeParams params, std::string device_key, std::uint64_t seed, int nranks, int device_index)
    : params_(std::move(params)), device_key_(std::move(device_key)), seed_(seed), nranks_(nranks) {
  params_.device.index = device_index;
}

std::vector<Condition> FakeBackend::conditions() const {
  return {{"fake_device", device_key_},
          {"seed", static_cast<std::int64_t>(seed_)},
          {"fake_gpus", static_cast<std::int64_t>(nranks_)},
          {"noise_rel", params_.noise_rel}};
}

bool FakeBackend::supports(Precision p) const { return params_.peak_tflops[idx(p)] > 0; }

CollectiveSetup FakeBackend::collectives() {
  CollectiveSetup s;
  s.available = true;
  s.nranks = nranks_;
  for (int i = 0; i < nranks_; ++i) s.devices.push_back(i);
  if (nranks_ == 1) {
    s.note = "single GPU: nranks = 1 measures only the NCCL call floor and a local copy (busbw is 0 by "
             "definition); collective curves need >= 2 GPUs";
  } else {
    s.note = "synthetic: lower envelope of alpha-beta lines";
  }
  return s;
}

Samples FakeBackend::draw(const std::string& key, double t_us, int count, double overhead_us) {
  auto it = streams_.find(key);
  if (it == streams_.end()) {
    it = streams_.emplace(key, std::mt19937_64(splitmix(seed_ ^ splitmix(fnv1a(key))))).first;
  }
  auto& g = it->second;
  Samples out;
  out.reserve(static_cast<std::size_t>(std::max(count, 0)));
  double total = 30.0;   // one synchronisation per call
  for (int i = 0; i < count; ++i) {
    const double z1 = standard_normal(g);
    const double z2 = standard_normal(g);
    const bool outlier = uniform01(g) < 0.02;
    double t = t_us * (1.0 + params_.noise_rel * z1) + params_.noise_abs_us * z2;
    if (outlier) t *= 1.08;
    t = std::max(t, 0.5 * t_us);
    out.push_back(t);
    total += t + overhead_us;
  }
  clock_s_ += total * 1e-6;
  return out;
}

Samples FakeBackend::gemm(const GemmShape& s, int count) {
  if (!supports(s.precision)) throw ProbeUnsupported(std::string(to_string(s.precision)) + " not supported by this device");
  const std::string key = "gemm/" + std::string(to_string(s.precision)) + "/" + std::to_string(s.m) + "/" +
                          std::to_string(s.n) + "/" + std::to_string(s.k);
  return draw(key, fake_gemm_us(params_, s), count, 40.0);
}

Samples FakeBackend::memory(MemoryPattern pattern, std::uint64_t array_bytes, int count) {
  const std::uint64_t traffic = array_bytes * static_cast<std::uint64_t>(memory_streams(pattern));
  const double t = params_.mem_t0_us + bytes_over(traffic, params_.mem_gbs[static_cast<std::size_t>(pattern)]);
  return draw("memory/" + std::string(to_string(pattern)) + "/" + std::to_string(array_bytes), t, count, 40.0);
}

Samples FakeBackend::l2_read(std::uint64_t working_set_bytes, std::uint64_t traffic_bytes, int count) {
  const double eff = static_cast<double>(params_.l2_effective_bytes);
  const double w = static_cast<double>(working_set_bytes);
  double bw = params_.l2_gbs;
  if (w >= 2 * eff) {
    bw = params_.mem_gbs[0];
  } else if (w > eff) {   // log-linear between the L2 plateau and the HBM read rate
    const double f = std::log(w / eff) / std::log(2.0);
    bw = std::exp(std::log(params_.l2_gbs) * (1 - f) + std::log(params_.mem_gbs[0]) * f);
  }
  const double t = params_.mem_t0_us + bytes_over(traffic_bytes, bw);
  return draw("l2/" + std::to_string(working_set_bytes), t, count, 0.0);
}

Samples FakeBackend::host_link(HostLinkKind kind, std::uint64_t bytes, int count) {
  double t = 0;
  switch (kind) {
    case HostLinkKind::h2d_pinned: t = params_.pinned_t0_us + bytes_over(bytes, params_.h2d_gbs); break;
    case HostLinkKind::d2h_pinned: t = params_.pinned_t0_us + bytes_over(bytes, params_.d2h_gbs); break;
    case HostLinkKind::h2d_pageable: t = params_.pageable_t0_us + bytes_over(bytes, params_.h2d_pageable_gbs); break;
    case HostLinkKind::d2h_pageable: t = params_.pageable_t0_us + bytes_over(bytes, params_.d2h_pageable_gbs); break;
  }
  return draw("host/" + std::string(to_string(kind)) + "/" + std::to_string(bytes), t, count, 5.0);
}

Samples FakeBackend::launch(LaunchKind kind, int count) {
  double t = 0;
  switch (kind) {
    case LaunchKind::host_enqueue: t = params_.host_enqueue_us; break;
    case LaunchKind::device_gap: t = params_.device_gap_us; break;
    case LaunchKind::device_gap_graph: t = params_.device_gap_graph_us; break;
    case LaunchKind::cublaslt_min: t = params_.cublaslt_min_us; break;
    case LaunchKind::memcpy_min: t = params_.memcpy_min_us; break;
    case LaunchKind::nccl_min: t = params_.nccl_min_us; break;
  }
  return draw("launch/" + std::string(to_string(kind)), t, count, 1.0);
}

Samples FakeBackend::collective(CollectiveOp op, std::uint64_t bytes, int count) {
  const double t = fake_collective_us(params_, op, nranks_, bytes);
  return draw("coll/" + std::string(to_string(op)) + "/" + std::to_string(nranks_) + "/" + std::to_string(bytes), t,
              count, 2.0);
}

}  // namespace mlsim::probe
