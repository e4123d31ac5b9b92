// The Evaluator on scenarios written as YAML: the acceptance checks (Llama 3 8B decode on
// an H100, compute-bound large-batch decode and long prefill, a model that does not fit), training
// FLOPs and memory (MFU/HFU definitions), the largest batch, and the operations section. Hardware
// and site figures are read from the zoo, not hard-coded.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "analysis/evaluate.hpp"
#include "spec/hardware.hpp"
#include "spec/model.hpp"
#include "../support.hpp"
#include "workload/memory.hpp"
#include "workload/params.hpp"

namespace mlsim {
namespace {

analysis::Estimate evaluate(const std::string& yaml, const std::vector<spec::Override>& overrides = {}) {
  return test::evaluate_text(yaml, overrides);
}

std::string scenario(const std::string& system, const std::string& model, const std::string& job,
                     const std::string& extra = "") {
  return "schema_version: 1\nkind: scenario\nname: test\nsystem: " + system + "\nmodel: " + model + "\n" + job + "\n" +
         extra;
}

const analysis::Wall* wall(const analysis::Estimate& e, const std::string& name) {
  for (const auto& w : e.walls) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

spec::AcceleratorSpec accelerator(const std::string& id) {
  return test::zoo_entry("accelerator", id, spec::read_accelerator);
}
spec::ModelSpec model(const std::string& id) { return test::zoo_entry("model", id, spec::read_model); }

constexpr auto kBf16 = static_cast<std::size_t>(Precision::kBf16);

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("acceptance: Llama 3 8B fp16, batch 1, decode at 2048 tokens on an H100 SXM") {
  // Decode runs at the mean context of the output, prompt + output / 2 = 2047 + 1 = 2048.
  const auto e = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "llama3_8b",
                                   "inference: {prompt_tokens: 2047, output_tokens: 2, batch: 1, precision: fp16}"));
  CHECK(e.feasible);
  REQUIRE(e.inference.has_value());
  const auto& inf = *e.inference;
  // KV cache: 32 layers x 8 KV heads x (128 + 128) x 2 B = 131,072 B per token.
  REQUIRE(inf.kv_cache_bytes_per_token.has_value());
  CHECK(*inf.kv_cache_bytes_per_token == 131'072.0);
  // Weights: 2 B x 8,030,261,248 = 16,060,522,496 B, "about 16.06 GB", all resident.
  CHECK(e.memory.weights_bytes == 16'060'522'496.0);
  CHECK(e.memory.weights_bytes / 1e9 == mlsim::test::approx(16.06).epsilon(0.001));
  CHECK(e.memory.offloaded_weight_bytes == 0.0);
  // KV cache of the whole sequence: 2049 tokens x 131,072 B.
  CHECK(e.memory.kv_cache_bytes == 2'049.0 * 131'072.0);
  // A decode step reads every weight and the 2048-token cache at least once:
  // 16,060,522,496 + 2048 x 131,072 = 16,328,957,952 B; at the peak 3.35 TB/s that is 4.874 ms.
  const double bytes = 16'060'522'496.0 + 2'048.0 * 131'072.0;
  const double floor_s = bytes / accelerator("h100_sxm").memory_bandwidth.si();
  CHECK(floor_s == mlsim::test::approx(4.8743e-3).epsilon(1e-4));
  REQUIRE(inf.tpot_s.has_value());
  CHECK(*inf.tpot_s >= floor_s);
  CHECK(*inf.tpot_s <= 1.5 * floor_s);
  CHECK(e.binding_wall == "memory_bandwidth");
  // Fixed batch: e2e = TTFT + (output - 1) x TPOT; throughput = batch x output / e2e.
  REQUIRE(inf.ttft_s.has_value());
  CHECK(inf.e2e_s == mlsim::test::approx(*inf.ttft_s + *inf.tpot_s).epsilon(1e-12));
  CHECK(inf.throughput_tokens_per_s == mlsim::test::approx(2.0 / inf.e2e_s).epsilon(1e-12));
}

TEST_CASE("acceptance: decode at large batch and short context is compute-bound") {
  // Batch 512 at ~129 tokens: each weight byte serves 512 tokens (512 FLOP/B in bf16, above the
  // H100's ridge of 272.6 FLOP/B), while the cache is only 512 x 130 x 128 KiB = 8.7 GB.
  const auto e = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "llama3_8b",
                                   "inference: {prompt_tokens: 128, output_tokens: 2, batch: 512, precision: bf16}"));
  CHECK(e.feasible);
  CHECK(e.binding_wall == "compute");
  // The GEMMs alone: 2 x 512 x (7,504,658,432 - 525,336,576 LM head) + 2 x 512 x 525,336,576
  // = 2 x 512 x 7,504,658,432 = 7.685e12 FLOPs at 989.4 TFLOPS x 0.803 = 9.67 ms at least.
  const auto h = accelerator("h100_sxm");
  const double gemm_s = 2.0 * 512.0 * 7'504'658'432.0 / (h.peak_at(Precision::kBf16)->si() * h.efficiency.compute_at[kBf16]);
  CHECK(gemm_s == mlsim::test::approx(9.673e-3).epsilon(1e-3));
  REQUIRE(e.inference.has_value());
  CHECK(*e.inference->tpot_s >= gemm_s);
}

TEST_CASE("acceptance: prefill of a long prompt is compute-bound") {
  const auto e = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "llama3_8b",
                                   "inference: {prompt_tokens: 8192, output_tokens: 16, batch: 1, precision: bf16}"));
  CHECK(e.feasible);
  double compute = 0.0, memory = 0.0;
  for (const auto& r : e.operators) {
    if (r.phase != "prefill") continue;
    (r.bound == "compute" ? compute : memory) += r.count * r.time_s;
  }
  CHECK(compute > 0.9 * (compute + memory));
  CHECK(contains(e.binding_reason, "prefill is compute-bound"));
  // TTFT is at least the compute time of the GEMMs and attention (each op takes the larger of its
  // compute and memory times): GEMMs 2 x 8192 x 6,979,321,856 (no LM head) + 2 x 525,336,576
  // (head, last token) = 1.1435e14 FLOPs at 794.5 TFLOPS = 143.9 ms; attention 32 layers x
  // 2 x 33,558,528 pairs x 32 heads x 256 = 1.759e13 FLOPs at 989.4 x 0.35 = 346.3 TFLOPS = 50.8 ms.
  const auto h = accelerator("h100_sxm");
  const double peak = h.peak_at(Precision::kBf16)->si();
  const double gemm = 2.0 * 8192.0 * 6'979'321'856.0 + 2.0 * 525'336'576.0;
  const double attention = 32.0 * 2.0 * (8192.0 * 8193.0 / 2.0) * 32.0 * 256.0;
  const double floor_s = gemm / (peak * h.efficiency.compute_at[kBf16]) + attention / (peak * h.efficiency.attention);
  CHECK(floor_s == mlsim::test::approx(0.1947).epsilon(2e-3));
  REQUIRE(e.inference->ttft_s.has_value());
  CHECK(*e.inference->ttft_s >= floor_s);
  CHECK(*e.inference->ttft_s <= 1.25 * floor_s);
}

