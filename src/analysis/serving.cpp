#include "analysis/serving.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "core/text.hpp"
#include "solvers/serving_queue.hpp"
#include "solvers/traffic.hpp"
#include "workload/params.hpp"

namespace mlsim::analysis {

std::string serving_layout_problem(const spec::Scenario& s) {
  const auto& p = s.inference->parallelism;
  const auto& m = s.model;
  const long long product = p.tp * p.pp * p.dp;
  if (s.system.count != product) {
    return "system.count (" + std::to_string(s.system.count) + ") is not tp x pp x dp (" + std::to_string(product) + ")";
  }
  if (m.architecture == spec::Architecture::kCnn) {
    if (p.tp > 1 || p.pp > 1 || p.ep > 1) return "CNN inference across accelerators is modeled with data-parallel replicas only (dp)";
    return "";
  }
  if (s.system.node && p.tp > s.system.node->accelerators) {
    return "tp (" + std::to_string(p.tp) + ") is larger than a node (" + std::to_string(s.system.node->accelerators) +
           " accelerators): tensor-parallel all-reduces would cross the scale-out fabric every layer";
  }
  if (m.heads % p.tp != 0) return "heads (" + std::to_string(m.heads) + ") are not divisible by tp (" + std::to_string(p.tp) + ")";
  if (m.kv_heads > 0 && m.kv_heads % p.tp != 0 && p.tp % m.kv_heads != 0) {
    return "kv_heads (" + std::to_string(m.kv_heads) + ") and tp (" + std::to_string(p.tp) + ") do not divide one another";
  }
  if (m.layers < p.pp) return "pp (" + std::to_string(p.pp) + ") exceeds the layers (" + std::to_string(m.layers) + ")";
  if (p.ep > 1) {
    if (!m.moe) return "ep (" + std::to_string(p.ep) + ") > 1 needs a mixture-of-experts model";
    if (m.moe->experts % p.ep != 0) {
      return "experts (" + std::to_string(m.moe->experts) + ") are not divisible by ep (" + std::to_string(p.ep) + ")";
    }
    if ((p.tp * p.dp) % p.ep != 0) {
      return "ep (" + std::to_string(p.ep) + ") must divide tp x dp (" + std::to_string(p.tp * p.dp) +
             "): expert-parallel groups are made of the ranks of one pipeline stage (vLLM's EP = TP x DP)";
    }
  }
  return "";
}

void shard_for_serving(workload::OperatorList& ops, std::size_t first, std::size_t last, const spec::ModelSpec& m,
                       double tp, double ep, double tokens, Precision weights, Precision act) {
  for (std::size_t i = first; i < last; ++i) {
    auto& op = ops[i];
    if (ep > 1.0 && m.moe && std::string_view(op.name) == "moe_experts") {
      // Each rank computes 1 / tp of the replica's routed tokens (the ep group's tokens over ep
      // ranks) and streams only its experts that those tokens hit.
      const double E = static_cast<double>(m.moe->experts), k = static_cast<double>(m.moe->top_k);
      const double h = static_cast<double>(m.hidden), ef = static_cast<double>(m.moe->expert_ffn);
      const bool swiglu = m.activation == spec::Activation::kSwiglu;
      const double mats = swiglu ? 3.0 : 2.0;
      const double group = tokens * std::max(1.0, ep / tp);
      const double touched = E * (1.0 - std::pow(1.0 - k / E, group));
      const double routed = tokens * k / tp;
      op.flops /= tp;
      op.dequant_ops /= tp;
      op.bytes = touched / ep * mats * h * ef * bytes_per_element(weights) +
                 routed * (2.0 * h + (swiglu ? 4.0 : 2.0) * ef) * bytes_per_element(act);
      continue;
    }
    if (op.split != workload::Operator::Split::kTensor) continue;
    op.flops /= tp;
    op.bytes /= tp;
    op.dequant_ops /= tp;
  }
}

double serving_weight_bytes_per_device(const spec::ModelSpec& m, Precision weights, Precision act, double tp, double pp,
                                       double ep) {
  const workload::ParamCount p = workload::count_params(m);
  const double moe_layers = m.moe ? static_cast<double>(m.layers - m.moe->dense_layers) : 0.0;
  const double experts = m.moe ? moe_layers * static_cast<double>(m.moe->experts) * p.expert : 0.0;
  const double layers = p.total - p.embedding - p.lm_head - experts;
  const double w = bytes_per_element(weights), a = bytes_per_element(act);
  // With a pipeline the embedding sits on the first stage and the head (or a tied copy) on the last.
  const double edge = pp > 1.0 ? std::max(p.embedding, m.tied_embeddings ? p.embedding : p.lm_head) : p.embedding + p.lm_head;
  const double expert_split = ep > 1.0 ? ep : tp;
  return layers * w / (tp * pp) + experts * w / (expert_split * pp) + edge * a / tp;
}

double kv_share_per_device(const spec::ModelSpec& m, double tp, double pp) {
  if (m.mla) return 1.0 / pp;
  const workload::AttentionDims ad = workload::attention_dims(m);
  const double heads = std::max(1.0, ad.kv_heads);
  return std::max(heads / tp, 1.0) / heads / pp;
}

namespace {

solvers::LengthDistribution length_of(const std::optional<spec::TrafficSpec>& t, bool prompt, double fallback) {
  solvers::LengthDistribution d;
  d.mean = fallback;
  if (!t) return d;
  const spec::LengthSpec& l = prompt ? t->prompt : t->output;
  d.mean = l.mean.value_or(fallback);
  d.min = l.min;
  d.max = l.max;
  d.sigma = l.sigma;
  d.values = l.values;
  using K = solvers::LengthDistribution::Kind;
  d.kind = l.distribution == "uniform" ? K::kUniform
           : l.distribution == "exponential" ? K::kExponential
           : l.distribution == "lognormal" ? K::kLognormal
           : l.distribution == "csv" ? K::kEmpirical
                                     : K::kFixed;
  return d;
}

}  // namespace

void evaluate_traffic(const spec::Scenario& s, const solvers::StepCost& cost, double kv_token_bytes, double kv_bytes,
                      InferenceReport& ir, Estimate& e) {
  const auto& inf = *s.inference;
  const auto& t = inf.traffic;
  const bool offline = t && t->arrival == "offline";
  // A pipeline of pp stages serves pp batches at once, one per stage, each crossing every stage
  // (vLLM's virtual engines: one scheduler per stage slot, each with max_num_seqs and 1 / pp of the
  // KV blocks, requests to the least loaded): pp engines per replica whose step is the whole
  // pipeline's traversal (`cost`), so the traffic splits over dp x pp engines.
  const long long pp = std::max<long long>(1, inf.parallelism.pp);
  const double replicas = static_cast<double>(inf.parallelism.dp * pp);
  const double rate = inf.arrival_rate ? inf.arrival_rate->si() : 0.0;
  const solvers::LengthDistribution prompt = length_of(t, true, static_cast<double>(inf.prompt_tokens));
  const solvers::LengthDistribution output = length_of(t, false, static_cast<double>(inf.output_tokens));
  solvers::SchedulerConfig c;
  c.max_sequences = s.software.max_sequences.value_or(256);
  c.max_batched_tokens = s.software.max_batched_tokens.value_or(1LL << 30);
  c.chunked_prefill = t && t->chunked_prefill ? *t->chunked_prefill : s.software.max_batched_tokens.has_value();
  c.block_tokens = s.software.block_size.value_or(16);
  c.prefix_hit = t ? t->prefix_cache_hit : 0.0;
  c.reserve_full_sequence = s.software.reserve_full_sequence;
  if (t && t->kv_offload) {
    const auto& acc = s.system.accelerator;
    if (!acc.host_link_bandwidth) {
      e.feasible = false;
      e.infeasible_reason = "traffic.kv_offload: " + acc.name + " gives no host_link bandwidth to swap KV blocks over";
      return;
    }
    c.kv_offload = true;
    c.kv_bytes_per_token = kv_token_bytes;
    c.host_bandwidth = acc.host_link_bandwidth->si();
    if (const auto* cal = acc.calibrated ? acc.calibrated->host_link_at("h2d_pinned") : nullptr; cal != nullptr && cal->bandwidth > 0.0) {
      c.host_bandwidth = cal->bandwidth;   // measured pinned host-to-device rate of large copies
    } else if (acc.efficiency.host_link) {
      c.host_bandwidth *= *acc.efficiency.host_link;
    }
  }
  // Paged KV: the memory left beside the weights, workspace and prefill transients, in blocks.
  const double block_bytes = kv_token_bytes * static_cast<double>(c.block_tokens);
  c.kv_blocks = block_bytes > 0.0 ? static_cast<long long>(std::floor(std::max(0.0, kv_bytes) / block_bytes)) / pp : (1LL << 40);
  const double p_mean = prompt.expected(), o_mean = output.expected();
  // A request holds ceil((P + O) / block) blocks at its end; on average half its output.
  const double blocks_per_request = std::ceil((p_mean + o_mean / 2.0) / static_cast<double>(c.block_tokens));
  const long long kv_limited = static_cast<long long>(std::floor(static_cast<double>(c.kv_blocks) / blocks_per_request));
  ServingReport sr;
  sr.block_tokens = c.block_tokens;
  sr.kv_blocks = c.kv_blocks;
  sr.max_running = std::max<long long>(0, std::min(c.max_sequences, kv_limited));
  sr.arrival_rate_per_s = rate;
  if (sr.max_running < 1) {
    e.feasible = false;
    e.infeasible_reason = "the KV cache has room for " + std::to_string(c.kv_blocks) + " blocks of " +
                          std::to_string(c.block_tokens) + " tokens: not one request of " + std::to_string(std::llround(p_mean)) +
                          " + " + std::to_string(std::llround(o_mean)) + " tokens fits beside the weights";
    ir.serving = sr;
    return;
  }
  const double slo_ttft = inf.slo_ttft ? inf.slo_ttft->si() : 0.0, slo_tpot = inf.slo_tpot ? inf.slo_tpot->si() : 0.0;
  const bool has_slo = inf.slo_ttft || inf.slo_tpot;
  if (inf.simulate || offline) {
    sr.simulated = true;
    const auto arrival = offline ? solvers::Arrival::kOffline
                                 : (t && t->arrival == "constant" ? solvers::Arrival::kConstant : solvers::Arrival::kPoisson);
    const long long n = t ? t->requests : 2000;
    // Each replica serves its share of the requests and of the rate.
    const auto reqs = solvers::generate_requests(n, arrival, rate / replicas, prompt, output,
                                                 static_cast<std::uint64_t>(t ? t->seed : 1));
    const auto r = solvers::simulate_scheduler(reqs, c, cost);
    if (r.stalled) {
      e.feasible = false;
      e.infeasible_reason = "a request does not fit the KV cache (" + std::to_string(c.kv_blocks) + " blocks of " +
                            std::to_string(c.block_tokens) + " tokens)";
      ir.serving = sr;
      return;
    }
    if (c.kv_offload && r.peak_host_tokens > 0) {
      // The swapped blocks must fit in host memory: each device's shard of them, all the node's
      // devices at once, against the node's DRAM (vLLM reserves --swap-space per GPU for them and
      // aborts a swap that finds no room).
      const double per_device = static_cast<double>(r.peak_host_tokens) * c.kv_bytes_per_token;
      const auto& node = s.system.node;
      if (node && node->host_memory) {
        const double share = node->host_memory->si() / static_cast<double>(std::max<long long>(1, node->accelerators));
        if (per_device > share) {
          e.feasible = false;
          e.infeasible_reason = "traffic.kv_offload: at its peak the swapped KV cache needs " + format_bytes(per_device) +
                                " of host memory per device, more than its share of the node's (" + format_bytes(share) + ")";
          ir.serving = sr;
          return;
        }
      } else {
        e.warnings.push_back("traffic.kv_offload: the system names no node with host memory, so the " +
                             format_bytes(per_device) + " of swapped KV per device at its peak is not checked against it");
      }
    }
    std::vector<double> ttft, tpot, e2e;
    double good = 0.0;
    for (const auto& q : r.requests) {
      ttft.push_back(q.ttft_s);
      tpot.push_back(q.tpot_s);
      e2e.push_back(q.e2e_s);
      if ((!inf.slo_ttft || q.ttft_s <= slo_ttft) && (!inf.slo_tpot || q.tpot_s <= slo_tpot)) good += 1.0;
    }
    const auto pct = [](const std::vector<double>& v) {
      return Percentiles{solvers::quantile(v, 0.5), solvers::quantile(v, 0.9), solvers::quantile(v, 0.99)};
    };
    ir.ttft_pct = pct(ttft);
    ir.tpot_pct = pct(tpot);
    ir.e2e_pct = pct(e2e);
    ir.throughput_tokens_per_s = r.makespan_s > 0 ? static_cast<double>(r.output_tokens) / r.makespan_s * replicas : 0.0;
    sr.mean_batch = r.mean_batch;
    sr.requests = n;
    sr.preemptions = r.preemptions;
    sr.recomputed_tokens = r.recomputed_tokens;
    sr.swapped_tokens = r.swapped_tokens;
    sr.kv_swap_s = r.swap_out_s + r.swap_in_s;
    const double served_rps = r.makespan_s > 0 ? static_cast<double>(n) / r.makespan_s * replicas : 0.0;
    if (has_slo) {
      ir.goodput = good / static_cast<double>(n);
      sr.goodput_requests_per_s = *ir.goodput * served_rps;
    }
    const auto ss = solvers::steady_state(std::max(rate / replicas, 1e-9), p_mean, o_mean, 1.0, sr.max_running, c, cost);
    sr.capacity_requests_per_s = ss.capacity_rps * replicas;
    sr.utilization = offline ? 1.0 : rate / sr.capacity_requests_per_s;
  } else {
    if (c.kv_offload) {
      e.warnings.push_back("traffic.kv_offload applies to the scheduler simulation (inference.simulate: true): the closed form has no preemptions");
    }
    const double scv = t && t->arrival == "constant" ? 0.0 : 1.0;
    const auto ss = solvers::steady_state(rate / replicas, p_mean, o_mean, scv, sr.max_running, c, cost);
    sr.capacity_requests_per_s = ss.capacity_rps * replicas;
    sr.utilization = ss.utilization;
    sr.mean_batch = ss.batch;
    if (!ss.stable) {
      e.feasible = false;
      e.infeasible_reason = "the arrival rate (" + format_double(rate, 4) + " requests/s) exceeds what the system serves (" +
                            format_double(sr.capacity_requests_per_s, 4) + " requests/s at " + std::to_string(sr.max_running * pp) +
                            " running requests per replica): the queue grows without bound";
    }
    ir.ttft_pct = Percentiles{ss.ttft_p50_s, ss.ttft_p90_s, ss.ttft_p99_s};
    ir.tpot_pct = Percentiles{ss.tpot_s, ss.tpot_s, ss.tpot_s};
    ir.e2e_pct = Percentiles{ss.e2e_p50_s, ss.e2e_p90_s, ss.e2e_p99_s};
    ir.throughput_tokens_per_s = ss.throughput_tokens_per_s * replicas;
    if (has_slo) {
      // TPOT is deterministic here; TTFT = wait + prefill with P(W > w) = rho exp(-w rho / E[W]).
      double ok = (!inf.slo_tpot || ss.tpot_s <= slo_tpot) ? 1.0 : 0.0;
      if (inf.slo_ttft) {
        const double slack = slo_ttft - ss.prefill_s;
        const double rho = ss.utilization;
        const double late = slack < 0.0 ? 1.0 : (ss.wait_mean_s > 0.0 ? rho * std::exp(-slack * rho / ss.wait_mean_s) : 0.0);
        ok *= ss.stable ? 1.0 - late : 0.0;
      }
      ir.goodput = ok;
      sr.goodput_requests_per_s = ok * rate;
    }
  }
  ir.ttft_s = ir.ttft_pct->p50;
  ir.tpot_s = ir.tpot_pct->p50;
  ir.e2e_s = ir.e2e_pct.p50;
  // Per replica: every engine of the pipeline.
  sr.mean_batch *= static_cast<double>(pp);
  sr.max_running *= pp;
  sr.kv_blocks *= pp;
  ir.batch = std::llround(sr.mean_batch);
  ir.max_batch = sr.max_running;
  ir.serving = sr;
}

}  // namespace mlsim::analysis
