#include "solvers/pipeline.hpp"

#include <algorithm>
#include <limits>

#include "core/diagnostics.hpp"

namespace mlsim::solvers {
namespace {

enum Kind : int { kF = 0, kB = 1, kW = 2 };

struct Step {
  int lane = 0, micro = 0, chunk = 0;
  Kind kind = kF;
};

// The steps of one device in the order its schedule runs them, one queue per lane (DualPipe runs
// two lanes, one per direction; every other schedule one).
using Queue = std::vector<Step>;

// 1F1B (PipeDream-Flush, Narayanan et al. 2021): `warmup` forwards, then one forward and one
// backward alternately, then the remaining backwards.
Queue one_f_one_b(int lane, int chunk, int micro, int warmup) {
  Queue q;
  q.reserve(static_cast<std::size_t>(micro) * 2U);
  warmup = std::min(warmup, micro);
  for (int m = 0; m < warmup; ++m) q.push_back({lane, m, chunk, kF});
  for (int i = 0; i < micro - warmup; ++i) {
    q.push_back({lane, warmup + i, chunk, kF});
    q.push_back({lane, i, chunk, kB});
  }
  for (int m = micro - warmup; m < micro; ++m) q.push_back({lane, m, chunk, kB});
  return q;
}

// The weight-gradient steps split off the backwards (zero-bubble, Qi et al. 2023): a queue of
// their own, which the device runs whenever its F/B queue has nothing ready, so they fill the
// waits of the warm-up and the drain, and otherwise follow their backward. ZB-H1 keeps 1F1B's peak
// memory, p micro-batches' activations on the first stage (Qi et al. 2023, section 3.1): its steady
// state on stage d runs F(x), B(x - (p - 1 - d)), W(x - (p - 1)), so every stage holds at most p
// micro-batches until their W; a device holding p runs a W before its next forward.
Queue weight_grads(int lane, int chunk, int micro) {
  Queue q;
  q.reserve(static_cast<std::size_t>(micro));
  for (int m = 0; m < micro; ++m) q.push_back({lane, m, chunk, kW});
  return q;
}

// Megatron-LM's interleaved 1F1B (Narayanan et al. 2021, section 2.2.2): device d holds chunks
// d, d + p, ...; forwards go through its chunks in groups of p micro-batches.
Queue interleaved(int d, int p, int v, int micro) {
  const int total = micro * v;
  const auto step = [&](int k, Kind kind) {
    const int group = k / p;
    const int local = kind == kF ? group % v : v - 1 - group % v;
    return Step{0, (group / v) * p + k % p, local * p + d, kind};
  };
  const int warmup = std::min((p - d - 1) * 2 + (v - 1) * p, total);
  Queue q;
  q.reserve(static_cast<std::size_t>(total) * 2U);
  int f = 0, b = 0;
  for (; f < warmup; ++f) q.push_back(step(f, kF));
  while (f < total) {
    q.push_back(step(f++, kF));
    q.push_back(step(b++, kB));
  }
  while (b < total) q.push_back(step(b++, kB));
  return q;
}

}  // namespace

PipelineSchedule pipeline_schedule_from_name(const std::string& name) {
  if (name == "gpipe") return PipelineSchedule::kGpipe;
  if (name == "interleaved") return PipelineSchedule::kInterleaved;
  if (name == "zero_bubble") return PipelineSchedule::kZeroBubble;
  if (name == "dualpipe") return PipelineSchedule::kDualPipe;
  return PipelineSchedule::kOneFOneB;
}

double PipelineResult::max_busy_s() const {
  double m = 0.0;
  for (double b : busy_s) m = std::max(m, b);
  return m;
}

double one_f_one_b_bubble_fraction(int stages, int micro_batches) {
  return static_cast<double>(stages - 1) / static_cast<double>(micro_batches + stages - 1);
}

PipelineResult solve_pipeline(const PipelineInput& in) {
  const int p = std::max(1, in.stages);
  const bool dual = in.schedule == PipelineSchedule::kDualPipe;
  const int v = in.schedule == PipelineSchedule::kInterleaved ? std::max(1, in.virtual_stages) : 1;
  const int chunks = p * v;
  MLSIM_CHECK(static_cast<int>(in.chunks.size()) == chunks);   // one cost per model chunk
  const int lanes = dual ? 2 : 1;
  // DualPipe (DeepSeek-AI 2024, section 3.2.1) feeds half the micro-batches from each end.
  const int micro = dual ? (in.micro_batches + 1) / 2 : in.micro_batches;
  const bool split_w = in.schedule == PipelineSchedule::kZeroBubble || dual;
  const auto device_of = [&](int lane, int chunk) { return lane == 0 ? chunk % p : p - 1 - chunk % p; };
  const auto duration = [&](const Step& s) {
    const ChunkCost& c = in.chunks[static_cast<std::size_t>(s.chunk)];
    double t = s.kind == kF ? c.forward_s : (s.kind == kB ? c.backward_s - (split_w ? c.weight_grad_s : 0.0) : c.weight_grad_s);
    // A blocking send keeps the sender busy: forwards send on unless last, backwards send back unless first.
    const bool sends = (s.kind == kF && s.chunk < chunks - 1) || (s.kind == kB && s.chunk > 0);
    if (!in.p2p_overlapped && sends) t += in.p2p_s;
    return t;
  };
  // When a step's output reaches the next device after the step ends: a blocking send ends with
  // the transfer (the sender waits on it: Megatron-LM 2021 p2p_communication.py waits on its
  // batch_isend_irecv requests), so its data is there when it finishes; an asynchronous one is
  // still in flight for the transfer's time.
  const double in_flight_s = in.p2p_overlapped ? in.p2p_s : 0.0;

  // Queues per device.
  std::vector<std::vector<Queue>> queues(static_cast<std::size_t>(p));
  for (int d = 0; d < p; ++d) {
    auto& qd = queues[static_cast<std::size_t>(d)];
    switch (in.schedule) {
      case PipelineSchedule::kGpipe: {
        Queue q;
        for (int m = 0; m < micro; ++m) q.push_back({0, m, d, kF});
        for (int m = 0; m < micro; ++m) q.push_back({0, m, d, kB});
        qd.push_back(std::move(q));
        break;
      }
      case PipelineSchedule::kOneFOneB: qd.push_back(one_f_one_b(0, d, micro, p - 1 - d)); break;
      case PipelineSchedule::kZeroBubble:
        qd.push_back(one_f_one_b(0, d, micro, p - 1 - d));
        qd.push_back(weight_grads(0, d, micro));
        break;
      case PipelineSchedule::kInterleaved: qd.push_back(interleaved(d, p, v, micro)); break;
      case PipelineSchedule::kDualPipe:
        // Device d is stage d of the forward-direction copy and stage p - 1 - d of the reverse one;
        // warm-up as deep as the device is from its lane's end, so both directions fill at once.
        qd.push_back(one_f_one_b(0, d, micro, p - 1 - d));
        qd.push_back(one_f_one_b(1, p - 1 - d, micro, d));
        qd.push_back(weight_grads(0, d, micro));
        qd.push_back(weight_grads(1, p - 1 - d, micro));
        break;
    }
  }

  const std::size_t per_lane = static_cast<std::size_t>(micro) * static_cast<std::size_t>(chunks) * 3U;
  std::vector<double> finish(per_lane * static_cast<std::size_t>(lanes), -1.0);
  const auto index = [&](int lane, int m, int c, Kind k) {
    return static_cast<std::size_t>(lane) * per_lane +
           (static_cast<std::size_t>(m) * static_cast<std::size_t>(chunks) + static_cast<std::size_t>(c)) * 3U +
           static_cast<std::size_t>(k);
  };
  // When a step's inputs are ready, or < 0 while one is still to run.
  const auto ready = [&](const Step& s) -> double {
    const int dev = device_of(s.lane, s.chunk);
    const auto from = [&](int c, Kind k) -> double {
      const double f = finish[index(s.lane, s.micro, c, k)];
      if (f < 0.0) return -1.0;
      return device_of(s.lane, c) == dev ? f : f + in_flight_s;
    };
    if (s.kind == kF) return s.chunk > 0 ? from(s.chunk - 1, kF) : 0.0;
    if (s.kind == kW) return from(s.chunk, kB);
    double r = from(s.chunk, kF);
    if (r < 0.0 || s.chunk == chunks - 1) return r;
    const double next = from(s.chunk + 1, kB);
    return next < 0.0 ? -1.0 : std::max(r, next);
  };

  PipelineResult out;
  out.busy_s.assign(static_cast<std::size_t>(p), 0.0);
  out.peak_in_flight.assign(static_cast<std::size_t>(p), 0.0);
  std::vector<double> free_at(static_cast<std::size_t>(p), 0.0), held(static_cast<std::size_t>(p), 0.0);
  std::vector<std::vector<std::size_t>> head(static_cast<std::size_t>(p));
  for (int d = 0; d < p; ++d) head[static_cast<std::size_t>(d)].assign(queues[static_cast<std::size_t>(d)].size(), 0);
  std::size_t remaining = 0;
  for (const auto& qd : queues) {
    for (const auto& q : qd) remaining += q.size();
  }
  // ZB-H1's bound on the micro-batches a device holds (1F1B's peak, the first stage's p); DualPipe's
  // two lanes hold what their own schedule holds (DeepSeek-AI 2024, table 2), so no bound.
  const bool zb_h1 = in.schedule == PipelineSchedule::kZeroBubble;
  const auto must_free_first = [&](const Step& next, int d) {
    return zb_h1 && next.kind == kF && held[static_cast<std::size_t>(d)] >= std::min(micro, p);
  };
  const auto run = [&](int d, int qi, double start) {
    const auto du = static_cast<std::size_t>(d);
    std::size_t& h = head[du][static_cast<std::size_t>(qi)];
    const Step s = queues[du][static_cast<std::size_t>(qi)][h++];
    const double t = duration(s);
    free_at[du] = start + t;
    finish[index(s.lane, s.micro, s.chunk, s.kind)] = free_at[du];
    out.busy_s[du] += t;
    out.makespan_s = std::max(out.makespan_s, free_at[du]);
    // Activations are held from the forward until the backward (the weight gradient, when split).
    if (s.kind == kF) {
      held[du] += 1.0;
      out.peak_in_flight[du] = std::max(out.peak_in_flight[du], held[du]);
    } else if ((s.kind == kB && !split_w) || s.kind == kW) {
      held[du] -= 1.0;
    }
    --remaining;
  };
  if (queues.front().size() == 1 && !in.event_driven) {
    // One fixed order per device: a step's times do not depend on the order in which devices are
    // visited, so sweep them, running every step whose inputs are done.
    // Forwards flow to higher devices and backwards to lower ones: sweep up, then down.
    for (int sweep = 0; remaining > 0; ++sweep) {
      bool progress = false;
      for (int i = 0; i < p; ++i) {
        const int d = sweep % 2 == 0 ? i : p - 1 - i;
        const auto du = static_cast<std::size_t>(d);
        const Queue& q = queues[du][0];
        while (head[du][0] < q.size()) {
          const double r = ready(q[head[du][0]]);
          if (r < 0.0) break;
          run(d, 0, std::max(r, free_at[du]));
          progress = true;
        }
      }
      MLSIM_CHECK(progress);   // a schedule that deadlocks is a bug
    }
    return out;
  }
  if (!dual && !in.event_driven) {
    // Zero-bubble: an F/B queue and a W queue per device. A device runs its next F/B step if its
    // inputs are in by the time it is free, else a W step when one is ready, else the earlier of
    // the two. An input still to be computed on another device arrives no sooner than that
    // device's free time plus the step plus the send, which is enough to decide in most sweeps.
    const auto lower_bound = [&](const Step& st) -> double {
      // The earliest the F/B step `st` could become ready, when one of its inputs is not computed.
      const int dev = device_of(0, st.chunk);
      double bound = 0.0;
      const auto input = [&](int c, Kind k) {
        const double f = finish[index(0, st.micro, c, k)];
        const int from_dev = device_of(0, c);
        const double arrive = (f >= 0.0 ? f : free_at[static_cast<std::size_t>(from_dev)] + duration(Step{0, st.micro, c, k})) +
                              (from_dev == dev ? 0.0 : in_flight_s);
        bound = std::max(bound, arrive);
      };
      if (st.kind == kF) {
        if (st.chunk > 0) input(st.chunk - 1, kF);
      } else {
        input(st.chunk, kF);
        if (st.chunk < chunks - 1) input(st.chunk + 1, kB);
      }
      return bound;
    };
    for (int sweep = 0; remaining > 0; ++sweep) {
      bool progress = false;
      for (int i = 0; i < p; ++i) {
        const int d = sweep % 2 == 0 ? i : p - 1 - i;
        const auto du = static_cast<std::size_t>(d);
        const Queue& main = queues[du][0];
        const Queue& wq = queues[du][1];
        while (true) {
          const bool has_main = head[du][0] < main.size(), has_w = head[du][1] < wq.size();
          if (!has_main && !has_w) break;
          if (has_main && must_free_first(main[head[du][0]], d)) {
            // 1F1B's order never runs a forward with p - d backwards outstanding, so with p held a
            // W whose backward has run waits on this device: ready now.
            const double r_w = has_w ? ready(wq[head[du][1]]) : -1.0;
            MLSIM_CHECK(r_w >= 0.0);
            run(d, 1, std::max(r_w, free_at[du]));
            progress = true;
            continue;
          }
          const double r_main = has_main ? ready(main[head[du][0]]) : -1.0;
          const double r_w = has_w ? ready(wq[head[du][1]]) : -1.0;
          const double free = free_at[du];
          if (r_main >= 0.0 && (r_main <= free || r_w < 0.0 || r_main <= r_w)) {
            run(d, 0, std::max(r_main, free));
          } else if (r_w >= 0.0 && (r_main >= 0.0 || !has_main || lower_bound(main[head[du][0]]) > std::max(r_w, free))) {
            run(d, 1, std::max(r_w, free));
          } else {
            break;
          }
          progress = true;
        }
      }
      if (!progress) break;   // undecided: finish with the exact event-driven loop below
    }
  }
  // Several queues per device (split weight gradients, DualPipe's two directions): always run the
  // step that can start earliest, the F/B queues first on a tie, so each device picks between them
  // as their inputs arrive.
  while (remaining > 0) {
    double best_start = std::numeric_limits<double>::infinity();
    int best_d = -1, best_q = -1;
    for (int d = 0; d < p; ++d) {
      const auto& qd = queues[static_cast<std::size_t>(d)];
      for (int qi = 0; qi < static_cast<int>(qd.size()); ++qi) {
        const std::size_t h = head[static_cast<std::size_t>(d)][static_cast<std::size_t>(qi)];
        if (h >= qd[static_cast<std::size_t>(qi)].size()) continue;
        if (must_free_first(qd[static_cast<std::size_t>(qi)][h], d)) continue;   // its W goes first
        const double r = ready(qd[static_cast<std::size_t>(qi)][h]);
        if (r < 0.0) continue;
        const double start = std::max(r, free_at[static_cast<std::size_t>(d)]);
        if (start < best_start) {
          best_start = start;
          best_d = d;
          best_q = qi;
        }
      }
    }
    MLSIM_CHECK(best_d >= 0);   // a schedule that deadlocks is a bug
    run(best_d, best_q, best_start);
  }
  return out;
}

}  // namespace mlsim::solvers
