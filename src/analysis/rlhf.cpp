#include "analysis/rlhf.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/pricing.hpp"
#include "core/text.hpp"
#include "solvers/collectives.hpp"
#include "solvers/roofline.hpp"
#include "system/cluster.hpp"
#include "workload/params.hpp"

namespace mlsim::analysis {
namespace {

// Sub-scenarios are priced for time only: memory is accounted here, every model together, so the
// sub-evaluations get an accelerator too large to run out of memory (no offload, no does-not-fit).
constexpr double kUnbounded = 1e30;

spec::Scenario bare(const spec::Scenario& s, const spec::ModelSpec& m, long long gpus) {
  spec::Scenario r = s;
  r.rlhf.reset();
  r.duration.reset();
  r.reliability.reset();
  r.operations.reset();
  r.data.reset();
  r.algorithm.reset();
  r.model = m;
  r.system.count = gpus;
  r.system.accelerator.memory_capacity = Bytes(kUnbounded);
  return r;
}

// The trained models' steps run on prompt + response tokens (whatever a knob left in seq_len).
spec::Scenario training_of(const spec::Scenario& s, const spec::ModelSpec& m, long long gpus) {
  spec::Scenario r = bare(s, m, gpus);
  r.training->seq_len = s.rlhf->prompt_tokens + s.rlhf->response_tokens;
  return r;
}

// A static batch of `batch` sequences per replica of tp x pp accelerators: prompt tokens prefilled,
// `out` tokens decoded (out = 1: a forward pass over the prompt alone).
spec::Scenario inference_of(const spec::Scenario& s, const spec::ModelSpec& m, long long gpus, long long tp, long long pp,
                            long long prompt, long long out, long long batch) {
  spec::Scenario r = bare(s, m, gpus);
  const Precision p = s.training->precision;
  r.training.reset();
  spec::InferenceSpec inf;
  inf.prompt_tokens = prompt;
  inf.output_tokens = out;
  inf.batch = batch;
  inf.precision = {p, p, p};
  inf.parallelism.tp = tp;
  inf.parallelism.pp = pp;
  inf.parallelism.dp = std::max<long long>(1, gpus / (tp * pp));
  r.inference = inf;
  return r;
}

long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

}  // namespace

Estimate evaluate_rlhf(const spec::Scenario& s, const EvalOptions& options) {
  const auto& rl = *s.rlhf;
  const auto& t = *s.training;
  const auto& par = t.parallelism;
  Estimate e;
  e.scenario = s.name;
  RlhfReport r;
  r.placement = rl.placement;
  r.prompts_per_iteration = rl.prompts_per_iteration;
  r.prompt_tokens = rl.prompt_tokens;
  r.response_tokens = rl.response_tokens;
  r.ppo_epochs = rl.ppo_epochs;
  const bool colocated = rl.placement == "colocated";
  const spec::ModelSpec& actor = s.model;
  const spec::ModelSpec& critic = rl.critic;
  const spec::ModelSpec& reference = rl.reference ? *rl.reference : actor;
  const spec::ModelSpec& reward = rl.reward ? *rl.reward : critic;
  const long long prompts = rl.prompts_per_iteration, seq = rl.prompt_tokens + rl.response_tokens;
  const auto fail = [&](const std::string& why) {
    if (e.feasible) {
      e.feasible = false;
      e.infeasible_reason = why;
    }
  };
  if (s.duration || s.reliability || s.operations || s.data || s.algorithm) {
    e.warnings.push_back("ops, reliability, operations, data and algorithm are not modeled for an RLHF iteration: ignored");
  }

  // The pools: co-located, every accelerator does everything; disaggregated, the generation pool's
  // accelerators are ranks [train_gpus, count), the training pool's [0, train_gpus).
  const long long gen_gpus = colocated ? s.system.count : rl.generation_gpus;
  const long long train_gpus = colocated ? s.system.count : s.system.count - rl.generation_gpus;
  const long long gen_tp = rl.generation_tp.value_or(par.tp);
  r.generation_tp = gen_tp;
  if (train_gpus < 1) {
    fail("rlhf.generation.gpus (" + std::to_string(gen_gpus) + ") leaves no accelerator of system.count (" +
         std::to_string(s.system.count) + ") to train");
  } else if (gen_gpus % gen_tp != 0) {
    fail("the generation pool (" + std::to_string(gen_gpus) + " accelerators) is not a whole number of tp = " +
         std::to_string(gen_tp) + " replicas");
  } else if (par.tp * par.pp * par.dp * par.cp != train_gpus) {
    fail("training.parallelism covers " + std::to_string(par.tp * par.pp * par.dp * par.cp) + " accelerators (tp x pp x dp x cp), the " +
         std::string(colocated ? "system" : "training pool (system.count - rlhf.generation.gpus)") + " has " +
         std::to_string(train_gpus) + ": set training.parallelism.dp to match");
  } else if (train_gpus % (par.tp * par.pp) != 0) {
    fail("the training pool (" + std::to_string(train_gpus) + " accelerators) is not a whole number of tp x pp = " +
         std::to_string(par.tp * par.pp) + " groups");
  }
  if (!e.feasible) {   // no layout to price: the rlhf section is absent, the reason says why
    e.binding_wall = "none";
    return e;
  }

  Evaluator ev;
  const auto take = [&](const Estimate& sub, const std::string& what) {
    for (const auto& w : sub.warnings) {
      const std::string msg = what + ": " + w;
      if (std::find(e.warnings.begin(), e.warnings.end(), msg) == e.warnings.end()) e.warnings.push_back(msg);
    }
    if (!sub.feasible) fail(what + ": " + sub.infeasible_reason);
  };

  // (a) Generation: each replica decodes its share of the prompts in rounds of `batch` sequences.
  const long long replicas = gen_gpus / gen_tp;
  const long long per_replica = ceil_div(prompts, replicas);
  const long long gen_batch = std::min(rl.generation_batch.value_or(per_replica), per_replica);
  r.generation_replicas = replicas;
  r.generation_batch = gen_batch;
  r.generation_rounds = ceil_div(per_replica, gen_batch);
  const Estimate gen = ev.evaluate(inference_of(s, actor, gen_gpus, gen_tp, 1, rl.prompt_tokens, rl.response_tokens, gen_batch), options);
  take(gen, "generation");
  r.generation_s = static_cast<double>(r.generation_rounds) * (gen.inference ? gen.inference->e2e_s : 0.0);

  // (b) Experience: one forward pass per model over prompt + response, training.micro_batch
  // sequences per pass on each tp x pp group of the training pool.
  const long long groups = train_gpus / (par.tp * par.pp);
  r.experience_batch = std::min(t.micro_batch, ceil_div(prompts, groups));
  const double passes = static_cast<double>(ceil_div(prompts, groups * r.experience_batch));
  // The actor's and the reference's passes need the log-probability of every response token: the
  // vocabulary projection over all seq tokens, where a prefill projects only the last one. The
  // other seq - 1 tokens' projection, 2·h·V FLOPs each split over tp, runs at the accelerator's
  // achieved GEMM rate (a large GEMM). The critic and reward end in a scalar value head instead.
  const solvers::Rates rates = solvers::achieved_rates(s.system.accelerator);
  const double gemm_rate = rates.gemm[static_cast<std::size_t>(t.precision)];
  const auto logprob_head_s = [&](const spec::ModelSpec& m) {
    const double flops = 2.0 * static_cast<double>(m.hidden) * static_cast<double>(m.padded_vocab()) *
                         static_cast<double>(seq - 1) * static_cast<double>(r.experience_batch) / static_cast<double>(par.tp);
    return gemm_rate > 0.0 ? flops / gemm_rate : 0.0;
  };
  const auto forward = [&](const spec::ModelSpec& m, const std::string& what, double& time_s, bool logprobs) {
    // A prefill of the seq tokens; its one "output" token is never generated, so a model whose
    // context holds exactly seq tokens is not over it.
    spec::ModelSpec fm = m;
    if (seq <= fm.max_seq_len) fm.max_seq_len = std::max(fm.max_seq_len, seq + 1);
    Estimate f = ev.evaluate(inference_of(s, fm, train_gpus, par.tp, par.pp, seq, 1, r.experience_batch), options);
    take(f, what);
    time_s = passes * ((f.inference && f.inference->ttft_s ? *f.inference->ttft_s : 0.0) + (logprobs ? logprob_head_s(m) : 0.0));
    return f;
  };
  const Estimate fa = forward(actor, "experience (actor)", r.actor_forward_s, true);
  const Estimate fr = forward(reference, "experience (reference)", r.reference_forward_s, true);
  const Estimate fw = forward(reward, "experience (reward)", r.reward_forward_s, false);
  const Estimate fc = forward(critic, "experience (critic)", r.critic_forward_s, false);
  r.experience_s = r.actor_forward_s + r.reference_forward_s + r.reward_forward_s + r.critic_forward_s;

  // (c) Training: actor and critic, ppo_epochs x (prompts / global_batch) optimizer steps each.
  const Estimate ta = ev.evaluate(training_of(s, actor, train_gpus), options);
  const Estimate tc = ev.evaluate(training_of(s, critic, train_gpus), options);
  take(ta, "actor training");
  take(tc, "critic training");
  r.optimizer_steps = rl.ppo_epochs * (prompts / t.global_batch);
  r.actor_step_s = ta.training ? ta.training->step_time_s : 0.0;
  r.critic_step_s = tc.training ? tc.training->step_time_s : 0.0;
  r.training_s = static_cast<double>(r.optimizer_steps) * (r.actor_step_s + r.critic_step_s);

  // Weight sync (disaggregated): each generation accelerator receives its tp shard of the actor's
  // weights (at the training precision) from the training pool, all pairs at once over the path
  // between the pools.
  if (!colocated) {
    const double bytes = workload::count_params(actor).total * bytes_per_element(t.precision) / static_cast<double>(gen_tp);
    const system::Cluster cluster = system::Cluster::build(s.system);
    r.weight_sync_s = solvers::collective(solvers::Collective::kSendRecv, bytes, cluster.place(2, train_gpus)).time_s;
  }

  // Memory per device. Trained models: weights + gradients + optimizer as the training model shards
  // them (ZeRO); frozen models: their weights over the training tp x pp; plus the largest transient
  // of a phase (activations, the generation's KV cache) and the framework's workspace.
  const auto state = [](const Estimate& x) { return x.memory.weights_bytes + x.memory.gradients_bytes + x.memory.optimizer_bytes; };
  const double workspace = s.software.workspace.si();
  const double capacity = s.system.accelerator.memory_capacity.si();
  const double resident = state(ta) + state(tc) + fr.memory.weights_bytes + fw.memory.weights_bytes;
  double transient = 0.0;
  std::string transient_phase;
  const auto consider = [&](double bytes, const char* phase) {
    if (bytes > transient) {
      transient = bytes;
      transient_phase = phase;
    }
  };
  // The log-probability passes hold every token's logits, in fp32 for the log-softmax
  // (assumption: the usual upcast before log_softmax), over tp.
  const auto logits = [&](const spec::ModelSpec& m) {
    return static_cast<double>(r.experience_batch * seq) * static_cast<double>(m.padded_vocab()) * 4.0 / static_cast<double>(par.tp);
  };
  consider(fa.memory.activations_bytes + logits(actor), "experience (actor)");
  consider(fr.memory.activations_bytes + logits(reference), "experience (reference)");
  consider(fw.memory.activations_bytes, "experience (reward)");
  consider(fc.memory.activations_bytes, "experience (critic)");
  consider(ta.memory.activations_bytes, "actor training");
  consider(tc.memory.activations_bytes, "critic training");
  double gen_transient = gen.memory.kv_cache_bytes + gen.memory.activations_bytes;
  double gen_copy = 0.0;   // co-located: the actor's weights gathered into the generation layout
  if (colocated) {
    // The hybrid engine generates from the training copy of the actor's weights when the layouts
    // agree (same tp, no pipeline, weights not ZeRO-3-sharded); otherwise it gathers a copy in the
    // generation layout for the phase.
    const bool same_layout = gen_tp == par.tp && par.pp == 1 && par.zero < 3;
    if (!same_layout) gen_copy = gen.memory.weights_bytes;
    gen_transient += gen_copy;
    consider(gen_transient, "generation");
  }
  const double train_peak = resident + transient + workspace;
  const auto pool_reason = [&](const RlhfPool& p, const std::string& detail) {
    return p.name + " pool does not fit: " + format_bytes(p.memory_per_device_bytes) + " per device needed of " +
           format_bytes(p.capacity_bytes) + " (" + format_bytes(p.memory_per_device_bytes - p.capacity_bytes) + " over; " + detail + ")";
  };
  const std::string detail = "actor " + format_bytes(state(ta)) + ", critic " + format_bytes(state(tc)) + ", reference " +
                             format_bytes(fr.memory.weights_bytes) + ", reward " + format_bytes(fw.memory.weights_bytes) +
                             ", peak transient " + format_bytes(transient) + " in " + transient_phase;
  if (colocated) {
    r.iteration_s = r.generation_s + r.experience_s + r.training_s;
    RlhfPool p{"all", s.system.count, r.iteration_s, train_peak, capacity, train_peak <= capacity, transient_phase};
    if (!p.fits) fail(pool_reason(p, detail));
    r.pools.push_back(p);
  } else {
    const double gen_peak = gen.memory.weights_bytes + gen_transient + workspace;
    RlhfPool g{"generation", gen_gpus, r.generation_s, gen_peak, capacity, gen_peak <= capacity, "generation"};
    RlhfPool p{"training", train_gpus, r.experience_s + r.training_s, train_peak, capacity, train_peak <= capacity, transient_phase};
    if (!g.fits) {
      fail(pool_reason(g, "actor weights " + format_bytes(gen.memory.weights_bytes) + ", KV cache " +
                              format_bytes(gen.memory.kv_cache_bytes) + " for batch " + std::to_string(gen_batch)));
    }
    if (!p.fits) fail(pool_reason(p, detail));
    r.iteration_s = std::max(g.busy_s, p.busy_s) + r.weight_sync_s;
    r.pools.push_back(g);
    r.pools.push_back(p);
  }
  r.synchronous_iteration_s = r.generation_s + r.experience_s + r.training_s + r.weight_sync_s;
  if (r.iteration_s > 0.0) {
    r.samples_per_s = static_cast<double>(prompts) / r.iteration_s;
    r.tokens_per_s = static_cast<double>(prompts * seq) / r.iteration_s;
  }
  if (colocated) {
    r.binding_phase = r.generation_s >= r.experience_s && r.generation_s >= r.training_s ? "generation"
                      : r.experience_s >= r.training_s                                ? "experience"
                                                                                      : "training";
  } else {
    r.binding_phase = r.pools[0].busy_s >= r.pools[1].busy_s ? "generation_pool" : "training_pool";
  }

  // The walls of an RLHF estimate are its phases; the binding one is the binding phase (pool).
  const double it = r.iteration_s > 0.0 ? r.iteration_s : 1.0;
  const bool detailed = options.detail;
  e.walls.push_back({"generation", r.generation_s, r.generation_s / it, false,
                     detailed ? std::to_string(r.generation_rounds) + " round(s) of batch " + std::to_string(gen_batch) + " on " +
                                    std::to_string(replicas) + " replica(s) of tp " + std::to_string(gen_tp)
                              : ""});
  e.walls.push_back({"experience", r.experience_s, r.experience_s / it, false,
                     detailed ? "forward passes of actor, reference, reward and critic over " + std::to_string(seq) + " tokens" : ""});
  e.walls.push_back({"training", r.training_s, r.training_s / it, false,
                     detailed ? std::to_string(r.optimizer_steps) + " actor + critic optimizer steps" : ""});
  if (!colocated) {
    e.walls.push_back({"weight_sync", r.weight_sync_s, r.weight_sync_s / it, false,
                       detailed ? "actor weights from the training pool to the generation pool" : ""});
  }
  const std::string bind = r.binding_phase == "generation_pool" ? "generation" : r.binding_phase == "training_pool" ? "training" : r.binding_phase;
  for (auto& w : e.walls) w.binding = w.name == bind;
  e.binding_wall = bind;
  if (detailed) {
    e.binding_reason = colocated ? "co-located phases run one after the other; the longest is " + r.binding_phase
                                 : "the pools overlap across iterations; the busier is the " + r.binding_phase;
  }

  // The top-level memory is the training pool's (co-located: every device's).
  MemoryReport& m = e.memory;
  m.capacity_bytes = capacity;
  m.per_device_bytes = train_peak;
  m.fits = train_peak <= capacity;
  m.weights_bytes = ta.memory.weights_bytes + tc.memory.weights_bytes + fr.memory.weights_bytes + fw.memory.weights_bytes;
  m.gradients_bytes = ta.memory.gradients_bytes + tc.memory.gradients_bytes;
  m.optimizer_bytes = ta.memory.optimizer_bytes + tc.memory.optimizer_bytes;
  if (colocated && transient_phase == "generation") {
    m.weights_bytes += gen_copy;
    m.kv_cache_bytes = gen.memory.kv_cache_bytes;
  }
  m.activations_bytes = transient - m.kv_cache_bytes - (transient_phase == "generation" ? gen_copy : 0.0);
  m.workspace_bytes = workspace;
  e.rlhf = r;
  return e;
}

}  // namespace mlsim::analysis
