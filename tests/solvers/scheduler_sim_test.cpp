// The serving scheduler simulator and the closed-form steady state against queueing theory and
// the physical bounds: M/D/1's mean wait, p99 monotone in the arrival rate, throughput under the
// compute and bandwidth bounds, agreement at low load, determinism and speed.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <algorithm>
#include <vector>

#include "solvers/scheduler_sim.hpp"
#include "solvers/serving_queue.hpp"
#include "solvers/traffic.hpp"

namespace mlsim {
namespace {

solvers::LengthDistribution fixed(double v) {
  solvers::LengthDistribution d;
  d.mean = v;
  return d;
}

// A roofline step: the weights are read once per step (W bytes at BW), every token costs F FLOPs
// at the peak, plus 20 us of fixed time.
constexpr double kWeights = 16e9, kBw = 3e12, kFlopsPerToken = 16e9, kPeak = 800e12;
double roofline(long long /*seqs*/, long long tokens, long long /*decodes*/) {
  return 20e-6 + std::max(kWeights / kBw, static_cast<double>(tokens) * kFlopsPerToken / kPeak);
}

double mean_wait(const solvers::SimulationResult& r) {
  double s = 0.0;
  for (const auto& q : r.requests) s += q.wait_s;
  return s / static_cast<double>(r.requests.size());
}

std::vector<double> ttfts(const solvers::SimulationResult& r) {
  std::vector<double> v;
  for (const auto& q : r.requests) v.push_back(q.ttft_s);
  return v;
}

}  // namespace

TEST_CASE("max batch 1 and fixed lengths: the simulator's mean wait is M/D/1's rho S / (2 (1 - rho))") {
  // S = prefill (1 ms + 100 us) + 9 decodes (1 ms + 1 us) = 10.109 ms.
  const auto cost = [](long long, long long tokens, long long) { return 1e-3 + 1e-6 * static_cast<double>(tokens); };
  const double S = 1.1e-3 + 9.0 * 1.001e-3;
  solvers::SchedulerConfig c;
  c.max_sequences = 1;
  for (const double rho : {0.5, 0.8}) {
    const auto reqs = solvers::generate_requests(40000, solvers::Arrival::kPoisson, rho / S, fixed(100), fixed(10), 7);
    const auto r = solvers::simulate_scheduler(reqs, c, cost);
    REQUIRE_FALSE(r.stalled);
    const double md1 = rho * S / (2.0 * (1.0 - rho));
    CHECK(mean_wait(r) == mlsim::test::approx(md1).epsilon(0.08));
    // Each request is served in exactly S once admitted.
    CHECK(r.requests[5].e2e_s - r.requests[5].wait_s == mlsim::test::approx(S).epsilon(1e-9));
    // The closed form with a batch of 1 gives the same mean (Kingman is exact for M/D/1): its
    // service time is 10 steps of cost(1, 11) = 10.11 ms, within 0.01% of S.
    const auto ss = solvers::steady_state(rho / S, 100, 10, 1.0, 1, c, cost);
    CHECK(ss.wait_mean_s == mlsim::test::approx(md1).epsilon(0.002));
  }
}

TEST_CASE("p99 TTFT is monotone in the arrival rate (simulator and closed form)") {
  solvers::SchedulerConfig c;
  c.max_sequences = 64;
  c.max_batched_tokens = 4096;
  const auto ss_max = solvers::steady_state(1.0, 512, 128, 1.0, 64, c, roofline);
  const double cap = ss_max.capacity_rps;
  double prev_sim = 0.0, prev_cf = 0.0;
  for (const double f : {0.2, 0.4, 0.6, 0.8, 0.9}) {
    const auto reqs = solvers::generate_requests(4000, solvers::Arrival::kPoisson, f * cap, fixed(512), fixed(128), 11);
    const auto r = solvers::simulate_scheduler(reqs, c, roofline);
    const double p99 = solvers::quantile(ttfts(r), 0.99);
    CHECK(p99 >= prev_sim);
    prev_sim = p99;
    const auto ss = solvers::steady_state(f * cap, 512, 128, 1.0, 64, c, roofline);
    REQUIRE(ss.stable);
    CHECK(ss.ttft_p99_s >= prev_cf);
    prev_cf = ss.ttft_p99_s;
  }
  CHECK_FALSE(solvers::steady_state(1.05 * cap, 512, 128, 1.0, 64, c, roofline).stable);
}

TEST_CASE("offline throughput never exceeds the compute or the bandwidth bound") {
  solvers::SchedulerConfig c;
  c.max_sequences = 128;
  const auto reqs = solvers::generate_requests(3000, solvers::Arrival::kOffline, 0.0, fixed(256), fixed(256), 3);
  const auto r = solvers::simulate_scheduler(reqs, c, roofline);
  REQUIRE_FALSE(r.stalled);
  const double out_tps = static_cast<double>(r.output_tokens) / r.makespan_s;
  const double all_tps = static_cast<double>(r.output_tokens + r.prompt_tokens) / r.makespan_s;
  // Bandwidth: a step reads the weights once and yields at most max_sequences tokens.
  CHECK(out_tps <= 128.0 / (kWeights / kBw));
  // Compute: every processed token costs F FLOPs.
  CHECK(all_tps <= kPeak / kFlopsPerToken);
  // Equal lengths arriving together run in waves of 128: 32,768 prompt tokens in 4 steps of the
  // 8192-token budget (20 us + 8192 x 16 GFLOP / 800 TFLOP/s = 163.86 ms each), then 255 decode
  // steps of 5.353 ms: 128 x 256 tokens per 2.0205 s.
  const double wave = 4.0 * (20e-6 + 8192.0 * kFlopsPerToken / kPeak) + 255.0 * (20e-6 + kWeights / kBw);
  CHECK(out_tps == mlsim::test::approx(128.0 * 256.0 / wave).epsilon(0.03));
}

TEST_CASE("closed form and simulator agree at low load") {
  solvers::SchedulerConfig c;
  c.max_sequences = 64;
  c.max_batched_tokens = 4096;
  const auto ss = solvers::steady_state(1.0, 512, 128, 1.0, 64, c, roofline);
  const double rate = 0.1 * ss.capacity_rps;
  const auto low = solvers::steady_state(rate, 512, 128, 1.0, 64, c, roofline);
  const auto reqs = solvers::generate_requests(3000, solvers::Arrival::kPoisson, rate, fixed(512), fixed(128), 5);
  const auto r = solvers::simulate_scheduler(reqs, c, roofline);
  std::vector<double> tpot;
  for (const auto& q : r.requests) tpot.push_back(q.tpot_s);
  // At a tenth of capacity about six requests are decoding when one arrives: it waits out the step
  // in progress (uniform over a ~5.4 ms decode step) before its 10.3 ms prefill. Without that
  // residual the closed form's p50 was 10.3 ms against the simulator's 13.2 (a 27% gap that
  // doctest's absolute tolerance floor used to hide).
  CHECK(solvers::quantile(ttfts(r), 0.5) == mlsim::test::approx(low.ttft_p50_s).epsilon(0.05));
  CHECK(solvers::quantile(ttfts(r), 0.9) == mlsim::test::approx(low.ttft_p90_s).epsilon(0.05));
  CHECK(solvers::quantile(tpot, 0.5) == mlsim::test::approx(low.tpot_s).epsilon(0.15));
  CHECK(static_cast<double>(r.output_tokens) / r.makespan_s == mlsim::test::approx(low.throughput_tokens_per_s).epsilon(0.1));
}

TEST_CASE("KV blocks run out: requests are preempted and still all finish; a seed reproduces the run") {
  solvers::SchedulerConfig c;
  c.max_sequences = 256;
  c.block_tokens = 16;
  c.kv_blocks = 2000;   // 32,000 tokens: fewer than 256 requests of 128 + 256
  solvers::LengthDistribution out = fixed(256);
  out.kind = solvers::LengthDistribution::Kind::kExponential;
  out.max = 2000;
  const auto reqs = solvers::generate_requests(2000, solvers::Arrival::kOffline, 0.0, fixed(128), out, 9);
  const auto a = solvers::simulate_scheduler(reqs, c, roofline);
  const auto b = solvers::simulate_scheduler(reqs, c, roofline);
  REQUIRE_FALSE(a.stalled);
  CHECK(a.preemptions > 0);
  long long expected = 0;
  for (const auto& q : reqs) expected += q.output;
  CHECK(a.output_tokens == expected);
  CHECK(a.makespan_s == b.makespan_s);
  CHECK(a.preemptions == b.preemptions);
}

TEST_CASE("100,000 requests: every one served, none stalled (its speed is in bench/)") {
  solvers::SchedulerConfig c;
  c.max_sequences = 256;
  solvers::LengthDistribution p = fixed(512), o = fixed(128);
  p.kind = o.kind = solvers::LengthDistribution::Kind::kLognormal;
  p.max = o.max = 8192;
  const auto reqs = solvers::generate_requests(100000, solvers::Arrival::kPoisson, 200.0, p, o, 1);
  const auto r = solvers::simulate_scheduler(reqs, c, roofline);
  CHECK_FALSE(r.stalled);
  REQUIRE(r.requests.size() == reqs.size());
  // Memoized step costs: far fewer distinct (sequences, tokens) shapes than steps.
  CHECK(r.distinct_step_shapes < r.steps / 4);
}

TEST_CASE("length distributions: means, bounds and quantiles") {
  solvers::LengthDistribution u;
  u.kind = solvers::LengthDistribution::Kind::kUniform;
  u.min = 100;
  u.max = 300;
  const auto reqs = solvers::generate_requests(20000, solvers::Arrival::kConstant, 10.0, u, u, 2);
  double sum = 0.0;
  long long lo = 1 << 30, hi = 0;
  for (const auto& q : reqs) {
    sum += static_cast<double>(q.prompt);
    lo = std::min(lo, q.prompt);
    hi = std::max(hi, q.prompt);
  }
  CHECK(sum / 20000.0 == mlsim::test::approx(200.0).epsilon(0.01));
  CHECK(lo == 100);
  CHECK(hi == 300);
  CHECK(reqs[10].arrival_s == mlsim::test::approx(1.0));
  CHECK(solvers::quantile({1, 2, 3, 4, 5}, 0.5) == 3.0);
  CHECK(solvers::quantile({1, 2, 3, 4, 5}, 0.9) == mlsim::test::approx(4.6));
}

}  // namespace mlsim

