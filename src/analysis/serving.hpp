// Serving across accelerators: what a tensor-, pipeline- and expert-parallel layout of one replica
// puts on each device (weights, KV cache, operator work), and whether the layout can run.
// Tensor parallelism follows Megatron-LM (Shoeybi et al. 2019): attention heads and MLP columns
// split over the TP ranks, two all-reduces of the hidden states per layer per forward step (after
// the row-parallel attention output and MLP down projections); vLLM, TensorRT-LLM and SGLang
// shard decoder models the same way.
#pragma once

#include <string>

#include "analysis/estimate.hpp"
#include "solvers/scheduler_sim.hpp"
#include "spec/scenario.hpp"
#include "workload/operator.hpp"

namespace mlsim::analysis {

// The first reason the inference layout cannot run, or "" (degrees that do not divide, TP beyond a
// node, EP without experts).
std::string serving_layout_problem(const spec::Scenario& s);

// Divides the work of operators [first, last) among `tp` ranks (Operator::Split::kTensor ones);
// with `ep` > 1 the routed experts are held experts / ep per rank: `group_tokens` tokens (the
// tokens of the ep / tp replicas sharing the experts) touch them, each rank streams its share.
void shard_for_serving(workload::OperatorList& ops, std::size_t first, std::size_t last, const spec::ModelSpec& m,
                       double tp, double ep, double tokens, Precision weights, Precision act);

// Weight bytes on one device: the layers split over tp x pp (routed experts over ep x pp), the
// vocabulary-parallel embedding and head over tp, on the first and last stages.
double serving_weight_bytes_per_device(const spec::ModelSpec& m, Precision weights, Precision act, double tp, double pp,
                                       double ep);

// The fraction of a sequence's KV cache one device holds: layers split over pp; KV heads over tp
// (a KV head is replicated when tp exceeds the KV heads; MLA's latent is replicated on every TP
// rank, as vLLM and SGLang store it).
double kv_share_per_device(const spec::ModelSpec& m, double tp, double pp);

// Serving under traffic (inference.arrival_rate, or traffic: {arrival: offline}): the scheduler's
// limits from the KV memory (`kv_bytes` per device for the cache, `kv_token_bytes` per token per
// device), then the closed-form steady state or, with inference.simulate (and always offline), the
// scheduler simulation, on `cost`, the price of one step of one replica. Fills the latency
// percentiles, throughput, goodput and the serving section of `ir`.
void evaluate_traffic(const spec::Scenario& s, const solvers::StepCost& cost, double kv_token_bytes, double kv_bytes,
                      InferenceReport& ir, Estimate& e);

}  // namespace mlsim::analysis
