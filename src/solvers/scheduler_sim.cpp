#include "solvers/scheduler_sim.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <unordered_map>

#include "solvers/kv_cache.hpp"

namespace mlsim::solvers {

double quantile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double pos = p * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double f = pos - static_cast<double>(lo);
  return values[lo] * (1.0 - f) + values[hi] * f;
}

namespace {

struct Live {
  std::size_t id = 0;
  long long cached = 0;        // tokens whose K/V are in the cache
  long long to_prefill = 0;    // tokens still to run through prefill
  long long generated = 0;     // output tokens produced
  long long blocks = 0;
  long long chunk = 0;         // tokens scheduled this step
  bool swapped = false;        // its `cached` tokens' KV sits in host memory
};

long long blocks_for(long long tokens, long long block) { return (tokens + block - 1) / block; }

}  // namespace

SimulationResult simulate_scheduler(const std::vector<Request>& requests, const SchedulerConfig& c, const StepCost& cost) {
  SimulationResult r;
  r.requests.assign(requests.size(), RequestTimes{});
  if (requests.empty()) return r;
  std::vector<std::size_t> order(requests.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return requests[a].arrival_s < requests[b].arrival_s; });
  std::vector<bool> started(requests.size(), false), first_token(requests.size(), false);
  std::unordered_map<std::uint64_t, double> memo;
  const auto step_cost = [&](long long seqs, long long tokens, long long decodes) {
    // 21 bits each for the sequences and decodes (up to ~2M), 22 for the tokens (~4M).
    const std::uint64_t key = (static_cast<std::uint64_t>(seqs) << 43U) | (static_cast<std::uint64_t>(decodes) << 22U) |
                              static_cast<std::uint64_t>(tokens);
    const auto it = memo.find(key);
    if (it != memo.end()) return it->second;
    const double v = cost(seqs, tokens, decodes);
    memo.emplace(key, v);
    return v;
  };
  const long long block = std::max<long long>(1, c.block_tokens);
  long long free_blocks = c.kv_blocks;
  long long reserved_blocks = 0;   // reserve_full_sequence: the running requests' whole sequences
  const auto full_blocks = [&](std::size_t id) { return blocks_for(requests[id].prompt + requests[id].output, block); };
  long long host_tokens = 0;   // KV tokens now in host memory (swapped out)
  std::deque<Live> waiting;
  std::vector<Live> running;
  std::size_t next = 0, done = 0;
  const double t0 = requests[order.front()].arrival_s;
  double t = t0;
  double batch_sum = 0.0;
  const auto admit_arrivals = [&] {
    while (next < order.size() && requests[order[next]].arrival_s <= t) {
      const Request& q = requests[order[next]];
      Live l;
      l.id = order[next];
      const auto hit = static_cast<long long>(std::floor(c.prefix_hit * static_cast<double>(q.prompt)));
      l.cached = std::min(hit, q.prompt - 1);   // the last prompt token always runs (its logits)
      l.to_prefill = q.prompt - l.cached;
      waiting.push_back(l);
      ++next;
    }
  };
  while (done < requests.size()) {
    admit_arrivals();
    long long budget = c.max_batched_tokens, tokens = 0;
    double swap_s = 0.0;   // host-link copies of this step (KV offload)
    // Running requests first: decodes take one token each; a decode that needs a block when none
    // is free preempts the most recently admitted request (recomputed later).
    for (std::size_t i = 0; i < running.size(); ++i) {
      Live& l = running[i];
      l.chunk = 0;
      const long long want = l.to_prefill > 0 ? (c.chunked_prefill ? std::min(l.to_prefill, budget) : l.to_prefill) : 1;
      if (want <= 0 || want > budget) continue;
      long long need = blocks_for(l.cached + want, block) - l.blocks;
      while (need > free_blocks && running.size() > i + 1) {
        Live victim = running.back();
        running.pop_back();
        free_blocks += victim.blocks;
        const Request& q = requests[victim.id];
        victim.blocks = 0;
        victim.chunk = 0;
        if (c.kv_offload) {
          // Swap out: its cached KV goes to host memory over the host link and waits there.
          const double s_out = kv_onload_s(static_cast<double>(victim.cached) * c.kv_bytes_per_token, c.host_bandwidth);
          swap_s += s_out;
          r.swap_out_s += s_out;
          r.swapped_tokens += victim.cached;
          host_tokens += victim.cached;
          r.peak_host_tokens = std::max(r.peak_host_tokens, host_tokens);
          victim.swapped = victim.cached > 0;
        } else {
          r.recomputed_tokens += victim.cached;
          victim.cached = 0;
          victim.to_prefill = q.prompt + victim.generated;   // recompute the prompt and what it generated
        }
        waiting.push_front(victim);
        ++r.preemptions;
      }
      if (need > free_blocks) continue;
      free_blocks -= need;
      l.blocks += need;
      l.chunk = want;
      budget -= want;
      tokens += want;
    }
    // Then waiting requests in arrival order, while sequences, budget and blocks allow.
    while (!waiting.empty() && static_cast<long long>(running.size()) < c.max_sequences && budget > 0) {
      Live& l = waiting.front();
      // A swapped-out request that was decoding resumes with its next token.
      long long want = l.to_prefill == 0 ? 1 : (c.chunked_prefill ? std::min(l.to_prefill, budget) : l.to_prefill);
      if (want > budget && !(tokens == 0 && !c.chunked_prefill)) break;
      const long long need = blocks_for(l.cached + want, block) - l.blocks;
      const bool unreserved = c.reserve_full_sequence && reserved_blocks + full_blocks(l.id) > c.kv_blocks;
      if (need > free_blocks || unreserved) {
        if (running.empty() && full_blocks(l.id) > c.kv_blocks) {
          r.stalled = true;
          return r;
        }
        break;
      }
      if (c.reserve_full_sequence) reserved_blocks += full_blocks(l.id);
      free_blocks -= need;
      l.blocks += need;
      l.chunk = want;
      budget -= want;
      tokens += want;
      if (l.swapped) {
        // Swap in: its blocks come back over the host link before this step runs.
        const double s_in = kv_onload_s(static_cast<double>(l.cached) * c.kv_bytes_per_token, c.host_bandwidth);
        swap_s += s_in;
        r.swap_in_s += s_in;
        host_tokens -= l.cached;
        l.swapped = false;
      }
      if (!started[l.id]) {
        started[l.id] = true;
        r.requests[l.id].wait_s = t - requests[l.id].arrival_s;
      }
      running.push_back(l);
      waiting.pop_front();
    }
    long long seqs = 0, decodes = 0;
    for (const Live& l : running) {
      seqs += l.chunk > 0 ? 1 : 0;
      decodes += l.chunk > 0 && l.to_prefill == 0 ? 1 : 0;
    }
    if (seqs == 0) {
      t += swap_s;
      if (next < order.size()) {
        t = std::max(t, requests[order[next]].arrival_s);
        continue;
      }
      r.stalled = true;   // nothing can run and nothing will arrive
      return r;
    }
    t += step_cost(seqs, tokens, decodes) + swap_s;
    ++r.steps;
    batch_sum += static_cast<double>(seqs);
    // Tokens produced at the end of the step: a decode, or a prefill whose last chunk ran.
    std::size_t keep = 0;
    for (std::size_t i = 0; i < running.size(); ++i) {
      Live l = running[i];
      bool emits = false;
      if (l.chunk > 0) {
        if (l.to_prefill > 0) {
          l.to_prefill -= l.chunk;
          l.cached += l.chunk;
          emits = l.to_prefill == 0;
        } else {
          l.cached += 1;
          emits = true;
        }
      }
      const Request& q = requests[l.id];
      if (emits) {
        ++l.generated;
        if (!first_token[l.id]) {
          first_token[l.id] = true;
          r.requests[l.id].ttft_s = t - q.arrival_s;
        }
      }
      if (l.generated >= q.output) {
        auto& out = r.requests[l.id];
        out.e2e_s = t - q.arrival_s;
        out.tpot_s = q.output > 1 ? (out.e2e_s - out.ttft_s) / static_cast<double>(q.output - 1) : 0.0;
        free_blocks += l.blocks;
        if (c.reserve_full_sequence) reserved_blocks -= full_blocks(l.id);
        r.output_tokens += q.output;
        r.prompt_tokens += q.prompt;
        ++done;
        continue;
      }
      running[keep++] = l;
    }
    running.resize(keep);
  }
  r.makespan_s = t - t0;
  r.mean_batch = r.steps > 0 ? batch_sum / static_cast<double>(r.steps) : 0.0;
  r.distinct_step_shapes = static_cast<long long>(memo.size());
  return r;
}

}  // namespace mlsim::solvers
