#include "analysis/plan.hpp"

#include <algorithm>
#include <cmath>

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

PlanResult plan_training(const spec::Scenario& s, const PlanOptions& options) {
  PlanResult result;
  if (!s.training) return result;
  const long long count = s.system.count;
  const long long per_node = s.system.node ? s.system.node->accelerators : count;
  Evaluator evaluator;
  const EvalOptions quiet{false};
  std::vector<PlanCandidate> feasible;
  spec::Scenario candidate = s;
  for (long long tp : divisors(std::min(count, per_node))) {
    for (long long pp : divisors(count / tp)) {
      if (s.model.layers % pp != 0) continue;
      const long long dp = count / (tp * pp);
      for (long long v : {1LL, 2LL, 4LL}) {
        if (v > 1 && (pp == 1 || s.model.layers % (pp * v) != 0)) continue;
        for (long long mb : options.micro_batches) {
          if (s.training->global_batch % (mb * dp) != 0) continue;
          for (auto rc : {spec::Recompute::kNone, spec::Recompute::kSelective, spec::Recompute::kFull}) {
            // Under flash attention nothing is left for selective recomputation: it equals none.
            if (rc == spec::Recompute::kSelective && s.software.flash_attention) continue;
            for (long long zero : {0LL, 1LL, 2LL, 3LL}) {
              if (zero > 0 && dp == 1) continue;
              auto& t = *candidate.training;
              t.parallelism = s.training->parallelism;
              t.parallelism.tp = tp;
              t.parallelism.pp = pp;
              t.parallelism.dp = dp;
              t.parallelism.cp = 1;
              t.parallelism.ep = 1;
              t.parallelism.zero = zero;
              t.parallelism.sequence_parallel = tp > 1;
              t.parallelism.virtual_stages = v;
              t.parallelism.schedule = v > 1 ? "interleaved" : "1f1b";
              t.micro_batch = mb;
              t.recompute = rc;
              ++result.evaluated;
              Estimate e = evaluator.evaluate(candidate, quiet);
              if (!e.feasible || !e.training) continue;
              feasible.push_back({t.parallelism, mb, rc, std::move(e), ""});
            }
          }
        }
      }
    }
  }
  result.feasible = feasible.size();
  const std::size_t keep = std::min(options.top, feasible.size());
  std::partial_sort(feasible.begin(), feasible.begin() + static_cast<std::ptrdiff_t>(keep), feasible.end(),
                    [](const PlanCandidate& a, const PlanCandidate& b) {
                      return a.estimate.training->step_time_s < b.estimate.training->step_time_s;
                    });
  feasible.resize(keep);
  for (std::size_t i = 1; i < feasible.size(); ++i) {
    feasible[i].lost_because = why_slower(*feasible[i - 1].estimate.training, *feasible[i].estimate.training);
  }
  result.ranked = std::move(feasible);
  return result;
}

}  // namespace mlsim::analysis
