// `mlsim accuracy`: scores mlsim's predictions against published measurements. Two inputs:
//  * a published.yaml-style list of entries (validation/README.md): each entry that the scenario
//    format can express becomes a scenario (accelerator, node, fabric, model, parallelism and batch
//    from its fields), is evaluated, and its metric is compared per the README's mapping table;
//    the others are listed with the reason they cannot be scored;
//  * vTrain's measured iteration times (validation/vtrain/*.csv), one scenario per row, built as
//    validation/vtrain/README.md says, compared on training.step_time_s.
// The result is plain data (points, and error statistics per category, per group and overall);
// src/report renders it. Pure apart from reading the input files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/evaluate.hpp"
#include "core/diagnostics.hpp"
#include "spec/scenario.hpp"
#include "spec/tree.hpp"
#include "spec/zoo.hpp"

namespace mlsim::analysis {

// What became of a measurement.
enum class PointStatus {
  kScored,           // predicted and compared
  kUnsupported,      // expressible as a scenario, but this mlsim cannot evaluate it yet (unsupported_reason)
  kInfeasible,       // evaluated: the design point does not fit (the estimate's infeasible_reason)
  kNotExpressible,   // the measurement cannot be written as a scenario and metric (the reason says why)
  kError,            // the scenario built from the entry was rejected (a bug in the mapping: the reason has it)
};
std::string_view status_name(PointStatus s);

struct AccuracyPoint {
  std::string id;          // the entry's id, or "vtrain-multi-<line>" for a CSV row
  std::string source;      // the input file
  Origin where;            // the entry or row in that file
  std::string category;    // A_training, B_inference, ..., vtrain_multi, vtrain_single
  std::string group;       // vTrain: model size ("3.6B") or GPU count ("8 GPUs"); else empty
  std::string metric;      // the published metric
  std::string unit;        // of expected and predicted
  std::string compared;    // what of the estimate it is compared with ("training.step_time_s", ...)
  std::optional<double> expected;
  std::optional<double> predicted;
  std::optional<double> signed_error;   // (predicted - expected) / expected, when scored
  PointStatus status = PointStatus::kNotExpressible;
  std::string reason;                   // why it is not scored
  std::vector<std::string> notes;       // assumptions made to express it
  std::string scenario_yaml;            // the scenario built for it (empty when none)
  std::vector<spec::Override> overrides;   // applied to that scenario before the command's --set
};

// Error statistics of the scored points of one set (fractions: 0.1 is 10%).
struct ErrorStats {
  std::string name;
  long long points = 0, scored = 0, unsupported = 0, infeasible = 0, not_expressible = 0, errors = 0;
  std::optional<double> median_abs_error, mean_abs_error, mean_signed_error, within_10pct, within_25pct;
};

// Statistics of a list of signed errors (fractions), counts left at zero.
ErrorStats error_stats(const std::string& name, const std::vector<double>& signed_errors);

struct AccuracyReport {
  std::vector<std::string> inputs;
  std::vector<AccuracyPoint> points;
  std::vector<ErrorStats> categories;   // in order of first appearance
  std::vector<ErrorStats> groups;       // "vtrain_multi 3.6B", ...: categories whose points have groups
  ErrorStats overall;
};

// Fills categories, groups and overall from the points.
void summarize(AccuracyReport& report);

// ---- CSV ------------------------------------------------------------------------------------------

struct CsvRow {
  int line = 0;
  std::vector<std::string> cells;
  std::vector<int> columns;   // 1-based column of each cell
};
struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
};
// RFC 4180-ish: commas, optional double quotes ("" inside), LF or CRLF, a UTF-8 BOM is skipped.
// Empty lines are skipped. A row whose cell count differs from the header's is an error.
CsvTable parse_csv(const std::string& text, const std::string& file, Diagnostics& diags);

// ---- vTrain ---------------------------------------------------------------------------------------

