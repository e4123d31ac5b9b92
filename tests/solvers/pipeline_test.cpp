// The pipeline task graph against the closed forms: 1F1B's and GPipe's (m + p - 1) steps,
// interleaving's bubble divided by v, and the critical path never shorter than a device's work.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include "solvers/pipeline.hpp"

namespace mlsim {
namespace {

solvers::PipelineInput uniform(solvers::PipelineSchedule s, int p, int m, int v = 1, double f = 1.0, double b = 2.0,
                               double w = 1.0) {
  solvers::PipelineInput in;
  in.schedule = s;
  in.stages = p;
  in.virtual_stages = v;
  in.micro_batches = m;
  in.chunks.assign(static_cast<std::size_t>(p * v), solvers::ChunkCost{f / v, b / v, w / v});
  return in;
}

}  // namespace

TEST_CASE("1F1B and GPipe: (m + p - 1) (F + B) with uniform stages and free sends") {
  // p = 8, m = 64, F = 1, B = 2: makespan 71 x 3 = 213; bubble (p - 1) / (m + p - 1) = 7 / 71.
  for (auto s : {solvers::PipelineSchedule::kOneFOneB, solvers::PipelineSchedule::kGpipe}) {
    const auto r = solvers::solve_pipeline(uniform(s, 8, 64));
    CHECK(r.makespan_s == mlsim::test::approx(213.0));
    CHECK(r.max_busy_s() == mlsim::test::approx(192.0));
    CHECK(r.bubble_s() / r.makespan_s == mlsim::test::approx(solvers::one_f_one_b_bubble_fraction(8, 64)));
    CHECK(solvers::one_f_one_b_bubble_fraction(8, 64) == mlsim::test::approx(7.0 / 71.0));
  }
  // Activations in flight: 1F1B holds p - d on device d, GPipe all m.
  const auto f1b = solvers::solve_pipeline(uniform(solvers::PipelineSchedule::kOneFOneB, 8, 64));
  CHECK(f1b.peak_in_flight[0] == 8.0);
  CHECK(f1b.peak_in_flight[7] == 1.0);
  const auto gp = solvers::solve_pipeline(uniform(solvers::PipelineSchedule::kGpipe, 8, 64));
  CHECK(gp.peak_in_flight[0] == 64.0);
}

TEST_CASE("interleaved 1F1B: the fill and drain shrink by the number of virtual stages") {
  // p = 4, m = 16, v = 2: m (F + B) + (p - 1)(F + B) / v = 48 + 4.5 = 52.5 (Narayanan et al. 2021).
  const auto r = solvers::solve_pipeline(uniform(solvers::PipelineSchedule::kInterleaved, 4, 16, 2));
  CHECK(r.makespan_s == mlsim::test::approx(52.5));
  const auto plain = solvers::solve_pipeline(uniform(solvers::PipelineSchedule::kOneFOneB, 4, 16));
  CHECK(plain.makespan_s == mlsim::test::approx(57.0));
}

TEST_CASE("blocking sends: each step that sends keeps its device busy for the transfer") {
  // p = 2, m = 1, F = 1, B = 2, a 0.5 s send. Blocking: F0 0..1 and its send 1..1.5 (the data is on
  // device 1 when the send returns), F1 1.5..2.5, B1 2.5..4.5 and its send 4.5..5, B0 5..7.
  // Asynchronous: the same critical path, the transfers in flight while the senders are free.
  auto in = uniform(solvers::PipelineSchedule::kOneFOneB, 2, 1);
  in.p2p_s = 0.5;
  in.p2p_overlapped = false;
  const auto blocking = solvers::solve_pipeline(in);
  CHECK(blocking.makespan_s == mlsim::test::approx(1.0 + 0.5 + 1.0 + 2.0 + 0.5 + 2.0));
  CHECK(blocking.busy_s[0] == mlsim::test::approx(1.0 + 0.5 + 2.0));   // its send is busy time
  CHECK(blocking.busy_s[1] == mlsim::test::approx(1.0 + 2.0 + 0.5));
  in.p2p_overlapped = true;
  const auto async = solvers::solve_pipeline(in);
  CHECK(async.makespan_s == mlsim::test::approx(1.0 + 0.5 + 1.0 + 2.0 + 0.5 + 2.0));
  CHECK(async.busy_s[0] == mlsim::test::approx(1.0 + 2.0));
}

TEST_CASE("blocking sends cost the sender the time it could have computed") {
  // p = 2, m = 2, F = 1, B = 2, a 0.5 s send. Device 0 runs F0(1), F0(2), B0(1), B0(2); with blocking
  // sends each forward holds it 1.5: F0(1) 0..1.5, F0(2) 1.5..3. Device 1: F1(1) 1.5..2.5,
  // B1(1) 2.5..4.5 + send -> 5, F1(2) 5..6, B1(2) 6..8 + send -> 8.5; device 0: B0(1) 5..7,
  // B0(2) 8.5..10.5. Asynchronous: F0(2) 1..2 arrives at 2.5; device 1: F1(1) 1.5..2.5,
  // B1(1) 2.5..4.5, F1(2) 4.5..5.5, B1(2) 5.5..7.5; device 0: B0(1) 5..7, B0(2) 8..10.
  auto in = uniform(solvers::PipelineSchedule::kOneFOneB, 2, 2);
  in.p2p_s = 0.5;
  in.p2p_overlapped = false;
  CHECK(solvers::solve_pipeline(in).makespan_s == mlsim::test::approx(10.5));
  in.p2p_overlapped = true;
  CHECK(solvers::solve_pipeline(in).makespan_s == mlsim::test::approx(10.0));
}

TEST_CASE("uneven stages: the slowest stage paces the steady state") {
  // Stages 1 and 3 times as long: 1F1B with m = 32: at least m x 3 (F + B) on the slow device.
  auto in = uniform(solvers::PipelineSchedule::kOneFOneB, 2, 32);
  in.chunks[1] = {3.0, 6.0, 3.0};
  const auto r = solvers::solve_pipeline(in);
  CHECK(r.busy_s[1] == mlsim::test::approx(32 * 9.0));
  CHECK(r.makespan_s == mlsim::test::approx(32 * 9.0 + 3.0));   // plus the first stage's first forward and last backward
}

TEST_CASE("zero-bubble and DualPipe: never slower than 1F1B here, never shorter than a device's work") {
  for (int p : {2, 4, 8}) {
    for (int m : {8, 16, 64}) {
      CAPTURE(p);
      CAPTURE(m);
      const auto base = solvers::solve_pipeline(uniform(solvers::PipelineSchedule::kOneFOneB, p, m));
      const auto zb = solvers::solve_pipeline(uniform(solvers::PipelineSchedule::kZeroBubble, p, m));
      const auto dual = solvers::solve_pipeline(uniform(solvers::PipelineSchedule::kDualPipe, p, m));
      CHECK(zb.makespan_s <= base.makespan_s + 1e-9);
      CHECK(zb.makespan_s >= zb.max_busy_s() - 1e-9);
      CHECK(dual.makespan_s >= dual.max_busy_s() - 1e-9);
      CHECK(dual.max_busy_s() == mlsim::test::approx(base.max_busy_s()));   // the same work per device
      CHECK(dual.makespan_s <= base.makespan_s + 1e-9);
    }
  }
}

TEST_CASE("ZB-H1: a third of 1F1B's bubble with 1F1B's peak memory (Qi et al. 2023, section 3.1)") {
  // F = B = W = 1 (1F1B's backward is B + W = 2): 1F1B's bubble is (p - 1)(F + B + W), ZB-H1's
  // (p - 1)(F + B - W), and every stage holds at most p micro-batches' activations until their W,
  // the first stage's 1F1B peak.
  for (int p : {2, 4, 8}) {
    for (int m : {8, 16, 64}) {
      CAPTURE(p);
      CAPTURE(m);
      const auto zb = solvers::solve_pipeline(uniform(solvers::PipelineSchedule::kZeroBubble, p, m, 1, 1.0, 2.0, 1.0));
      const auto base = solvers::solve_pipeline(uniform(solvers::PipelineSchedule::kOneFOneB, p, m, 1, 1.0, 2.0, 1.0));
      CHECK(base.bubble_s() == mlsim::test::approx(3.0 * (p - 1)));
      CHECK(zb.bubble_s() == mlsim::test::approx(1.0 * (p - 1)));
      for (std::size_t d = 0; d < zb.peak_in_flight.size(); ++d) {
        CHECK(zb.peak_in_flight[d] == mlsim::test::approx(p));
        CHECK(base.peak_in_flight[d] == mlsim::test::approx(p - static_cast<double>(d)));
      }
    }
  }
}

TEST_CASE("the fast sweeps give the exact event loop's times") {
  for (auto sched : {solvers::PipelineSchedule::kOneFOneB, solvers::PipelineSchedule::kZeroBubble,
                     solvers::PipelineSchedule::kInterleaved, solvers::PipelineSchedule::kGpipe}) {
    for (int p : {2, 4, 8}) {
      auto in = uniform(sched, p, 4 * p, sched == solvers::PipelineSchedule::kInterleaved ? 2 : 1, 1.0, 2.3, 0.9);
      in.chunks[0].forward_s *= 1.7;   // uneven
      in.p2p_s = 0.13;
      in.p2p_overlapped = p % 4 == 0;
      const auto fast = solvers::solve_pipeline(in);
      in.event_driven = true;
      const auto exact = solvers::solve_pipeline(in);
      CAPTURE(p);
      CHECK(fast.makespan_s == mlsim::test::approx(exact.makespan_s).epsilon(1e-12));
    }
  }
}

}  // namespace mlsim
