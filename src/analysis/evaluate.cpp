#include "analysis/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "analysis/disaggregated.hpp"
#include "analysis/operations.hpp"
#include "analysis/pricing.hpp"
#include "analysis/rlhf.hpp"
#include "analysis/serving.hpp"
#include "solvers/collectives.hpp"
#include "solvers/speculative.hpp"
#include "analysis/walls.hpp"
#include "core/text.hpp"
#include "solvers/launch_overhead.hpp"
#include "solvers/memory_capacity.hpp"
#include "solvers/offload.hpp"
#include "workload/cnn.hpp"
#include "workload/memory.hpp"
#include "workload/params.hpp"
#include "workload/transformer.hpp"

namespace mlsim::analysis {

std::string unsupported_reason(const spec::Scenario& s) {
  if (s.training) {
    if (s.model.architecture == spec::Architecture::kCnn && s.system.count > 1) {
      return "CNN training on more than one accelerator is not modeled yet";
    }
  }
  if (s.inference) {
    const bool traffic = s.inference->arrival_rate || (s.inference->traffic && s.inference->traffic->arrival == "offline");
    if (traffic && s.model.architecture == spec::Architecture::kCnn) {
      return "serving traffic (arrival_rate, traffic) is modeled for transformers; give a CNN a batch";
    }
    if (s.inference->simulate && !traffic) return "inference.simulate needs traffic: an arrival_rate or traffic: {arrival: offline}";
  }
  return "";
}

namespace {

bool low_bit(Precision p) {
  return p == Precision::kFp8 || p == Precision::kInt8 || p == Precision::kFp4 || p == Precision::kInt4;
}

}  // namespace

std::optional<Precision> weight_only_compute_precision(const spec::Scenario& s) {
  if (!s.inference) return std::nullopt;
  const auto& pr = s.inference->precision;
  const auto& acc = s.system.accelerator;
  if (!low_bit(pr.activations) || pr.weights != pr.activations || acc.peak_at(pr.activations)) return std::nullopt;
  if (acc.peak_at(Precision::kBf16)) return Precision::kBf16;
  if (acc.peak_at(Precision::kFp16)) return Precision::kFp16;
  return std::nullopt;
}

Estimate Evaluator::evaluate(const spec::Scenario& s, const EvalOptions& options) {
  if (s.rlhf && s.training) return evaluate_rlhf(s, options);
  if (const auto compute = weight_only_compute_precision(s)) {
    // Weights quantized to a format the accelerator has no tensor-core peak for (fp8 on an A100,
    // fp4 on an H100): engines run them weight-only (vLLM's Marlin kernels), the math at bf16/fp16
    // with the weights dequantized on the fly; the KV cache keeps its own precision.
    spec::Scenario r = s;
    const Precision q = s.inference->precision.weights;
    r.inference->precision.activations = *compute;
    Estimate e = evaluate(r, options);
    e.scenario = s.name;
    e.warnings.push_back(s.system.accelerator.name + " has no " + std::string(precision_name(q)) + " peak: weight-only " +
                         std::string(precision_name(q)) + " (weights stored and read at " + std::string(precision_name(q)) +
                         ", math at " + std::string(precision_name(*compute)) + " after dequantization)");
    return e;
  }
  if (s.inference && s.inference->reasoning) {
    // Inference-time compute: each query generates K x T reasoning tokens before its answer, and N
    // samples are N requests (a batch N times larger, or N times the arrival rate).
    spec::Scenario r = s;
    auto& inf = *r.inference;
    const auto& k = *inf.reasoning;
    const long long extra = k.steps * k.step_tokens;
    inf.output_tokens += extra;
    if (inf.traffic) {
      auto& o = inf.traffic->output;
      if (o.mean) *o.mean += static_cast<double>(extra);
      for (auto& v : o.values) v += static_cast<double>(extra);
      if (o.distribution == "uniform") {
        o.min += static_cast<double>(extra);
        o.max += static_cast<double>(extra);
      }
      if (inf.traffic->arrival == "offline") inf.traffic->requests *= k.samples;
    }
    if (inf.batch) *inf.batch *= k.samples;
    if (inf.arrival_rate) inf.arrival_rate = PerSecond(inf.arrival_rate->si() * static_cast<double>(k.samples));
    inf.reasoning.reset();
    Estimate e = evaluate(r, options);
    e.scenario = s.name;
    return e;
  }
  if (s.inference && s.inference->disaggregated) return evaluate_disaggregated(s, options);
  Estimate e;
  e.scenario = s.name;
  if (s.training) evaluate_training(s, options, e);
  if (s.inference) evaluate_inference(s, options, e);
  choose_binding_wall(e);
  return e;
}


void Evaluator::evaluate_inference(const spec::Scenario& s, const EvalOptions& o, Estimate& e) {
  const auto& inf = *s.inference;
  const auto& m = s.model;
  const auto& acc = s.system.accelerator;
  const bool cnn = m.architecture == spec::Architecture::kCnn;
  InferenceReport ir;
  ir.samples = cnn;
  const Precision act = inf.precision.activations, wp = inf.precision.weights, kvp = inf.precision.kv_cache;
  const double prompt = static_cast<double>(inf.prompt_tokens), out = static_cast<double>(inf.output_tokens);
  if (!cnn) check_context(m, inf.prompt_tokens + inf.output_tokens, e);
  const auto& par = inf.parallelism;
  const double replicas = static_cast<double>(par.dp);
  const double tp = static_cast<double>(par.tp), pp = static_cast<double>(par.pp), ep = static_cast<double>(par.ep);
  if (const std::string why = serving_layout_problem(s); !why.empty()) {
    e.feasible = false;
    e.infeasible_reason = why;
  }
  MemoryReport& mem = e.memory;
  mem.capacity_bytes = acc.memory_capacity.si();
  mem.workspace_bytes = s.software.workspace.si();

  // Memory: weights and workspace are fixed; the KV cache grows with the batch. Serving engines
  // prefill in chunks of at most `max_batched_tokens` tokens, so prefill transients are bounded by
  // one chunk; without a budget, the whole batch's prompts are prefilled in one pass.
  workload::CnnShape shape;
  double weights = 0.0, per_seq = 0.0, kv_per_seq = 0.0, transient_fixed = 0.0;
  double chunk_tokens = 0.0;
  if (cnn) {
    shape = workload::resnet_shape(m);
    weights = shape.params * bytes_per_element(wp);
    double largest = 0.0;   // the two largest feature maps are alive at once in inference
    for (const auto& l : shape.convs) largest = std::max(largest, l.in_hw * l.in_hw * l.cin + l.out_hw * l.out_hw * l.cout);
    per_seq = largest * bytes_per_element(act);
  } else {
    // One device's share of a replica split tp x pp (serving.hpp).
    weights = serving_weight_bytes_per_device(m, wp, act, tp, pp, ep);
    ir.kv_cache_bytes_per_token = workload::kv_cache_bytes_per_token(m, kvp);
    double kv_token = *ir.kv_cache_bytes_per_token * kv_share_per_device(m, tp, pp);
    if (inf.draft_model) {
      // A speculative draft model runs whole on every device beside the target's shard.
      weights += workload::inference_weight_bytes(*inf.draft_model, wp, act);
      kv_token += workload::kv_cache_bytes_per_token(*inf.draft_model, kvp);
    }
    const double window = m.sliding_window ? static_cast<double>(*m.sliding_window) : 0.0;
    const double ctx = window > 0.0 ? std::min(prompt + out, window) : prompt + out;
    kv_per_seq = kv_token * ctx;
    if (s.software.max_batched_tokens) {
      chunk_tokens = static_cast<double>(*s.software.max_batched_tokens);
      transient_fixed = workload::prefill_workspace_bytes(m, chunk_tokens, 0.0, act);
      per_seq = kv_per_seq + workload::prefill_workspace_bytes(m, 0.0, 1.0, act);
    } else {
      per_seq = kv_per_seq + workload::prefill_workspace_bytes(m, prompt, 1.0, act);
    }
  }
  const double fixed = weights + mem.workspace_bytes + transient_fixed;
  ir.max_batch = solvers::largest_batch(mem.capacity_bytes, fixed, per_seq);
  // `batch: max` is what fits, capped by the scheduler's limit on running sequences.
  long long batch = inf.batch.value_or(1);
  if (inf.batch_max) {
    batch = std::max<long long>(1, ir.max_batch);
    if (s.software.max_sequences) batch = std::min(batch, *s.software.max_sequences);
  }
  const double b = static_cast<double>(batch);
  if (chunk_tokens > 0.0) {
    // A chunk never holds more than the batch's prompts.
    const double whole = b * prompt;
    if (whole < chunk_tokens) {
      transient_fixed = workload::prefill_workspace_bytes(m, whole, 0.0, act);
    }
  }
  // Weights that do not fit beside the batch's KV cache and transients stream from host memory.
  double offloaded = 0.0, stream_s = 0.0;
  const double others = mem.workspace_bytes + transient_fixed + per_seq * b;
  if (weights + others > mem.capacity_bytes) {
    double host_bw = acc.host_link_bandwidth ? acc.host_link_bandwidth->si() : 0.0;
    if (const auto* cal = acc.calibrated ? acc.calibrated->host_link_at("h2d_pinned") : nullptr; cal != nullptr && cal->bandwidth > 0.0) {
      host_bw = cal->bandwidth;   // measured pinned host-to-device rate of large copies
    } else if (acc.efficiency.host_link) {
      host_bw *= *acc.efficiency.host_link;
    } else {
      e.warnings.push_back(acc.name + " has no efficiency.host_link: weights stream at the nominal host-link bandwidth");
    }
    const auto off = solvers::weight_offload(weights, mem.capacity_bytes - others, host_bw);
    offloaded = off.offloaded_bytes;
    stream_s = off.stream_s;
  }
  ir.batch = batch;
  mem.weights_bytes = weights - offloaded;
  mem.offloaded_weight_bytes = offloaded;
  mem.kv_cache_bytes = kv_per_seq * b;
  mem.activations_bytes = (per_seq - kv_per_seq) * b + transient_fixed;
  mem.per_device_bytes = mem.weights_bytes + mem.kv_cache_bytes + mem.activations_bytes + mem.workspace_bytes;
  // Offloading fills HBM exactly; allow for rounding in that sum.
  mem.fits = mem.per_device_bytes <= mem.capacity_bytes * (1.0 + 1e-12) && others <= mem.capacity_bytes;
  if (offloaded > 0.0 && mem.fits) {
    if (!acc.host_link_bandwidth) {
      mem.fits = false;
    } else if (!s.system.node || !s.system.node->host_memory) {
      e.warnings.push_back("weights are offloaded to host memory, whose size is unknown without a node: assumed to suffice");
    } else if (offloaded > s.system.node->host_memory->si()) {
      mem.fits = false;
    }
  }
  if (!mem.fits) {
    e.feasible = false;
    e.infeasible_reason = "does not fit: " + format_bytes(others + std::min(weights, mem.capacity_bytes)) + " needed of " +
                          format_bytes(mem.capacity_bytes) + " (weights " + format_bytes(weights) + ", KV cache " +
                          format_bytes(mem.kv_cache_bytes) + ")";
  }

  const solvers::Rates rates = solvers::achieved_rates(acc);
  std::vector<OperatorRow>* rows = o.detail ? &e.operators : nullptr;
  ops_.clear();
  if (cnn) {
    workload::append_cnn_ops(shape, b, act, wp, workload::Phase::kForward, false, 0.0, ops_);
    const Priced p = price_ops(ops_, 0, ops_.size(), rates, rows);
    const auto st = solvers::sequence_time(p.gpu_s, p.kernels, launch_model(s, inf.cuda_graphs));
    const double step = std::max(st.total_s(), stream_s);
    ir.e2e_s = step;
    ir.throughput_tokens_per_s = b * replicas / step;
    ir.e2e_pct = {step, step, step};
    const auto peak = acc.peak_at(act);
    if (p.unsupported) {
      e.feasible = false;
      e.infeasible_reason = acc.name + " has no " + std::string(precision_name(p.unsupported_precision)) + " peak";
    }
    add_time_walls(e, p, st, step, rates, peak ? peak->si() : 0.0, o.detail, "the batch");
  } else {
    // A pipeline of pp stages keeps up to pp micro-batches of the batch in flight (vLLM's and
    // TensorRT-LLM's pipeline parallelism): M = min(pp, batch) micro-batches of batch / M sequences.
    const double micro = std::min(pp, b), mb = b / micro;
    // Prefill: the whole prompt of every sequence in one pass; logits for the last token only.
    workload::PassOptions po;
    po.phase = workload::Phase::kPrefill;
    po.activations = act;
    po.weights = wp;
    po.kv_cache = kvp;
    po.flash_attention = s.software.flash_attention;
    po.write_kv_cache = true;
    po.lm_head_all_tokens = false;
    workload::append_transformer_pass(m, {mb, prompt, 0.0}, po, ops_);
    const std::size_t prefill_end = ops_.size();
    // Decode: one token per sequence at the mean context of the output, prompt + output / 2.
    po.phase = workload::Phase::kDecode;
    workload::append_transformer_pass(m, {mb, 1.0, prompt + out / 2.0}, po, ops_);
    if (par.tp > 1 || par.ep > 1) {
      shard_for_serving(ops_, 0, prefill_end, m, tp, ep, mb * prompt, wp, act);
      shard_for_serving(ops_, prefill_end, ops_.size(), m, tp, ep, mb, wp, act);
    }
    const Priced pre = price_ops(ops_, 0, prefill_end, rates, rows);
    const Priced dec = price_ops(ops_, prefill_end, ops_.size(), rates, rows);
    if (pre.unsupported || dec.unsupported) {
      e.feasible = false;
      e.infeasible_reason = acc.name + " has no " +
                            std::string(precision_name(pre.unsupported ? pre.unsupported_precision : dec.unsupported_precision)) +
                            " peak for the activations' precision";
    }
    // Serving engines capture decode in CUDA graphs; prefill runs eagerly (vLLM's default).
    const double chunks = chunk_tokens > 0.0 ? std::ceil(mb * prompt / chunk_tokens) : 1.0;
    // Communication of one forward step of `tokens` tokens (per micro-batch): per layer two TP
    // all-reduces of the hidden states (Megatron-LM); in an MoE layer under EP the second becomes
    // the dispatch and combine all-to-alls of the routed tokens; pp - 1 stage-to-stage sends.
    double pre_comm = 0.0, dec_comm = 0.0, comm_kernels = 0.0, p2p_pre = 0.0, p2p_dec = 0.0;
    const bool communicates = s.system.count > 1 && e.feasible && (par.tp > 1 || par.pp > 1 || par.ep > 1);
    const system::Cluster* cluster = communicates ? &cluster_for(s.system) : nullptr;
    // The hidden states that cross devices are the residual stream, which stays in 16 bits when the
    // GEMMs run in fp8/int8/fp4: only a GEMM's inputs are quantized, its output is bf16 (NVIDIA
    // Transformer Engine docs, "Using FP8 with Transformer Engine"; TensorRT-LLM reduces the row-
    // parallel GEMMs' bf16 outputs, its fused all-reduce + RMSNorm quantizes after the reduction).
    const double a = std::max(bytes_per_element(act), 2.0), h = static_cast<double>(m.hidden), L = static_cast<double>(m.layers);
    const double moe_layers = m.moe ? static_cast<double>(m.layers - m.moe->dense_layers) : 0.0;
    const double a2a_layers = par.ep > 1 ? moe_layers : 0.0;
    const auto step_comm = [&](double tokens) {
      double t = 0.0;
      if (cluster == nullptr) return t;
      if (par.tp > 1) {
        const auto path = cluster->place(par.tp, par.stride_of("tp"));
        const double ar = solvers::collective(solvers::Collective::kAllReduce, tokens * h * a, path).time_s;
        t += (2.0 * L - a2a_layers) * ar;
      }
      if (par.ep > 1) {
        const auto path = cluster->place(par.ep, par.stride_of("tp"));
        const double routed = tokens * static_cast<double>(m.moe->top_k) * h * a / tp;
        t += 2.0 * a2a_layers * solvers::collective(solvers::Collective::kAllToAll, routed, path).time_s;
      }
      return t;
    };
    const auto p2p = [&](double tokens) {
      if (cluster == nullptr || par.pp <= 1) return 0.0;
      const auto path = cluster->place(2, par.stride_of("pp"));
      return (pp - 1.0) * solvers::collective(solvers::Collective::kSendRecv, tokens * h * a, path).time_s;
    };
    if (communicates) {
      pre_comm = chunks * step_comm(mb * prompt / chunks);
      dec_comm = step_comm(mb);
      comm_kernels = (par.tp > 1 ? 2.0 * L : 0.0) + (par.ep > 1 ? 2.0 * a2a_layers : 0.0);
      p2p_pre = p2p(mb * prompt);
      p2p_dec = p2p(mb);
    }
    const auto pre_t = solvers::sequence_time(pre.gpu_s + pre_comm, (pre.kernels + comm_kernels) * chunks, launch_model(s, false));
    const auto dec_t = solvers::sequence_time(dec.gpu_s + dec_comm, dec.kernels + comm_kernels, launch_model(s, inf.cuda_graphs));
    // Each device runs 1 / pp of the layers: the first micro-batch's prefill crosses every stage,
    // the others follow one stage behind; a decode round serves every micro-batch once, and takes at
    // least one traversal of the pipeline.
    // The engine's host work between steps (not overlapped): per step, and per sequence of the step.
    const double host_step = s.software.host_per_step.si() + mb * s.software.host_per_sequence.si();
    const double ttft = std::max((micro + pp - 1.0) / pp * (pre_t.total_s() + chunks * host_step) + p2p_pre, stream_s);
    double tpot = std::max(std::max(micro, pp) / pp * (dec_t.total_s() + host_step) + p2p_dec, stream_s);
    if (inf.speculative) {
      // Speculative decoding: k proposals, then one target pass over k + 1 tokens per sequence.
      const auto& sp = *inf.speculative;
      workload::OperatorList spec_ops;
      workload::PassOptions vo = po;
      vo.phase = workload::Phase::kDecode;
      const double k1 = static_cast<double>(sp.tokens + 1);
      workload::append_transformer_pass(m, {mb, k1, prompt + out / 2.0}, vo, spec_ops);
      if (par.tp > 1 || par.ep > 1) shard_for_serving(spec_ops, 0, spec_ops.size(), m, tp, ep, mb * k1, wp, act);
      const Priced ver = price_ops(spec_ops, 0, spec_ops.size(), rates, nullptr);
      const auto ver_t = solvers::sequence_time(ver.gpu_s + step_comm(mb * k1), ver.kernels + comm_kernels, launch_model(s, inf.cuda_graphs));
      // The verification pass is an engine step of the same sequences: it pays the same host work.
      const double verify_s = std::max(std::max(micro, pp) / pp * (ver_t.total_s() + host_step) + p2p(mb * k1), stream_s);
      double propose_s = sp.head_cost * tpot;
      if (inf.draft_model) {
        spec_ops.clear();
        workload::append_transformer_pass(*inf.draft_model, {b, 1.0, prompt + out / 2.0}, vo, spec_ops);
        const Priced dr = price_ops(spec_ops, 0, spec_ops.size(), rates, nullptr);
        propose_s = solvers::sequence_time(dr.gpu_s, dr.kernels, launch_model(s, inf.cuda_graphs)).total_s();
      }
      const auto st = solvers::speculative_step(tpot, verify_s, propose_s, sp.acceptance, sp.tokens);
      ir.speculative_speedup = st.speedup;
      ir.speculative_tokens_per_step = st.tokens_per_step;
      tpot = st.time_per_token_s;
    }
    if (pre_comm + dec_comm + p2p_dec > 0.0) {
      e.walls.push_back({"communication", dec_comm + p2p_dec, tpot > 0 ? (dec_comm + p2p_dec) / tpot : 0.0, false,
                         o.detail ? "tensor-, expert- and pipeline-parallel communication of a decode step (prefill: " +
                                        format_seconds(pre_comm + p2p_pre) + ")"
                                  : ""});
    }
    ir.ttft_s = ttft;
    ir.tpot_s = tpot;
    ir.e2e_s = ttft + (out - 1.0) * tpot;
    ir.throughput_tokens_per_s = b * replicas * out / ir.e2e_s;
    // A fixed batch with no arrival process: every request sees the same latencies.
    ir.ttft_pct = Percentiles{ttft, ttft, ttft};
    ir.tpot_pct = Percentiles{tpot, tpot, tpot};
    ir.e2e_pct = {ir.e2e_s, ir.e2e_s, ir.e2e_s};
    if (inf.slo_ttft || inf.slo_tpot) {
      const bool ok = (!inf.slo_ttft || ttft <= inf.slo_ttft->si()) && (!inf.slo_tpot || tpot <= inf.slo_tpot->si());
      ir.goodput = ok ? 1.0 : 0.0;
    }
    if (inf.arrival_rate || (inf.traffic && inf.traffic->arrival == "offline")) {
      // Serving under traffic: one step of a replica runs `seqs` requests on `tokens` new tokens
      // (decodes and prefill chunks together), priced on the roofline with its communication; the
      // attention of a step sees the mean context of a request's life, prompt + output / 2.
      const double ctx = prompt + out / 2.0;
      const auto launch_eager = launch_model(s, false), launch_graphs = launch_model(s, inf.cuda_graphs);
      workload::OperatorList step_ops;
      workload::OperatorList attention_ops;
      const solvers::StepCost cost = [&](long long seqs, long long tokens, long long decodes) {
        step_ops.clear();
        const double n = static_cast<double>(seqs), q = static_cast<double>(tokens) / n;
        workload::PassOptions so = po;
        so.phase = q > 1.0 ? workload::Phase::kPrefill : workload::Phase::kDecode;
        workload::append_transformer_pass(m, {n, q, q > 1.0 ? 0.0 : ctx}, so, step_ops);
        const long long nd = std::clamp<long long>(decodes, 0, seqs);
        const long long prefill_tokens = tokens - nd;
        if (q > 1.0 && prefill_tokens > 0) {
          // A prefill step, or a mixed one: the matrices see every token at once (priced above),
          // but the attention is per request: each decoding request reads its whole KV cache for
          // one query, and each prefilling request attends its chunk to its cached prefix (on average
          // half of the prompt before the chunk) and to itself.
          std::erase_if(step_ops, [](const workload::Operator& op) { return std::string_view(op.name).starts_with("attention"); });
          const auto add_attention = [&](const workload::PassShape& pass, workload::Phase phase) {
            attention_ops.clear();
            workload::PassOptions ao = po;
            ao.phase = phase;
            workload::append_transformer_pass(m, pass, ao, attention_ops);
            for (const auto& op : attention_ops) {
              if (std::string_view(op.name).starts_with("attention")) step_ops.push_back(op);
            }
          };
          if (nd > 0) add_attention({static_cast<double>(nd), 1.0, ctx}, workload::Phase::kDecode);
          const double np = static_cast<double>(std::max<long long>(1, seqs - nd));
          const double chunk = static_cast<double>(prefill_tokens) / np;
          add_attention({np, chunk, std::max(0.0, (prompt - chunk) / 2.0)}, workload::Phase::kPrefill);
        }
        if (par.tp > 1 || par.ep > 1) shard_for_serving(step_ops, 0, step_ops.size(), m, tp, ep, n * q, wp, act);
        const Priced p = price_ops(step_ops, 0, step_ops.size(), rates, nullptr);
        const auto st = solvers::sequence_time(p.gpu_s + step_comm(n * q), p.kernels + comm_kernels,
                                               q > 1.0 ? launch_eager : launch_graphs);
        return std::max(st.total_s() + p2p(n * q), stream_s) + s.software.host_per_step.si() + n * s.software.host_per_sequence.si();
      };
      const double kv_token_dev = *ir.kv_cache_bytes_per_token * kv_share_per_device(m, tp, pp);
      const double kv_room = (mem.capacity_bytes - weights - mem.workspace_bytes - transient_fixed) * s.software.kv_memory_fraction;
      evaluate_traffic(s, cost, kv_token_dev, kv_room, ir, e);
      mem.kv_cache_bytes = kv_token_dev * (prompt + out / 2.0) * static_cast<double>(ir.batch);
      mem.per_device_bytes = mem.weights_bytes + mem.kv_cache_bytes + mem.activations_bytes + mem.workspace_bytes;
    }
    const auto peak = acc.peak_at(act);
    add_time_walls(e, dec, dec_t, tpot, rates, peak ? peak->si() : 0.0, o.detail, "a decode step");
    if (host_step > 0.0) {
      // The engine's own host work between steps is host overhead too.
      for (auto& w : e.walls) {
        if (w.name != "host_overhead") continue;
        w.time_s += host_step;
        w.utilization = tpot > 0 ? w.time_s / tpot : 0.0;
        if (o.detail) {
          w.note += "; the engine's host work between steps " + format_seconds(host_step) + " (" + format_double(mb, 6) +
                    " sequences)";
        }
      }
    }
    if (o.detail) {
      e.binding_reason = "prefill is " + std::string(pre.compute_bound_s >= pre.memory_bound_s ? "compute" : "bandwidth") +
                         "-bound (" + format_seconds(pre_t.total_s()) + " for " + format_double(b * prompt, 6) +
                         " prompt tokens); decode reads " + format_si(dec.bytes, "B") + " per step";
    }
  }
  if (stream_s > 0.0) {
    const double step = ir.tpot_s.value_or(ir.e2e_s);
    e.walls.push_back({"host_link", stream_s, step > 0 ? stream_s / step : 0.0, false,
                       o.detail ? format_bytes(offloaded) + " of weights stream from host memory each pass" : ""});
  }
  add_capacity_wall(e, o.detail);
  if (s.duration) {
    const double produced = ir.throughput_tokens_per_s * s.duration->si();
    e.ops = operations(s, s.duration->si(), produced, e.warnings);
  }
  e.inference = ir;
}

}  // namespace mlsim::analysis
