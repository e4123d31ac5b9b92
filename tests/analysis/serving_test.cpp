// Multi-accelerator serving (tensor, pipeline and expert parallelism) checked by hand: the weights
// and KV cache a device holds, and the TP all-reduces of a decode step priced on the placed group.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <cmath>
#include <string>

#include "analysis/evaluate.hpp"
#include "analysis/serving.hpp"
#include "solvers/collectives.hpp"
#include "system/cluster.hpp"
#include "../support.hpp"
#include "workload/memory.hpp"

namespace mlsim {
namespace {

spec::Scenario load(const std::string& yaml) { return test::require_scenario(yaml); }

std::string serving(const std::string& parallelism, long long count, const std::string& model = "llama3_70b",
                    const std::string& batch = "8") {
  return "schema_version: 1\nkind: scenario\nname: t\nsystem: {accelerator: h100_sxm, count: " + std::to_string(count) +
         ", node: dgx_h100}\nmodel: " + model + "\ninference: {prompt_tokens: 1000, output_tokens: 200, batch: " + batch +
         ", precision: fp8, parallelism: " + parallelism + "}\n";
}

spec::ModelSpec model(const std::string& id) { return test::zoo_entry("model", id, spec::read_model); }

}  // namespace

TEST_CASE("KV bytes per token by hand: Llama-3-8B fp16 and DeepSeek-V3's MLA") {
  // Llama-3-8B: 32 layers x 8 KV heads x (128 + 128) x 2 bytes = 131072.
  CHECK(workload::kv_cache_bytes_per_token(model("llama3_8b"), Precision::kFp16) == mlsim::test::approx(131072.0));
  // DeepSeek-V3: 61 layers x (512 latent + 64 rope) x 2 bytes = 70272.
  CHECK(workload::kv_cache_bytes_per_token(model("deepseek_v3"), Precision::kBf16) == mlsim::test::approx(70272.0));
  // An fp8 cache halves it.
  CHECK(workload::kv_cache_bytes_per_token(model("llama3_8b"), Precision::kFp8) == mlsim::test::approx(65536.0));
}

TEST_CASE("a device's share of weights and KV cache under tp and pp") {
  const auto m = model("llama3_70b");
  const double whole = workload::inference_weight_bytes(m, Precision::kFp8, Precision::kBf16);
  CHECK(analysis::serving_weight_bytes_per_device(m, Precision::kFp8, Precision::kBf16, 1, 1, 1) == mlsim::test::approx(whole));
  // Every matrix, the embedding and the head are split over the TP ranks.
  CHECK(analysis::serving_weight_bytes_per_device(m, Precision::kFp8, Precision::kBf16, 4, 1, 1) == mlsim::test::approx(whole / 4));
  // 8 KV heads: tp 4 keeps 2 per rank (1/4); tp 16 would still keep one (1/8), not 1/16.
  CHECK(analysis::kv_share_per_device(m, 4, 1) == mlsim::test::approx(0.25));
  CHECK(analysis::kv_share_per_device(m, 16, 1) == mlsim::test::approx(0.125));
  CHECK(analysis::kv_share_per_device(m, 2, 2) == mlsim::test::approx(0.25));
  // MLA's latent is replicated on every TP rank.
  CHECK(analysis::kv_share_per_device(model("deepseek_v3"), 8, 1) == mlsim::test::approx(1.0));
}

TEST_CASE("tensor-parallel decode: two all-reduces of the hidden states per layer, priced on the placed group") {
  const auto s = load(serving("{tp: 4}", 4));
  analysis::Evaluator ev;
  const auto e = ev.evaluate(s);
  REQUIRE(e.feasible);
  const analysis::Wall* comm = nullptr;
  for (const auto& w : e.walls) {
    if (w.name == "communication") comm = &w;
  }
  REQUIRE(comm != nullptr);
  // 80 layers x 2 all-reduces of batch 8 x hidden 8192 x 2 bytes: the GEMMs run in fp8, but the
  // residual stream they reduce stays bf16.
  const auto cluster = system::Cluster::build(s.system);
  const double one = solvers::collective(solvers::Collective::kAllReduce, 8.0 * 8192.0 * 2.0, cluster.place(4, 1)).time_s;
  CHECK(comm->time_s == mlsim::test::approx(160.0 * one).epsilon(1e-9));
  // At batch 512 the message (8 MiB in bf16) is bandwidth-bound: half of it (fp8) would cost less.
  const auto big = load(serving("{tp: 4}", 4, "llama3_70b", "512"));
  const auto eb = ev.evaluate(big);
  REQUIRE(eb.feasible);
  const double bf16 = solvers::collective(solvers::Collective::kAllReduce, 512.0 * 8192.0 * 2.0, cluster.place(4, 1)).time_s;
  const double fp8 = solvers::collective(solvers::Collective::kAllReduce, 512.0 * 8192.0 * 1.0, cluster.place(4, 1)).time_s;
  REQUIRE(fp8 < 0.8 * bf16);
  const analysis::Wall* big_comm = nullptr;
  for (const auto& w : eb.walls) {
    if (w.name == "communication") big_comm = &w;
  }
  REQUIRE(big_comm != nullptr);
  CHECK(big_comm->time_s == mlsim::test::approx(160.0 * bf16).epsilon(1e-9));
  // TP 4 is faster per token than one GPU would be if it could hold the model, but not 4x faster.
  const auto one_gpu = ev.evaluate(load(serving("{tp: 1}", 1)));
  REQUIRE(e.inference->tpot_s.has_value());
  REQUIRE(one_gpu.inference->tpot_s.has_value());
  CHECK(*e.inference->tpot_s < *one_gpu.inference->tpot_s);
  CHECK(*e.inference->tpot_s > *one_gpu.inference->tpot_s / 4.0);
  // The device holds a quarter of the weights.
  CHECK(e.memory.weights_bytes == mlsim::test::approx(
            analysis::serving_weight_bytes_per_device(s.model, Precision::kFp8, Precision::kFp8, 4, 1, 1)));
}

TEST_CASE("pipeline-parallel decode: per token, a round of the pipeline; throughput from micro-batches in flight") {
  analysis::Evaluator ev;
  const auto pp2 = ev.evaluate(load(serving("{pp: 2}", 2, "llama3_8b", "16")));
  const auto pp1 = ev.evaluate(load(serving("{pp: 1}", 1, "llama3_8b", "8")));
  REQUIRE(pp2.feasible);
  REQUIRE(pp1.feasible);
  // Two micro-batches of 8 through two stages: a round costs one full-model step at batch 8 plus
  // the stage-to-stage send, so TPOT is at least the single-GPU TPOT at batch 8.
  CHECK(*pp2.inference->tpot_s >= *pp1.inference->tpot_s);
  CHECK(*pp2.inference->tpot_s < 1.1 * *pp1.inference->tpot_s);
}

TEST_CASE("serving layouts that cannot run are infeasible with a reason") {
  analysis::Evaluator ev;
  const auto e = ev.evaluate(load(serving("{tp: 16}", 16)));
  CHECK_FALSE(e.feasible);
  CHECK(e.infeasible_reason.find("larger than a node") != std::string::npos);
  const auto ep = ev.evaluate(load(serving("{tp: 2, ep: 2}", 2)));
  CHECK_FALSE(ep.feasible);
  CHECK(ep.infeasible_reason.find("mixture-of-experts") != std::string::npos);
}

}  // namespace mlsim

