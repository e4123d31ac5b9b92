#include "analysis/serving.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

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
      op.bytes = touched / ep * mats * h * ef * bytes_per_element(weights) +
                 routed * (2.0 * h + (swiglu ? 4.0 : 2.0) * ef) * bytes_per_element(act);
      continue;
    }
    if (op.split != workload::Operator::Split::kTensor) continue;
    op.flops /= tp;
    op.bytes /= tp;
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

}  // namespace mlsim::analysis