TEST_CASE("acceptance: Llama 3 70B in bf16 does not fit one H100: the weights stream from host memory") {
  const auto e = evaluate(scenario("{accelerator: h100_sxm, count: 1, node: dgx_h100}", "llama3_70b",
                                   "inference: {prompt_tokens: 1024, output_tokens: 128, batch: 1, precision: bf16}"));
  // 2 B x 70,553,706,496 = 141,107,412,992 B of weights against 80 GiB.
  const double weights = 141'107'412'992.0;
  const auto h = accelerator("h100_sxm");
  CHECK(e.feasible);
  CHECK(e.memory.offloaded_weight_bytes > 0.0);
  CHECK(e.memory.weights_bytes + e.memory.offloaded_weight_bytes == mlsim::test::approx(weights).epsilon(1e-12));
  // What stays resident fills the HBM.
  CHECK(e.memory.per_device_bytes == mlsim::test::approx(h.memory_capacity.si()).epsilon(1e-9));
  CHECK(e.memory.fits);
  // The offloaded bytes cross the host link every pass at its achieved rate, 64 GB/s x 0.80 =
  // 51.2 GB/s (CALIBRATION.md 3.4), and that bounds each token.
  REQUIRE(h.host_link_bandwidth.has_value());
  REQUIRE(h.efficiency.host_link.has_value());
  CHECK(*h.efficiency.host_link == mlsim::test::approx(0.80));
  const auto* link = wall(e, "host_link");
  REQUIRE(link != nullptr);
  const double stream_s = e.memory.offloaded_weight_bytes / (h.host_link_bandwidth->si() * 0.80);
  CHECK(link->time_s == mlsim::test::approx(stream_s).epsilon(1e-12));
  CHECK(e.binding_wall == "host_link");
  REQUIRE(e.inference.has_value());
  CHECK(*e.inference->tpot_s == mlsim::test::approx(stream_s).epsilon(1e-12));
  // More than 141.1 - 85.9 = 55.2 GB must stream: at least 55.2 / 51.2 = 1.08 s per token.
  CHECK(e.memory.offloaded_weight_bytes >= weights - h.memory_capacity.si());
  CHECK(*e.inference->tpot_s >= (weights - h.memory_capacity.si()) / 51.2e9);

  SUBCASE("without a node the host memory is unknown: a warning says so") {
    const auto e2 = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "llama3_70b",
                                      "inference: {prompt_tokens: 1024, output_tokens: 128, batch: 1, precision: bf16}"));
    bool warned = false;
    for (const auto& w : e2.warnings) warned = warned || contains(w, "host memory");
    CHECK(warned);
  }
}