namespace mlsim {
namespace {

std::string chat(const std::string& extra) {
  return "schema_version: 1\nkind: scenario\nname: chat\nsystem: {accelerator: h100_sxm, count: 8, node: dgx_h100}\n"
         "model: llama3_70b\ninference:\n  prompt_tokens: 1024\n  output_tokens: 256\n  precision: fp8\n"
         "  parallelism: {tp: 4, dp: 2}\n  slo: {ttft: 500 ms, tpot: 50 ms}\n" + extra;
}

}  // namespace

TEST_CASE("serving under traffic: closed form and simulation of a scenario agree at light load") {
  analysis::Evaluator ev;
  const auto cf = ev.evaluate(load(chat("  arrival_rate: 4 /s\n")));
  const auto sim = ev.evaluate(load(chat("  arrival_rate: 4 /s\n  simulate: true\n  traffic: {requests: 3000, seed: 3}\n")));
  REQUIRE(cf.feasible);
  REQUIRE(sim.feasible);
  REQUIRE(cf.inference->serving.has_value());
  REQUIRE(sim.inference->serving.has_value());
  CHECK_FALSE(cf.inference->serving->simulated);
  CHECK(sim.inference->serving->simulated);
  CHECK(*sim.inference->tpot_s == mlsim::test::approx(*cf.inference->tpot_s).epsilon(0.15));
  CHECK(*sim.inference->ttft_s == mlsim::test::approx(*cf.inference->ttft_s).epsilon(0.25));
  // Whole-system output throughput is the offered load: 4 requests/s x 256 tokens.
  CHECK(cf.inference->throughput_tokens_per_s == mlsim::test::approx(1024.0));
  CHECK(sim.inference->throughput_tokens_per_s == mlsim::test::approx(1024.0).epsilon(0.05));
  CHECK(*cf.inference->goodput == mlsim::test::approx(1.0));
  // The same capacity from both (the closed form's, reported beside the simulation).
  CHECK(sim.inference->serving->capacity_requests_per_s == mlsim::test::approx(cf.inference->serving->capacity_requests_per_s));
}

TEST_CASE("serving under traffic: beyond capacity the queue grows (infeasible); offline runs flat out") {
  analysis::Evaluator ev;
  const auto light = ev.evaluate(load(chat("  arrival_rate: 1 /s\n")));
  const double cap = light.inference->serving->capacity_requests_per_s;
  const auto over = ev.evaluate(load(chat("  arrival_rate: " + std::to_string(1.2 * cap) + " /s\n")));
  CHECK_FALSE(over.feasible);
  CHECK(over.infeasible_reason.find("exceeds what the system serves") != std::string::npos);
  const auto offline = ev.evaluate(load(chat("  traffic: {arrival: offline, requests: 4000}\n")));
  REQUIRE(offline.feasible);
  // Offline throughput cannot beat the closed form's capacity by more than the simulation's noise,
  // and is far above the light-load rate.
  CHECK(offline.inference->throughput_tokens_per_s <= 1.1 * cap * 256.0);
  CHECK(offline.inference->throughput_tokens_per_s > 0.5 * cap * 256.0);
}

TEST_CASE("inference.traffic rejects unknown keys and bad distributions with a location") {
  Diagnostics d;
  const auto s = test::scenario_from_text(chat("  arrival_rate: 4 /s\n  traffic: {arival: offline}\n"), d);
  CHECK_FALSE(s.has_value());
  REQUIRE_FALSE(d.all().empty());
  CHECK(d.all().front().message.find("arival") != std::string::npos);
  Diagnostics d2;
  const auto u = test::scenario_from_text(chat("  arrival_rate: 4 /s\n  traffic: {prompt: {distribution: uniform, min: 500, max: 100}}\n"), d2);
  CHECK_FALSE(u.has_value());
  Diagnostics d3;
  const auto t = test::scenario_from_text(chat("  traffic: {requests: 10}\n  batch: 4\n"), d3);
  CHECK_FALSE(t.has_value());
}

TEST_CASE("inference.traffic reads prompt lengths from a CSV; a bad cell or a short line is an error at its line") {
  const test::TempDir dir;
  const auto traffic = [&](const std::string& csv) {
    return chat("  arrival_rate: 4 /s\n  traffic: {prompt: {distribution: csv, file: \"" + csv + "\", column: isl}}\n");
  };
  Diagnostics d;
  const auto s = test::scenario_from_text(traffic(dir.write("ok.csv", "osl,isl\n128,512\n64,2048\n\n32,100\n")), d);
  REQUIRE(s.has_value());
  REQUIRE(s->inference->traffic.has_value());
  const auto& values = s->inference->traffic->prompt.values;
  REQUIRE(values.size() == 3);   // the header and the blank line are not lengths
  CHECK(values[0] == 512.0);
  CHECK(values[1] == 2048.0);
  CHECK(values[2] == 100.0);

  Diagnostics bad;
  CHECK_FALSE(test::scenario_from_text(traffic(dir.write("bad.csv", "osl,isl\n128,512\n64,lots\n")), bad).has_value());
  REQUIRE_FALSE(bad.all().empty());
  CHECK(bad.all().front().message.find("bad.csv:3: expected a length >= 1, got \"lots\"") != std::string::npos);

  Diagnostics shrt;
  CHECK_FALSE(test::scenario_from_text(traffic(dir.write("short.csv", "osl,isl\n128,512\n64\n")), shrt).has_value());
  REQUIRE_FALSE(shrt.all().empty());
  CHECK(shrt.all().front().message.find("short.csv:3: expected a length in column 2, the line has 1") != std::string::npos);
}

}  // namespace mlsim