struct VtrainRow {
  std::optional<std::string> params_b;   // "3.6" (multi-node file only)
  long long gpus = 0, global_batch = 0, micro_batch = 0, hidden = 0, heads = 0, layers = 0, seq_len = 0, tp = 1, dp = 1, pp = 1;
  double time_ms = 0;
  Origin where;
};
// Reads either vTrain file (the single-node one has no "Parameters (billion)" column); columns are
// found by their header names. Bad cells are errors with file:line:col.
std::vector<VtrainRow> read_vtrain_csv(const std::string& text, const std::string& file, Diagnostics& diags);

// The scenario of a row, as validation/vtrain/README.md maps it.
std::string vtrain_scenario_yaml(const VtrainRow& row, const std::string& name);

// ---- published.yaml -------------------------------------------------------------------------------

// How a published entry is predicted: the scenario, and how the estimate gives its metric.
struct PublishedMapping {
  bool expressible = false;
  std::string reason;                 // when not expressible
  std::string scenario_yaml;
  std::string compared;               // e.g. "training.hfu × 312 TFLOP/s"
  std::string unit;                   // unit of the compared value (the entry's)
  std::vector<std::string> notes;     // assumptions
  // What to read from the estimate.
  enum class Quantity {
    kStepTimeMs, kHfuTimesPeak, kMfuTimesPeak, kMfuPercent, kTokensPerSPerGpu, kTimeToTrainMinutes, kThroughput, kTtftMs,
    kThroughputPerGpu,   // inference tokens/s over the GPUs (a table "per GPU")
    // Operations (analysis/accuracy_ops.cpp): checkpoint TB, failures in the stated wall time,
    // cluster MTBF in hours, GPU-hours including failures, GPU-hours x TDP in kWh.
    kCheckpointTb, kFailuresInDuration, kClusterMtbfHours, kGpuHours, kGpuHoursTimesTdpKwh,
    // One transformer layer of one micro-batch (training.layer): forward + backward, forward,
    // backward, in ms; HFU in percent.
    kLayerMs, kLayerForwardMs, kLayerBackwardMs, kHfuPercent,
    // TFLOP/s per GPU with the source's own count, Megatron-LM's formula scaled by 3/4 to model
    // FLOPs, 72·B·s·l·h²(1 + s/6h + V/16lh) per step (Narayanan et al. 2021 section 5.1; the
    // flash-attention repository's training/README.md), over the predicted step time.
    kMegatronModelTflops
  };
  Quantity quantity = Quantity::kMfuPercent;
  double peak_tflops = 0;             // for the × peak quantities
  long long gpus = 1;
  // The micro-batch is not given and there is no pipeline to trade it against: take the largest
  // that fits and divides the per-rank batch, as a practitioner tunes it.
  bool largest_micro_batch = false;
  // ...at most the per-GPU batch the flash-attention repository's config sets for the run's model,
  // length and an 80 GB GPU (Dao 2023's training table).
  bool flash_attention_repo_batch = false;
  std::vector<spec::Override> overrides;   // applied to the scenario (e.g. a model key the run changed)
  // Other measurements of the same entry (its `also` values) that the same scenario expresses with
  // a few keys changed: each is scored as a point `<id>@<also key>`.
  struct Variant {
    std::string also_key;
    Quantity quantity = Quantity::kMfuPercent;
    std::string compared;
    std::vector<spec::Override> overrides;
    std::string note;
    std::string unit;   // when it differs from the entry's
    // Set when the other measurement cannot be written as a scenario: the point is listed with it.
    std::string not_expressible;
  };
  std::vector<Variant> variants;
  // A trtllm-bench throughput run that sets neither batch limit: its max_batch_size and
  // max_num_tokens come from trtllm-bench's heuristic (analysis/trtllm_bench.hpp) for the run's own
  // lengths or, when the engine was built once from another dataset, for that dataset's.
  struct TrtllmBench {
    double heuristic_kv_fraction = 0.95;   // the KV share the heuristic assumes
    double runtime_kv_fraction = 0.95;     // --kv_cache_free_gpu_mem_fraction of the run
    bool chunked_prefill = false;
    long long build_isl = 0, build_osl = 0;   // 0: the run's lengths
  };
  std::optional<TrtllmBench> trtllm_bench;
};
PublishedMapping map_published_entry(const spec::Node& entry, const spec::Zoo& zoo);
// The operations entries (category D_) that a scenario can express, by id; nullopt for the others.
std::optional<PublishedMapping> map_operations_entry(const std::string& id);
// Korthikanti et al. 2022's entries (A-KORTH22-*): their configurations are the source's Table 3.
std::optional<PublishedMapping> map_korthikanti_entry(const std::string& id);