TEST_CASE("a KV cache larger than the device is infeasible, with a reason") {
  // 4096 sequences x 8320 tokens x 131,072 B = 4.47 TB of KV cache.
  const auto e = evaluate(scenario("{accelerator: h100_sxm, count: 1, node: dgx_h100}", "llama3_8b",
                                   "inference: {prompt_tokens: 8192, output_tokens: 128, batch: 4096, precision: bf16}"));
  CHECK_FALSE(e.feasible);
  CHECK_FALSE(e.memory.fits);
  CHECK(contains(e.infeasible_reason, "does not fit"));
  CHECK(e.binding_wall == "memory_capacity");
  // Every section is still reported.
  REQUIRE(e.inference.has_value());
  CHECK(e.inference->tpot_s.has_value());
}

TEST_CASE("fp8 on the A100 (no fp8 peak) runs as weight-only fp8: bf16 math after dequantization") {
  const std::string sys = "{accelerator: a100_sxm_80gb, count: 1}";
  const auto q = evaluate(scenario(sys, "llama3_8b", "inference: {prompt_tokens: 2048, output_tokens: 8, batch: 1, precision: fp8}"));
  const auto b = evaluate(scenario(sys, "llama3_8b",
                                   "inference: {prompt_tokens: 2048, output_tokens: 8, batch: 1, precision: {weights: bf16, "
                                   "activations: bf16, kv_cache: fp8}}"));
  CHECK(q.feasible);
  CHECK(b.feasible);
  bool warned = false;
  for (const auto& w : q.warnings) warned = warned || contains(w, "weight-only fp8");
  CHECK(warned);
  // Weights: the 6,979,588,096 layer parameters at 1 B + embedding and head (2 x 128,256 x 4,096 =
  // 1,050,673,152) at bf16 = 9,080,934,400 B.
  CHECK(q.memory.weights_bytes == 9'080'934'400.0);
  REQUIRE(q.inference.has_value());
  REQUIRE(b.inference.has_value());
  // Decode at batch 1 is bandwidth-bound: fewer weight bytes, a faster token.
  CHECK(*q.inference->tpot_s < 0.7 * *b.inference->tpot_s);
  // Prefill of 2,048 tokens is compute-bound in both: the difference is the dequantization, 2 ops x
  // 6,979,321,856 matrix weights (the layers less their 266,240 norm weights) x 32 tiles of 64
  // tokens on the vector units (19.5 TFLOPS x 0.824) = 27.8 ms.
  const double dequant = 2.0 * 6'979'321'856.0 * 32.0 / (19.5e12 * 0.824);
  CHECK(*q.inference->ttft_s - *b.inference->ttft_s == mlsim::test::approx(dequant).epsilon(0.02));
  // Activations at fp8 over bf16 weights is not weight-only quantization: still infeasible.
  const auto x = evaluate(scenario(sys, "llama3_8b",
                                   "inference: {prompt_tokens: 128, output_tokens: 8, batch: 1, precision: {weights: bf16, "
                                   "activations: fp8}}"));
  CHECK_FALSE(x.feasible);
  CHECK(contains(x.infeasible_reason, "fp8"));
}

TEST_CASE("training GPT-2 small on an A100: model FLOPs, MFU and HFU, memory") {
  const std::string job = "training: {seq_len: 1024, global_batch: 8, micro_batch: 8, precision: bf16, recompute: ";
  const auto e = evaluate(scenario("{accelerator: a100_sxm_80gb, count: 1}", "gpt2_124m", job + "none}"));
  CHECK(e.feasible);
  REQUIRE(e.training.has_value());
  const auto& t = *e.training;
  // PaLM's count: tokens x (6 x matrix weights + 12 x L x s x d).
  //   matrix weights 12 x (4 x 768^2 + 2 x 768 x 3072) + 50257 x 768 = 123,532,032;
  //   12 x 12 x 1024 x 768 = 113,246,208; tokens 8 x 1024 = 8,192.
  //   8,192 x (741,192,192 + 113,246,208) = 6,999,559,372,800.
  CHECK(t.model_flops_per_step == mlsim::test::approx(6'999'559'372'800.0).epsilon(1e-12));
  CHECK(t.hardware_flops_per_step == t.model_flops_per_step);   // nothing recomputed
  CHECK(t.hfu == t.mfu);
  // MFU = model FLOPs / (step time x accelerators x dense bf16 peak).
  const double peak = accelerator("a100_sxm_80gb").peak_at(Precision::kBf16)->si();
  CHECK(t.mfu == mlsim::test::approx(t.model_flops_per_step / (t.step_time_s * peak)).epsilon(1e-12));
  CHECK(t.mfu > 0.0);
  CHECK(t.mfu < 1.0);
  CHECK(t.tokens_per_s == mlsim::test::approx(8'192.0 / t.step_time_s).epsilon(1e-12));
  // A step cannot beat the model FLOPs at the achieved GEMM rate: 7.0e12 / (312e12 x 0.824) = 27.2 ms.
  CHECK(t.step_time_s >= t.model_flops_per_step / (peak * accelerator("a100_sxm_80gb").efficiency.compute_at[kBf16]));

  // Memory: 124,439,808 parameters x (2 B bf16 weights + 4 B fp32 gradients + 12 B Adam state).
  CHECK(e.memory.weights_bytes == 248'879'616.0);
  CHECK(e.memory.gradients_bytes == 497'759'232.0);
  CHECK(e.memory.optimizer_bytes == 1'493'277'696.0);
  // Activations per sequence (flash, no dropout, s = 1024, h = 768): 32 sh + 48 s per layer
  // = 25,214,976; x 12 = 302,579,712; + final norm and head inputs 2 x 2sh = 3,145,728; + fp32
  // logits 1024 x 50257 x 4 = 205,852,672 -> 511,578,112; x 8 = 4,092,624,896.
  CHECK(e.memory.activations_bytes == 4'092'624'896.0);
  // Largest micro-batch: (80 GiB - 18 B x 124,439,808 - 1 GiB workspace) / 511,578,112
  //   = (85,899,345,920 - 2,239,916,544 - 1,073,741,824) / 511,578,112 = 161.4 -> 161.
  CHECK(e.memory.workspace_bytes == 1'073'741'824.0);
  CHECK(t.max_micro_batch == 161);

  SUBCASE("full recompute raises the hardware FLOPs, not the model FLOPs") {
    const auto f = evaluate(scenario("{accelerator: a100_sxm_80gb, count: 1}", "gpt2_124m", job + "full}"));
    REQUIRE(f.training.has_value());
    CHECK(f.training->model_flops_per_step == t.model_flops_per_step);
    // One more forward of the layers (LM head out): 8,192 x (2 x 84,934,656 + 37,748,736)
    //   = 1,700,807,049,216 -> 8,700,366,422,016.
    CHECK(f.training->hardware_flops_per_step == mlsim::test::approx(8'700'366'422'016.0).epsilon(1e-12));
    CHECK(f.training->hfu > f.training->mfu);
    CHECK(f.training->hfu / f.training->mfu ==
          mlsim::test::approx(8'700'366'422'016.0 / 6'999'559'372'800.0).epsilon(1e-12));
    CHECK(f.training->step_time_s > t.step_time_s);
    CHECK(f.memory.activations_bytes < e.memory.activations_bytes);
  }
  SUBCASE("selective recompute: nothing extra under flash attention; the score products without it") {
    // Under flash attention the backward already recomputes the scores (its 2.5x), so selective
    // recompute adds no operator, no time and no hardware FLOPs.
    const auto sf = evaluate(scenario("{accelerator: a100_sxm_80gb, count: 1}", "gpt2_124m", job + "selective}"));
    REQUIRE(sf.training.has_value());
    CHECK(sf.training->hardware_flops_per_step == t.model_flops_per_step);
    CHECK(sf.training->step_time_s == t.step_time_s);
    CHECK(sf.training->hfu == sf.training->mfu);
    // Materialized attention: the score and context products are recomputed,
    //   8,192 tokens x 2 x 12 layers x 1024 x 12 heads x (64 + 64) = 8,192 x 37,748,736
    //   = 309,237,645,312 -> 7,308,797,018,112 hardware FLOPs.
    const std::vector<spec::Override> no_flash = {{"software.flash_attention", "false"}};
    const std::string eager = "software: pytorch_eager\n";
    const auto sm = evaluate(scenario("{accelerator: a100_sxm_80gb, count: 1}", "gpt2_124m", job + "selective}", eager), no_flash);
    const auto nm = evaluate(scenario("{accelerator: a100_sxm_80gb, count: 1}", "gpt2_124m", job + "none}", eager), no_flash);
    REQUIRE(sm.training.has_value());
    REQUIRE(nm.training.has_value());
    CHECK(sm.training->model_flops_per_step == t.model_flops_per_step);
    CHECK(sm.training->hardware_flops_per_step == mlsim::test::approx(7'308'797'018'112.0).epsilon(1e-12));
    CHECK(nm.training->hardware_flops_per_step == t.model_flops_per_step);
    CHECK(sm.training->step_time_s > nm.training->step_time_s);
    // It trades the s^2 score tensors for time: 5as/h of Korthikanti's formula (here 2as^2 without
    // dropout) leaves memory.
    CHECK(sm.memory.activations_bytes < nm.memory.activations_bytes);
  }
}

TEST_CASE("training ops: time to train, energy, carbon and cost from the zoo's figures") {
  const auto e = evaluate(scenario("{accelerator: h100_sxm, count: 1, node: dgx_h100, site: us_average}", "gpt2_124m",
                                   "training: {seq_len: 1024, global_batch: 8, micro_batch: 8, tokens: 1e9}"));
  REQUIRE(e.training.has_value());
  REQUIRE(e.training->time_to_train_s.has_value());
  CHECK(*e.training->time_to_train_s == mlsim::test::approx(1e9 / e.training->tokens_per_s).epsilon(1e-12));
  REQUIRE(e.ops.has_value());
  CHECK(e.ops->duration_s == mlsim::test::approx(*e.training->time_to_train_s).epsilon(1e-12));
  REQUIRE(e.ops->usd_per_million_tokens.has_value());
  CHECK(*e.ops->usd_per_million_tokens == mlsim::test::approx(e.ops->cost_usd / 1e9 * 1e6).epsilon(1e-9));
}

TEST_CASE("ops: energy = count x (TDP + node overhead share) x duration x PUE; carbon, water, cost") {
  const auto e = evaluate(scenario("{accelerator: h100_sxm, count: 8, node: dgx_h100}", "llama3_8b",
                                   "inference: {prompt_tokens: 1024, output_tokens: 128, batch: 8, precision: bf16, "
                                   "parallelism: {dp: 8}}",
                                   "ops: {duration: 1 h}\n"));
  const auto acc = accelerator("h100_sxm");
  const auto node = test::zoo_entry("node", "dgx_h100", spec::read_node);
  const auto site = test::zoo_entry("site", "us_average", spec::read_site);
  REQUIRE(e.ops.has_value());
  const auto& o = *e.ops;
  // 8 GPUs x (700 W + 4.6 kW / 8) x 3600 s = 36,720,000 J of IT energy; x PUE 1.56 = 57,283,200 J.
  const double it = 8.0 * (acc.tdp.si() + node.power_overhead.si() / static_cast<double>(node.accelerators)) * 3600.0;
  CHECK(it == mlsim::test::approx(36'720'000.0).epsilon(1e-9));
  CHECK(o.gpu_hours == mlsim::test::approx(8.0).epsilon(1e-12));
  CHECK(o.it_energy_j == mlsim::test::approx(it).epsilon(1e-12));
  CHECK(o.energy_j == mlsim::test::approx(it * site.pue).epsilon(1e-12));
  // Carbon: facility energy x grid intensity (366 g/kWh: 57,283,200 J = 15.912 kWh -> 5.824 kg).
  CHECK(o.operational_carbon_kg == mlsim::test::approx(o.energy_j * site.carbon_intensity.si()).epsilon(1e-12));
  CHECK(o.operational_carbon_kg == mlsim::test::approx(5.8238).epsilon(1e-4));
  CHECK(o.carbon_kg == mlsim::test::approx(o.operational_carbon_kg + o.embodied_carbon_kg).epsilon(1e-12));
  // Water: IT energy x WUE (1.8 L/kWh: 10.2 kWh -> 18.36 L).
  CHECK(o.water_l == mlsim::test::approx(it * site.wue.si()).epsilon(1e-12));
  CHECK(o.water_l == mlsim::test::approx(18.36).epsilon(1e-9));
  // Cost: rental x GPU-hours = 2.99 USD/h x 8 = 23.92 USD.
  REQUIRE(acc.rental_price.has_value());
  CHECK(o.cost_usd == mlsim::test::approx(acc.rental_price->si() * 8.0 * 3600.0).epsilon(1e-12));
  CHECK(o.cost_usd == mlsim::test::approx(23.92).epsilon(1e-9));
  // Per million tokens: cost over the tokens all 8 replicas produce in the hour.
  REQUIRE(e.inference.has_value());
  REQUIRE(o.usd_per_million_tokens.has_value());
  const double tokens = e.inference->throughput_tokens_per_s * 3600.0;
  CHECK(*o.usd_per_million_tokens == mlsim::test::approx(o.cost_usd / tokens * 1e6).epsilon(1e-12));
  // Throughput counts every replica: 8 x 8 x 128 / e2e.
  CHECK(e.inference->throughput_tokens_per_s == mlsim::test::approx(8.0 * 8.0 * 128.0 / e.inference->e2e_s).epsilon(1e-12));
}

TEST_CASE("batch: max is the largest batch whose memory fits") {
  const spec::ModelSpec m = model("llama3_8b");
  const double capacity = accelerator("h100_sxm").memory_capacity.si();
  const double weights = workload::inference_weight_bytes(m, Precision::kBf16, Precision::kBf16);
  const double kv_seq = workload::kv_cache_bytes_per_token(m, Precision::kBf16) * (1024.0 + 128.0);

  SUBCASE("whole-prompt prefill (pytorch_eager)") {
    const auto e = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "llama3_8b",
                                     "inference: {prompt_tokens: 1024, output_tokens: 128, batch: max, precision: bf16}",
                                     "software: pytorch_eager\n"));
    // Per sequence: KV 1152 x 131,072 = 150,994,944 + prefill transients
    //   1024 x (2 x 4096 + 2 x 14336 + 14336) x 2 + 128,256 x 4 = 105,370,624 -> 256,365,568.
    // Fixed: weights 16,060,522,496 + 1 GiB workspace = 17,134,264,320.
    // (85,899,345,920 - 17,134,264,320) / 256,365,568 = 268.2 -> 268.
    const double per_seq = kv_seq + workload::prefill_workspace_bytes(m, 1024.0, 1.0, Precision::kBf16);
    CHECK(per_seq == 256'365'568.0);
    const double fixed = weights + e.memory.workspace_bytes;
    REQUIRE(e.inference.has_value());
    CHECK(e.inference->max_batch == 268);
    CHECK(e.inference->batch == 268);
    const double b = static_cast<double>(e.inference->max_batch);
    CHECK(fixed + b * per_seq <= capacity);
    CHECK(fixed + (b + 1.0) * per_seq > capacity);
    CHECK(e.memory.per_device_bytes == mlsim::test::approx(fixed + b * per_seq).epsilon(1e-12));
    CHECK(e.memory.kv_cache_bytes == mlsim::test::approx(b * kv_seq).epsilon(1e-12));
    CHECK(e.memory.fits);
  }
  SUBCASE("chunked prefill (vLLM, 8192-token budget)") {
    const auto e = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "llama3_8b",
                                     "inference: {prompt_tokens: 1024, output_tokens: 128, batch: max, precision: bf16}",
                                     "software: vllm\n"));
    // One chunk's transients are fixed: 8192 x 51,200 x 2 = 838,860,800; per sequence only its
    // KV cache and its fp32 last-token logits (513,024): 151,507,968.
    // Fixed: 16,060,522,496 + 2 GiB + 838,860,800 = 19,046,866,944.
    // (85,899,345,920 - 19,046,866,944) / 151,507,968 = 441.2 -> 441.
    const double per_seq = kv_seq + 128'256.0 * 4.0;
    const double fixed = weights + e.memory.workspace_bytes + workload::prefill_workspace_bytes(m, 8192.0, 0.0, Precision::kBf16);
    CHECK(fixed == 19'046'866'944.0);
    REQUIRE(e.inference.has_value());
    CHECK(e.inference->max_batch == 441);
    const double b = static_cast<double>(e.inference->max_batch);
    CHECK(fixed + b * per_seq <= capacity);
    CHECK(fixed + (b + 1.0) * per_seq > capacity);
    CHECK(e.memory.per_device_bytes == mlsim::test::approx(fixed + b * per_seq).epsilon(1e-12));
  }
}

TEST_CASE("SLO goodput: all requests meet it or none do (fixed batch)") {
  const std::string job = "inference: {prompt_tokens: 1024, output_tokens: 64, batch: 4, precision: bf16, slo: ";
  const auto ok = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "llama3_8b", job + "{ttft: 10 s, tpot: 1 s}}"));
  REQUIRE(ok.inference.has_value());
  REQUIRE(ok.inference->goodput.has_value());
  CHECK(*ok.inference->goodput == 1.0);
  // A 1 ms TPOT is below the 16 GB / 3.35 TB/s = 4.8 ms that reading the weights takes.
  const auto miss = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "llama3_8b", job + "{ttft: 10 s, tpot: 1 ms}}"));
  REQUIRE(miss.inference->goodput.has_value());
  CHECK(*miss.inference->goodput == 0.0);
}

