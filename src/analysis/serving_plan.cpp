#include "analysis/serving_plan.hpp"

#include <algorithm>

#include "analysis/evaluate.hpp"
#include "analysis/operations.hpp"
#include "core/text.hpp"

namespace mlsim::analysis {
namespace {

bool meets(const Estimate& e, const spec::InferenceSpec& inf) {
  if (!e.feasible || !e.inference || !e.inference->ttft_pct || !e.inference->tpot_pct) return false;
  if (inf.slo_ttft && e.inference->ttft_pct->p99 > inf.slo_ttft->si()) return false;
  if (inf.slo_tpot && e.inference->tpot_pct->p99 > inf.slo_tpot->si()) return false;
  return true;
}

}  // namespace

ServingPlan plan_serving(const spec::Scenario& s, std::size_t top, long long max_replicas) {
  ServingPlan plan;
  if (!s.inference || !s.inference->arrival_rate) {
    plan.problem = "a serving plan needs inference.arrival_rate (the load to serve)";
    return plan;
  }
  if (!s.inference->slo_ttft && !s.inference->slo_tpot) {
    plan.problem = "a serving plan needs inference.slo (ttft and/or tpot) to hold at p99";
    return plan;
  }
  Evaluator ev;
  EvalOptions quiet;
  quiet.detail = false;
  const long long node = s.system.node ? s.system.node->accelerators : 8;
  const long long software_cap = s.software.max_sequences.value_or(256);
  std::vector<long long> caps = {16, 64, 256, software_cap};
  std::sort(caps.begin(), caps.end());
  caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
  const double price_s = s.system.accelerator.rental_price ? s.system.accelerator.rental_price->si() : 0.0;
  for (long long tp = 1; tp <= node; tp *= 2) {
    if (s.model.heads % tp != 0) continue;
    for (const long long cap : caps) {
      // The fewest replicas that hold the SLO: more replicas only lower each one's load, so the
      // first that meets it is the cheapest of this (tp, cap).
      for (long long dp = 1; dp <= max_replicas; ++dp) {
        spec::Scenario c = s;
        c.inference->parallelism.tp = tp;
        c.inference->parallelism.pp = 1;
        c.inference->parallelism.dp = dp;
        c.inference->simulate = false;
        c.system.count = tp * dp;
        c.software.max_sequences = cap;
        c.duration = Seconds(3600.0);
        Estimate e = ev.evaluate(c, quiet);
        ++plan.evaluated;
        if (!e.feasible && e.infeasible_reason.find("arrival rate") == std::string::npos) break;   // layout or memory
        if (!meets(e, *c.inference)) continue;
        ServingCandidate k;
        k.tp = tp;
        k.dp = dp;
        k.gpus = tp * dp;
        k.max_running = cap;
        const double tokens_per_s = e.inference->throughput_tokens_per_s;
        k.usd_per_hour = price_s * 3600.0 * static_cast<double>(k.gpus);
        k.gpu_hours_per_million_tokens = tokens_per_s > 0 ? static_cast<double>(k.gpus) / 3600.0 * 1e6 / tokens_per_s : 0.0;
        if (e.ops) {
          k.usd_per_million_tokens = e.ops->usd_per_million_tokens;
          if (tokens_per_s > 0) k.joules_per_token = e.ops->energy_j / (tokens_per_s * 3600.0);
        }
        k.estimate = std::move(e);
        plan.ranked.push_back(std::move(k));
        break;
      }
    }
  }
  std::stable_sort(plan.ranked.begin(), plan.ranked.end(), [](const ServingCandidate& a, const ServingCandidate& b) {
    if (a.gpus != b.gpus) return a.gpus < b.gpus;
    return a.estimate.inference->ttft_pct->p99 < b.estimate.inference->ttft_pct->p99;
  });
  for (std::size_t i = 1; i < plan.ranked.size(); ++i) {
    const auto& prev = plan.ranked[i - 1];
    auto& cur = plan.ranked[i];
    cur.lost_because = cur.gpus > prev.gpus ? std::to_string(cur.gpus) + " GPUs instead of " + std::to_string(prev.gpus)
                                            : "same GPUs, p99 TTFT " + format_seconds(cur.estimate.inference->ttft_pct->p99) +
                                                  " vs " + format_seconds(prev.estimate.inference->ttft_pct->p99);
  }
  if (plan.ranked.size() > top) plan.ranked.resize(top);
  return plan;
}

}  // namespace mlsim::analysis
