// Fitting and evaluation of calibrated curves on synthetic points whose answers are known by hand.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <cmath>
#include <random>

#include "analysis/calibration_fit.hpp"
#include "analysis/calibration_plan.hpp"
#include "solvers/calibrated.hpp"

using namespace mlsim;

TEST_CASE("statistics: median and MAD / median by hand") {
  CHECK(analysis::median({3.0, 1.0, 2.0}) == 2.0);
  CHECK(analysis::median({4.0, 1.0, 3.0, 2.0}) == 2.5);
  CHECK(analysis::median({}) == 0.0);
  // {1, 2, 3, 4, 100}: median 3, deviations {2, 1, 0, 1, 97} -> MAD 1, spread 1/3.
  CHECK(analysis::mad_over_median({1.0, 2.0, 3.0, 4.0, 100.0}) == mlsim::test::approx(1.0 / 3.0));
  CHECK(analysis::mad_over_median({5.0}) == 0.0);
}

TEST_CASE("alpha-beta fit recovers a known latency and bandwidth") {
  // t = 8 us + S / 52 GB/s (a Gen5 host link), sizes 4 KiB .. 1 GiB.
  std::vector<std::pair<double, double>> pts;
  for (double s = 4096; s <= 1073741824.0; s *= 2) pts.emplace_back(s, 8e-6 + s / 52e9);
  auto f = analysis::fit_alpha_beta(pts);
  CHECK(f.alpha == mlsim::test::approx(8e-6).epsilon(1e-6));
  CHECK(f.bandwidth == mlsim::test::approx(52e9).epsilon(1e-6));
  CHECK(f.max_rel < 1e-9);
  // With 1 % multiplicative noise the fit stays within a few percent.
  std::mt19937 rng(7);
  std::normal_distribution<double> z(0.0, 0.01);
  for (auto& p : pts) p.second *= 1.0 + z(rng);
  f = analysis::fit_alpha_beta(pts);
  CHECK(f.alpha == mlsim::test::approx(8e-6).epsilon(0.05));
  CHECK(f.bandwidth == mlsim::test::approx(52e9).epsilon(0.03));
}

TEST_CASE("lower envelope of three alpha-beta lines is recovered and chosen over one line") {
  // CALIBRATION.md section 4's H100 8-GPU all-reduce envelope, as time = a + S x 2(n-1)/n / busbw:
  // (25 us, 6 GB/s), (38 us, 354 GB/s), (82 us, 472 GB/s).
  const double f = 2.0 * 7.0 / 8.0;
  const double a[3] = {25e-6, 38e-6, 82e-6}, b[3] = {6e9, 354e9, 472e9};
  std::vector<std::pair<double, double>> pts;
  for (double s = 8; s <= 8.0 * 1024 * 1024 * 1024; s *= 2) {
    double t = 1e9;
    for (int i = 0; i < 3; ++i) t = std::min(t, a[i] + s * f / b[i]);
    pts.emplace_back(s, t);
  }
  const auto e = analysis::fit_envelope(pts, 3);
  REQUIRE(e.lines.size() == 3);
  CHECK(e.max_rel < 0.02);
  // Lines by ascending bandwidth: busbw = algbw-type bandwidth x factor.
  CHECK(e.lines[0].alpha == mlsim::test::approx(25e-6).epsilon(0.05));
  CHECK(e.lines[0].bandwidth * f == mlsim::test::approx(6e9).epsilon(0.05));
  CHECK(e.lines[2].alpha == mlsim::test::approx(82e-6).epsilon(0.05));
  CHECK(e.lines[2].bandwidth * f == mlsim::test::approx(472e9).epsilon(0.02));
  // A single line misfits the same data by far more (section 4: 25 % on the published table).
  const auto one = analysis::fit_envelope(pts, 1);
  REQUIRE(one.lines.size() == 1);
  CHECK(one.max_rel > 0.2);
  // Data from one line: the envelope keeps one line.
  std::vector<std::pair<double, double>> line;
  for (double s = 1024; s <= 1e9; s *= 2) line.emplace_back(s, 10e-6 + s / 100e9);
  CHECK(analysis::fit_envelope(line, 3).lines.size() == 1);
}

