// Device memory of a job: weights, gradients and optimizer state (mixed-precision Adam), the
// activations saved for backward (from the tensors each operator saves, under recomputation),
// the KV cache, and the framework's workspace.
#pragma once

#include "spec/model.hpp"
#include "spec/precision.hpp"
#include "spec/scenario.hpp"

namespace mlsim::workload {

struct MemoryBreakdown {
  double weights = 0, gradients = 0, optimizer = 0, activations = 0, kv_cache = 0, workspace = 0;
  [[nodiscard]] double total() const { return weights + gradients + optimizer + activations + kv_cache + workspace; }
};

// Bytes one transformer layer saves for backward, per sequence of `seq` tokens. Without recompute
// and with materialized attention and dropout this is Korthikanti et al. 2022's sbh(34 + 5as/h).
double layer_activation_bytes(const spec::ModelSpec& m, double seq, Precision act, spec::Recompute recompute, bool flash,
                              bool moe_layer);

// The same on one of `tp` tensor-parallel ranks: the tensors of the split GEMMs and attention heads
// are divided by tp; the norm inputs, the GEMM inputs and the dropout masks are replicated unless
// sequence parallelism splits them too (Korthikanti et al. 2022: sbh(10 + 24/t + 5as/(ht)) without,
// sbh(34/t + 5as/(ht)) with sequence parallelism).
double layer_activation_bytes_tp(const spec::ModelSpec& m, double seq, Precision act, spec::Recompute recompute, bool flash,
                                 bool moe_layer, double tp, bool sequence_parallel);

// Saved activations of a training micro-batch for the whole model (layers, final norm, logits).
double training_activation_bytes(const spec::ModelSpec& m, double micro_batch, double seq, Precision act,
                                 spec::Recompute recompute, bool flash);

// KV-cache bytes per token of context, summed over layers (MHA/GQA/MQA: K and V per KV head;
// MLA: the compressed latent plus the shared rope key).
double kv_cache_bytes_per_token(const spec::ModelSpec& m, Precision kv);

// Weight bytes at a storage precision; embeddings and LM head stay at `act` (see transformer.cpp).
double inference_weight_bytes(const spec::ModelSpec& m, Precision weights, Precision act);

// Transient activations of a prefill of `tokens` tokens (the largest live set of one layer).
double prefill_workspace_bytes(const spec::ModelSpec& m, double tokens, double sequences, Precision act);

}  // namespace mlsim::workload
