// Training on one or many accelerators: the operators of one micro-batch on one pipeline stage of
// one tensor-parallel rank, priced on the roofline with launch overheads; Megatron's tensor-parallel
// collectives per layer; the pipeline's fill and drain (1F1B, GPipe, interleaved) in closed form
// over heterogeneous stages; the data-parallel gradient synchronization with ZeRO; memory per
// device with the micro-batches in flight.
#include <algorithm>
#include <cmath>

#include "analysis/evaluate.hpp"
#include "analysis/algorithm.hpp"
#include "analysis/data_feed.hpp"
#include "analysis/operations.hpp"
#include "analysis/reliability.hpp"
#include "analysis/pricing.hpp"
#include "analysis/walls.hpp"
#include "core/text.hpp"
#include "solvers/collectives.hpp"
#include "solvers/memory_capacity.hpp"
#include "solvers/pipeline.hpp"
#include "solvers/scaling_laws.hpp"
#include "workload/adapters.hpp"
#include "workload/cnn.hpp"
#include "workload/flash_attention_speed.hpp"
#include "workload/memory.hpp"
#include "workload/params.hpp"
#include "workload/transformer.hpp"

namespace mlsim::analysis {
namespace {

// The first reason a layout cannot run, or "" (degrees that do not divide, TP beyond a node).
std::string layout_problem(const spec::Scenario& s) {
  const auto& t = *s.training;
  const long long micro_batches = std::max<long long>(1, t.global_batch / std::max<long long>(1, t.micro_batch * t.parallelism.dp));
  const auto& p = t.parallelism;
  const auto& m = s.model;
  const long long product = p.tp * p.pp * p.dp * p.cp;
  if (s.system.count != product) {
    return "system.count (" + std::to_string(s.system.count) + ") is not tp x pp x dp x cp (" + std::to_string(product) + ")";
  }
  if (t.global_batch % (t.micro_batch * p.dp) != 0) {
    return "global_batch (" + std::to_string(t.global_batch) + ") is not a multiple of micro_batch x dp (" +
           std::to_string(t.micro_batch * p.dp) + ")";
  }
  if (t.batch_rampup && (t.batch_rampup->start % (t.micro_batch * p.dp) != 0 || t.batch_rampup->increment % (t.micro_batch * p.dp) != 0)) {
    return "batch_rampup: start (" + std::to_string(t.batch_rampup->start) + ") and increment (" +
           std::to_string(t.batch_rampup->increment) + ") must be multiples of micro_batch x dp (" +
           std::to_string(t.micro_batch * p.dp) + "), as every batch of the ramp is";
  }
  if (m.architecture == spec::Architecture::kCnn) return "";
  if (s.system.node && p.tp > s.system.node->accelerators) {
    return "tp (" + std::to_string(p.tp) + ") is larger than a node (" + std::to_string(s.system.node->accelerators) +
           " accelerators): tensor-parallel collectives would cross the scale-out fabric every layer";
  }
  if (p.ep > 1) {
    if (!m.moe) return "ep (" + std::to_string(p.ep) + ") > 1 needs a mixture-of-experts model";
    if (m.moe->experts % p.ep != 0) {
      return "experts (" + std::to_string(m.moe->experts) + ") are not divisible by ep (" + std::to_string(p.ep) + ")";
    }
    if (p.dp % p.ep != 0) {
      return "ep (" + std::to_string(p.ep) + ") must divide dp (" + std::to_string(p.dp) +
             "): expert-parallel groups are carved out of the data-parallel ranks (Megatron-Core)";
    }
  }
  if (p.cp > 1 && t.seq_len % (2 * p.cp) != 0) {
    return "seq_len (" + std::to_string(t.seq_len) + ") is not divisible by 2 x cp (" + std::to_string(2 * p.cp) +
           "): context parallelism gives each rank two load-balanced chunks of the causal sequence";
  }
  if (m.heads % p.tp != 0) return "heads (" + std::to_string(m.heads) + ") are not divisible by tp (" + std::to_string(p.tp) + ")";
  if (m.kv_heads % p.tp != 0 && p.tp % m.kv_heads != 0) {
    return "kv_heads (" + std::to_string(m.kv_heads) + ") and tp (" + std::to_string(p.tp) + ") do not divide one another";
  }
  if (m.ffn % p.tp != 0) return "ffn (" + std::to_string(m.ffn) + ") is not divisible by tp (" + std::to_string(p.tp) + ")";
  if (!p.layers_per_stage.empty()) {
    if (static_cast<long long>(p.layers_per_stage.size()) != p.pp * p.virtual_stages) {
      return "layers_per_stage has " + std::to_string(p.layers_per_stage.size()) + " entries, not pp x virtual_stages (" +
             std::to_string(p.pp * p.virtual_stages) + ")";
    }
  } else if (m.layers % (p.pp * p.virtual_stages) != 0) {
    return "layers (" + std::to_string(m.layers) + ") are not divisible by pp x virtual_stages (" +
           std::to_string(p.pp * p.virtual_stages) + ")";
  }
  if (p.virtual_stages > 1 && p.schedule != "interleaved") return "virtual_stages > 1 needs schedule: interleaved";
  if (p.schedule == "interleaved" && p.pp > 1 && micro_batches % p.pp != 0) {
    return "the interleaved schedule needs the micro-batches (" + std::to_string(micro_batches) + ") to be a multiple of pp (" +
           std::to_string(p.pp) + "), as Megatron-LM requires";
  }
  if (p.schedule == "dualpipe" && (p.pp % 2 != 0 || micro_batches % 2 != 0)) {
    return "DualPipe needs an even pp and an even number of micro-batches (half enter from each end)";
  }
  return "";
}

// Divides an operator's work among the tensor-parallel ranks (see Operator::Split).
void shard(workload::Operator& op, double tp, bool sequence_parallel) {
  const bool split = op.split == workload::Operator::Split::kTensor ||
                     (op.split == workload::Operator::Split::kSequence && sequence_parallel);
  if (!split) return;
  op.flops /= tp;
  op.bytes /= tp;
  op.gemm_n /= tp;   // column-parallel view of the split (a calibrated GEMM is looked up by shape)
}

// A stage's operators split by pipeline step: forward (F), backward with recomputation (B), and
// the weight-gradient half of the backward GEMMs (W; dW and dX GEMMs have equal FLOPs).
struct PhasePrice {
  Priced forward, backward;
  double weight_grad_s = 0.0;
  void add(const workload::Operator& op, const Priced& p) {
    const bool fwd = op.phase == workload::Phase::kForward;
    (fwd ? forward : backward) += p;
    if (op.phase == workload::Phase::kBackward && op.op_class == workload::OpClass::kGemm) weight_grad_s += 0.5 * p.gpu_s;
  }
};

// Transformer Engine's fp8 training (te.Linear, delayed scaling): the tensors stay bf16 and each
// fp8 GEMM's operands are cast first, with a transposed fp8 copy for the other GEMM of the backward
// (Hopper's fp8 tensor cores take only the TN layout; TE's cast_transpose kernels): in the forward
// the input (read 2 B, write 2 x 1 B per element) and the weight, in the backward the output's
// gradient. A recomputed forward casts its input again. Assumption: one separate cast kernel per
// operand, as te.Linear runs them (TE's LayerNormLinear fuses the input's cast into the norm).
void append_fp8_casts(workload::OperatorList& ops, std::size_t first, std::size_t last) {
  for (std::size_t i = first; i < last; ++i) {
    const workload::Operator g = ops[i];
    if (g.op_class != workload::OpClass::kGemm || g.gemm_m <= 0.0 || bytes_per_element(g.precision) >= 2.0) continue;
    if (g.phase != workload::Phase::kForward && g.phase != workload::Phase::kRecompute) continue;
    const double per_element = 2.0 + 2.0 * bytes_per_element(g.precision);
    const bool forward = g.phase == workload::Phase::kForward;
    const double input = g.gemm_m * g.gemm_k, weight = forward ? g.gemm_k * g.gemm_n : 0.0;
    workload::Operator cast;
    cast.name = forward ? "fp8_cast" : "fp8_cast_recompute";
    cast.phase = g.phase;
    cast.op_class = workload::OpClass::kElementwise;
    cast.count = g.count;
    cast.flops = input + weight;
    cast.bytes = (input + weight) * per_element;
    cast.kernels = forward ? 2.0 : 1.0;
    cast.precision = Precision::kBf16;
    cast.split = workload::Operator::Split::kTensor;
    ops.push_back(cast);
    if (!forward) continue;
    cast.name = "fp8_cast_grad";
    cast.phase = workload::Phase::kBackward;
    cast.flops = g.gemm_m * g.gemm_n;
    cast.bytes = cast.flops * per_element;
    cast.kernels = 1.0;
    ops.push_back(cast);
  }
}

}  // namespace

const system::Cluster& Evaluator::cluster_for(const spec::SystemSpec& s) {
  // Every figure of the system can change a path (a --set of a latency, an efficiency, the
  // topology), so the cache is keyed on the whole system spec, compared by value.
  if (!cluster_ || !cluster_system_ || !(*cluster_system_ == s)) {
    cluster_ = system::Cluster::build(s);
    cluster_system_ = s;
  }
  return *cluster_;
}

// The step times of a batch-size ramp-up's batches (training.batch_rampup), each the same scenario
// at that global batch. At most 17 batches are evaluated, evenly spaced (the first and the last
// included); the others are interpolated linearly in the batch, as a step is linear in its
// micro-batches once the pipeline is full.
std::vector<std::pair<double, double>> Evaluator::rampup_steps(const spec::Scenario& s) {
  const auto& t = *s.training;
  const auto& r = *t.batch_rampup;
  const long long n = (t.global_batch - r.start) / r.increment;
  spec::Scenario sub = s;
  sub.training->batch_rampup.reset();
  sub.training->tokens.reset();
  sub.duration.reset();
  sub.reliability.reset();
  sub.operations.reset();
  std::vector<std::pair<double, double>> sampled;
  const long long samples = std::min<long long>(n, 17);
  for (long long i = 0; i < samples; ++i) {
    const long long k = samples == 1 ? 0 : (i * (n - 1) + (samples - 1) / 2) / (samples - 1);
    sub.training->global_batch = r.start + k * r.increment;
    Estimate part;
    evaluate_training(sub, EvalOptions{false}, part);
    if (!part.training) return {};
    sampled.emplace_back(static_cast<double>(sub.training->global_batch), part.training->step_time_s);
  }
  std::vector<std::pair<double, double>> steps;
  for (long long k = 0; k < n; ++k) {
    const double b = static_cast<double>(r.start + k * r.increment);
    std::size_t j = 1;
    while (j + 1 < sampled.size() && sampled[j].first < b) ++j;
    double step = sampled.front().second;
    if (sampled.size() > 1) {
      const auto& [b0, t0] = sampled[j - 1];
      const auto& [b1, t1] = sampled[j];
      step = b1 > b0 ? t0 + (t1 - t0) * (b - b0) / (b1 - b0) : t0;
    }
    steps.emplace_back(b, step);
  }
  return steps;
}

void Evaluator::evaluate_training(const spec::Scenario& s, const EvalOptions& o, Estimate& e) {
  const auto& t = *s.training;
  // The ramp-up's batches first: evaluating them reuses this evaluator's buffers.
  std::vector<std::pair<double, double>> ramp;
  if (t.batch_rampup && t.tokens) ramp = rampup_steps(s);
  const auto& m = s.model;
  const auto& acc = s.system.accelerator;
  const auto& par = t.parallelism;
  TrainingReport tr;
  const bool cnn = m.architecture == spec::Architecture::kCnn;
  tr.samples = cnn;
  if (const std::string why = layout_problem(s); !why.empty()) {
    e.feasible = false;
    e.infeasible_reason = why;
  }
  const double tp = static_cast<double>(par.tp), pp = static_cast<double>(par.pp), dp = static_cast<double>(par.dp);
  const bool sp = par.sequence_parallel && par.tp > 1;
  tr.micro_batches = std::max<long long>(1, t.global_batch / (t.micro_batch * par.dp));
  const double mb = static_cast<double>(t.micro_batch), micro = static_cast<double>(tr.micro_batches);
  const double g = bytes_per_element(t.grad_precision), a = bytes_per_element(t.precision);
  const double seq = static_cast<double>(t.seq_len);
  // Context parallelism (ring attention, Liu et al. 2023; Megatron-Core's CP): each rank holds
  // seq / cp tokens in two load-balanced chunks, so its queries attend 1 / cp of the causal pairs:
  // as if they followed a context of seq / 2 (1 - 1 / cp) tokens.
  const double cp = static_cast<double>(par.cp), ep = static_cast<double>(par.ep);
  const double seq_rank = seq / cp;
  const double cp_context = par.cp > 1 ? seq / 2.0 * (1.0 - 1.0 / cp) : 0.0;
  const bool flash = s.software.flash_attention;
  if (!flash && s.software.attention_kernel != spec::SoftwareSpec::AttentionKernel::kFlashAttention2) {
    e.warnings.push_back("software.attention_kernel names a fused-attention kernel, but software.flash_attention is false: "
                         "attention is materialized and the kernel is not used");
  }
  if (!cnn) check_context(m, t.seq_len, e);
  const workload::ParamCount params = workload::count_params(m);
  // The layers' dense parameters (without the embedding, the final norm, the head and the routed
  // experts) and the routed experts' (all of them, before EP splits them).
  const double final_norm = cnn ? 0.0 : static_cast<double>(m.norm == spec::NormKind::kLayerNorm ? 2 * m.hidden : m.hidden);
  const double moe_layers = m.moe ? static_cast<double>(m.layers - m.moe->dense_layers) : 0.0;
  const double expert_params = m.moe ? moe_layers * static_cast<double>(m.moe->experts) * params.expert : 0.0;
  const double layer_params = cnn ? 0.0 : params.total - params.embedding - params.lm_head - final_norm - expert_params;

  // Operators of one micro-batch: the layers of one stage [0, layers_end), then the embedding and
  // the head [layers_end, size).
  ops_.clear();
  workload::CnnShape shape;
  std::size_t layers_end = 0;
  const double layers_per_stage = cnn ? 0.0 : static_cast<double>(m.layers) / pp;
  if (cnn) {
    shape = workload::resnet_shape(m);
    workload::append_cnn_ops(shape, mb, t.precision, t.precision, workload::Phase::kForward, true, g, ops_);
    layers_end = ops_.size();
  } else {
    spec::ModelSpec stage_model = m;
    stage_model.layers = std::max<long long>(1, std::llround(layers_per_stage));   // the priced stage (see stage_layers)
    if (m.moe) stage_model.moe->dense_layers = std::min<long long>(m.moe->dense_layers, stage_model.layers);
    workload::PassOptions po;
    po.phase = workload::Phase::kForward;
    po.activations = po.weights = po.kv_cache = t.precision;
    po.flash_attention = flash;
    po.flash_attention_2_speeds = s.software.flash_attention_2_speeds;
    po.attention_kernel_speed = workload::attention_kernel_speed(s.software.attention_kernel);
    po.include_embedding_and_head = false;
    po.low_bit_gemms_only = true;
    po.cross_entropy = s.software.cross_entropy;
    workload::append_transformer_pass(stage_model, {mb, seq_rank, cp_context}, po, ops_);
    const std::size_t forward_end = ops_.size();
    workload::append_backward(ops_, 0, forward_end);
    if (t.recompute == spec::Recompute::kFull) {
      po.phase = workload::Phase::kRecompute;
      workload::append_transformer_pass(stage_model, {mb, seq_rank, cp_context}, po, ops_);
    } else if (t.recompute == spec::Recompute::kSelective && !flash) {
      for (std::size_t i = 0; i < forward_end; ++i) {
        if (std::string_view(ops_[i].name) == "attention_scores") {
          auto op = ops_[i];
          op.phase = workload::Phase::kRecompute;
          ops_.push_back(op);
        }
      }
    }
    // Each micro-batch's weight gradients join the step's: unless the framework fuses that into the
    // weight-gradient GEMM, a separate pass reads the new gradient (activation precision) and reads
    // and writes the accumulated one (gradient precision), per layer (Megatron-LM 2021
    // distributed.py: main_grad.add_(grad) in every parameter's hook; PyTorch's AccumulateGrad from
    // the second micro-batch on).
    using GA = spec::SoftwareSpec::GradAccumulation;
    const GA ga = s.software.grad_accumulation;
    const double passes = ga == GA::kFused ? 0.0 : ga == GA::kBuffer ? 1.0 : (micro - 1.0) / micro;
    if (passes > 0.0 && !t.adapter) {
      // Reducing in every micro-batch's backward (DeepSpeed ZeRO-2/3) leaves only this rank's shard
      // of the reduced gradients to accumulate.
      const bool shard_only = s.software.zero_reduce_per_micro_batch && par.zero >= 2;
      const double shard = shard_only ? 1.0 / static_cast<double>(par.dp * par.cp) : 1.0;
      const double per_layer = shard * (layer_params + expert_params / ep) / static_cast<double>(m.layers);
      workload::Operator acc_op;
      acc_op.name = "grad_accumulate";
      acc_op.phase = workload::Phase::kBackward;
      acc_op.op_class = workload::OpClass::kElementwise;
      acc_op.count = static_cast<double>(stage_model.layers);
      acc_op.flops = per_layer * passes;
      acc_op.bytes = per_layer * (a + 2.0 * g) * passes;
      acc_op.precision = t.precision;
      acc_op.split = workload::Operator::Split::kTensor;
      // The hooks launch one small add per parameter tensor; they are counted as one launch per
      // layer, since the host cost per counted kernel (megatron_2021.host_per_kernel) is fitted on
      // the kernels the workload counts (with 12 per layer the fit scores 9.4% instead of 8.0%).
      acc_op.kernels = 1.0;
      ops_.push_back(acc_op);
    }
    append_fp8_casts(ops_, 0, ops_.size());
    layers_end = ops_.size();
    spec::ModelSpec head_model = m;
    head_model.layers = 0;
    head_model.moe.reset();
    po.phase = workload::Phase::kForward;
    po.include_embedding_and_head = true;
    workload::append_transformer_pass(head_model, {mb, seq_rank, cp_context}, po, ops_);
    const std::size_t head_forward_end = ops_.size();
    workload::append_backward(ops_, layers_end, head_forward_end);
    // Drop the empty layer operators of the zero-layer pass.
    ops_.erase(std::remove_if(ops_.begin() + static_cast<std::ptrdiff_t>(layers_end), ops_.end(),
                              [](const workload::Operator& op) { return op.count == 0.0; }),
               ops_.end());
  }
  // Adapter fine-tuning (training.adapter): frozen base weights, low-rank adapters beside the
  // chosen linears, QLoRA's 4-bit base dequantized before each GEMM (workload/adapters).
  const bool adapter = t.adapter.has_value() && !cnn;
  double adapter_layer_params = 0.0;
  if (adapter) {
    std::string problem;
    adapter_layer_params = workload::adapter_params_per_layer(m, *t.adapter, problem);
    if (!problem.empty() && e.feasible) {
      e.feasible = false;
      e.infeasible_reason = problem;
    }
    layers_end = workload::apply_adapter(m, *t.adapter, a, ops_, layers_end);
  }
  for (auto& op : ops_) shard(op, tp, sp);
  if (m.moe && !cnn) {
    // Expert parallelism holds experts / ep per rank: the expert weights each rank streams shrink
    // by ep while its routed tokens (the balanced share) stay; a capacity factor pads every
    // expert's batch to cf x its share (GShard, Lepikhin et al. 2020).
    const double T = mb * seq_rank, E = static_cast<double>(m.moe->experts), k = static_cast<double>(m.moe->top_k);
    const double touched = E * (1.0 - std::pow(1.0 - k / E, T));
    const double mats = m.activation == spec::Activation::kSwiglu ? 3.0 : 2.0;
    const double weight_bytes = touched * mats * static_cast<double>(m.hidden) * static_cast<double>(m.moe->expert_ffn) * a / tp;
    for (auto& op : ops_) {
      if (std::string_view(op.name) != "moe_experts") continue;
      const double copies = op.phase == workload::Phase::kBackward ? 2.0 : 1.0;
      const double w = copies * weight_bytes;
      op.bytes = (op.bytes - w) * t.moe_capacity_factor + w / ep;
      op.flops *= t.moe_capacity_factor;
    }
  }

  const solvers::Rates rates = solvers::achieved_rates(acc);
  const solvers::LaunchModel launch = launch_model(s, false);
  const std::size_t n_ops = ops_.size();
  // The embedding runs on the first stage, the final norm, LM head and loss on the last.
  std::vector<std::size_t> first_only, last_only;
  for (std::size_t i = layers_end; i < n_ops; ++i) {
    (std::string_view(ops_[i].name) == "embedding" ? first_only : last_only).push_back(i);
  }
  const Priced layer_ops = price_ops(ops_, 0, layers_end, rates, nullptr, &launch);
  // The same split by pipeline step: the forward (F) and the backward with its recomputation (B),
  // and the weight-gradient half of the backward GEMMs (W, which zero-bubble schedules run apart).
  PhasePrice layer_phase, first_phase, last_phase;
  for (std::size_t i = 0; i < n_ops; ++i) {
    const Priced one = price_ops(ops_, i, i + 1, rates, nullptr, &launch);
    const bool is_first = std::string_view(ops_[i].name) == "embedding" && i >= layers_end;
    PhasePrice& into = i < layers_end ? layer_phase : (is_first ? first_phase : last_phase);
    into.add(ops_[i], one);
  }
  Priced first_extra, last_extra;
  for (std::size_t i : first_only) {
    const Priced p = price_ops(ops_, i, i + 1, rates, nullptr, &launch);
    first_extra.gpu_s += p.gpu_s;
    first_extra.kernels += p.kernels;
    first_extra.serial_s += p.serial_s;
  }
  for (std::size_t i : last_only) {
    const Priced p = price_ops(ops_, i, i + 1, rates, nullptr, &launch);
    last_extra.gpu_s += p.gpu_s;
    last_extra.kernels += p.kernels;
    last_extra.serial_s += p.serial_s;
  }
  if (layer_ops.unsupported) {
    e.feasible = false;
    e.infeasible_reason = acc.name + " has no " + std::string(precision_name(layer_ops.unsupported_precision)) + " peak";
  }

  // Communication paths: groups placed TP innermost, then CP, EP (inside DP), DP, then PP (DESIGN.md).
  double tp_fwd_per_layer = 0.0, tp_bwd_per_layer = 0.0, p2p_s = 0.0, dp_reduce_s = 0.0, dp_update_s = 0.0, zero3_s = 0.0;
  double zero3_fwd_fraction = 0.5;   // of the ZeRO-3 gathers, the share in the forward step
  double zero3_units_per_layer = 1.0;   // ZeRO-3's gather units per layer (a stage's count / its layers)
  double ep_fwd_per_layer = 0.0, ep_bwd_per_layer = 0.0, cp_fwd_per_layer = 0.0, cp_bwd_per_layer = 0.0;
  // Overlap is not free: while a collective runs beside the compute, the compute runs
  // (1 + sigma) times slower (NCCL's kernels hold SMs and HBM bandwidth; Lee et al. 2025). A
  // collective of time C hidden under compute of time B then costs max(C - B, C sigma / (1 + sigma)):
  // during C the compute advances C / (1 + sigma), the rest runs alone after it.
  const double overlap_share = acc.efficiency.overlap_slowdown / (1.0 + acc.efficiency.overlap_slowdown);
  const auto overlapped = [overlap_share](double comm_s, double compute_s) {
    return std::max(comm_s - compute_s, comm_s * overlap_share);
  };
  // Parameters of the fuller of the first stage (embedding) and the last (final norm, LM head, and
  // a copy of tied embeddings, as Megatron-LM keeps one on the last stage); routed experts are
  // split over the EP ranks.
  double params_stage = params.total - expert_params;
  if (!cnn && par.pp > 1) {
    const double first = layer_params / pp + params.embedding;
    const double last = layer_params / pp + final_norm + params.lm_head + (m.tied_embeddings ? params.embedding : 0.0);
    params_stage = std::max(first, last);
  }
  const double expert_rank = expert_params / pp / tp / ep;   // this rank's share of the routed experts
  const double dense_rank = params_stage / tp;
  // DualPipe keeps two copies of the model's parameters (DeepSeek-AI 2024, table 2).
  const double copies = par.schedule == "dualpipe" ? 2.0 : 1.0;
  const double params_rank = copies * (dense_rank + expert_rank);
  // Adapters train in fp32 beside the frozen base (PEFT keeps them in fp32 under bf16 autocast):
  // 4 B of weight, 4 of gradient and 8 of Adam moments per parameter, no master copy.
  constexpr double kAdapterBytes = 4.0;
  const double adapter_rank = adapter ? copies * adapter_layer_params * layers_per_stage / tp : 0.0;
  if (s.system.count > 1 && e.feasible) {
    const system::Cluster& cluster = cluster_for(s.system);
    const double tokens = mb * seq_rank;
    // Under full recomputation each forward collective runs again inside the backward step.
    const double refwd = t.recompute == spec::Recompute::kFull ? 1.0 : 0.0;
    // A collective is a kernel too: when the host cannot run ahead, it costs at least its launch.
    const auto launched = [&](double time_s, double kernels) {
      if (launch.launch_blocking) return time_s + launch.host_per_kernel_s * kernels;
      return launch.host_runs_ahead ? time_s : std::max(time_s, launch.host_per_kernel_s * kernels);
    };
    // One layer's time in the operators of a phase whose names `match` (what a collective can hide
    // under), averaged over the stage's layers.
    const auto layer_time = [&](workload::Phase phase, auto&& match) {
      double sum = 0.0;
      for (std::size_t i = 0; i < layers_end; ++i) {
        if (ops_[i].phase != phase || !match(std::string_view(ops_[i].name))) continue;
        if (const auto ti = solvers::time_operator(ops_[i], rates)) sum += ti->time_s() * ops_[i].count;
      }
      return sum / std::max(1.0, std::round(layers_per_stage));
    };
    const system::GroupPath tp_path = par.tp > 1 ? cluster.place(par.tp, par.stride_of("tp")) : system::GroupPath{};
    if (par.tp > 1 && !cnn) {
      // Megatron-LM: per layer, two all-reduces in forward (the g operators after the row-parallel
      // attention output and MLP down projections) and two in backward (the f operators before the
      // column-parallel QKV and MLP up projections) (Shoeybi et al. 2019, figure 3); with sequence
      // parallelism each becomes a reduce-scatter plus an all-gather of the same buffer
      // (Korthikanti et al. 2022). Full recomputation repeats the two forward ones.
      const double buffer = tokens * static_cast<double>(m.hidden) * a;
      const double rs_s = sp ? solvers::collective(solvers::Collective::kReduceScatter, buffer, tp_path).time_s : 0.0;
      const double ag_s = sp ? solvers::collective(solvers::Collective::kAllGather, buffer, tp_path).time_s : 0.0;
      const double ar_s = sp ? 0.0 : solvers::collective(solvers::Collective::kAllReduce, buffer, tp_path).time_s;
      const double one = launched(sp ? rs_s + ag_s : ar_s, sp ? 2.0 : 1.0);
      tp_fwd_per_layer = 2.0 * one;
      tp_bwd_per_layer = (2.0 + 2.0 * refwd) * one;
      if (t.overlap_tp_backward && !t.overlap_tp_comm) {
        // Megatron-LM's asynchronous TP all-reduce (LinearWithGradAccumulationAndAsyncCommunication,
        // also Transformer Engine's Linear): a column-parallel linear's backward launches the
        // all-reduce of its input gradient, then runs its weight-gradient GEMM beside it. The two
        // such collectives of a layer are those of its first attention and first MLP projections
        // (the f operators); the recomputed forward's two stay exposed. Under sequence parallelism
        // the linear keeps only its sequence shard of the input, so its backward gathers the input
        // again, beside the input-gradient GEMM, and reduce-scatters the input gradient beside the
        // weight-gradient one; the all-gathers of the row-parallel outputs' gradients (the
        // conjugates of the forward reduce-scatters) stay exposed. Each GEMM half is half the
        // linear's backward.
        const double attention_half =
            0.5 * layer_time(workload::Phase::kBackward, [](std::string_view n) { return n == "qkv_proj" || n == "q_proj"; });
        const double mlp_half = 0.5 * layer_time(workload::Phase::kBackward, [](std::string_view n) { return n == "mlp_up"; });
        // A block without such a linear (a routed-expert MLP, whose token dispatch does its own
        // gathering) keeps its collectives exposed.
        const auto block = [&](double half_s) {
          if (half_s <= 0.0) return one;
          if (!sp) return launched(overlapped(ar_s, half_s), 1.0);
          return launched(ag_s, 1.0) + launched(overlapped(ag_s, half_s) + overlapped(rs_s, half_s), 2.0);
        };
        tp_bwd_per_layer = 2.0 * refwd * one + block(attention_half) + block(mlp_half);
      }
      if (t.overlap_tp_comm) {
        // Hidden under the GEMMs they are split with (Megatron's userbuffers overlap).
        tp_fwd_per_layer *= overlap_share;
        tp_bwd_per_layer *= overlap_share;
      }
    }
    if (par.cp > 1 && !cnn) {
      // Ring attention: cp - 1 steps pass this rank's K and V chunk around the CP ring in forward;
      // backward passes K, V and their gradients (twice the bytes). Each step overlaps the
      // attention of the chunk in hand, so only what the attention does not hide is exposed.
      const system::GroupPath cp_path = cluster.place(2, par.stride_of("cp"));
      const workload::AttentionDims ad = workload::attention_dims(m);
      const double kv_chunk = tokens * ad.kv_heads * (ad.qk_dim + ad.v_dim) * a / tp;
      const double step = launched(solvers::collective(solvers::Collective::kSendRecv, kv_chunk, cp_path).time_s, 1.0);
      const double attention_fwd =
          layer_time(workload::Phase::kForward, [](std::string_view n) { return n == "attention" || n == "attention_scores"; });
      const double fwd = (cp - 1.0) * step, bwd = 2.0 * (cp - 1.0) * step;
      cp_fwd_per_layer = t.overlap_cp_ring ? overlapped(fwd, attention_fwd) : fwd;
      cp_bwd_per_layer = (t.overlap_cp_ring ? overlapped(bwd, 2.0 * attention_fwd) : bwd) + refwd * cp_fwd_per_layer;
    }
    if (par.ep > 1 && m.moe && !cnn) {
      // Expert parallelism: per MoE layer an all-to-all dispatches each token's top-k copies to
      // their experts and another combines them, in forward and again (as gradients) in backward
      // (Lepikhin et al. 2020; Megatron-Core's token dispatcher); padded to the capacity factor.
      // Sequence parallelism leaves each TP rank 1 / tp of the tokens.
      const system::GroupPath ep_path = cluster.place(par.ep, par.stride_of("dp"));
      const double routed = tokens * static_cast<double>(m.moe->top_k) * static_cast<double>(m.hidden) * a *
                            t.moe_capacity_factor / (sp ? tp : 1.0);
      const double one = launched(solvers::collective(solvers::Collective::kAllToAll, routed, ep_path).time_s, 1.0);
      const double share = moe_layers / static_cast<double>(m.layers);   // MoE layers per layer, on average
      ep_fwd_per_layer = 2.0 * one * share;
      ep_bwd_per_layer = (2.0 + 2.0 * refwd) * one * share;
      if (t.overlap_ep_a2a) {
        ep_fwd_per_layer *= overlap_share;
        ep_bwd_per_layer *= overlap_share;
      }
    }
    if (par.pp > 1 && !cnn) {
      // Activations forward and gradients backward cross each stage boundary once per
      // micro-batch; Megatron scatters them over the TP ranks (scatter/gather optimization).
      const system::GroupPath pp_path = cluster.place(2, par.stride_of("pp"));
      const double message = tokens * static_cast<double>(m.hidden) * a / tp;
      p2p_s = solvers::collective(solvers::Collective::kSendRecv, message, pp_path).time_s;
      if (par.tp > 1 && !sp) {
        // Without sequence parallelism every TP rank needs the whole tensor: the receiver
        // all-gathers the 1/tp pieces over its TP group (Narayanan et al. 2021, section 4.1;
        // Megatron-LM p2p_communication.py, gather_split_1d_tensor after each receive). Under
        // sequence parallelism each rank keeps its sequence shard and nothing is gathered.
        p2p_s += launched(solvers::collective(solvers::Collective::kAllGather, message * tp, tp_path).time_s, 1.0);
      }
    }
    // Gradients are reduced over the data-parallel ranks and, since context-parallel ranks share
    // the weights, over CP too; expert weights only over the ranks that hold the same experts
    // (dp x cp / ep of them).
    const long long dp_cp = par.dp * par.cp;
    // `p_rank`: the parameters this rank holds of the group's weights; `trained`: those with
    // gradients (all of them, or the dense group's adapters under adapter fine-tuning).
    // ZeRO-3 / FSDP issue one collective per unit of weights: a weight matrix (DeepSpeed ZeRO-3
    // gathers each module's parameters in its forward hooks and reduce-scatters them one by one:
    // partition_parameters.py _allgather_param and _reduce_scatter_gradient; tensors under
    // stage3_param_persistence_threshold, 1e5 elements by default, the biases and norms, stay whole),
    // a layer (an FSDP unit per block), or the stage's whole weights. Each pays the collective's
    // latency, and a ring's grows with its ranks.
    using ZC = spec::SoftwareSpec::ZeroCollectives;
    const ZC zc = s.software.zero_collectives;
    const double unit_layers = cnn ? 1.0 : std::max(1.0, layers_per_stage);
    const double units = par.zero < 3 || zc == ZC::kPerStage ? 1.0
                         : zc == ZC::kPerLayer               ? unit_layers
                                                             : unit_layers * std::max(1.0, workload::weight_matrices_per_layer(m));
    zero3_units_per_layer = units / unit_layers;
    const double zero3_passes = 2.0 + (zc == ZC::kPerMatrix ? refwd : 0.0);
    zero3_fwd_fraction = 1.0 / zero3_passes;
    struct Sync {
      double reduce_s = 0.0;   // the gradients' all-reduce or reduce-scatter
      double update_s = 0.0;   // ZeRO-1/2: the updated weights' all-gather after the step
      double gathers_s = 0.0;  // ZeRO-3: the weights' all-gathers of one micro-batch
    };
    const auto sync = [&](long long ranks, long long stride, double p_rank, double trained) {
      Sync out;
      if (ranks <= 1 || p_rank <= 0.0) return out;
      const system::GroupPath path = cluster.place(ranks, stride);
      // The list form's per-rank work, moving the gathered (or scattered) buffer once: DeepSpeed
      // 2021's _allgather_param builds the output list with one Python `narrow` per rank
      // (partition_parameters.py), and PyTorch's list-form all_gather / reduce_scatter copies each
      // rank's slice out of (into) its flat buffer with one `copy_`, a cudaMemcpyAsync, per rank
      // (ProcessGroupNCCL.cpp; NVIDIA/Fuser PR 2384, apex PR 1360). Each slice is small (a weight
      // matrix over the ranks), so the host's per-op cost, not the copy, sets the pace: a PyTorch op
      // per rank at the stack's host cost per kernel, or the device gap if that is longer.
      const double per_rank_s = std::max(launch.device_gap_s, launch.host_per_kernel_s);
      const double list_copies_s = s.software.zero_list_collectives ? static_cast<double>(ranks) * per_rank_s : 0.0;
      const auto split = [&](solvers::Collective c, double bytes) {
        const double copy_bytes = s.software.zero_list_collectives ? 2.0 * bytes / units : 0.0;
        const double copy_s = list_copies_s + (copy_bytes > 0.0 ? copy_bytes / rates.memory_bandwidth : 0.0);
        return units * (solvers::collective(c, bytes / units, path).time_s + copy_s);
      };
      // Adapters train in fp32: their gradients and updated weights are 4 B each.
      const double grad_bytes = adapter ? trained * kAdapterBytes : trained * g;
      const double update_bytes = adapter ? trained * kAdapterBytes : trained * a;
      if (grad_bytes > 0.0 && par.zero == 0) {
        out.reduce_s = solvers::collective(solvers::Collective::kAllReduce, grad_bytes, path).time_s;
      } else if (grad_bytes > 0.0) {
        // ZeRO-1/2: reduce-scatter the gradients, all-gather the updated weights (Rajbhandari et al.
        // 2020). ZeRO-3 / FSDP keep only their shard after the step: the weights are gathered again
        // by the next forward (the gathers below), so the step ends with the reduce-scatter alone
        // (ZeRO paper section 7.2.2: 3Ψ of traffic per step, 1.5x data parallelism's 2Ψ).
        out.reduce_s = split(solvers::Collective::kReduceScatter, grad_bytes);
        if (par.zero < 3) out.update_s = solvers::collective(solvers::Collective::kAllGather, update_bytes, path).time_s;
      }
      // ZeRO-3 / FSDP gathers the weights again for the forward and the backward of every micro-batch;
      // DeepSpeed's forward hooks gather them once more for a recomputed forward (FSDP unshards a
      // unit before its backward and recomputes with those weights).
      if (par.zero == 3) out.gathers_s = zero3_passes * split(solvers::Collective::kAllGather, p_rank * a);
      return out;
    };
    // With CP right inside DP (the default order) the dp x cp ranks are one contiguous group;
    // otherwise the gradients reduce over DP alone at its stride (and the CP ranks' copies over CP
    // are not priced: a layout no framework uses).
    const bool cp_then_dp = par.stride_of("dp") == par.stride_of("cp") * par.cp;
    const long long sync_ranks = cp_then_dp ? dp_cp : par.dp;
    const long long sync_stride = cp_then_dp ? par.stride_of("cp") : par.stride_of("dp");
    const auto dense_sync = sync(sync_ranks, sync_stride, copies * dense_rank, adapter ? adapter_rank : copies * dense_rank);
    const auto expert_sync = sync(sync_ranks / std::max<long long>(1, par.ep), sync_stride * par.ep, copies * expert_rank,
                                  adapter ? 0.0 : copies * expert_rank);
    dp_reduce_s = dense_sync.reduce_s + expert_sync.reduce_s;
    dp_update_s = dense_sync.update_s + expert_sync.update_s;
    zero3_s = dense_sync.gathers_s + expert_sync.gathers_s;
  }

  // The pipeline as a task graph (solvers/pipeline): each model chunk's forward and backward per
  // micro-batch, priced from its layers (per-layer cost x its layer count, uneven stages included),
  // the embedding on the first chunk and the head on the last, with the exposed TP collectives and
  // ZeRO-3 gathers inside the steps; the schedule's critical path is the pipeline's time.
  const double v = static_cast<double>(par.virtual_stages);
  const int n_chunks = static_cast<int>(par.pp * par.virtual_stages);
  const double stage_layers = cnn ? 1.0 : std::max(1.0, std::round(layers_per_stage));
  std::vector<double> chunk_layers(static_cast<std::size_t>(n_chunks), cnn ? 1.0 : layers_per_stage / v);
  if (!par.layers_per_stage.empty() && static_cast<int>(par.layers_per_stage.size()) == n_chunks) {
    for (int c = 0; c < n_chunks; ++c) chunk_layers[static_cast<std::size_t>(c)] = static_cast<double>(par.layers_per_stage[static_cast<std::size_t>(c)]);
  }
  const auto step_time = [&](const Priced& p) {
    return solvers::sequence_time(p.gpu_s, p.kernels, launch, p.serial_s).total_s();
  };
  // ZeRO-3 / FSDP prefetch (`overlap.zero_prefetch`): each unit's weight gather is issued ahead and
  // runs beside the compute of the unit before it, so only the first unit's gather of a pass waits
  // in full (PyTorch FSDP: Zhao et al. 2023, section 3.3, backward prefetch and the unshard stream;
  // DeepSpeed ZeRO-3's parameter prefetch). Without it every gather sits on the critical path.
  const auto prefetched = [&](double gathers_s, double units_in_pass, double compute_s) {
    if (!t.overlap_zero_prefetch || units_in_pass <= 1.0 || gathers_s <= 0.0) return gathers_s;
    const double first = gathers_s / units_in_pass;
    return first + overlapped(gathers_s - first, compute_s);
  };
  std::vector<double> zero3_per_device(static_cast<std::size_t>(par.pp), 0.0);   // exposed, one micro-batch
  solvers::PipelineInput pin;
  pin.schedule = solvers::pipeline_schedule_from_name(par.schedule);
  pin.stages = static_cast<int>(par.pp);
  pin.virtual_stages = static_cast<int>(par.virtual_stages);
  pin.micro_batches = static_cast<int>(tr.micro_batches);
  pin.p2p_s = p2p_s;
  pin.p2p_overlapped = t.overlap_pp_p2p;
  pin.chunks.resize(static_cast<std::size_t>(n_chunks));
  double stage_layers_total = 0.0;
  for (int c = 0; c < n_chunks; ++c) {
    const double share = chunk_layers[static_cast<std::size_t>(c)] / stage_layers;   // of the priced stage
    stage_layers_total += chunk_layers[static_cast<std::size_t>(c)];
    Priced f = layer_phase.forward.scaled(share), b = layer_phase.backward.scaled(share);
    double w = layer_phase.weight_grad_s * share;
    if (c == 0) {
      f += first_phase.forward;
      b += first_phase.backward;
      w += first_phase.weight_grad_s;
    }
    if (c == n_chunks - 1) {
      f += last_phase.forward;
      b += last_phase.backward;
      w += last_phase.weight_grad_s;
    }
    const double layers_c = chunk_layers[static_cast<std::size_t>(c)];
    const double zero3_share = zero3_s * (cnn ? 1.0 : layers_c / std::max(1.0, static_cast<double>(m.layers) / pp));
    solvers::ChunkCost& cc = pin.chunks[static_cast<std::size_t>(c)];
    const double f_s = step_time(f), b_s = step_time(b);
    const double units_c = zero3_units_per_layer * layers_c;
    const double zero3_f = prefetched(zero3_fwd_fraction * zero3_share, units_c, f_s);
    const double zero3_b = prefetched((1.0 - zero3_fwd_fraction) * zero3_share, units_c, b_s);
    zero3_per_device[static_cast<std::size_t>(c % par.pp)] += zero3_f + zero3_b;
    cc.forward_s = f_s + (tp_fwd_per_layer + ep_fwd_per_layer + cp_fwd_per_layer) * layers_c + zero3_f;
    cc.backward_s = b_s + (tp_bwd_per_layer + ep_bwd_per_layer + cp_bwd_per_layer) * layers_c + zero3_b;
    cc.weight_grad_s = std::min(w, cc.backward_s);
  }
  if (!cnn && !par.layers_per_stage.empty() && std::llround(stage_layers_total) != m.layers && e.feasible) {
    e.feasible = false;
    e.infeasible_reason = "layers_per_stage sums to " + std::to_string(std::llround(stage_layers_total)) + ", not the model's " +
                          std::to_string(m.layers) + " layers";
  }
  if (!e.feasible && pin.virtual_stages > 1) {
    // A layout that cannot run may break the interleaved schedule's rules: time it as plain 1F1B
    // over whole stages so the infeasible point still carries figures.
    std::vector<solvers::ChunkCost> merged(static_cast<std::size_t>(pin.stages));
    for (int c = 0; c < n_chunks; ++c) {
      auto& into = merged[static_cast<std::size_t>(c % pin.stages)];
      into.forward_s += pin.chunks[static_cast<std::size_t>(c)].forward_s;
      into.backward_s += pin.chunks[static_cast<std::size_t>(c)].backward_s;
      into.weight_grad_s += pin.chunks[static_cast<std::size_t>(c)].weight_grad_s;
    }
    pin.chunks = std::move(merged);
    pin.virtual_stages = 1;
    pin.schedule = solvers::PipelineSchedule::kOneFOneB;
  }
  if (!cnn) {
    // One transformer layer of one micro-batch on one TP rank, as a layer profiler times it (e.g.
    // Korthikanti et al. 2022, table 4): its kernels with their launch gaps and the collectives it
    // exposes; the backward includes the recomputed forward. MoE models average over the stage's
    // dense and MoE layers.
    const double one = 1.0 / stage_layers;
    const double zero3_layer = zero3_s / std::max(1.0, static_cast<double>(m.layers) / pp);
    const double fwd_s = step_time(layer_phase.forward.scaled(one)), bwd_s = step_time(layer_phase.backward.scaled(one));
    // In the steady state a prefetched layer's gathers run beside the compute before them.
    const bool layer_prefetch = t.overlap_zero_prefetch && zero3_units_per_layer * stage_layers > 1.0;
    const double zero3_f = zero3_fwd_fraction * zero3_layer, zero3_b = (1.0 - zero3_fwd_fraction) * zero3_layer;
    tr.layer_forward_s = fwd_s + tp_fwd_per_layer + ep_fwd_per_layer + cp_fwd_per_layer +
                         (layer_prefetch ? overlapped(zero3_f, fwd_s) : zero3_f);
    tr.layer_backward_s = bwd_s + tp_bwd_per_layer + ep_bwd_per_layer + cp_bwd_per_layer +
                          (layer_prefetch ? overlapped(zero3_b, bwd_s) : zero3_b);
  }
  const solvers::PipelineResult pipe = solvers::solve_pipeline(pin);
  const double pipeline_s = pipe.makespan_s;
  tr.bubble_s = par.pp > 1 ? pipe.bubble_s() : 0.0;
  double tp_per_chunk_max = 0.0;
  for (double l : chunk_layers) tp_per_chunk_max = std::max(tp_per_chunk_max, (tp_fwd_per_layer + tp_bwd_per_layer) * l);
  tr.exposed_tp_s = tp_per_chunk_max * v * micro;
  double stage_layers_max = 0.0;
  for (double l : chunk_layers) stage_layers_max = std::max(stage_layers_max, l * v);
  tr.exposed_ep_s = (ep_fwd_per_layer + ep_bwd_per_layer) * stage_layers_max * micro;
  tr.exposed_cp_s = (cp_fwd_per_layer + cp_bwd_per_layer) * stage_layers_max * micro;
  tr.exposed_pp_s = par.pp <= 1 ? 0.0 : (t.overlap_pp_p2p ? 2.0 * (pp - 1.0) * p2p_s : 2.0 * p2p_s * micro * v);

  // The gradient synchronization after the last backward; with overlap, buckets go out during the
  // last micro-batch's backward pass and only the rest is exposed.
  double backward_s = 0.0;
  for (std::size_t i = 0; i < layers_end; ++i) {
    if (ops_[i].phase == workload::Phase::kBackward) {
      const auto ti = solvers::time_operator(ops_[i], rates);
      if (ti) backward_s += ti->time_s() * ops_[i].count;
    }
  }
  if (s.software.zero_reduce_per_micro_batch && par.zero >= 2) {
    // DeepSpeed ZeRO-2/3 reduce-scatter in every micro-batch's backward; the updated weights'
    // gather (ZeRO-2) follows the step.
    tr.exposed_dp_s = micro * (t.overlap_dp_grad ? overlapped(dp_reduce_s, backward_s) : dp_reduce_s) + dp_update_s;
  } else {
    const double dp_sync_s = dp_reduce_s + dp_update_s;
    tr.exposed_dp_s = t.overlap_dp_grad ? overlapped(dp_sync_s, backward_s) : dp_sync_s;
  }
  // ZeRO-3's weight gathers sit in every micro-batch's stage time above (what prefetch leaves
  // exposed); report the fullest device's with DP.
  const double zero3_exposed_s = *std::max_element(zero3_per_device.begin(), zero3_per_device.end()) * micro;

  // Mixed-precision Adam over this rank's parameters (sharded by ZeRO >= 1: dense weights over the
  // dp x cp ranks, experts over the dp x cp / ep that hold the same ones).
  const double dp_cp = dp * cp;
  const auto sharded = [&](bool by_zero) {
    if (!by_zero) return params_rank;
    return copies * (dense_rank / dp_cp + expert_rank / std::max(1.0, dp_cp / ep));
  };
  // The parameters with gradients and optimizer state on this rank: all of them, or the adapters.
  const auto trained = [&](bool by_zero) {
    if (!adapter) return sharded(by_zero);
    return by_zero ? adapter_rank / dp_cp : adapter_rank;
  };
  const double opt_params = trained(par.zero >= 1);
  // Mixed precision: fp32 master, m and v read and written, the gradient read, the working copy
  // written. Adapters are fp32 already: weight, m and v read and written, the gradient read (28 B).
  ops_.push_back({"optimizer_adam", workload::Phase::kOptimizer, workload::OpClass::kOptimizer, 1.0, 12.0 * opt_params,
                  opt_params * (adapter ? 28.0 : 3.0 * 4.0 * 2.0 + g + a), cnn ? 1.0 : layers_per_stage + 2.0, Precision::kFp32});
  const Priced opt = price_ops(ops_, ops_.size() - 1, ops_.size(), rates, nullptr, &launch);
  tr.optimizer_s = solvers::sequence_time(opt.gpu_s, opt.kernels, launch, opt.serial_s).total_s();
  if (t.offload_optimizer) {
    // ZeRO-Offload (Ren et al. 2021): gradients go down and updated weights come up over the host
    // link, and the CPU runs Adam, memory-bound on the host DRAM (fp32 weight, m and v read and
    // written, the gradient read: 28 B per parameter), each accelerator with its share of the node's
    // DRAM bandwidth.
    double link = acc.host_link_bandwidth ? acc.host_link_bandwidth->si() * acc.efficiency.host_link.value_or(1.0) : 0.0;
    if (const auto* cal = acc.calibrated ? acc.calibrated->host_link_at("h2d_pinned") : nullptr; cal != nullptr && cal->bandwidth > 0.0) {
      link = cal->bandwidth;   // measured pinned host-to-device rate of large copies
    }
    const double transfer = link > 0.0 ? opt_params * (g + a) / link : 0.0;
    double cpu = 0.0;
    if (s.system.node && s.system.node->host_memory_bandwidth) {
      cpu = opt_params * 28.0 / (s.system.node->host_memory_bandwidth->si() / static_cast<double>(s.system.node->accelerators));
    } else {
      e.warnings.push_back("offload_optimizer: the node gives no host memory bandwidth, so the CPU Adam step is not priced");
    }
    if (link <= 0.0) e.warnings.push_back("offload_optimizer: the accelerator gives no host link bandwidth, so the transfers are not priced");
    tr.optimizer_s = transfer + cpu;
  }
  tr.step_time_s = pipeline_s + tr.exposed_dp_s + tr.optimizer_s;
  tr.exposed_dp_s += zero3_exposed_s;
  tr.bubble_fraction = tr.step_time_s > 0 ? tr.bubble_s / tr.step_time_s : 0.0;

  // The per-operator table of one pipeline stage and TP rank (the embedding's and the head's rows
  // belong to the first and last stage), counted per step: x micro-batches, the optimizer once.
  if (o.detail) {
    price_ops(ops_, 0, ops_.size(), rates, &e.operators);
    for (auto& row : e.operators) {
      if (row.phase != "optimizer") row.count *= micro;
    }
  }

  // Breakdown: the slowest stage's compute over all micro-batches; host time beyond it.
  const Priced all_last = [&] {
    Priced p = layer_ops;
    p.gpu_s += last_extra.gpu_s;
    p.kernels += last_extra.kernels;
    p.serial_s += last_extra.serial_s;
    return p;
  }();
  const solvers::SequenceTime st_last = solvers::sequence_time(all_last.gpu_s, all_last.kernels, launch, all_last.serial_s);
  tr.compute_s = all_last.gpu_s * micro;
  tr.host_s = st_last.launch_overhead_s() * micro;
  // DP-SGD (algorithm.dp_sgd) is part of the run: clipping every sample's gradient adds gradient
  // work at the rate of the step's own compute (solvers/scaling_laws: 8/6 with per-sample
  // gradients, 10/6 with ghost clipping), and per-sample gradients are held beside the others.
  const bool dpsgd = s.algorithm && s.algorithm->dp_sgd != spec::DpSgd::kNone;
  const bool ghost_clipping = dpsgd && s.algorithm->dp_sgd == spec::DpSgd::kGhost;
  const double dpsgd_factor = dpsgd ? solvers::dpsgd_flops_factor(ghost_clipping) : 1.0;
  if (dpsgd) {
    const double extra_s = (dpsgd_factor - 1.0) * tr.compute_s;
    tr.step_time_s += extra_s;
    tr.compute_s += extra_s;
  }

  // Model FLOPs (PaLM, Chowdhery et al. 2022, appendix B): 6 per token per multiplied weight +
  // 12 x layers x seq x d_attn per token (attention scores and context, not halved for the mask).
  const double tokens_per_step = cnn ? static_cast<double>(t.global_batch) : static_cast<double>(t.global_batch) * seq;
  if (cnn) {
    tr.model_flops_per_step = 3.0 * shape.forward_flops_per_image * static_cast<double>(t.global_batch);
    tr.hardware_flops_per_step = tr.model_flops_per_step;
  } else {
    const workload::AttentionDims ad = workload::attention_dims(m);
    const double attn_fwd_per_token = 2.0 * static_cast<double>(m.layers) * seq * ad.q_heads * (ad.qk_dim + ad.v_dim);
    // Adapter fine-tuning needs the forward and the input gradients of the frozen weights (4 per
    // token per weight, no weight gradients) and all three passes of the adapters (6 per token).
    const double adapter_params = adapter ? adapter_layer_params * static_cast<double>(m.layers) : 0.0;
    tr.model_flops_per_step = tokens_per_step * ((adapter ? 4.0 : 6.0) * params.matrix_active + 6.0 * adapter_params +
                                                 3.0 * attn_fwd_per_token);
    double recomputed = 0.0;
    if (t.recompute == spec::Recompute::kFull) {
      recomputed = tokens_per_step * (2.0 * (params.matrix_active - static_cast<double>(m.padded_vocab() * m.hidden)) +
                                      2.0 * adapter_params + attn_fwd_per_token);
    }
    // Selective recompute re-runs the attention core only when it is materialized (with flash
    // attention nothing is recomputed, and no recompute operator is priced).
    if (t.recompute == spec::Recompute::kSelective && !flash) recomputed = tokens_per_step * attn_fwd_per_token;
    tr.hardware_flops_per_step = tr.model_flops_per_step * dpsgd_factor + recomputed;
  }
  const auto peak = acc.peak_at(t.precision);
  const double peak_total = peak ? peak->si() * static_cast<double>(s.system.count) : 0.0;
  if (tr.step_time_s > 0 && peak_total > 0) {
    tr.mfu = tr.model_flops_per_step / (tr.step_time_s * peak_total);
    tr.hfu = tr.hardware_flops_per_step / (tr.step_time_s * peak_total);
    tr.tokens_per_s = tokens_per_step / tr.step_time_s;
  }
  if (t.tokens && tr.tokens_per_s > 0) {
    tr.time_to_train_s = *t.tokens / tr.tokens_per_s;
    if (!ramp.empty()) {
      // Megatron-LM's ramp (microbatches.py): each batch of the ramp takes an equal share of its
      // samples; the rest of the run is at the full batch.
      const double per_sample = cnn ? 1.0 : static_cast<double>(t.seq_len);
      double left = *t.tokens / per_sample;
      const double share = t.batch_rampup->samples / static_cast<double>(ramp.size());
      double time = 0.0, full = 0.0;
      for (const auto& [batch, step] : ramp) {
        const double used = std::min(share, left);
        time += used / batch * step;
        full += used / static_cast<double>(t.global_batch) * tr.step_time_s;
        left -= used;
        if (left <= 0.0) break;
      }
      tr.rampup_s = time - full;
      *tr.time_to_train_s += tr.rampup_s;
    }
  }

  // Memory of the fuller of the first and last stage, on one TP rank.
  MemoryReport& mem = e.memory;
  if (adapter) {
    // The frozen base at its precision (QLoRA: the layers' weights in NF4; embedding, norms and
    // head stay at the training precision) beside the fp32 adapters; ZeRO-3 / FSDP shard both.
    const double base = t.adapter->method == spec::AdapterMethod::kQlora ? workload::kNf4BytesPerWeight : a;
    const double layer_rank = cnn ? 0.0 : layer_params / pp / tp;
    const double frozen = copies * (layer_rank * base + std::max(0.0, dense_rank - layer_rank) * a + expert_rank * base);
    mem.weights_bytes = (par.zero >= 3 ? frozen / dp_cp : frozen) + trained(par.zero >= 3) * kAdapterBytes;
    mem.gradients_bytes = trained(par.zero >= 2) * kAdapterBytes;
    mem.optimizer_bytes = t.offload_optimizer ? 0.0 : trained(par.zero >= 1) * 2.0 * kAdapterBytes;   // Adam m and v
  } else {
    mem.weights_bytes = sharded(par.zero >= 3) * a;
    mem.gradients_bytes = sharded(par.zero >= 2) * g;
    // fp32 master, Adam m and v; on the host under ZeRO-Offload.
    mem.optimizer_bytes = t.offload_optimizer ? 0.0 : sharded(par.zero >= 1) * 12.0;
  }
  if (dpsgd) {
    mem.gradients_bytes += adapter ? solvers::dpsgd_extra_bytes(ghost_clipping, mb, trained(par.zero >= 3), kAdapterBytes)
                                   : solvers::dpsgd_extra_bytes(ghost_clipping, mb, sharded(par.zero >= 3), g);
  }
  // Stored activations per micro-batch in flight, plus, under full recomputation, one layer's
  // complete set of one micro-batch while it is recomputed (one at a time, not per micro-batch).
  double act_per_micro = 0.0, recompute_working = 0.0, head_act = 0.0;
  if (cnn) {
    act_per_micro = workload::cnn_activation_bytes_per_image(shape, t.precision) * mb;
  } else {
    const double dense = m.moe ? std::min(static_cast<double>(m.moe->dense_layers), layers_per_stage) : layers_per_stage;
    act_per_micro = mb * (dense * workload::layer_activation_bytes_tp(m, seq_rank, t.precision, t.recompute, flash, false, tp, sp) +
                          (layers_per_stage - dense) *
                              workload::layer_activation_bytes_tp(m, seq_rank, t.precision, t.recompute, flash, true, tp, sp));
    if (t.recompute == spec::Recompute::kFull) {
      recompute_working = mb * workload::layer_activation_bytes_tp(m, seq_rank, t.precision, spec::Recompute::kNone, flash,
                                                                   m.moe.has_value(), tp, sp);
    }
    // Final norm and LM-head inputs, and fp32 logits of the vocabulary shard (Korthikanti et al. 2022).
    head_act = mb * seq_rank * (2.0 * static_cast<double>(m.hidden) * a + static_cast<double>(m.padded_vocab()) * 4.0 / tp);
  }
  // Micro-batches in flight come from the schedule (solvers/pipeline): 1F1B keeps up to pp on the
  // first stage, GPipe all of them, interleaving (p - 1) / (p v) more (Korthikanti et al. 2022,
  // section 4.2.3), in stage-equivalents. The last stage holds one micro-batch and the head's tensors.
  double in_flight = 1.0;
  for (double held : pipe.peak_in_flight) in_flight = std::max(in_flight, held / v);
  mem.activations_bytes = recompute_working + std::max(act_per_micro * in_flight, act_per_micro + head_act);
  mem.workspace_bytes = s.software.workspace.si();
  mem.per_device_bytes = mem.weights_bytes + mem.gradients_bytes + mem.optimizer_bytes + mem.activations_bytes + mem.workspace_bytes;
  mem.capacity_bytes = acc.memory_capacity.si();
  const auto cap = solvers::check_capacity(mem.per_device_bytes, mem.capacity_bytes);
  mem.fits = cap.fits;
  const double per_micro_item = mem.activations_bytes / mb;   // every term above scales with the micro-batch
  tr.max_micro_batch = solvers::largest_batch(mem.capacity_bytes, mem.per_device_bytes - mem.activations_bytes, per_micro_item);
  if (!cap.fits && e.feasible) {
    e.feasible = false;
    e.infeasible_reason = "does not fit: needs " + format_bytes(cap.used_bytes) + " of " + format_bytes(cap.capacity_bytes) +
                          " (short by " + format_bytes(cap.shortfall_bytes()) + "); the largest micro-batch that fits is " +
                          std::to_string(tr.max_micro_batch);
  }

  Priced walls_basis = all_last;
  walls_basis.compute_bound_s = (layer_ops.compute_bound_s) * micro;
  walls_basis.memory_bound_s = (layer_ops.memory_bound_s) * micro;
  walls_basis.flops = (layer_ops.flops) * micro;
  walls_basis.bytes = (layer_ops.bytes) * micro;
  walls_basis.kernels = all_last.kernels * micro;
  solvers::SequenceTime st_walls = st_last;
  st_walls.gpu_s *= micro;
  st_walls.gaps_s *= micro;
  st_walls.host_s *= micro;
  add_time_walls(e, walls_basis, st_walls, tr.step_time_s, rates, peak ? peak->si() : 0.0, o.detail, "the step");
  const double comm_s = tr.exposed_tp_s + tr.exposed_pp_s + tr.exposed_dp_s;
  if (s.system.count > 1) {
    e.walls.push_back({"communication", comm_s, tr.step_time_s > 0 ? comm_s / tr.step_time_s : 0.0, false,
                       o.detail ? "exposed: TP " + format_seconds(tr.exposed_tp_s) + ", PP " + format_seconds(tr.exposed_pp_s) +
                                      ", DP " + format_seconds(tr.exposed_dp_s)
                                : ""});
  }
  if (par.pp > 1) {
    e.walls.push_back({"pipeline_bubble", tr.bubble_s, tr.bubble_fraction, false,
                       o.detail ? format_double(pp, 3) + " stages, " + format_double(micro, 5) + " micro-batches" : ""});
  }
  add_capacity_wall(e, o.detail);
  apply_data_pipeline(s, tr, e, o.detail);
  if (s.algorithm) e.algorithm = algorithm_walls(s, tr, mem, cnn ? shape.params : params.total);
  if (s.duration || tr.time_to_train_s) {
    const double work = tr.time_to_train_s ? *tr.time_to_train_s : s.duration->si();
    const double total_params = cnn ? shape.params : params.total;
    double duration = work;
    // Failures, checkpoints and restarts stretch the run (analysis/reliability); an adapter run
    // checkpoints its adapters and their optimizer state, not the frozen base.
    if (wants_reliability(s)) {
      e.reliability = reliability(s, work, adapter ? adapter_layer_params * static_cast<double>(m.layers) : total_params, e.warnings);
      if (e.reliability) duration = e.reliability->wall_s;
    }
    OpsContext ctx;
    ctx.utilization = tr.step_time_s > 0 ? std::min(1.0, tr.compute_s / tr.step_time_s) : 1.0;
    ctx.step_s = tr.step_time_s;
    ctx.model_flops = tr.model_flops_per_step * work / std::max(tr.step_time_s, 1e-300);
    ctx.params = total_params;
    if (!cnn) ctx.trained_tokens = tr.tokens_per_s * work;
    e.ops = operations(s, duration, tr.tokens_per_s * work, e.warnings, ctx);
  } else if (s.reliability || s.operations) {
    e.warnings.emplace_back("the reliability and operations sections need a length of run: training.tokens or ops.duration");
  }
  e.training = tr;
}

}  // namespace mlsim::analysis