namespace mlsim {

TEST_CASE("speculative decoding with a draft model: a speedup at batch 1 that shrinks with the batch") {
  const auto spec = [](long long batch, double acceptance) {
    return "schema_version: 1\nkind: scenario\nname: s\nsystem: {accelerator: h200_sxm, count: 1}\nmodel: llama3_70b\n"
           "inference: {prompt_tokens: 1024, output_tokens: 256, batch: " + std::to_string(batch) +
           ", precision: fp8, speculative: {draft: llama3_8b, tokens: 4, acceptance: " + std::to_string(acceptance) + "}}\n";
  };
  analysis::Evaluator ev;
  const auto b1 = ev.evaluate(load(spec(1, 0.8)));
  const auto b64 = ev.evaluate(load(spec(64, 0.8)));
  const auto low = ev.evaluate(load(spec(64, 0.3)));
  REQUIRE(b1.inference->speculative_speedup.has_value());
  CHECK(*b1.inference->speculative_tokens_per_step == mlsim::test::approx(3.3616));
  // Batch 1 is bandwidth-bound: verifying 5 tokens costs about one decode step, plus 4 draft steps
  // of an 8B model (~1/9 of the 70B weights each).
  CHECK(*b1.inference->speculative_speedup > 1.8);
  CHECK(*b1.inference->speculative_speedup < 3.3616);
  CHECK(*b64.inference->speculative_speedup < *b1.inference->speculative_speedup);
  // A poor draft (1.43 tokens per verification) does not pay at batch 64.
  CHECK(*low.inference->speculative_speedup < 1.0);
  // The draft's weights sit beside the target's.
  const auto plain = ev.evaluate(load("schema_version: 1\nkind: scenario\nname: p\nsystem: {accelerator: h200_sxm, count: 1}\n"
                                      "model: llama3_70b\ninference: {prompt_tokens: 1024, output_tokens: 256, batch: 1, precision: fp8}\n"));
  CHECK(b1.memory.weights_bytes - plain.memory.weights_bytes ==
        mlsim::test::approx(workload::inference_weight_bytes(model("llama3_8b"), Precision::kFp8, Precision::kFp8)));
}

}  // namespace mlsim

