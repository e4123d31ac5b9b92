// Launch overhead (eager and CUDA graphs), memory capacity (fits, largest batch) and weight
// offload, each against a hand derivation.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include "solvers/launch_overhead.hpp"
#include "solvers/memory_capacity.hpp"
#include "solvers/offload.hpp"

namespace mlsim {

TEST_CASE("eager launches: max(GPU time + kernels x device gap, kernels x host time)") {
  solvers::LaunchModel m;
  m.device_gap_s = 2.5e-6;
  m.host_per_kernel_s = 21e-6;
  m.graph_launch_s = 30e-6;
  m.cuda_graphs = false;

  SUBCASE("host-bound: 100 tiny kernels") {
    // GPU 1 ms + 100 * 2.5 us = 1.25 ms on the device; the host needs 100 * 21 us = 2.1 ms.
    const auto t = solvers::sequence_time(1e-3, 100, m);
    CHECK(t.gpu_s == 1e-3);
    CHECK(t.gaps_s == mlsim::test::approx(2.5e-4).epsilon(1e-12));
    CHECK(t.host_s == mlsim::test::approx(2.1e-3).epsilon(1e-12));
    CHECK(t.device_s() == mlsim::test::approx(1.25e-3).epsilon(1e-12));
    CHECK(t.total_s() == mlsim::test::approx(2.1e-3).epsilon(1e-12));
    CHECK(t.launch_overhead_s() == mlsim::test::approx(1.1e-3).epsilon(1e-12));
  }
  SUBCASE("device-bound: 10 long kernels") {
    // GPU 10 ms + 10 * 2.5 us = 10.025 ms; host 210 us.
    const auto t = solvers::sequence_time(10e-3, 10, m);
    CHECK(t.total_s() == mlsim::test::approx(10.025e-3).epsilon(1e-12));
    CHECK(t.launch_overhead_s() == mlsim::test::approx(25e-6).epsilon(1e-9));
  }
}

TEST_CASE("a host that cannot run ahead: every kernel costs max(device time + gap, host time)") {
  solvers::LaunchModel m;
  m.device_gap_s = 2.5e-6;
  m.host_per_kernel_s = 68e-6;
  m.host_runs_ahead = false;
  // A 10 us operator of 2 kernels: 2 x max(5 + 2.5, 68) us = 136 us, host-bound per kernel.
  CHECK(solvers::serialized_time(10e-6, 2, m) == mlsim::test::approx(136e-6).epsilon(1e-12));
  // A 1 ms GEMM of 1 kernel: 1000 + 2.5 us, device-bound.
  CHECK(solvers::serialized_time(1e-3, 1, m) == mlsim::test::approx(1.0025e-3).epsilon(1e-12));
  // The sequence of both: 136 + 1002.5 us, although max(device, host) would give only
  // max(1010 + 7.5, 3 x 68) = 1017.5 us.
  const double serial = solvers::serialized_time(10e-6, 2, m) + solvers::serialized_time(1e-3, 1, m);
  const auto t = solvers::sequence_time(1.01e-3, 3, m, serial);
  CHECK(t.total_s() == mlsim::test::approx(1.1385e-3).epsilon(1e-9));
  CHECK(t.launch_overhead_s() == mlsim::test::approx(1.285e-4).epsilon(1e-6));
  // The same sequence with a host that queues ahead.
  m.host_runs_ahead = true;
  CHECK(solvers::sequence_time(1.01e-3, 3, m, serial).total_s() == mlsim::test::approx(1.0175e-3).epsilon(1e-9));
}

TEST_CASE("CUDA_LAUNCH_BLOCKING=1: every kernel costs its device time + gap + host time") {
  solvers::LaunchModel m;
  m.device_gap_s = 2.5e-6;
  m.host_per_kernel_s = 65e-6;
  m.host_runs_ahead = false;
  m.launch_blocking = true;
  // The sequence above (1.01 ms on the device in 3 kernels): 1010 + 3 x (2.5 + 65) us = 1.2125 ms,
  // more than the 1.1385 ms of a host that merely cannot run ahead.
  const double serial = solvers::serialized_time(10e-6, 2, m) + solvers::serialized_time(1e-3, 1, m);
  const auto t = solvers::sequence_time(1.01e-3, 3, m, serial);
  CHECK(t.total_s() == mlsim::test::approx(1.2125e-3).epsilon(1e-12));
  CHECK(t.launch_overhead_s() == mlsim::test::approx(2.025e-4).epsilon(1e-9));
  // Host-bound or device-bound makes no difference: 100 tiny kernels of 1 ms in all take 7.75 ms.
  CHECK(solvers::sequence_time(1e-3, 100, m).total_s() == mlsim::test::approx(7.75e-3).epsilon(1e-12));
}

TEST_CASE("CUDA graphs: one graph launch on the host and the graph gap on the device") {
  solvers::LaunchModel m;
  m.device_gap_s = 1.4e-6;   // the caller passes the graph gap
  m.host_per_kernel_s = 21e-6;
  m.graph_launch_s = 30e-6;
  m.cuda_graphs = true;
  // 100 kernels: device 1 ms + 100 * 1.4 us = 1.14 ms; host one 30 us launch.
  const auto t = solvers::sequence_time(1e-3, 100, m);
  CHECK(t.gaps_s == mlsim::test::approx(1.4e-4).epsilon(1e-12));
  CHECK(t.host_s == mlsim::test::approx(30e-6).epsilon(1e-12));
  CHECK(t.total_s() == mlsim::test::approx(1.14e-3).epsilon(1e-12));
  // Graphs shrink the overhead, they do not remove it: 140 us remain.
  CHECK(t.launch_overhead_s() == mlsim::test::approx(1.4e-4).epsilon(1e-9));
  // A tiny graph is bound by its launch: 2 kernels of 1 us each -> 2 us + 2.8 us < 30 us.
  const auto tiny = solvers::sequence_time(2e-6, 2, m);
  CHECK(tiny.total_s() == mlsim::test::approx(30e-6).epsilon(1e-12));
}

TEST_CASE("check_capacity") {
  const auto fits = solvers::check_capacity(60e9, 80e9);
  CHECK(fits.fits);
  CHECK(fits.utilization() == mlsim::test::approx(0.75).epsilon(1e-12));
  CHECK(fits.shortfall_bytes() == 0.0);
  const auto exact = solvers::check_capacity(80e9, 80e9);
  CHECK(exact.fits);
  CHECK(exact.utilization() == 1.0);
  const auto over = solvers::check_capacity(141e9, 80e9);
  CHECK_FALSE(over.fits);
  CHECK(over.shortfall_bytes() == mlsim::test::approx(61e9).epsilon(1e-12));
  CHECK(over.utilization() == mlsim::test::approx(141.0 / 80.0).epsilon(1e-12));
  CHECK(solvers::check_capacity(1.0, 0.0).utilization() == 0.0);
}

TEST_CASE("largest_batch: floor((capacity - fixed) / per item)") {
  // (80 - 16) / 0.5 = 128 exactly.
  CHECK(solvers::largest_batch(80e9, 16e9, 0.5e9) == 128);
  // (80 - 16) / 0.3 = 213.33 -> 213: 213 * 0.3 = 63.9 fits, 214 * 0.3 = 64.2 does not.
  CHECK(solvers::largest_batch(80e9, 16e9, 0.3e9) == 213);
  // Nothing fits beside the fixed part, or the fixed part alone is too large.
  CHECK(solvers::largest_batch(80e9, 79.9e9, 0.5e9) == 0);
  CHECK(solvers::largest_batch(80e9, 80e9, 0.5e9) == 0);
  CHECK(solvers::largest_batch(80e9, 141e9, 0.5e9) == 0);
  // A zero per-item size is not an unbounded batch.
  CHECK(solvers::largest_batch(80e9, 16e9, 0.0) == 0);
  // A huge quotient is clamped instead of overflowing.
  CHECK(solvers::largest_batch(80e9, 0.0, 1e-9) == 9'000'000'000'000'000LL);
}

TEST_CASE("weight_offload: what does not fit streams over the host link") {
  // 141 GB of weights, 60 GB free, 64 GB/s: 81 GB stream per pass in 81 / 64 = 1.265625 s.
  const auto o = solvers::weight_offload(141e9, 60e9, 64e9);
  CHECK(o.offloaded_bytes == mlsim::test::approx(81e9).epsilon(1e-12));
  CHECK(o.stream_s == mlsim::test::approx(1.265625).epsilon(1e-12));
  // Everything fits: nothing streams.
  const auto none = solvers::weight_offload(16e9, 60e9, 64e9);
  CHECK(none.offloaded_bytes == 0.0);
  CHECK(none.stream_s == 0.0);
  // No room at all (negative free space): every weight streams.
  const auto all = solvers::weight_offload(16e9, -4e9, 32e9);
  CHECK(all.offloaded_bytes == mlsim::test::approx(16e9).epsilon(1e-12));
  CHECK(all.stream_s == mlsim::test::approx(0.5).epsilon(1e-12));
  // No host link: the bytes are reported, the time is not defined here (the caller decides).
  const auto nolink = solvers::weight_offload(141e9, 60e9, 0.0);
  CHECK(nolink.offloaded_bytes == mlsim::test::approx(81e9).epsilon(1e-12));
  CHECK(nolink.stream_s == 0.0);
}

}  // namespace mlsim