TEST_CASE("busbw and algbw as nccl-tests defines them, by hand") {
  // 1 GiB all-reduce on 8 ranks in 4 ms: algbw = 2^30 / 4e-3 = 268.435 GB/s, busbw x 2*7/8.
  const double S = 1073741824.0, t = 4e-3;
  CHECK(analysis::algbw(S, t) == mlsim::test::approx(268.435456e9));
  CHECK(analysis::busbw("all_reduce", 8, S, t) == mlsim::test::approx(268.435456e9 * 1.75));
  CHECK(analysis::busbw("all_gather", 8, S, t) == mlsim::test::approx(268.435456e9 * 0.875));
  CHECK(analysis::busbw("reduce_scatter", 4, S, t) == mlsim::test::approx(268.435456e9 * 0.75));
  CHECK(analysis::busbw("all_to_all", 2, S, t) == mlsim::test::approx(268.435456e9 * 0.5));
  CHECK(analysis::busbw("broadcast", 8, S, t) == mlsim::test::approx(268.435456e9));
  CHECK(analysis::busbw("send_recv", 8, S, t) == mlsim::test::approx(268.435456e9));
  // The published 16-rank log (tests/data): 8 GiB in 47535 us -> algbw 180.71, busbw 338.82 GB/s.
  CHECK(analysis::algbw(8589934592.0, 47535e-6) / 1e9 == mlsim::test::approx(180.71).epsilon(0.0005));
  CHECK(analysis::busbw("all_reduce", 16, 8589934592.0, 47535e-6) / 1e9 == mlsim::test::approx(338.82).epsilon(0.0005));
  CHECK(spec::ranks_from_bus_ratio("all_reduce", 338.82 / 180.71) == 16);
  CHECK(spec::ranks_from_bus_ratio("all_gather", 0.875) == 8);
  CHECK_FALSE(spec::ranks_from_bus_ratio("broadcast", 1.0).has_value());
}

TEST_CASE("log-log interpolation is exact at points, monotone between, clamped outside") {
  const std::vector<std::pair<double, double>> p = {{1e3, 2e-6}, {1e6, 5e-6}, {1e9, 3e-4}};
  CHECK(solvers::interp_loglog(p, 1e3) == mlsim::test::approx(2e-6));
  CHECK(solvers::interp_loglog(p, 1e6) == mlsim::test::approx(5e-6));
  CHECK(solvers::interp_loglog(p, 1e9) == mlsim::test::approx(3e-4));
  // Halfway in log space between 1e3 and 1e6: the geometric mean of the times.
  CHECK(solvers::interp_loglog(p, std::sqrt(1e9)) == mlsim::test::approx(std::sqrt(2e-6 * 5e-6)));
  double prev = 0.0;
  for (double x = 1e3; x <= 1e9; x *= 1.3) {
    const double t = solvers::interp_loglog(p, x);
    CHECK(t >= prev);
    prev = t;
  }
  CHECK(solvers::interp_loglog(p, 10.0) == mlsim::test::approx(2e-6));
  // A size curve continues past its last point at the fitted bandwidth.
  spec::SizeCurve c{"copy", 2e-6, 3e12, p, {}};
  CHECK(solvers::size_curve_time(c, 2e9) == mlsim::test::approx(3e-4 + 1e9 / 3e12));
}