#include "analysis/serving_plan.hpp"

namespace mlsim {

TEST_CASE("serving plan: the cheapest layout holds the p99 SLO and one replica fewer does not") {
  const std::string yaml = chat("  arrival_rate: 20 /s\n");
  auto s = load(yaml);
  s.inference->slo_ttft = Seconds(0.3);
  s.inference->slo_tpot = Seconds(0.04);
  const auto plan = analysis::plan_serving(s, 5);
  REQUIRE(plan.problem.empty());
  REQUIRE_FALSE(plan.ranked.empty());
  const auto& best = plan.ranked.front();
  CHECK(best.estimate.inference->ttft_pct->p99 <= 0.3);
  CHECK(best.estimate.inference->tpot_pct->p99 <= 0.04);
  for (std::size_t i = 1; i < plan.ranked.size(); ++i) CHECK(plan.ranked[i].gpus >= plan.ranked[i - 1].gpus);
  // One replica fewer of the winner misses the SLO (or cannot carry the load).
  if (best.dp > 1) {
    spec::Scenario c = s;
    c.inference->parallelism.tp = best.tp;
    c.inference->parallelism.dp = best.dp - 1;
    c.system.count = best.tp * (best.dp - 1);
    c.software.max_sequences = best.max_running;
    analysis::Evaluator ev;
    const auto e = ev.evaluate(c);
    const bool ok = e.feasible && e.inference->ttft_pct->p99 <= 0.3 && e.inference->tpot_pct->p99 <= 0.04;
    CHECK_FALSE(ok);
  }
  // $/hour = GPUs x the H100's rental price.
  REQUIRE(s.system.accelerator.rental_price.has_value());
  CHECK(best.usd_per_hour == mlsim::test::approx(s.system.accelerator.rental_price->si() * 3600.0 * static_cast<double>(best.gpus)));
  // Without an SLO there is nothing to plan for.
  spec::Scenario no_slo = load(yaml);
  no_slo.inference->slo_ttft.reset();
  no_slo.inference->slo_tpot.reset();
  CHECK_FALSE(analysis::plan_serving(no_slo, 5).problem.empty());
}

}  // namespace mlsim