TEST_CASE("a sequence longer than the model's context: infeasible with learned positions, a warning with RoPE") {
  // GPT-2 has 1,024 learned positions: 1,000 + 100 tokens cannot be embedded.
  auto e = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "gpt2_124m",
                             "inference: {prompt_tokens: 1000, output_tokens: 100, batch: 1, precision: fp16}"));
  CHECK_FALSE(e.feasible);
  CHECK(e.infeasible_reason == "1100 tokens exceed GPT-2 small (124M)'s max_seq_len of 1024 (learned positions have no embedding beyond it)");
  // Llama 3 8B (RoPE, 8,192 trained): 8,192 + 1,024 tokens is an extension, evaluated with a warning.
  e = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "llama3_8b",
                        "inference: {prompt_tokens: 8192, output_tokens: 1024, batch: 1, precision: bf16}"));
  CHECK(e.feasible);
  bool warned = false;
  for (const auto& w : e.warnings) warned = warned || w.find("9216 tokens exceed") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("serving replicas must match the accelerator count") {
  // dp = 2 replicas need 2 accelerators (count = tp x pp x dp, DESIGN.md).
  const auto e = evaluate(scenario("{accelerator: h100_sxm, count: 1}", "llama3_8b",
                                   "inference: {prompt_tokens: 128, output_tokens: 16, batch: 1, parallelism: {dp: 2}}"));
  CHECK_FALSE(e.feasible);
  CHECK(e.infeasible_reason == "system.count (1) is not tp x pp x dp (2)");
}

}  // namespace mlsim