TEST_CASE("GEMM fit recovers a known roofline with a fixed cost; the table is exact at grid points") {
  // t = 4 us + max(2mnk / 790 TFLOPS, bytes / 2.8 TB/s), bf16: a full grid m x n x k.
  const double t0 = 4e-6, R = 790e12, W = 2.8e12;
  std::vector<analysis::GemmSample> s;
  for (double m : {1.0, 16.0, 256.0, 4096.0}) {
    for (double n : {1024.0, 4096.0, 16384.0}) {
      for (double k : {1024.0, 8192.0}) {
        const double bytes = 2.0 * (m * k + k * n + m * n);
        s.push_back({m, n, k, t0 + std::max(2.0 * m * n * k / R, bytes / W)});
      }
    }
  }
  spec::GemmCurve g = analysis::fit_gemm(Precision::kBf16, s);
  CHECK(g.latency_s == mlsim::test::approx(t0).epsilon(0.02));
  CHECK(g.rate == mlsim::test::approx(R).epsilon(0.01));
  CHECK(g.bandwidth == mlsim::test::approx(W).epsilon(0.01));
  CHECK(g.quality.max_rel < 0.01);
  for (const auto& x : s) g.points.push_back({x.m, x.n, x.k, x.time_s});
  const solvers::GemmTable table(g);
  for (const auto& x : s) CHECK(table.time(x.m, x.n, x.k) == mlsim::test::approx(x.time_s).epsilon(1e-12));
  // Between grid points along m the time is between its neighbours (monotone).
  const double lo = table.time(256, 4096, 8192), hi = table.time(4096, 4096, 8192);
  double prev = lo;
  for (double m = 300; m < 4096; m *= 1.5) {
    const double t = table.time(m, 4096, 8192);
    CHECK(t >= prev);
    CHECK(t <= hi);
    prev = t;
  }
  // Outside the grid: the model, scaled to meet the grid at its edge.
  const double big = table.time(4096, 16384, 16384);
  CHECK(big == mlsim::test::approx(table.time(4096, 16384, 8192) * table.model_time(4096, 16384, 16384) /
                               table.model_time(4096, 16384, 8192)));
}

TEST_CASE("calibrated collective time: exact group, nearest single-node group, nothing else") {
  spec::CalibratedNode node;
  spec::CollectiveCurve c;
  c.op = "all_reduce";
  c.ranks = 8;
  c.segments = {{20e-6, 400e9}};
  c.points = {{1e6, 30e-6}, {1e9, 4.4e-3}};
  node.collectives.push_back(c);
  CHECK(*solvers::calibrated_collective_time(node, "all_reduce", 1e6, 8, 1) == mlsim::test::approx(30e-6));
  // Past the last point: + extra bytes x 2(n-1)/n / busbw.
  CHECK(*solvers::calibrated_collective_time(node, "all_reduce", 2e9, 8, 1) == mlsim::test::approx(4.4e-3 + 1e9 * 1.75 / 400e9));
  // 4 ranks from the 8-rank curve: x (2*3/4) / (2*7/8).
  CHECK(*solvers::calibrated_collective_time(node, "all_reduce", 1e6, 4, 1) == mlsim::test::approx(30e-6 * 1.5 / 1.75));
  CHECK_FALSE(solvers::calibrated_collective_time(node, "all_gather", 1e6, 8, 1).has_value());
  CHECK_FALSE(solvers::calibrated_collective_time(node, "all_reduce", 1e6, 16, 2).has_value());
}

TEST_CASE("the zoo accelerator of a CUDA device name") {
  CHECK(analysis::accelerator_for_device("NVIDIA H100 80GB HBM3") == "h100_sxm");
  CHECK(analysis::accelerator_for_device("NVIDIA H100 80GB HBM3 (fake)") == "h100_sxm");
  CHECK(analysis::accelerator_for_device("NVIDIA H100 PCIe") == "h100_pcie");
  CHECK(analysis::accelerator_for_device("NVIDIA H200") == "h200_sxm");
  CHECK(analysis::accelerator_for_device("NVIDIA A100-SXM4-40GB") == "a100_sxm_40gb");
  CHECK(analysis::accelerator_for_device("NVIDIA A100-SXM4-80GB") == "a100_sxm_80gb");
  CHECK_FALSE(analysis::accelerator_for_device("NVIDIA A100 80GB PCIe").has_value());
  CHECK_FALSE(analysis::accelerator_for_device("NVIDIA H100 NVL").has_value());
  CHECK_FALSE(analysis::accelerator_for_device("NVIDIA GeForce RTX 4090").has_value());
}