namespace mlsim {

TEST_CASE("disaggregated prefill and decode: no prefill in decode steps, the KV transfer in the first token") {
  const std::string base =
      "schema_version: 1\nkind: scenario\nname: d\nsystem: {accelerator: h100_sxm, count: 8, node: dgx_h100}\n"
      "model: llama3_70b\ninference:\n  prompt_tokens: 4096\n  output_tokens: 256\n  arrival_rate: 6 /s\n  precision: fp8\n";
  const auto dis = load(base + "  disaggregated: {prefill: {tp: 2, replicas: 2}, decode: {tp: 4, replicas: 1}}\n");
  const auto col = load(base + "  parallelism: {tp: 4, dp: 2}\n");
  analysis::Evaluator ev;
  const auto d = ev.evaluate(dis);
  const auto c = ev.evaluate(col);
  REQUIRE(d.feasible);
  REQUIRE(c.feasible);
  // Decode steps carry no prompt chunks: a shorter TPOT than colocated serving.
  CHECK(*d.inference->tpot_s < *c.inference->tpot_s);
  // The transfer: each of the 2 prefill ranks sends its half of 4096 tokens x 80 KiB (fp8 cache)
  // to the decode pool, 4 ranks away on the node's NVLink.
  const auto cluster = system::Cluster::build(dis.system);
  const double bytes = 4096.0 * workload::kv_cache_bytes_per_token(dis.model, Precision::kFp8) / 2.0;
  const double expect = solvers::collective(solvers::Collective::kSendRecv, bytes, cluster.place(2, 4)).time_s;
  const analysis::Wall* kv = nullptr;
  for (const auto& w : d.walls) {
    if (w.name == "kv_transfer") kv = &w;
  }
  REQUIRE(kv != nullptr);
  CHECK(kv->time_s == mlsim::test::approx(expect));
  // The pools must add up to the system.
  const auto bad = ev.evaluate(load(base + "  disaggregated: {prefill: {tp: 2, replicas: 1}, decode: {tp: 4, replicas: 1}}\n"));
  CHECK_FALSE(bad.feasible);
  CHECK(bad.infeasible_reason.find("prefill pool") != std::string::npos);
}

}  // namespace mlsim

