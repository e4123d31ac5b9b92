// A scenario: the system, the software, the model and one job (training or inference), read from a
// YAML file whose entry references (zoo ids, paths, inline mappings) are resolved against the zoo,
// with `--set key=value` overrides applied to the composed tree before it is read.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spec/hardware.hpp"
#include "spec/model.hpp"
#include "spec/precision.hpp"
#include "spec/rlhf_spec.hpp"
#include "spec/serving_spec.hpp"
#include "spec/tree.hpp"
#include "spec/zoo.hpp"

namespace mlsim::spec {

enum class Recompute { kNone, kSelective, kFull };

// Parameter-efficient fine-tuning (`training.adapter`): the base weights are frozen and low-rank
// adapters of rank r train beside the chosen linear layers (LoRA, Hu et al. 2021); QLoRA stores the
// frozen layer weights in 4-bit NormalFloat with double quantization and dequantizes them to bf16
// for every GEMM (Dettmers et al. 2023).
enum class AdapterMethod { kLora, kQlora };
enum class AdapterTargets { kQv, kAttention, kAllLinear };
struct AdapterSpec {
  AdapterMethod method = AdapterMethod::kLora;
  long long rank = 16;
  AdapterTargets targets = AdapterTargets::kAllLinear;
};

struct Parallelism {
  long long tp = 1, pp = 1, dp = 1, ep = 1, cp = 1;
  bool sequence_parallel = false;
  std::optional<bool> sequence_parallel_set;   // as written; resolved against the software entry
  long long zero = 0;
  std::string schedule = "1f1b";
  long long virtual_stages = 1;
  // Layers of each model chunk in pipeline order (pp x virtual_stages entries summing to the
  // model's layers); empty: as even as the division allows.
  std::vector<long long> layers_per_stage;
  // Placement order of the parallel dimensions on the ranks, innermost first (a permutation of
  // tp, cp, dp, pp; expert-parallel groups live inside dp).
  std::vector<std::string> order = {"tp", "cp", "dp", "pp"};
  // The rank stride of a dimension under `order` (1 for the innermost).
  [[nodiscard]] long long stride_of(const std::string& dim) const;
};

struct TrainingSpec {
  long long seq_len = 0;         // tokens per sequence (transformers); 0 for CNNs
  long long global_batch = 1;    // sequences (or images) per optimizer step
  long long micro_batch = 1;
  Precision precision = Precision::kBf16;
  Precision grad_precision = Precision::kFp32;
  Parallelism parallelism;
  // Resolved after the software entry is read: the scenario's training.overlap, else the
  // framework's default, else DP gradients and PP sends overlapped, TP communication exposed.
  bool overlap_dp_grad = true, overlap_tp_comm = false, overlap_pp_p2p = true, overlap_ep_a2a = false, overlap_cp_ring = true;
  bool overlap_tp_backward = false, overlap_zero_prefetch = false;
  std::optional<bool> overlap_dp_grad_set, overlap_tp_comm_set, overlap_pp_p2p_set, overlap_ep_a2a_set, overlap_cp_ring_set;
  std::optional<bool> overlap_tp_backward_set, overlap_zero_prefetch_set;
  // MoE: tokens an expert is provisioned for, as a multiple of the balanced share (GShard's capacity
  // factor); expert GEMMs and all-to-alls are padded to it. 1: dropless and balanced.
  double moe_capacity_factor = 1.0;
  // ZeRO-Offload (Ren et al. 2021): optimizer states and the Adam step on the host CPU, gradients
  // down and updated weights up over the host link.
  bool offload_optimizer = false;
  Recompute recompute = Recompute::kNone;
  std::optional<double> tokens;  // tokens (or samples) to train on, for the time to train
  std::optional<AdapterSpec> adapter;   // LoRA / QLoRA fine-tuning; empty: every weight trains
  // Batch-size ramp-up (Megatron-LM --rampup-batch-size <start> <increment> <samples>; GPT-3's
  // "gradually increase the batch size", Brown et al. 2020): the global batch starts at `start`
  // sequences and grows by `increment` in equal shares of the first `samples` sequences.
  struct BatchRampup {
    long long start = 1, increment = 1;
    double samples = 0;
  };
  std::optional<BatchRampup> batch_rampup;
};

struct InferencePrecision {
  Precision weights = Precision::kBf16;
  Precision activations = Precision::kBf16;
  Precision kv_cache = Precision::kBf16;
};

struct InferenceSpec {
  long long prompt_tokens = 0;
  long long output_tokens = 0;
  std::optional<long long> batch;        // empty with batch_max or an arrival rate
  bool batch_max = false;
  std::optional<PerSecond> arrival_rate;
  InferencePrecision precision;
  Parallelism parallelism;
  bool cuda_graphs = true;
  bool simulate = false;
  std::optional<Seconds> slo_ttft, slo_tpot;
  std::optional<TrafficSpec> traffic;          // inference.traffic (serving_spec.hpp)
  std::optional<SpeculativeSpec> speculative;  // inference.speculative
  std::optional<ModelSpec> draft_model;        // the speculative draft model, resolved from the zoo
  std::optional<DisaggregatedSpec> disaggregated;   // inference.disaggregated
  std::optional<ReasoningSpec> reasoning;           // inference.reasoning
};

struct SystemSpec {
  AcceleratorSpec accelerator;
  long long count = 1;
  std::optional<NodeSpec> node;
  std::optional<FabricSpec> fabric;
  SiteSpec site;

