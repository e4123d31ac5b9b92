// Point builders for Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
// Transformer Models" (arXiv:2205.05198): its runs are the configurations of its Table 3 (model,
// tensor and pipeline sizes, GPUs, global and micro batch), on Selene's DGX A100 nodes. The
// entries transcribe the layout but not the batches, which are Table 3's.
#include <string>

#include "analysis/accuracy.hpp"

namespace mlsim::analysis {

namespace {

using Q = PublishedMapping::Quantity;

// GPT-style model of Table 3 (GeLU MLP of 4h, LayerNorm, biases, learned positions, tied
// embeddings, the 51,200-entry padded GPT-2 vocabulary as in the Megatron-LM runs).
std::string gpt(int layers, int hidden, int heads, const std::string& name) {
  return "{schema_version: 1, kind: model, name: \"" + name + "\", architecture: decoder, layers: " + std::to_string(layers) +
         ", hidden: " + std::to_string(hidden) + ", heads: " + std::to_string(heads) + ", kv_heads: " + std::to_string(heads) +
         ", ffn: " + std::to_string(4 * hidden) +
         ", activation: gelu, norm: layernorm, bias: true, positions: learned, max_seq_len: 2048, vocab: 51200, dropout: 0.1, "
         "tied_embeddings: true}";
}

// Megatron-LM of 2022: fused scale-mask-softmax attention (the attention core that selective
// recomputation recomputes), so the megatron_2021 entry with sequence parallelism as the run sets it.
std::string scenario(const std::string& name, long long gpus, const std::string& model, const std::string& training) {
  std::string sys = "{accelerator: a100_sxm_80gb, count: " + std::to_string(gpus) + ", node: dgx_a100";
  if (gpus > 8) sys += ", fabric: ib_hdr200_fat_tree";
  sys += "}";
  return "schema_version: 1\nkind: scenario\nname: \"" + name + "\"\nsystem: " + sys + "\nsoftware: megatron_2021\nmodel: " + model +
         "\ntraining: " + training + "\n";
}

PublishedMapping base(std::string compared, Q q, std::string yaml, long long gpus, std::vector<std::string> notes) {
  PublishedMapping m;
  m.expressible = true;
  m.quantity = q;
  m.compared = std::move(compared);
  m.scenario_yaml = std::move(yaml);
  m.gpus = gpus;
  m.notes = std::move(notes);
  return m;
}

PublishedMapping::Variant variant(std::string key, Q q, std::string compared, bool sp, const std::string& recompute, std::string note) {
  PublishedMapping::Variant v;
  v.also_key = std::move(key);
  v.quantity = q;
  v.compared = std::move(compared);
  v.overrides = {{"software.sequence_parallel", sp ? "true" : "false"}, {"training.recompute", recompute}};
  v.note = std::move(note);
  return v;
}

}  // namespace

std::optional<PublishedMapping> map_korthikanti_entry(const std::string& id) {
  const std::string software = "software: megatron_2021 (Megatron-LM's fused-softmax attention, materialized) with sequence parallelism";
  // The source's 2022 code overlaps each column-parallel linear's input-gradient all-reduce (or
  // reduce-scatter) with its weight-gradient GEMM; the 2021 scaling study's code did not.
  const std::string async_tp =
      "overlap: tp_backward (Megatron-LM 2022's asynchronous TP all-reduce: LinearWithGradAccumulationAndAsyncCommunication "
      "runs the input-gradient all-reduce or reduce-scatter beside the weight-gradient GEMM)";
  if (id == "A-KORTH22-22B-LAYER-TIME") {
    // Table 4: one layer of the 22B model (Table 3: tp 8 on 8 GPUs, batch 4, micro-batch 4),
    // forward and backward times under each recomputation scheme.
    const std::string fb = "(training.layer.forward_s + backward_s) × 1000";
    // The source times one layer: the model is cut to 4 of its 48 layers, which leaves a layer's
    // time as it is and lets the runs without recomputation fit (the whole model would not).
    PublishedMapping m = base(fb, Q::kLayerMs,
                              scenario("Korthikanti et al. 2022 Table 4: a 22B layer on 8 A100s", 8, gpt(4, 6144, 64, "GPT 22B, 4 of its 48 layers"),
                                       "{seq_len: 2048, global_batch: 4, micro_batch: 4, precision: fp16, parallelism: {tp: 8, pp: 1, dp: 1}, "
                                       "recompute: selective, overlap: {tp_backward: true}}"),
                              8,
                              {"the 22B model and layout of the source's Table 3: tp 8, 8 GPUs, global batch 4, micro-batch 4",
                               "4 of the model's 48 layers: the source times one layer, and without recomputation the whole model "
                               "does not fit in 80 GB",
                               software, async_tp, "value: selective recomputation + sequence parallelism (the source's Table 4 last row)"});
    m.overrides.push_back({"software.sequence_parallel", "true"});
    const std::string f = "training.layer.forward_s × 1000", b = "training.layer.backward_s × 1000";
    m.variants = {
        variant("baseline_no_recompute_ms", Q::kLayerMs, fb, false, "none", "Table 4 baseline: no recomputation, no sequence parallelism"),
        variant("baseline_fwd_ms", Q::kLayerForwardMs, f, false, "none", "Table 4 baseline forward"),
        variant("baseline_bwd_ms", Q::kLayerBackwardMs, b, false, "none", "Table 4 baseline backward"),
        variant("seq_parallel_only_ms", Q::kLayerMs, fb, true, "none", "Table 4: sequence parallelism, no recomputation"),
        variant("full_recompute_ms", Q::kLayerMs, fb, false, "full", "Table 4: full recomputation, no sequence parallelism"),
        variant("full_recompute_bwd_ms", Q::kLayerBackwardMs, b, false, "full", "Table 4: full recomputation, backward"),
        variant("selective_only_ms", Q::kLayerMs, fb, false, "selective", "Table 4: selective recomputation, no sequence parallelism"),
        variant("selective_bwd_ms", Q::kLayerBackwardMs, b, false, "selective", "Table 4: selective recomputation, backward"),
    };
    return m;
  }
  if (id == "A-KORTH22-1T-MFU") {
    // Table 5: the 1T model (Table 3: tp 8, pp 64 on 512 GPUs, global batch 512, micro-batch 1)
    // with selective recomputation and sequence parallelism.
    PublishedMapping m = base("training.mfu × 100", Q::kMfuPercent,
                              scenario("Korthikanti et al. 2022 Table 5: 1T on 512 A100s", 512, "megatron_gpt_1t",
                                       "{seq_len: 2048, global_batch: 512, micro_batch: 1, precision: fp16, parallelism: {tp: 8, pp: 64, dp: 1}, "
                                       "recompute: selective, overlap: {tp_backward: true}}"),
                              512,
                              {"the 1T layout of the source's Table 3: tp 8, pp 64, 512 GPUs, global batch 512, micro-batch 1 (the entry "
                               "transcribes the layout, not the batch)",
                               "model: zoo megatron_gpt_1t (128 layers, hidden 25600, 160 heads: the source's 1T)", software, async_tp});
    m.overrides.push_back({"software.sequence_parallel", "true"});
    PublishedMapping::Variant hfu;
    hfu.also_key = "hfu_pct";
    hfu.quantity = Q::kHfuPercent;
    hfu.compared = "training.hfu × 100";
    hfu.note = "HFU: the recomputed attention core counted (the source's definition)";
    m.variants = {hfu};
    return m;
  }
  return std::nullopt;
}

}  // namespace mlsim::analysis
