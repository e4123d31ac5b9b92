// mlsim-probe-selftest: checks of the probe's shared harness without a GPU: statistics and the stop
// rule, nccl-tests bandwidth factors, the JSON writer, the shapes parser, SHA-256, and that the fake
// backend's GEMM times follow its roofline. Plain C++; exits non-zero on the first failed group.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "fake_backend.hpp"
#include "json_writer.hpp"
#include "probe.hpp"
#include "sha256.hpp"
#include "sweeps.hpp"
#include "timing.hpp"

namespace {

int failures = 0;
int checks = 0;

void check(bool ok, const std::string& what, const char* file, int line) {
  ++checks;
  if (!ok) {
    ++failures;
    std::cerr << file << ":" << line << ": FAILED: " << what << "\n";
  }
}
#define CHECK(cond) check((cond), #cond, __FILE__, __LINE__)
#define CHECK_NEAR(a, b, tol) \
  check(std::fabs((a) - (b)) <= (tol), #a " ~ " #b " (" + std::to_string(a) + " vs " + std::to_string(b) + ")", __FILE__, __LINE__)
#define CHECK_EQ_STR(a, b) check((a) == (b), std::string(#a " == " #b ": got '") + (a) + "'", __FILE__, __LINE__)

using namespace mlsim::probe;

void test_statistics() {
  CHECK_NEAR(median_of({3, 1, 2}), 2.0, 0);
  CHECK_NEAR(median_of({4, 1, 3, 2}), 2.5, 0);
  // 1..11: type-7 p10 = x[1] = 2, p90 = x[9] = 10
  std::vector<double> v;
  for (int i = 1; i <= 11; ++i) v.push_back(i);
  const Summary s = summarize(v);
  CHECK(s.n == 11);
  CHECK_NEAR(s.median, 6.0, 0);
  CHECK_NEAR(s.p10, 2.0, 1e-12);
  CHECK_NEAR(s.p90, 10.0, 1e-12);
  CHECK_NEAR(s.min, 1.0, 0);
  CHECK_NEAR(s.mean, 6.0, 1e-12);
  // |x - 6| = 5,4,3,2,1,0,1,2,3,4,5 -> MAD 3, spread 3/6
  CHECK_NEAR(s.rel_spread, 0.5, 1e-12);
  // interpolation between order statistics: {10, 20}, p10 = 11, p90 = 19
  const Summary t = summarize({20, 10});
  CHECK_NEAR(t.p10, 11.0, 1e-12);
  CHECK_NEAR(t.p90, 19.0, 1e-12);
  CHECK_NEAR(summarize({5, 5, 5, 5}).rel_spread, 0.0, 0);
  CHECK(summarize({}).n == 0);
  // one outlier does not move the median or the spread much: 100 x 10 us + one 1000 us
  std::vector<double> o(100, 10.0);
  o.push_back(1000);
  CHECK_NEAR(summarize(o).median, 10.0, 0);
  CHECK_NEAR(summarize(o).rel_spread, 0.0, 0);
}

void test_stop_rule() {
  TimingPolicy p;
  p.warmup_s = 0.05;
  p.config_cap_s = 1.0;
  p.min_samples = 10;
  // quiet samples: warm-up until 3 launches and 50 ms of clock, then exactly min_samples
  {
    double clock = 0;
    int taken = 0;
    auto take = [&](int n) {
      taken += n;
      clock += n * 20e-3;   // 20 ms per sample
      return std::vector<double>(static_cast<std::size_t>(n), 20000.0);
    };
    const Measured m = measure(take, [&] { return clock; }, p);
    CHECK(m.warmup_launches >= 3);
    CHECK(m.summary.n == 10);
    CHECK(!m.timed_out);
    CHECK_NEAR(m.summary.median, 20000.0, 0);
  }
  // alternating 10 / 12 us never gets below 1 % spread: stops at the time cap, flagged
  {
    double clock = 0;
    int i = 0;
    auto take = [&](int n) {
      std::vector<double> out;
      for (int k = 0; k < n; ++k) out.push_back((i++ % 2) ? 12.0 : 10.0);
      clock += n * 1e-3;
      return out;
    };
    const Measured m = measure(take, [&] { return clock; }, p);
    CHECK(m.timed_out);
    CHECK(m.summary.n >= 10);
    CHECK(m.summary.n <= p.max_samples);
    CHECK(clock < p.config_cap_s + 0.05);
  }
  // and at max_samples when the clock does not move
  {
    auto take = [](int n) {
      std::vector<double> out;
      for (int k = 0; k < n; ++k) out.push_back(k % 2 ? 12.0 : 10.0);
      return out;
    };
    TimingPolicy q = p;
    q.warmup_s = 0;
    const Measured m = measure(take, [] { return 0.0; }, q);
    CHECK(m.timed_out);
    CHECK(m.summary.n == q.max_samples);
  }
}

void test_busbw() {
  // nccl-tests doc/PERFORMANCE.md: all_reduce 2(n-1)/n, all_gather / reduce_scatter / alltoall (n-1)/n,
  // broadcast 1; hand values for n = 2, 4, 8.
  const int ns[] = {2, 4, 8};
  const double ar[] = {1.0, 1.5, 1.75};
  const double ring[] = {0.5, 0.75, 0.875};
  for (int i = 0; i < 3; ++i) {
    CHECK_NEAR(busbw_factor(CollectiveOp::all_reduce, ns[i]), ar[i], 1e-15);
    CHECK_NEAR(busbw_factor(CollectiveOp::all_gather, ns[i]), ring[i], 1e-15);
    CHECK_NEAR(busbw_factor(CollectiveOp::reduce_scatter, ns[i]), ring[i], 1e-15);
    CHECK_NEAR(busbw_factor(CollectiveOp::all_to_all, ns[i]), ring[i], 1e-15);
    CHECK_NEAR(busbw_factor(CollectiveOp::broadcast, ns[i]), 1.0, 0);
  }
  CHECK_NEAR(busbw_factor(CollectiveOp::all_reduce, 1), 0.0, 0);   // one rank: no bus traffic
  // algbw: 1 GB in 10 ms = 100 GB/s
  CHECK_NEAR(algbw_gbs(1000000000ull, 10000.0), 100.0, 1e-9);
  // sizes: bf16, 8 ranks, 1000 B -> 500 elements -> 62 per rank -> 992 B; all_reduce keeps 1000
  CHECK(collective_bytes_aligned(CollectiveOp::all_gather, 8, 2, 1000) == 992);
  CHECK(collective_bytes_aligned(CollectiveOp::all_reduce, 8, 2, 1000) == 1000);
  CHECK(collective_bytes_aligned(CollectiveOp::all_to_all, 8, 2, 8) == 0);
  CHECK(collective_bytes_aligned(CollectiveOp::broadcast, 8, 2, 9) == 8);
}

void test_json() {
  CHECK_EQ_STR(json_quote("a\"b\\c\nd\te\x01/\xc3\xa9"), std::string("\"a\\\"b\\\\c\\nd\\te\\u0001/\xc3\xa9\""));
  CHECK_EQ_STR(json_quote(std::string("\b\f\r\x1f", 4)), std::string("\"\\b\\f\\r\\u001f\""));
  CHECK_EQ_STR(json_number(0.1), std::string("0.1"));
  CHECK_EQ_STR(json_number(100.0), std::string("100"));
  CHECK_EQ_STR(json_number(-0.0), std::string("0"));
  CHECK_EQ_STR(json_number(1e300), std::string("1e+300"));
  CHECK_EQ_STR(json_number(std::numeric_limits<double>::quiet_NaN()), std::string("null"));
  CHECK_EQ_STR(json_number(std::numeric_limits<double>::infinity()), std::string("null"));
  CHECK_EQ_STR(json_integer(std::uint64_t{18446744073709551615ull}), std::string("18446744073709551615"));
  CHECK_EQ_STR(json_integer(std::int64_t{-42}), std::string("-42"));
  // full precision: values read back bit for bit
  for (double x : {1.0 / 3.0, 2.0 / 3.0 * 1e-7, 123456.789012345678, 5e-324, 1.7976931348623157e308}) {
    CHECK(std::strtod(json_number(x).c_str(), nullptr) == x);
  }
  JsonWriter w;
  w.begin_object();
  w.field("s", "x").field("n", 3).field("u", std::uint64_t{4}).field("b", true).null_field("z");
  w.key("a").begin_array(true);
  w.value(1.5).value(2);
  w.begin_object(true).field("k", "v").end_object();
  w.end_array();
  w.key("e").begin_array().end_array();
  w.key("o").begin_object().field("x", 0.25).end_object();
  w.end_object();
  CHECK(w.complete());
  const std::string expected =
      "{\n  \"s\": \"x\",\n  \"n\": 3,\n  \"u\": 4,\n  \"b\": true,\n  \"z\": null,\n"
      "  \"a\": [1.5, 2, {\"k\": \"v\"}],\n  \"e\": [],\n  \"o\": {\n    \"x\": 0.25\n  }\n}";
  CHECK_EQ_STR(w.str(), expected);
}

void test_shapes_and_plan() {
  std::string err;
  const auto ok = parse_shapes("# model GEMMs\n4096, 4096, 4096, bf16\n\n1,14336,4096,fp8 # decode\n", "s.csv", err);
  CHECK(ok.has_value());
  if (ok) {
    CHECK(ok->size() == 2);
    CHECK((*ok)[1].m == 1 && (*ok)[1].n == 14336 && (*ok)[1].precision == Precision::fp8_e4m3);
  }
  CHECK(!parse_shapes("1,2,3\n", "s.csv", err));
  CHECK_EQ_STR(err, std::string("s.csv:1: expected m,n,k,precision, got '1,2,3'"));
  CHECK(!parse_shapes("8,8,8,bf16\n8,-1,8,bf16\n", "s.csv", err));
  CHECK_EQ_STR(err, std::string("s.csv:2: '-1' is not a positive integer"));
  CHECK(!parse_shapes("8,8,8,int4\n", "s.csv", err));
  CHECK_EQ_STR(err, std::string("s.csv:1: unknown precision 'int4' (expected bf16, fp16, tf32, fp8_e4m3)"));

  const Plan q = make_plan(Mode::quick, Blocks{}, 52428800ull, 85520809984ull, {});
  CHECK(q.gemm.size() == 3 * 48 + 6);
  CHECK(q.l2_working_sets.size() == 16);
  CHECK(q.memory_array_bytes.front() == 4096);
  const Plan s = make_plan(Mode::shapes, Blocks{}, 52428800ull, 85520809984ull, *ok);
  CHECK(s.gemm.size() == 2 && s.memory_array_bytes.empty() && !s.launch && s.collective_ops.empty());
  CHECK(l2_traffic_bytes(kL2ChunkBytes * 3) % (kL2ChunkBytes * 3) == 0);
}

void test_sha256() {
  CHECK_EQ_STR(sha256_hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  CHECK_EQ_STR(sha256_hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK_EQ_STR(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
               std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

void test_driver_version() {
  CHECK_EQ_STR(driver_version_from_proc_line(
                   "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Thu Sep 11 2025"),
               std::string("580.95.05"));
  CHECK_EQ_STR(driver_version_from_proc_line(
                   "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build"),
               std::string("580.159.04"));
  CHECK_EQ_STR(driver_version_from_proc_line("NVRM version: no module named here"), std::string());
  CHECK_EQ_STR(driver_version_from_proc_line("Kernel Module for x86_64"), std::string());
}

void test_fake_roofline() {
  const FakeParams p = fake_params("h100");
  FakeBackend fake(p, "h100", 1, 8, 0);
  TimingPolicy policy;
  auto measure_gemm = [&](const GemmShape& s) {
    return measure([&](int n) { return fake.gemm(s, n); }, [&] { return fake.now_s(); }, policy);
  };
  // A large GEMM runs at the compute rate: 2 * 8192^3 / (989 TFLOP/s x 0.80), within 2 %.
  const GemmShape big{8192, 8192, 8192, Precision::bf16};
  const double compute_us = 2.0 * 8192.0 * 8192.0 * 8192.0 / (989e12 * 0.80) * 1e6;
  const Measured m = measure_gemm(big);
  CHECK(std::fabs(m.summary.median / compute_us - 1.0) < 0.02);
  const double tflops = gemm_flops(big) / (m.summary.median * 1e-6) / 1e12;
  CHECK(std::fabs(tflops / (989 * 0.80) - 1.0) < 0.02);
  // fp8 at its own rate
  const GemmShape big8{8192, 8192, 8192, Precision::fp8_e4m3};
  CHECK(std::fabs(measure_gemm(big8).summary.median / (gemm_flops(big8) / (1979e12 * 0.70) * 1e6) - 1.0) < 0.02);
  // decode-like GEMM is memory-bound: bytes / 2800 GB/s (+ 4 us)
  const GemmShape thin{1, 8192, 8192, Precision::bf16};
  const double mem_us = p.gemm_t0_us + gemm_min_bytes(thin) / 2800e3;
  CHECK(std::fabs(measure_gemm(thin).summary.median / mem_us - 1.0) < 0.02);
  // a100 has no fp8
  FakeBackend a100(fake_params("a100"), "a100", 1, 8, 0);
  CHECK(!a100.supports(Precision::fp8_e4m3));
  CHECK(a100.supports(Precision::tf32));
  // collectives: the envelope at 1 GiB all-reduce on 8 ranks uses the 472 GB/s busbw line
  const double t = fake_collective_us(p, CollectiveOp::all_reduce, 8, 1ull << 30);
  CHECK_NEAR(t, 82.0 + (1ull << 30) * 1.75 / 472e3, 1e-6);
}

void test_fake_determinism() {
  auto samples = [](std::uint64_t seed, bool other_first) {
    FakeBackend f(fake_params("h100"), "h100", seed, 8, 0);
    if (other_first) (void)f.memory(MemoryPattern::copy, 1 << 20, 7);   // another configuration's stream
    return f.gemm({512, 512, 512, Precision::fp16}, 20);
  };
  CHECK(samples(1, false) == samples(1, true));   // per-configuration streams: order does not matter
  CHECK(samples(1, false) != samples(2, false));
}

void test_fake_end_to_end() {
  namespace fs = std::filesystem;
  const fs::path out = fs::temp_directory_path() / ("mlsim_probe_selftest_" + std::to_string(::getpid()) + ".json");
  fs::remove(out);
  const std::string path = out.string();
  Flavor flavor;
  flavor.program = "mlsim-probe-fake";
  flavor.fake = true;
  flavor.create = [](const Options& o, int& code) -> std::unique_ptr<Backend> {
    code = 0;
    return std::make_unique<FakeBackend>(fake_params(o.fake_device), o.fake_device, o.seed, o.fake_gpus, o.device);
  };
  const char* argv[] = {"mlsim-probe-fake", "--quick", "--only", "launch,collectives", "--fake-gpus", "4",
                        "--quiet", "-o", path.c_str()};
  CHECK(probe_main(9, argv, flavor) == kExitOk);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  CHECK(doc.find("\"format\": \"mlsim.calibration.raw/1\"") != std::string::npos);
  CHECK(doc.find("\"op\": \"all_to_all\", \"nranks\": 4") != std::string::npos);
  CHECK(doc.find("\"device_gap_graph_us\": 1.") != std::string::npos);   // ~1.3 us, noisy
  // refuses to overwrite without --force, exit 2
  CHECK(probe_main(9, argv, flavor) == kExitUsage);
  // --max-seconds: partial output, exit 4
  const char* argv2[] = {"mlsim-probe-fake", "--quick", "--max-seconds", "5", "--force", "--quiet", "-o", path.c_str()};
  CHECK(probe_main(8, argv2, flavor) == kExitBudget);
  std::ifstream in2(path);
  std::stringstream ss2;
  ss2 << in2.rdbuf();
  CHECK(ss2.str().find("\"complete\": false") != std::string::npos);
  // bad arguments, exit 2
  const char* argv3[] = {"mlsim-probe-fake", "--quick", "--full", "-o", path.c_str()};
  CHECK(probe_main(5, argv3, flavor) == kExitUsage);
  fs::remove(out);
}

}  // namespace

int main() {
  test_statistics();
  test_stop_rule();
  test_busbw();
  test_json();
  test_shapes_and_plan();
  test_sha256();
  test_driver_version();
  test_fake_roofline();
  test_fake_determinism();
  test_fake_end_to_end();
  std::cout << "mlsim-probe-selftest: " << checks - failures << "/" << checks << " checks passed\n";
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