  friend bool operator==(const SystemSpec&, const SystemSpec&) = default;
};

struct Scenario {
  std::string name;
  std::string file;                      // the scenario file ("" for text)
  SystemSpec system;
  SoftwareSpec software;
  ModelSpec model;
  std::optional<TrainingSpec> training;
  std::optional<InferenceSpec> inference;
  std::optional<Seconds> duration;       // ops.duration
  std::optional<ReliabilitySpec> reliability;   // reliability: (spec/operations_spec.hpp)
  std::optional<OperationsSpec> operations;     // operations:
  std::optional<DataSpec> data;                 // data:
  std::optional<AlgorithmSpec> algorithm;       // algorithm:
  std::optional<RlhfSpec> rlhf;                 // rlhf: (spec/rlhf_spec.hpp)
  Node tree;                             // the composed tree, with every value's origin
};

struct Override {
  std::string path;    // dotted: system.accelerator.memory.bandwidth
  std::string value;   // YAML text: "4.8 TB/s", "4", "{weights: int4}"
};

// Parses "key=value" as given to --set; nullopt (with a diagnostic) if malformed.
std::optional<Override> parse_override(const std::string& text, Diagnostics& diags);

// Loads a scenario file (or `text` named `file`), resolves and overrides it, and reads every part.
// Returns nullopt when any error was reported in `diags`.
std::optional<Scenario> load_scenario_file(const std::string& path, const Zoo& zoo, const std::vector<Override>& overrides,
                                           Diagnostics& diags);
std::optional<Scenario> load_scenario_text(const std::string& text, const std::string& file, const Zoo& zoo,
                                           const std::vector<Override>& overrides, Diagnostics& diags);

// Reads the text of a file into `text`; reports and returns false when it cannot be read.
bool read_text_file(const std::string& path, std::string& text, Diagnostics& diags);

// Loads one zoo entry (by kind and id) into a tree; null node (and a diagnostic) if missing.
Node load_entry(const Zoo& zoo, const std::string& kind, const std::string& id, const Origin& where, Diagnostics& diags);

// Converts a Hugging Face config.json (already loaded as a tree) into a model entry tree.
Node model_tree_from_hf_config(const Node& config, Diagnostics& diags);

}  // namespace mlsim::spec