namespace mlsim {

TEST_CASE("reasoning: K steps of T tokens lengthen the output; N samples multiply the requests") {
  const std::string base =
      "schema_version: 1\nkind: scenario\nname: r\nsystem: {accelerator: h100_sxm, count: 8, node: dgx_h100}\n"
      "model: llama3_70b\ninference:\n  prompt_tokens: 1024\n  precision: fp8\n  parallelism: {tp: 4, dp: 2}\n";
  analysis::Evaluator ev;
  const auto k8 = ev.evaluate(load(base + "  output_tokens: 256\n  arrival_rate: 2 /s\n  reasoning: {steps: 8, step_tokens: 256, samples: 3}\n"));
  const auto plain = ev.evaluate(load(base + "  output_tokens: 2304\n  arrival_rate: 6 /s\n"));
  REQUIRE(k8.feasible);
  CHECK(*k8.inference->tpot_s == mlsim::test::approx(*plain.inference->tpot_s));
  CHECK(k8.inference->e2e_s == mlsim::test::approx(plain.inference->e2e_s));
  // 2 queries/s x 3 samples x 2304 tokens.
  CHECK(k8.inference->throughput_tokens_per_s == mlsim::test::approx(2.0 * 3.0 * 2304.0));
}


TEST_CASE("a pipeline serves pp batches at once: pp = 2 nearly doubles one device's offline throughput") {
  // vLLM runs one scheduler per pipeline slot (virtual engines), each with max_num_seqs and 1 / pp
  // of the KV blocks; each engine's step crosses both stages, so with the same per-layer costs a
  // step takes one device's whole-model time plus the stage-to-stage send, and two engines run at
  // once. Short requests keep both configurations at max_num_seqs (the KV cache never binds), so
  // the ratio is 2 x T1 / (T1 + send): just under 2. Without the engines it would be about 1.
  const auto yaml = [](const std::string& par, long long count) {
    return "schema_version: 1\nkind: scenario\nname: t\nsystem: {accelerator: h100_sxm, count: " + std::to_string(count) +
           ", node: dgx_h100}\nmodel: llama3_8b\nsoftware: vllm\ninference: {prompt_tokens: 128, output_tokens: 128, "
           "parallelism: " + par + ", traffic: {arrival: offline, requests: 3000}}\n";
  };
  const auto one = test::evaluate_text(yaml("{tp: 1}", 1));
  const auto two = test::evaluate_text(yaml("{pp: 2}", 2));
  REQUIRE(one.feasible);
  REQUIRE(two.feasible);
  REQUIRE(one.inference.has_value());
  REQUIRE(two.inference.has_value());
  REQUIRE(one.inference->serving.has_value());
  REQUIRE(two.inference->serving.has_value());
  // Both engines at max_num_seqs: the pipeline holds twice the running requests.
  CHECK(two.inference->max_batch == 2 * one.inference->max_batch);
  const double ratio = two.inference->throughput_tokens_per_s / one.inference->throughput_tokens_per_s;
  CHECK(ratio > 1.9);
  CHECK(ratio <= 2.0);
}

TEST_CASE("KV offload: the swapped blocks must fit in the node's host memory") {
  // Llama-3-8B at fp16 on one H100 of a DGX H100 (2 TiB of DRAM over 8 GPUs = 256 GiB each),
  // long outputs and a KV cache squeezed to force swap preemptions. With the node's DRAM the run
  // fits; with 1 GiB of host memory (128 MiB per GPU) the swapped KV cannot.
  const std::string yaml =
      "schema_version: 1\nkind: scenario\nname: t\nsystem: {accelerator: h100_sxm, count: 1, node: dgx_h100}\n"
      "model: llama3_8b\nsoftware: vllm\ninference: {prompt_tokens: 512, output_tokens: 1024, precision: {weights: fp16, kv_cache: fp16},\n"
      "  traffic: {arrival: offline, requests: 600, kv_offload: true, output: {distribution: exponential, mean: 1024, max: 4096}}}\n";
  const std::vector<spec::Override> squeeze = {{"software.kv_memory_fraction", "0.1"}};
  const auto fits = test::evaluate_text(yaml, squeeze);
  REQUIRE(fits.inference.has_value());
  REQUIRE(fits.inference->serving.has_value());
  CHECK(fits.feasible);
  CHECK(fits.inference->serving->swapped_tokens > 0);
  auto tight = squeeze;
  tight.push_back({"system.node.host.memory", "1 GiB"});
  const auto short_of = test::evaluate_text(yaml, tight);
  CHECK_FALSE(short_of.feasible);
  CHECK(short_of.infeasible_reason.rfind("traffic.kv_offload: at its peak the swapped KV cache needs ", 0) == 0);
}

TEST_CASE("host work per running sequence: each step of n sequences costs n x host_per_sequence more") {
  // 32 requests of 16 + 64 tokens, all admitted at once (32 sequences, 512 prompt tokens in one
  // step): one prefill step of 32 sequences, then 63 decode steps of 32. With 25 us per sequence
  // every step is 32 x 25 us = 0.8 ms longer, so TTFT and TPOT both grow by exactly 0.8 ms.
  const std::string yaml =
      "schema_version: 1\nkind: scenario\nname: t\nsystem: {accelerator: h100_sxm, count: 1}\nmodel: llama3_8b\n"
      "software: tensorrt_llm\ninference: {prompt_tokens: 16, output_tokens: 64, precision: fp8, "
      "traffic: {arrival: offline, requests: 32}}\n";
  const std::vector<spec::Override> limits = {{"software.max_sequences", "32"}, {"software.max_batched_tokens", "2048"}};
  auto with = limits;
  with.push_back({"software.host_per_sequence", "25 us"});
  const auto base = test::evaluate_text(yaml, limits);
  const auto slow = test::evaluate_text(yaml, with);
  REQUIRE(base.inference.has_value());
  REQUIRE(slow.inference.has_value());
  REQUIRE(base.inference->serving.has_value());
  CHECK(slow.inference->ttft_pct->p50 - base.inference->ttft_pct->p50 == mlsim::test::approx(32 * 25e-6).epsilon(1e-6));
  CHECK(slow.inference->tpot_pct->p50 - base.inference->tpot_pct->p50 == mlsim::test::approx(32 * 25e-6).epsilon(1e-6));
  // The whole run: 64 steps, each 0.8 ms longer.
  const double tokens = 32.0 * 64.0;
  CHECK(tokens / slow.inference->throughput_tokens_per_s - tokens / base.inference->throughput_tokens_per_s ==
        mlsim::test::approx(64 * 32 * 25e-6).epsilon(1e-4));
  // A fixed batch of 8 (no traffic): every decode step is 8 x 25 us + 1 ms (host_per_step) longer.
  const std::string fixed = "schema_version: 1\nkind: scenario\nname: t\nsystem: {accelerator: h100_sxm, count: 1}\n"
                            "model: llama3_8b\nsoftware: tensorrt_llm\ninference: {prompt_tokens: 16, output_tokens: 64, "
                            "batch: 8, precision: fp8}\n";
  const auto plain = test::evaluate_text(fixed);
  const auto hosted = test::evaluate_text(fixed, {{"software.host_per_sequence", "25 us"}, {"software.host_per_step", "1 ms"}});
  REQUIRE(plain.inference.has_value());
  REQUIRE(hosted.inference.has_value());
  CHECK(*hosted.inference->tpot_s - *plain.inference->tpot_s == mlsim::test::approx(8 * 25e-6 + 1e-3).epsilon(1e-6));
  // And the host-overhead wall of a decode step carries it.
  const auto host_wall = [](const analysis::Estimate& e) {
    for (const auto& w : e.walls) {
      if (w.name == "host_overhead") return w.time_s;
    }
    return -1.0;
  };
  REQUIRE(host_wall(plain) >= 0.0);
  // With speculative draft heads (k = 3, acceptance 0.7), each verification step of the 8
  // sequences pays the same host work; the draft heads' proposal is head_cost x the base TPOT, which
  // carries it too. speculative_step divides the step by the expected tokens (1 - a^(k+1)) / (1 - a).
  const std::vector<spec::Override> spec_keys = {{"inference.speculative", "{method: draft_heads, tokens: 3, acceptance: 0.7}"}};
  auto spec_hosted_keys = spec_keys;
  spec_hosted_keys.push_back({"software.host_per_sequence", "25 us"});
  const auto spec_plain = test::evaluate_text(fixed, spec_keys);
  const auto spec_hosted = test::evaluate_text(fixed, spec_hosted_keys);
  REQUIRE(spec_plain.inference.has_value());
  REQUIRE(spec_hosted.inference.has_value());
  // A step is k x 0.05 x TPOT (the heads) + the verification: both grow by H = 8 x 25 us, so the
  // step by 3 x 0.05 x H + H = 230 us, over (1 - 0.7^4) / 0.3 = 2.533 tokens: 90.8 us per token.
  const double accepted = (1.0 - std::pow(0.7, 4.0)) / 0.3;
  CHECK(*spec_hosted.inference->tpot_s - *spec_plain.inference->tpot_s ==
        mlsim::test::approx((3 * 0.05 * 200e-6 + 200e-6) / accepted).epsilon(1e-6));
  CHECK(host_wall(hosted) - host_wall(plain) == mlsim::test::approx(8 * 25e-6 + 1e-3).epsilon(1e-6));
}

}  // namespace mlsim
