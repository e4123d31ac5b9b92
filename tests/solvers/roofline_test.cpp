// The per-operator roofline: max(FLOPs / achieved compute, bytes / achieved bandwidth), with the
// achieved rates of the zoo's H100 SXM and A100 figures (read through the zoo, not hard-coded).
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <cmath>

#include <string>

#include "spec/hardware.hpp"
#include "solvers/roofline.hpp"
#include "../support.hpp"

namespace mlsim {
namespace {

// The zoo entry without its GEMM size curve, so that the asymptotic rates are checked alone (the
// curve has its own test below).
spec::AcceleratorSpec accelerator(const std::string& id) {
  auto a = test::zoo_entry("accelerator", id, spec::read_accelerator);
  a.efficiency.gemm_size.clear();
  return a;
}

workload::Operator op(workload::OpClass c, double flops, double bytes, Precision p = Precision::kBf16) {
  workload::Operator o;
  o.name = "test";
  o.op_class = c;
  o.flops = flops;
  o.bytes = bytes;
  o.precision = p;
  return o;
}

double peak(const spec::AcceleratorSpec& a, Precision p) { return a.peak_at(p)->si(); }

}  // namespace

TEST_CASE("achieved rates: precision peak x efficiency, HBM bandwidth x efficiency") {
  const auto h = accelerator("h100_sxm");
  // The zoo's H100 SXM: bf16 989.4 TFLOPS, 3.35 TB/s, GEMM efficiency 0.803, memory 0.87.
  REQUIRE(h.peak_at(Precision::kBf16).has_value());
  CHECK(peak(h, Precision::kBf16) == mlsim::test::approx(989.4e12).epsilon(1e-12));
  CHECK(h.memory_bandwidth.si() == mlsim::test::approx(3.35e12).epsilon(1e-12));
  const auto r = solvers::achieved_rates(h);
  const auto bf16 = static_cast<std::size_t>(Precision::kBf16);
  const auto fp8 = static_cast<std::size_t>(Precision::kFp8);
  CHECK(r.gemm[bf16] == mlsim::test::approx(peak(h, Precision::kBf16) * h.efficiency.compute_at[bf16]).epsilon(1e-12));
  CHECK(r.gemm[fp8] == mlsim::test::approx(peak(h, Precision::kFp8) * h.efficiency.compute_at[fp8]).epsilon(1e-12));
  // Per-precision GEMM efficiency: bf16 0.803, fp8 0.696 (Azure's fixed-shape 1377 of 1979 TFLOPS)
  // -> 1978.9e12 * 0.696 = 1377.3144e12.
  CHECK(r.gemm[fp8] == mlsim::test::approx(1377.3144e12).epsilon(1e-9));
  CHECK(r.attention[bf16] == mlsim::test::approx(peak(h, Precision::kBf16) * h.efficiency.attention).epsilon(1e-12));
  CHECK(r.memory_bandwidth == mlsim::test::approx(h.memory_bandwidth.si() * h.efficiency.memory).epsilon(1e-12));
  // 989.4e12 * 0.803 = 794.4882e12 FLOP/s; 3.35e12 * 0.87 = 2.9145e12 B/s.
  CHECK(r.gemm[bf16] == mlsim::test::approx(794.4882e12).epsilon(1e-9));
  CHECK(r.memory_bandwidth == mlsim::test::approx(2.9145e12).epsilon(1e-9));
  // Elementwise work runs on the vector units: the fp32 peak (67 TFLOPS, not the tensor cores'
  // 989.4) x 0.803 = 53.801e12 FLOP/s, for every precision.
  CHECK(r.vector[fp8] == mlsim::test::approx(67e12 * h.efficiency.compute).epsilon(1e-9));
  CHECK(r.vector[bf16] == mlsim::test::approx(53.801e12).epsilon(1e-9));
  // No int4 peak on the H100: no GEMM rate.
  CHECK(r.gemm[static_cast<std::size_t>(Precision::kInt4)] == 0.0);
}

TEST_CASE("time_operator is the larger of the compute and memory times") {
  const auto h = accelerator("h100_sxm");
  const auto r = solvers::achieved_rates(h);
  const double f = peak(h, Precision::kBf16) * h.efficiency.compute_at[static_cast<std::size_t>(Precision::kBf16)];
  const double bw = h.memory_bandwidth.si() * h.efficiency.memory;
  // A 4096^3 bf16 GEMM: 2 * 4096^3 = 137,438,953,472 FLOPs; 3 * 4096^2 * 2 = 100,663,296 B.
  const auto t = solvers::time_operator(op(workload::OpClass::kGemm, 137'438'953'472.0, 100'663'296.0), r);
  REQUIRE(t.has_value());
  CHECK(t->compute_s == mlsim::test::approx(137'438'953'472.0 / f).epsilon(1e-12));
  CHECK(t->memory_s == mlsim::test::approx(100'663'296.0 / bw).epsilon(1e-12));
  // 137.4e9 / 794.5e12 = 173.0 us against 100.7e6 / 2.9145e12 = 34.5 us: compute-bound.
  CHECK(t->time_s() == mlsim::test::approx(173.0e-6).epsilon(0.001));
  CHECK(t->bound() == solvers::Bound::kCompute);
  CHECK(std::string(solvers::bound_name(t->bound())) == "compute");
  // A GEMV (decode): 2 * 4096^2 FLOPs over 4096^2 * 2 B of weights: bandwidth-bound.
  const auto v = solvers::time_operator(op(workload::OpClass::kGemm, 33'554'432.0, 33'554'432.0), r);
  REQUIRE(v.has_value());
  CHECK(v->time_s() == mlsim::test::approx(33'554'432.0 / bw).epsilon(1e-12));
  CHECK(v->bound() == solvers::Bound::kMemoryBandwidth);
  CHECK(std::string(solvers::bound_name(v->bound())) == "memory_bandwidth");
  // Attention runs at the attention efficiency: 1e12 FLOPs / (989.4e12 * 0.35) = 2.888 ms.
  const auto a = solvers::time_operator(op(workload::OpClass::kAttention, 1e12, 1.0), r);
  REQUIRE(a.has_value());
  CHECK(a->time_s() == mlsim::test::approx(1e12 / (peak(h, Precision::kBf16) * h.efficiency.attention)).epsilon(1e-12));
  CHECK(a->time_s() == mlsim::test::approx(2.888e-3).epsilon(0.001));
}

TEST_CASE("the ridge point of the H100 in bf16") {
  const auto h = accelerator("h100_sxm");
  const auto r = solvers::achieved_rates(h);
  // 989.4e12 * 0.803 / (3.35e12 * 0.87) = 794.4882e12 / 2.9145e12 = 272.60 FLOP/B.
  const double ridge = peak(h, Precision::kBf16) * h.efficiency.compute_at[static_cast<std::size_t>(Precision::kBf16)] /
                       (h.memory_bandwidth.si() * h.efficiency.memory);
  CHECK(ridge == mlsim::test::approx(272.60).epsilon(1e-4));
  const double bytes = 1e9;
  const auto above = solvers::time_operator(op(workload::OpClass::kGemm, ridge * 1.01 * bytes, bytes), r);
  const auto below = solvers::time_operator(op(workload::OpClass::kGemm, ridge * 0.99 * bytes, bytes), r);
  REQUIRE(above.has_value());
  REQUIRE(below.has_value());
  CHECK(above->bound() == solvers::Bound::kCompute);
  CHECK(below->bound() == solvers::Bound::kMemoryBandwidth);
  // Just below, the time is the memory time: 1e9 / 2.9145e12 = 343.1 us.
  CHECK(below->time_s() == mlsim::test::approx(343.11e-6).epsilon(1e-4));
  // Just above, the compute time: 1.01 * 343.1 us.
  CHECK(above->time_s() == mlsim::test::approx(1.01 * 343.11e-6).epsilon(1e-4));
}

TEST_CASE("a precision the accelerator lacks has no time") {
  const auto a100 = accelerator("a100_sxm_80gb");
  CHECK_FALSE(a100.peak_at(Precision::kFp8).has_value());
  const auto r = solvers::achieved_rates(a100);
  CHECK_FALSE(solvers::time_operator(op(workload::OpClass::kGemm, 1e9, 1e6, Precision::kFp8), r).has_value());
  CHECK_FALSE(solvers::time_operator(op(workload::OpClass::kAttention, 1e9, 1e6, Precision::kFp8), r).has_value());
  // Moving bytes needs no peak: a zero-FLOP op at fp8 is priced at the bandwidth.
  const auto copy = solvers::time_operator(op(workload::OpClass::kGemm, 0.0, 1e6, Precision::kFp8), r);
  REQUIRE(copy.has_value());
  CHECK(copy->time_s() == mlsim::test::approx(1e6 / (a100.memory_bandwidth.si() * a100.efficiency.memory)).epsilon(1e-12));
  // bf16 on the A100: 312 TFLOPS x 0.824 (the fixed-shape large-GEMM rate of its entry).
  const auto t = solvers::time_operator(op(workload::OpClass::kGemm, 1e12, 1.0), r);
  REQUIRE(t.has_value());
  CHECK(t->time_s() == mlsim::test::approx(1e12 / (312e12 * 0.824)).epsilon(1e-9));
}

TEST_CASE("the GEMM size curve: measured fractions of the large-GEMM rate, log-linear between points") {
  // H100 SXM: FP8 cuBLASLt 274 / 1011 / 1217 / 1290 / 1377 TFLOPS at 1024^3 .. 16384^3 (Azure); as
  // fractions of 0.696 (the largest point): 0.138 / 0.696 = 0.198 at 2.147 GFLOP, 0.511 / 0.696 =
  // 0.734 at 17.18 GFLOP, 1 from 8.796 TFLOP on.
  const auto h = test::zoo_entry("accelerator", "h100_sxm", spec::read_accelerator);
  const solvers::Rates r = solvers::achieved_rates(h);
  REQUIRE(r.gemm_size.size() == 5);
  CHECK(solvers::gemm_size_factor(r, 2.147e9) == mlsim::test::approx(0.138 / 0.696).epsilon(1e-9));
  CHECK(solvers::gemm_size_factor(r, 1e6) == mlsim::test::approx(0.138 / 0.696).epsilon(1e-9));   // flat below
  CHECK(solvers::gemm_size_factor(r, 8.796e12) == mlsim::test::approx(1.0).epsilon(1e-12));
  CHECK(solvers::gemm_size_factor(r, 1e15) == mlsim::test::approx(1.0).epsilon(1e-12));           // flat above
  // Half-way in ln(FLOPs) between 2.147 and 17.18 GFLOP (sqrt(2.147 x 17.18) = 6.073 GFLOP):
  // (0.198 + 0.734) / 2 = 0.466.
  const double mid = std::sqrt(2.147e9 * 17.18e9);
  CHECK(solvers::gemm_size_factor(r, mid) == mlsim::test::approx((0.138 + 0.511) / 2.0 / 0.696).epsilon(1e-9));
  // A GEMM of 2.147 GFLOP in bf16 therefore runs at 989.4e12 x 0.803 x 0.198 = 157.5 TFLOP/s.
  workload::Operator op{"g", workload::Phase::kForward, workload::OpClass::kGemm, 1.0, 2.147e9, 1.0, 1.0, Precision::kBf16};
  const auto t = solvers::time_operator(op, r);
  REQUIRE(t.has_value());
  CHECK(t->compute_s == mlsim::test::approx(2.147e9 / (989.4e12 * 0.803 * 0.138 / 0.696)).epsilon(1e-9));
  // A curve that is not ascending is bad input.
  Diagnostics d;
  const auto bad = spec::load_yaml(
      "{efficiency: {gemm_size: [{flops: 2 TFLOP, efficiency: 0.5}, {flops: 1 TFLOP, efficiency: 0.6}]}}", "t.yaml", d);
  spec::read_accelerator(bad, d);
  bool found = false;
  for (const auto& x : d.all()) found = found || x.message == "accelerator.efficiency.gemm_size: points must have ascending flops";
  CHECK(found);
}

}  // namespace mlsim

namespace mlsim {
namespace {

TEST_CASE("dequantization adds vector-unit time to the compute side of a GEMM") {
  const auto a100 = accelerator("a100_sxm_80gb");
  const auto r = solvers::achieved_rates(a100);
  auto g = op(workload::OpClass::kGemm, 1e12, 1e6);
  g.dequant_ops = 1e10;
  const auto t = solvers::time_operator(g, r);
  REQUIRE(t.has_value());
  // 1e12 / (312e12 x 0.824) + 1e10 / (19.5e12 fp32 vector peak x 0.824) = 3.890 ms + 0.622 ms.
  CHECK(t->compute_s == mlsim::test::approx(1e12 / (312e12 * 0.824) + 1e10 / (19.5e12 * 0.824)).epsilon(1e-9));
  // Memory-bound (decode): the conversion hides behind the weight loads, the time is the bytes'.
  auto d = op(workload::OpClass::kGemm, 1e6, 1e9);
  d.dequant_ops = 1e6;
  const auto td = solvers::time_operator(d, r);
  REQUIRE(td.has_value());
  CHECK(td->bound() == solvers::Bound::kMemoryBandwidth);
  CHECK(td->time_s() == mlsim::test::approx(1e9 / (a100.memory_bandwidth.si() * a100.efficiency.memory)).epsilon(1e-12));
}

}  // namespace
}  // namespace mlsim

namespace mlsim {

TEST_CASE("achieved rates of a calibrated accelerator: its tables are built once per block, shared by the spec's copies") {
  auto a = accelerator("h100_sxm");
  spec::CalibratedAccelerator block;
  spec::GemmCurve g;
  g.precision = Precision::kBf16;
  g.latency_s = 6e-6;
  g.rate = 700e12;
  g.bandwidth = 3e12;
  block.gemm.push_back(g);
  block.device_gap_s = 1.5e-6;
  a.calibrated = block;
  const spec::AcceleratorSpec copy = a;   // a sweep's or a plan's copy of the spec
  const auto r1 = solvers::achieved_rates(a);
  const auto r2 = solvers::achieved_rates(copy);
  REQUIRE(r1.calibrated != nullptr);
  CHECK(r1.calibrated == r2.calibrated);   // the same tables, not rebuilt
  CHECK(r1.calibrated->kernel_fixed_s == 1.5e-6);
  // An equal block loaded apart is another object: its own tables, with the same figures.
  spec::AcceleratorSpec other = accelerator("h100_sxm");
  other.calibrated = block;
  const auto r3 = solvers::achieved_rates(other);
  REQUIRE(r3.calibrated != nullptr);
  CHECK(r3.calibrated != r1.calibrated);
  CHECK(r3.calibrated->kernel_fixed_s == r1.calibrated->kernel_fixed_s);
  CHECK(other == a);                       // specs still compare by value
}

}  // namespace mlsim
