#include "workload/adapters.hpp"

#include <string_view>
#include <vector>

#include "workload/params.hpp"
#include "workload/transformer.hpp"

namespace mlsim::workload {
namespace {

// The adapters one GEMM operator carries: their parameters and, for the traffic, the summed input
// and output widths of the matrices adapted (a fused projection holds several).
struct Adapted {
  double params = 0.0, inputs = 0.0, outputs = 0.0, matrices = 0.0;
  void add(double r, double k, double n) {
    params += r * (k + n);
    inputs += k;
    outputs += n;
    matrices += 1.0;
  }
};

bool is_mlp(std::string_view n) { return n.find("mlp") != std::string_view::npos || n.find("shared_expert") != std::string_view::npos; }

Adapted adapted(const Operator& op, const spec::ModelSpec& m, const spec::AdapterSpec& a, std::string& problem) {
  Adapted out;
  if (op.op_class != OpClass::kGemm) return out;
  const std::string_view name = op.name;
  const double r = static_cast<double>(a.rank), k = op.gemm_k, n = op.gemm_n;
  const bool all = a.targets == spec::AdapterTargets::kAllLinear;
  if (name == "lm_head") return out;   // the head stays frozen (PEFT adapts the blocks' linears)
  if (name == "moe_experts") {
    if (all) problem = "training.adapter: adapters on routed experts (targets all_linear on an MoE model) are not modeled; use targets attention";
    return out;
  }
  if (is_mlp(name)) {
    if (!all) return out;
    // Gate and up run as one GEMM of width 2·ffn under SwiGLU: two matrices h -> ffn.
    if (m.activation == spec::Activation::kSwiglu && name.find("_up") != std::string_view::npos) {
      out.add(r, k, n / 2.0);
      out.add(r, k, n / 2.0);
    } else {
      out.add(r, k, n);
    }
    return out;
  }
  if (name == "qkv_proj") {
    const AttentionDims ad = attention_dims(m);
    out.add(r, k, ad.q_heads * ad.qk_dim);
    if (a.targets != spec::AdapterTargets::kQv) out.add(r, k, ad.kv_heads * ad.qk_dim);
    out.add(r, k, ad.kv_heads * ad.v_dim);
    return out;
  }
  if (a.targets == spec::AdapterTargets::kQv) {
    if (m.mla) problem = "training.adapter: targets qv needs separate query and value projections, which MLA does not have; use attention";
    return out;   // o_proj: not a query or value projection
  }
  // Every other projection of the attention block (o_proj, MLA's down and up projections).
  if (name.find("proj") != std::string_view::npos) out.add(r, k, n);
  return out;
}

}  // namespace

double adapter_params_per_layer(const spec::ModelSpec& m, const spec::AdapterSpec& a, std::string& problem) {
  spec::ModelSpec one = m;
  one.layers = 1;
  if (one.moe) one.moe->dense_layers = 0;   // an MoE layer: its attention, and its experts for the check
  PassOptions po;
  po.phase = Phase::kForward;
  po.include_embedding_and_head = false;
  OperatorList ops;
  append_transformer_pass(one, {1.0, 1.0, 0.0}, po, ops);
  double params = 0.0;
  for (const Operator& op : ops) params += adapted(op, m, a, problem).params * op.count;
  return params;
}

std::size_t apply_adapter(const spec::ModelSpec& m, const spec::AdapterSpec& a, double activation_bytes, OperatorList& ops,
                          std::size_t layers_end) {
  std::string ignored;
  const bool qlora = a.method == spec::AdapterMethod::kQlora;
  const double r = static_cast<double>(a.rank);
  OperatorList out;
  out.reserve(ops.size() * 2);
  const auto frozen = [](Operator op) {
    // A frozen weight needs only the gradient of its input (dX = dY W), not its own (dW = X^T dY):
    // half of the backward GEMM.
    if (op.phase == Phase::kBackward && op.op_class == OpClass::kGemm) {
      op.flops *= 0.5;
      op.bytes *= 0.5;
      op.kernels *= 0.5;
    }
    return op;
  };
  for (std::size_t i = 0; i < layers_end; ++i) {
    const Operator& op = ops[i];
    out.push_back(frozen(op));
    if (op.op_class != OpClass::kGemm) continue;
    const Adapted ad = adapted(op, m, a, ignored);
    if (ad.params > 0.0) {
      // PEFT's LoRA layer, unfused: h = x A (read x, write h), y = h B (read h, write y), y *= s
      // (read, write), out += y (read both, write): k + 2r + 6n elements per token and matrix,
      // 4 kernels; forward 2·T·P FLOPs; backward the gradients of A, B and the input, twice both.
      const double T = op.gemm_m;
      const bool backward = op.phase == Phase::kBackward;
      Operator lora = op;
      lora.name = "lora_adapter";
      lora.flops = (backward ? 4.0 : 2.0) * T * ad.params;
      lora.bytes = (backward ? 2.0 : 1.0) * activation_bytes * T * (ad.inputs + 2.0 * r * ad.matrices + 6.0 * ad.outputs);
      lora.kernels = (backward ? 8.0 : 4.0) * ad.matrices;
      lora.gemm_m = lora.gemm_n = lora.gemm_k = 0.0;   // several small shapes: no single calibrated one
      lora.dequant_ops = 0.0;
      out.push_back(lora);
    }
    if (qlora && std::string_view(op.name) != "moe_experts" && op.gemm_k > 0.0 && op.gemm_n > 0.0) {
      // bitsandbytes dequantizes the NF4 weight into a bf16 buffer before each GEMM, forward and
      // backward (QLoRA section 3: "we dequantize the storage data type to the computation data
      // type to perform the forward and backward pass"): read 4.127 bits, write 2 B per weight.
      Operator dq = op;
      dq.name = "nf4_dequantize";
      dq.op_class = OpClass::kElementwise;
      dq.flops = 0.0;
      dq.bytes = op.gemm_k * op.gemm_n * (kNf4BytesPerWeight + 2.0);
      dq.kernels = 1.0;
      dq.split = Operator::Split::kTensor;
      dq.gemm_m = dq.gemm_n = dq.gemm_k = 0.0;
      dq.dequant_ops = 0.0;
      out.push_back(dq);
    }
  }
  const std::size_t new_end = out.size();
  for (std::size_t i = layers_end; i < ops.size(); ++i) {
    // The frozen embedding has no gradient to compute and nothing before it needs one.
    if (ops[i].phase == Phase::kBackward && ops[i].op_class == OpClass::kEmbedding) continue;
    out.push_back(frozen(ops[i]));
  }
  ops = std::move(out);
  return new_end;
}

}  // namespace mlsim::workload
