// Point builders for the published operations figures (validation/published.yaml, category
// D_reliability_energy) that a scenario expresses: the run's published configuration, with every
// choice the source leaves open stated as a note. Failure rates always come from the zoo's node
// entries, i.e. from Llama 3's Table 5, never from the run being scored (docs/accuracy.md).
#include <string>

#include "analysis/accuracy.hpp"

namespace mlsim::analysis {

namespace {

std::string scenario(const std::string& name, const std::string& system, const std::string& software, const std::string& model,
                     const std::string& training, const std::string& tail) {
  return "schema_version: 1\nkind: scenario\nname: \"" + name + "\"\nsystem: " + system + "\nsoftware: " + software +
         "\nmodel: " + model + "\ntraining: " + training + "\n" + tail;
}

// BLOOM-176B (Le Scao et al. 2022, Table 3 / model card): 70 layers, hidden 14336, 112 heads,
// ALiBi, vocabulary 250,880, tied embeddings.
const char* kBloom =
    "{schema_version: 1, kind: model, id: bloom_176b, name: BLOOM-176B, architecture: decoder, layers: 70, hidden: 14336, "
    "heads: 112, kv_heads: 112, head_dim: 128, ffn: 57344, activation: gelu, norm: layernorm, bias: true, positions: alibi, "
    "max_seq_len: 2048, sliding_window: null, vocab: 250880, tied_embeddings: true, attention: {kind: mha}}";

// LLaMA-65B (Touvron et al. 2023, Table 2; ffn 22016 from the released params): 80 layers, hidden
// 8192, 64 heads, SwiGLU, RMSNorm, RoPE, vocabulary 32,000.
const char* kLlama65b =
    "{schema_version: 1, kind: model, id: llama_65b, name: LLaMA-65B, architecture: decoder, layers: 80, hidden: 8192, "
    "heads: 64, kv_heads: 64, head_dim: 128, ffn: 22016, activation: swiglu, norm: rmsnorm, bias: false, positions: rope, "
    "max_seq_len: 2048, sliding_window: null, vocab: 32000, tied_embeddings: false, attention: {kind: mha}}";

PublishedMapping mapping(PublishedMapping::Quantity q, std::string compared, std::string unit, std::string yaml, long long gpus,
                         std::vector<std::string> notes) {
  PublishedMapping m;
  m.expressible = true;
  m.quantity = q;
  m.compared = std::move(compared);
  m.unit = std::move(unit);
  m.scenario_yaml = std::move(yaml);
  m.gpus = gpus;
  m.notes = std::move(notes);
  return m;
}

}  // namespace

std::optional<PublishedMapping> map_operations_entry(const std::string& id) {
  using Q = PublishedMapping::Quantity;
  const std::string rates = "failure rates: the dgx_a100 entry's, i.e. Llama 3's Table 5 (H100, 2024) per node, not this run's";
  if (id == "D-MEG21-1T-CHECKPOINT") {
    return mapping(Q::kCheckpointTb, "reliability.checkpoint_bytes / 1e12", "TB",
                   scenario("Megatron-LM GPT 1T on 3072 A100s", "{accelerator: a100_sxm_80gb, count: 3072, node: dgx_a100, fabric: ib_hdr200_fat_tree}",
                            "megatron_2021", "megatron_gpt_1t",
                            "{seq_len: 2048, global_batch: 3072, micro_batch: 1, precision: fp16, parallelism: {tp: 8, pp: 64, dp: 6}, recompute: full}",
                            "ops: {duration: 1 d}\n"),
                   3072, {"Megatron-LM Table 1 layout (tp 8, pp 64, dp 6)", "checkpoint = params x (2 fp16 + 4 fp32 master + 8 Adam)"});
  }
  if (id == "D-OPT175B-RESTARTS") {
    return mapping(Q::kFailuresInDuration, "reliability.work_s / reliability.cluster_mtbf_s (60 days)", "restarts",
                   scenario("OPT-175B on 992 A100s for ~2 months", "{accelerator: a100_sxm_80gb, count: 992, node: dgx_a100, fabric: ib_hdr200_fat_tree}",
                            "pytorch_fsdp", "gpt3_175b",
                            "{seq_len: 2048, global_batch: 992, micro_batch: 1, precision: fp16, parallelism: {tp: 8, dp: 124, zero: 3}, recompute: full}",
                            "ops: {duration: 60 d}\n"),
                   992, {"OPT-175B has GPT-3 175B's shape (Zhang et al. 2022)", "~2 months taken as 60 days of wall time on 124 nodes",
                         rates, "the published figure counts manual restarts (at least 35); the logbook adds >70 automatic ones"});
  }
  if (id == "D-KOKOLIS-MTTF-1024GPU") {
    return mapping(Q::kClusterMtbfHours, "reliability.cluster_mtbf_s / 3600", "hours",
                   scenario("A 1024-GPU job on an A100 research cluster", "{accelerator: a100_sxm_80gb, count: 1024, node: dgx_a100, fabric: ib_hdr200_fat_tree}",
                            "megatron", "llama2_7b",
                            "{seq_len: 4096, global_batch: 1024, micro_batch: 1, precision: bf16, parallelism: {dp: 1024, zero: 1}}",
                            "ops: {duration: 1 d}\n"),
                   1024, {"128 nodes of 8 A100s; the job's model does not change the MTBF", rates,
                          "Kokolis et al. count every job failure of a multi-tenant research cluster"});
  }
  if (id == "D-BLOOM-176B-ENERGY-CO2") {
    // Megatron-DeepSpeed (BigScience's fork of 2021 Megatron-LM with DeepSpeed's ZeRO-1 and
    // pipeline): Megatron's fused scale-mask-softmax with the ALiBi bias, no FlashAttention (it
    // had no ALiBi in 2022), so the megatron_2021 entry. Jean Zay's A100 nodes have 4 Omni-Path
    // 100 Gb/s ports (the A-BLOOM-176B-TFLOPS entry's hardware), not a DGX's 8 HDR ones.
    PublishedMapping m = mapping(Q::kGpuHoursTimesTdpKwh, "ops.gpu_hours (with failures) x 400 W / 1000", "kWh",
                   scenario("BLOOM-176B on 384 A100s (Jean Zay)", "{accelerator: a100_sxm_80gb, count: 384, node: dgx_a100, fabric: opa100_fat_tree, site: france}",
                            "megatron_2021", kBloom,
                            "{seq_len: 2048, global_batch: 2048, micro_batch: 2, precision: bf16, parallelism: {tp: 4, pp: 12, dp: 8, zero: 1, layers_per_stage: [5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5]}, recompute: full, tokens: 366e9, "
                            "batch_rampup: {start: 192, increment: 16, samples: 9765625}}",
                            ""),
                   384, {"BLOOM's layout: tp 4, pp 12, dp 8, micro-batch 2, global batch 2048, activation checkpointing (Megatron-DeepSpeed tr11 script)",
                         "70 layers over 12 stages: 5 on the first and last, 6 elsewhere (the script's --pp-partition-method "
                         "'type:transformer|embedding' counts the embedding and the tied head as one layer each: 72 / 12)",
                         "Jean Zay's nodes as DGX A100 nodes with 4 Omni-Path 100 Gb/s ports (assumption: NVSwitch inside)", rates,
                         "software: megatron_2021 (Megatron-DeepSpeed: fused-softmax attention with ALiBi, no FlashAttention)",
                         "energy as the paper computes it: GPU-hours x 400 W TDP, no PUE or node overhead",
                         "batch ramp-up from 192 by 16 over the first 9,765,625 samples (the script's --rampup-batch-size), at "
                         "micro-batch 2 throughout (the run used 1 until the batch reached 784)",
                         "CUDA_LAUNCH_BLOCKING=1, as the run's script exports it (\"do not remove or the training will hang\"): "
                         "every kernel's host work and device work add up"});
    // bigscience-workshop/bigscience train/tr11-176B-ml/tr11-176B-ml.slurm (commit e726b15)
    // exports CUDA_LAUNCH_BLOCKING=1 for the whole run.
    m.overrides.push_back({"software.launch_blocking", "true"});
    m.overrides.push_back({"system.node.nics.count", "4"});
    m.overrides.push_back({"system.node.nics.bandwidth", "100 Gb/s"});
    return m;
  }
  if (id == "D-LLAMA1-65B-GPU-HOURS") {
    return mapping(Q::kGpuHours, "ops.gpu_hours (with failures)", "GPU-hours",
                   scenario("LLaMA-65B on 2048 A100s", "{accelerator: a100_sxm_80gb, count: 2048, node: dgx_a100, fabric: ib_hdr200_fat_tree}",
                            "megatron", kLlama65b,
                            "{seq_len: 2048, global_batch: 2048, micro_batch: 1, precision: bf16, parallelism: {tp: 8, pp: 4, dp: 64}, recompute: selective, tokens: 1.4e12}",
                            ""),
                   2048, {"4M-token batches of 2048-token sequences (Touvron et al. 2023)",
                          "layout not published: tp 8, pp 4, dp 64, selective recompute assumed", rates});
  }
  return std::nullopt;
}

}  // namespace mlsim::analysis