namespace mlsim {
namespace {

TEST_CASE("KV offload: a preempted request's blocks go to host memory and back instead of being recomputed") {
  // Two requests of 4 + 4 tokens, blocks of one token, 10 blocks; every step costs 1 ms.
  // Step 1 prefills both (8 blocks), step 2 decodes both (10 blocks); in step 3 A's decode needs a
  // block: B (5 tokens cached) is preempted. A finishes in step 4; B resumes in step 5 (6 blocks)
  // and finishes in step 6.
  solvers::SchedulerConfig c;
  c.max_sequences = 2;
  c.block_tokens = 1;
  c.kv_blocks = 10;
  const auto reqs = solvers::generate_requests(2, solvers::Arrival::kOffline, 0.0, fixed(4), fixed(4), 1);
  const auto step = [](long long, long long, long long) { return 1e-3; };
  const auto recompute = solvers::simulate_scheduler(reqs, c, step);
  CHECK(recompute.preemptions == 1);
  CHECK(recompute.recomputed_tokens == 5);   // B's 5 cached tokens dropped, its prefill reruns 4 + 2
  CHECK(recompute.swapped_tokens == 0);
  CHECK(recompute.makespan_s == mlsim::test::approx(6e-3).epsilon(1e-12));
  c.kv_offload = true;
  c.kv_bytes_per_token = 1e6;   // 1 MB per token over a 1 GB/s host link: 1 ms per token each way
  c.host_bandwidth = 1e9;
  const auto swap = solvers::simulate_scheduler(reqs, c, step);
  CHECK(swap.preemptions == 1);
  CHECK(swap.recomputed_tokens == 0);
  CHECK(swap.swapped_tokens == 5);
  CHECK(swap.peak_host_tokens == 5);   // the one swapped request, until it comes back
  // 5 tokens x 1 MB / 1 GB/s = 5 ms out (step 3) and 5 ms in (step 5): 6 steps + 10 ms = 16 ms.
  CHECK(swap.swap_out_s == mlsim::test::approx(5e-3).epsilon(1e-12));
  CHECK(swap.swap_in_s == mlsim::test::approx(5e-3).epsilon(1e-12));
  CHECK(swap.makespan_s == mlsim::test::approx(16e-3).epsilon(1e-12));
  long long out = 0;
  for (const auto& q : reqs) out += q.output;
  CHECK(swap.output_tokens == out);
}

TEST_CASE("KV offload under heavy preemption: nothing recomputed, every swap priced at bytes / bandwidth") {
  solvers::SchedulerConfig c;
  c.max_sequences = 256;
  c.block_tokens = 16;
  c.kv_blocks = 2000;
  solvers::LengthDistribution out = fixed(256);
  out.kind = solvers::LengthDistribution::Kind::kExponential;
  out.max = 2000;
  const auto reqs = solvers::generate_requests(2000, solvers::Arrival::kOffline, 0.0, fixed(128), out, 9);
  const auto a = solvers::simulate_scheduler(reqs, c, roofline);
  c.kv_offload = true;
  c.kv_bytes_per_token = 131072.0;   // Llama-3-8B at fp16
  c.host_bandwidth = 26e9;           // PCIe Gen4 x16, achieved H2D
  const auto b = solvers::simulate_scheduler(reqs, c, roofline);
  REQUIRE_FALSE(a.stalled);
  REQUIRE_FALSE(b.stalled);
  CHECK(a.recomputed_tokens > 0);
  CHECK(b.preemptions > 0);
  CHECK(b.recomputed_tokens == 0);
  CHECK(b.swapped_tokens > 0);
  CHECK(b.swap_out_s == mlsim::test::approx(static_cast<double>(b.swapped_tokens) * 131072.0 / 26e9).epsilon(1e-9));
  CHECK(b.swap_in_s == mlsim::test::approx(b.swap_out_s).epsilon(1e-9));   // every swapped request resumed
  CHECK(b.output_tokens == a.output_tokens);
  // At most every swapped token at once, at least the largest single swap (one request's cache,
  // below its prompt + longest output), and nothing left in host memory at the end.
  CHECK(b.peak_host_tokens > 0);
  CHECK(b.peak_host_tokens <= b.swapped_tokens);
  CHECK(b.peak_host_tokens < 2000LL * 16);   // never more than the device cache it came from
}

TEST_CASE("a step's cost learns how many of its requests decode: a mixed step is (2, 1 + 4, 1)") {
  // A arrives at 0 (prompt 4, output 3), B at 1.5 ms (prompt 4, output 1); steps of 1 ms. Step 1
  // prefills A (1, 4, 0); step 2 decodes A's second token, B not yet there (1, 1, 1); step 3
  // decodes A's third token beside B's whole prefill, whose last token is B's only output
  // (2, 5, 1), and both are done.
  std::vector<std::vector<long long>> calls;
  const auto cost = [&](long long seqs, long long tokens, long long decodes) {
    calls.push_back({seqs, tokens, decodes});
    return 1e-3;
  };
  solvers::SchedulerConfig c;
  const std::vector<solvers::Request> reqs = {{0.0, 4, 3}, {1.5e-3, 4, 1}};
  const auto r = solvers::simulate_scheduler(reqs, c, cost);
  REQUIRE_FALSE(r.stalled);
  REQUIRE(r.steps == 3);
  const std::vector<std::vector<long long>> expected = {{1, 4, 0}, {1, 1, 1}, {2, 5, 1}};
  CHECK(calls == expected);
}

TEST_CASE("guaranteed no-evict: requests start only when their whole sequence's blocks are reserved") {
  // 10 blocks of 16 tokens; each request needs 32 + 48 = 80 tokens = 5 blocks at its end. Reserving
  // whole sequences runs at most 2 at once and never preempts; taking blocks on demand starts more
  // (2 blocks of prompt each) and must preempt when their decodes outgrow the cache.
  solvers::SchedulerConfig c;
  c.max_sequences = 64;
  c.block_tokens = 16;
  c.kv_blocks = 10;
  const auto reqs = solvers::generate_requests(20, solvers::Arrival::kOffline, 0.0, fixed(32), fixed(48), 3);
  const auto step = [](long long, long long, long long) { return 1e-3; };
  const auto on_demand = solvers::simulate_scheduler(reqs, c, step);
  c.reserve_full_sequence = true;
  const auto reserved = solvers::simulate_scheduler(reqs, c, step);
  REQUIRE_FALSE(on_demand.stalled);
  REQUIRE_FALSE(reserved.stalled);
  CHECK(on_demand.preemptions > 0);
  CHECK(reserved.preemptions == 0);
  CHECK(reserved.recomputed_tokens == 0);
  CHECK(reserved.mean_batch <= 2.0);
  CHECK(reserved.mean_batch > 1.9);   // two at a time, except where one finishes as the next starts
  CHECK(reserved.output_tokens == 20 * 48);
  // 10 waves of 2: a 1-step prefill, then 47 decode steps each.
  CHECK(reserved.steps == 10 * 48);
}

}  // namespace
}  // namespace mlsim