// ---- running --------------------------------------------------------------------------------------

class AccuracyRunner {
 public:
  // `overrides` (--set) apply to every point's scenario, as in analyze: a what-if over the whole
  // data set, or the grid search of a fitted figure on one half of it.
  explicit AccuracyRunner(const spec::Zoo& zoo, std::vector<spec::Override> overrides = {})
      : zoo_(zoo), overrides_(std::move(overrides)) {}
  // Scores one input: a .csv (vTrain) or a YAML list of published entries. Bad input goes to diags.
  void add_file(const std::string& path, AccuracyReport& report, Diagnostics& diags);
  // Scores the entries of a published.yaml text (named `file`).
  void add_published(const std::string& text, const std::string& file, AccuracyReport& report, Diagnostics& diags);
  // Scores the rows of a vTrain CSV text (named `file`).
  void add_vtrain(const std::string& text, const std::string& file, AccuracyReport& report, Diagnostics& diags);
  // Loads p.scenario_yaml, checks it is supported, evaluates it, and fills p's predicted value,
  // signed error and status (the mapping says which number of the estimate is compared).
  void evaluate_point(AccuracyPoint& p, const PublishedMapping& mapping);
  // The points of an offline-throughput entry's other measured lengths (`also.isl_osl_<in>_<out>`).
  std::vector<AccuracyPoint> length_variants(const spec::Node& entry, const AccuracyPoint& base, const PublishedMapping& m);
  std::vector<AccuracyPoint> also_variants(const spec::Node& entry, const AccuracyPoint& base, const PublishedMapping& m);

 private:
  const spec::Zoo& zoo_;
  std::vector<spec::Override> overrides_;
  Evaluator evaluator_;
};

// Points for an 8-GPU all-reduce entry's message-size sweep (`also.busbw_<size>`), predicted by the
// collective model on `node` (analysis/accuracy_collectives.cpp); empty for any other entry.
std::vector<AccuracyPoint> collective_sweep_points(const spec::Node& entry, const std::string& id, const std::string& file,
                                                   const std::string& accelerator, const std::string& node, const spec::Zoo& zoo);

// Points for all-reduce measurements across nodes (a cluster-wide busbw entry, or an entry's
// two-node figure), predicted by the collective model on the placed ranks; the first may replace the
// entry's own point (same id).
std::vector<AccuracyPoint> collective_scale_points(const spec::Node& entry, const std::string& id, const std::string& file,
                                                   const std::string& accelerator, const std::string& node, const spec::Zoo& zoo);

// The inputs a path stands for: a file is itself; a directory gives every *.yaml/*.yml/*.csv under
// it except README-like files (sorted). Reports paths that do not exist.
std::vector<std::string> expand_accuracy_inputs(const std::vector<std::string>& paths, Diagnostics& diags);

// The project's validation/ folder: the first `validation/published.yaml` found in `start` or one
// of its parents; empty when there is none.
std::string find_validation_dir(const std::string& start);

// Runs every input and summarizes.
AccuracyReport run_accuracy(const std::vector<std::string>& inputs, const spec::Zoo& zoo, Diagnostics& diags,
                            const std::vector<spec::Override>& overrides = {});

}  // namespace mlsim::analysis
