#include "analysis/plan.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "analysis/evaluate.hpp"
#include "core/text.hpp"

namespace mlsim::analysis {
namespace {

std::vector<long long> divisors(long long n) {
  std::vector<long long> d;
  for (long long i = 1; i <= n; ++i) {
    if (n % i == 0) d.push_back(i);
  }
  return d;
}

// The largest difference in the step's parts between a candidate and the one ranked above it.
std::string why_slower(const TrainingReport& better, const TrainingReport& worse) {
  struct Part {
    const char* name;
    double delta;
  };
  const Part parts[] = {
      {"compute", worse.compute_s - better.compute_s},
      {"pipeline bubble", worse.bubble_s - better.bubble_s},
      {"exposed TP communication", worse.exposed_tp_s - better.exposed_tp_s},
      {"exposed DP communication", worse.exposed_dp_s - better.exposed_dp_s},
      {"exposed PP communication", worse.exposed_pp_s - better.exposed_pp_s},
      {"exposed EP all-to-all", worse.exposed_ep_s - better.exposed_ep_s},
      {"exposed CP ring", worse.exposed_cp_s - better.exposed_cp_s},
      {"host and launch overhead", worse.host_s - better.host_s},
      {"optimizer", worse.optimizer_s - better.optimizer_s},
  };
  const Part* top = &parts[0];
  for (const auto& p : parts) {
    if (p.delta > top->delta) top = &p;
  }
  const double pct = better.step_time_s > 0 ? (worse.step_time_s / better.step_time_s - 1.0) * 100.0 : 0.0;
  if (pct < 1e-9) return "ties with the layout above";
  return format_double(pct, 3) + "% slower: " + top->name + " +" + format_seconds(top->delta);
}

}  // namespace

// `layers` over `pp` stages, ceil(layers / pp) each except the ones at both ends, which give up
// one layer each, alternately from the first and the last, until the count is right.
std::vector<long long> balanced_stages(long long layers, long long pp) {
  const long long base = (layers + pp - 1) / pp;
  std::vector<long long> stages(static_cast<std::size_t>(pp), base);
  long long extra = base * pp - layers;
  for (long long i = 0; extra > 0; ++i) {
    const long long at = i % 2 == 0 ? i / 2 : pp - 1 - i / 2;
    if (stages[static_cast<std::size_t>(at)] > 1) {
      --stages[static_cast<std::size_t>(at)];
      --extra;
    }
    if (i > 4 * pp) break;
  }
  return stages;
}

double objective_value(const PlanCandidate& c, PlanObjective o) {
  switch (o) {
    case PlanObjective::kMemory: return c.estimate.memory.per_device_bytes;
    case PlanObjective::kMfu: return -c.estimate.training->mfu;
    case PlanObjective::kStepTime: break;
  }
  return c.estimate.training->step_time_s;
}

PlanResult plan_training(const spec::Scenario& s, const PlanOptions& options) {
  PlanResult result;
  if (!s.training) return result;
  const long long count = s.system.count;
  const long long per_node = s.system.node ? s.system.node->accelerators : count;
  const long long layers = s.model.layers;
  const long long seq = s.training->seq_len;
  Evaluator evaluator;
  const EvalOptions quiet{false};
  std::vector<PlanCandidate> feasible;
  spec::Scenario candidate = s;
  std::vector<long long> mbs = options.micro_batches;
  std::sort(mbs.begin(), mbs.end());
  // Context parallelism splits long sequences (>= 8192 tokens) into load-balanced chunks.
  std::vector<long long> cps = {1};
  for (long long c = 2; c <= 16 && seq >= 8192 && seq % (2 * c) == 0; c *= 2) cps.push_back(c);
  for (long long tp : divisors(std::min(count, per_node))) {
    for (long long cp : cps) {
      if (count % (tp * cp) != 0) continue;
      for (long long pp : divisors(count / (tp * cp))) {
        if (pp > layers) continue;
        // PP that does not divide the layers: the stages at both ends take one layer less (as
        // Llama 3 405B ran 126 layers on 16 stages, Dubey et al. 2024, section 3.3.2), 1F1B only.
        const std::vector<long long> uneven = layers % pp != 0 ? balanced_stages(layers, pp) : std::vector<long long>{};
        const long long dp = count / (tp * cp * pp);
        std::vector<long long> eps = {1};
        if (s.model.moe) {
          for (long long e : divisors(s.model.moe->experts)) {
            if (e > 1 && dp % e == 0) eps.push_back(e);
          }
        }
        for (long long ep : eps) {
          for (const char* schedule : {"1f1b", "interleaved", "zero_bubble"}) {
            const bool inter = std::string_view(schedule) == "interleaved";
            if (pp == 1 && std::string_view(schedule) != "1f1b") continue;
            for (long long v : {1LL, 2LL, 4LL}) {
              if (inter != (v > 1) || (v > 1 && layers % (pp * v) != 0)) continue;
              if (!uneven.empty() && v > 1) continue;
              for (auto rc : {spec::Recompute::kNone, spec::Recompute::kSelective, spec::Recompute::kFull}) {
                // Under flash attention nothing is left for selective recomputation: it equals none.
                if (rc == spec::Recompute::kSelective && s.software.flash_attention) continue;
                for (long long zero : {0LL, 1LL, 2LL, 3LL}) {
                  if (zero > 0 && dp * cp == 1) continue;
                  for (std::size_t mi = 0; mi < mbs.size(); ++mi) {
                    const long long mb = mbs[mi];
                    if (s.training->global_batch % (mb * dp) != 0) continue;
                    if (inter && (s.training->global_batch / (mb * dp)) % pp != 0) continue;
                    auto& t = *candidate.training;
                    t.parallelism = s.training->parallelism;
                    t.parallelism.tp = tp;
                    t.parallelism.pp = pp;
                    t.parallelism.dp = dp;
                    t.parallelism.cp = cp;
                    t.parallelism.ep = ep;
                    t.parallelism.zero = zero;
                    t.parallelism.sequence_parallel = t.parallelism.sequence_parallel_set.value_or(
                        s.software.sequence_parallel.value_or(tp > 1));
                    t.parallelism.virtual_stages = v;
                    t.parallelism.schedule = schedule;
                    t.parallelism.layers_per_stage = uneven;
                    t.micro_batch = mb;
                    t.recompute = rc;
                    ++result.evaluated;
                    Estimate e = evaluator.evaluate(candidate, quiet);
                    if (!e.feasible || !e.training) {
                      // Memory only grows with the micro-batch: the larger ones cannot fit either.
                      if (!e.memory.fits) {
                        result.pruned += mbs.size() - mi - 1;
                        break;
                      }
                      continue;
                    }
                    feasible.push_back({t.parallelism, mb, rc, std::move(e), ""});
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  result.feasible = feasible.size();
  const std::size_t keep = std::min(options.top, feasible.size());
  const auto better = [&](const PlanCandidate& a, const PlanCandidate& b) {
    return objective_value(a, options.objective) < objective_value(b, options.objective);
  };
  std::partial_sort(feasible.begin(), feasible.begin() + static_cast<std::ptrdiff_t>(keep), feasible.end(), better);
  feasible.resize(keep);
  for (std::size_t i = 1; i < feasible.size(); ++i) {
    feasible[i].lost_because = why_slower(*feasible[i - 1].estimate.training, *feasible[i].estimate.training);
  }
  result.ranked = std::move(feasible);
  return result;
}

}  // namespace mlsim::analysis
