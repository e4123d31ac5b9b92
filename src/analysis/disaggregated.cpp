#include "analysis/disaggregated.hpp"

#include <algorithm>

#include "analysis/pricing.hpp"
#include "solvers/collectives.hpp"
#include "system/cluster.hpp"
#include "workload/memory.hpp"

namespace mlsim::analysis {

Estimate evaluate_disaggregated(const spec::Scenario& s, const EvalOptions& options) {
  const auto& inf = *s.inference;
  const auto& d = *inf.disaggregated;
  Estimate e;
  e.scenario = s.name;
  const long long prefill_gpus = d.prefill_tp * d.prefill_replicas, decode_gpus = d.decode_tp * d.decode_replicas;
  if (!inf.arrival_rate && !(inf.traffic && inf.traffic->arrival == "offline")) {
    e.feasible = false;
    e.infeasible_reason = "disaggregated serving needs traffic: an arrival_rate or traffic: {arrival: offline}";
    return e;
  }
  if (s.system.count != prefill_gpus + decode_gpus) {
    e.feasible = false;
    e.infeasible_reason = "system.count (" + std::to_string(s.system.count) + ") is not the prefill pool (" +
                          std::to_string(prefill_gpus) + ") plus the decode pool (" + std::to_string(decode_gpus) + ")";
    return e;
  }
  // The KV cache of one prompt, sent shard by shard from each prefill rank to the decode pool
  // (ranks placed prefill pool first: the pair is `prefill_gpus` ranks apart).
  const double kv_bytes = workload::kv_cache_bytes_per_token(s.model, inf.precision.kv_cache) * static_cast<double>(inf.prompt_tokens);
  const system::Cluster cluster = system::Cluster::build(s.system);
  const double transfer_s =
      solvers::collective(solvers::Collective::kSendRecv, kv_bytes / static_cast<double>(d.prefill_tp), cluster.place(2, prefill_gpus))
          .time_s;

  const auto pool = [&](long long tp, long long replicas) {
    spec::Scenario p = s;
    p.inference->disaggregated.reset();
    p.inference->parallelism.tp = tp;
    p.inference->parallelism.pp = 1;
    p.inference->parallelism.ep = 1;
    p.inference->parallelism.dp = replicas;
    p.system.count = tp * replicas;
    return p;
  };
  spec::Scenario pre = pool(d.prefill_tp, d.prefill_replicas);
  pre.inference->output_tokens = 1;
  if (pre.inference->traffic) pre.inference->traffic->output = spec::LengthSpec{};   // one token, fixed
  pre.inference->slo_tpot.reset();
  if (inf.slo_ttft) pre.inference->slo_ttft = Seconds(std::max(0.0, inf.slo_ttft->si() - transfer_s));
  pre.inference->speculative.reset();
  pre.inference->draft_model.reset();
  spec::Scenario dec = pool(d.decode_tp, d.decode_replicas);
  if (!dec.inference->traffic) dec.inference->traffic = spec::TrafficSpec{};
  dec.inference->traffic->prefix_cache_hit = 1.0;   // the prompt's KV arrives from the prefill pool
  dec.inference->slo_ttft.reset();

  Evaluator ev;
  Estimate p = ev.evaluate(pre, options);
  Estimate q = ev.evaluate(dec, options);
  e = q;
  e.scenario = s.name;
  for (const auto& w : p.warnings) e.warnings.push_back("prefill pool: " + w);
  if (!p.feasible) {
    e.feasible = false;
    e.infeasible_reason = "prefill pool: " + p.infeasible_reason;
  } else if (!q.feasible) {
    e.infeasible_reason = "decode pool: " + q.infeasible_reason;
  }
  if (!p.inference || !q.inference || !p.inference->ttft_pct || !q.inference->ttft_pct) return e;
  auto& ir = *e.inference;
  const Percentiles& pt = *p.inference->ttft_pct;
  const Percentiles& qt = *q.inference->ttft_pct;
  // First token from the prefill pool, after the transfer; the decode pool's own admission and
  // first step (its TTFT) delay the second token, so e2e adds its e2e on top.
  ir.ttft_pct = Percentiles{pt.p50 + transfer_s, pt.p90 + transfer_s, pt.p99 + transfer_s};
  ir.e2e_pct = Percentiles{ir.ttft_pct->p50 + q.inference->e2e_pct.p50, ir.ttft_pct->p90 + q.inference->e2e_pct.p90,
                           ir.ttft_pct->p99 + q.inference->e2e_pct.p99};
  (void)qt;
  ir.ttft_s = ir.ttft_pct->p50;
  ir.e2e_s = ir.e2e_pct.p50;
  if (p.inference->goodput || q.inference->goodput) {
    ir.goodput = p.inference->goodput.value_or(1.0) * q.inference->goodput.value_or(1.0);
  }
  if (ir.serving && p.inference->serving) {
    ir.serving->capacity_requests_per_s = std::min(ir.serving->capacity_requests_per_s, p.inference->serving->capacity_requests_per_s);
    ir.serving->utilization = std::max(ir.serving->utilization, p.inference->serving->utilization);
    if (ir.goodput) ir.serving->goodput_requests_per_s = *ir.goodput * ir.serving->arrival_rate_per_s;
  }
  const double ttft = ir.ttft_pct->p50;
  e.walls.push_back({"kv_transfer", transfer_s, ttft > 0 ? transfer_s / ttft : 0.0, false,
                     options.detail ? "the prompt's KV cache from the prefill pool to the decode pool, added to the first token" : ""});
  for (auto& w : e.walls) w.binding = false;
  choose_binding_wall(e);
  return e;
}

}  // namespace mlsim::analysis
