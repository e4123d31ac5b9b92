// The accuracy harness: the CSV reader (BOM, CRLF, quotes), vTrain rows → scenarios, the error
// statistics on hand numbers, published entries → scenarios (predicted exactly as the Evaluator
// predicts the same scenario), the reasons of entries that cannot be scored, bad input with
// file:line:col, and `mlsim accuracy` end to end on the project's validation/ folder.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "../support.hpp"
#include "system/cluster.hpp"
#include "solvers/collectives.hpp"
#include "analysis/accuracy.hpp"
#include "analysis/evaluate.hpp"
#include "spec/scenario.hpp"
#include "spec/tree.hpp"

namespace mlsim {
namespace {

using analysis::AccuracyReport;
using analysis::PointStatus;

spec::Scenario load(const std::string& yaml) { return test::require_scenario(yaml); }

AccuracyReport published(const std::string& yaml, Diagnostics& d) {
  AccuracyReport r;
  analysis::AccuracyRunner runner(test::zoo());
  runner.add_published(yaml, "pub.yaml", r, d);
  analysis::summarize(r);
  return r;
}

const analysis::AccuracyPoint& point(const AccuracyReport& r, const std::string& id) {
  for (const auto& p : r.points) {
    if (p.id == id) return p;
  }
  FAIL("no point " << id);
  return r.points.front();
}

// The scenario a scored point was predicted from, with its overrides; loaded without an error.
std::optional<spec::Scenario> scenario_of(const analysis::AccuracyPoint& p) {
  Diagnostics d;
  auto s = spec::load_scenario_text(p.scenario_yaml, "t", test::zoo(), p.overrides, d);
  CHECK_FALSE(d.has_errors());
  return s;
}

// A published-format text that must parse without errors into `points` points.
AccuracyReport published_clean(const std::string& yaml, std::size_t points) {
  Diagnostics d;
  AccuracyReport r = published(yaml, d);
  CHECK_FALSE(d.has_errors());
  REQUIRE(r.points.size() == points);
  return r;
}

// ---- CSV -------------------------------------------------------------------------------------------

TEST_CASE("CSV: a BOM, CRLF line ends, quoted fields and blank lines") {
  const std::string text =
      "\xEF\xBB\xBF"
      "a,b c,\"d,e\"\r\n"
      "1, 2 ,\"x \"\"y\"\"\"\r\n"
      "\r\n"
      "3,4,5\r\n";
  Diagnostics d;
  const auto t = analysis::parse_csv(text, "t.csv", d);
  CHECK(d.all().empty());
  CHECK(t.header == std::vector<std::string>{"a", "b c", "d,e"});   // the BOM is not part of the first name
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].cells == std::vector<std::string>{"1", "2", "x \"y\""});
  CHECK(t.rows[0].line == 2);
  CHECK(t.rows[0].columns == std::vector<int>{1, 3, 7});
  CHECK(t.rows[1].cells == std::vector<std::string>{"3", "4", "5"});
  CHECK(t.rows[1].line == 4);   // the blank line 3 is skipped, not renumbered
}

TEST_CASE("CSV: a row with the wrong number of fields is an error at its line") {
  Diagnostics d;
  const auto t = analysis::parse_csv("a,b\n1,2\n3\n", "t.csv", d);
  CHECK(t.rows.size() == 1);
  REQUIRE(d.error_count() == 1);
  CHECK(d.all()[0].origin.str() == "t.csv:3:1");
  CHECK(d.all()[0].message == "this row has 1 fields, the header 2");
}

const std::string kMultiHeader =
    "\xEF\xBB\xBFParameters (billion),# GPUs,global batch,micro batch,hidden size,attention heads,# layers,sequence length,"
    "tensor parallelism,data parallelism,pipeline parallelism,iteration time (ms)\r\n";
const std::string kSingleHeader =
    "\xEF\xBB\xBF# GPUs,global batch,micro batch,hidden size,attention heads,# layers,sequence length,tensor parallelism,"
    "data parallelism,pipeline parallelism,iteration time (ms)\r\n";

TEST_CASE("vTrain CSV: both headers (with and without the parameter column)") {
  Diagnostics d;
  const auto multi = analysis::read_vtrain_csv(kMultiHeader + "3.6,64,512,8,3072,32,30,2048,1,64,1,3566.5\r\n", "m.csv", d);
  CHECK(d.all().empty());
  REQUIRE(multi.size() == 1);
  const auto& m = multi[0];
  CHECK(m.params_b == std::optional<std::string>("3.6"));
  CHECK(m.gpus == 64);
  CHECK(m.global_batch == 512);
  CHECK(m.micro_batch == 8);
  CHECK(m.hidden == 3072);
  CHECK(m.heads == 32);
  CHECK(m.layers == 30);
  CHECK(m.seq_len == 2048);
  CHECK(m.tp == 1);
  CHECK(m.dp == 64);
  CHECK(m.pp == 1);
  CHECK(m.time_ms == 3566.5);
  CHECK(m.where.str() == "m.csv:2:1");

  const auto single = analysis::read_vtrain_csv(kSingleHeader + "8,32,4,1024,16,24,1024,2,2,2,219.732754\r\n", "s.csv", d);
  CHECK(d.all().empty());
  REQUIRE(single.size() == 1);
  CHECK_FALSE(single[0].params_b.has_value());
  CHECK(single[0].gpus == 8);
  CHECK(single[0].tp == 2);
  CHECK(single[0].dp == 2);
  CHECK(single[0].pp == 2);
  CHECK(single[0].time_ms == mlsim::test::approx(219.732754));
}

TEST_CASE("vTrain CSV: a bad cell and a missing column are errors with file:line:col") {
  Diagnostics d;
  const auto rows = analysis::read_vtrain_csv(kSingleHeader + "8,32,four,1024,16,24,1024,2,2,2,219.7\n", "s.csv", d);
  CHECK(rows.empty());
  REQUIRE(d.error_count() == 1);
  CHECK(d.all()[0].origin.str() == "s.csv:2:6");
  CHECK(d.all()[0].message == "micro batch: expected a positive whole number, got \"four\"");

  Diagnostics d2;
  analysis::read_vtrain_csv("# GPUs,global batch\n8,32\n", "x.csv", d2);
  CHECK(d2.has_errors());
  CHECK(d2.all()[0].origin.str() == "x.csv:1:1");
  CHECK(d2.all()[0].message == "missing column \"micro batch\" (a vTrain ground_truth CSV has it)");
}

// ---- vTrain rows → scenarios -------------------------------------------------------------------

TEST_CASE("a vTrain row becomes the scenario validation/vtrain/README.md describes") {
  analysis::VtrainRow row;
  row.params_b = "39.1";
  row.gpus = 512;
  row.global_batch = 1536;
  row.micro_batch = 2;
  row.hidden = 8192;
  row.heads = 64;
  row.layers = 48;
  row.seq_len = 2048;
  row.tp = 8;
  row.dp = 16;
  row.pp = 4;
  const spec::Scenario s = load(analysis::vtrain_scenario_yaml(row, "row"));
  CHECK(s.system.accelerator.id == "a100_sxm_80gb");
  CHECK(s.system.count == 512);
  REQUIRE(s.system.node.has_value());
  CHECK(s.system.node->id == "dgx_a100");
  REQUIRE(s.system.fabric.has_value());   // above 8 GPUs
  CHECK(s.system.fabric->id == "ib_hdr200_fat_tree");
  CHECK(s.model.architecture == spec::Architecture::kDecoder);
  CHECK(s.model.layers == 48);
  CHECK(s.model.hidden == 8192);
  CHECK(s.model.heads == 64);
  CHECK(s.model.kv_heads == 64);
  CHECK(s.model.ffn == 4 * 8192);
  CHECK(s.model.activation == spec::Activation::kGelu);
  CHECK(s.model.norm == spec::NormKind::kLayerNorm);
  CHECK(s.model.positions == spec::Positions::kLearned);
  CHECK(s.model.bias_linear);
  CHECK(s.model.max_seq_len == 2048);
  CHECK(s.model.vocab == 51200);
  CHECK(s.model.tied_embeddings);
  REQUIRE(s.training.has_value());
  const auto& t = *s.training;
  CHECK(t.seq_len == 2048);
  CHECK(t.global_batch == 1536);
  CHECK(t.micro_batch == 2);
  CHECK(t.precision == Precision::kFp16);
  CHECK(t.parallelism.tp == 8);
  CHECK(t.parallelism.pp == 4);
  CHECK(t.parallelism.dp == 16);
  CHECK(t.parallelism.schedule == "1f1b");
  CHECK_FALSE(t.overlap_dp_grad);
  CHECK(t.recompute == spec::Recompute::kFull);

  row.gpus = 8;   // one node: no fabric
  row.tp = 2;
  row.dp = 2;
  row.pp = 2;
  const spec::Scenario one = load(analysis::vtrain_scenario_yaml(row, "row"));
  CHECK_FALSE(one.system.fabric.has_value());
  CHECK(one.system.node->id == "dgx_a100");
}

// ---- statistics ---------------------------------------------------------------------------------

TEST_CASE("error statistics on hand numbers") {
  // |errors| 0.05, 0.2, 0.3, 0.08: median (0.08 + 0.2) / 2, mean 0.63 / 4, bias 0.07 / 4.
  const auto s = analysis::error_stats("x", {0.05, -0.2, 0.3, -0.08});
  CHECK(s.name == "x");
  CHECK(*s.median_abs_error == mlsim::test::approx(0.14));
  CHECK(*s.mean_abs_error == mlsim::test::approx(0.1575));
  CHECK(*s.mean_signed_error == mlsim::test::approx(0.0175));
  CHECK(*s.within_10pct == mlsim::test::approx(0.5));
  CHECK(*s.within_25pct == mlsim::test::approx(0.75));
  // Odd count; exactly 10% and 25% count as within.
  const auto o = analysis::error_stats("y", {0.1, -0.5, 0.25});
  CHECK(*o.median_abs_error == mlsim::test::approx(0.25));
  CHECK(*o.within_10pct == mlsim::test::approx(1.0 / 3.0));
  CHECK(*o.within_25pct == mlsim::test::approx(2.0 / 3.0));
  // Nothing scored: no statistics, not zeros.
  const auto none = analysis::error_stats("z", {});
  CHECK_FALSE(none.median_abs_error.has_value());
  CHECK_FALSE(none.within_25pct.has_value());
}

TEST_CASE("summarize: per category, per group (ordered by size) and overall, with status counts") {
  AccuracyReport r;
  const auto add = [&](const std::string& cat, const std::string& group, PointStatus st, std::optional<double> err) {
    analysis::AccuracyPoint p;
    p.id = cat + group + std::to_string(r.points.size());
    p.category = cat;
    p.group = group;
    p.status = st;
    p.signed_error = err;
    r.points.push_back(p);
  };
  add("vtrain_multi", "18.4B", PointStatus::kScored, -0.2);
  add("vtrain_multi", "3.6B", PointStatus::kScored, 0.1);
  add("vtrain_multi", "3.6B", PointStatus::kInfeasible, std::nullopt);
  add("B_inference", "", PointStatus::kScored, 0.4);
  add("B_inference", "", PointStatus::kNotExpressible, std::nullopt);
  analysis::summarize(r);
  REQUIRE(r.categories.size() == 2);
  CHECK(r.categories[0].name == "vtrain_multi");
  CHECK(r.categories[0].points == 3);
  CHECK(r.categories[0].scored == 2);
  CHECK(r.categories[0].infeasible == 1);
  CHECK(*r.categories[0].median_abs_error == mlsim::test::approx(0.15));
  CHECK(r.categories[1].not_expressible == 1);
  REQUIRE(r.groups.size() == 2);
  CHECK(r.groups[0].name == "vtrain_multi 3.6B");
  CHECK(r.groups[1].name == "vtrain_multi 18.4B");
  CHECK(r.overall.points == 5);
  CHECK(r.overall.scored == 3);
  CHECK(*r.overall.mean_abs_error == mlsim::test::approx(0.7 / 3.0));
  CHECK(*r.overall.within_25pct == mlsim::test::approx(2.0 / 3.0));
}

// ---- published entries --------------------------------------------------------------------------

const std::string kTtftEntry = R"(- id: B-TTFT-7B-A100
  category: B_inference
  metric: time_to_first_token_batch1
  value: 133
  unit: ms (input 2048 tokens)
  hardware:
    gpu: A100-SXM4-80GB
    count: 1
  model:
    name: LLaMA 7B
    params_b: 6.7
  workload:
    batch: 1
    isl: 2048
  parallel:
    tp: 1
    precision: fp16
)";

TEST_CASE("a single-GPU TTFT entry is predicted exactly as the Evaluator predicts the hand-written scenario") {
  Diagnostics d;
  const AccuracyReport r = published(kTtftEntry, d);
  CHECK_FALSE(d.has_errors());
  REQUIRE(r.points.size() == 1);
  const auto& p = r.points[0];
  CHECK(p.status == PointStatus::kScored);
  CHECK(p.category == "B_inference");
  CHECK(*p.expected == 133.0);

  // The project's own scenario for this measurement (scenarios/validation/), through the Evaluator.
  Diagnostics d2;
  const auto s = spec::load_scenario_file(test::source_path("scenarios/validation/trtllm05_ttft_llama7b_a100_fp16.yaml"),
                                          test::zoo(), {}, d2);
  REQUIRE(s.has_value());
  analysis::Evaluator ev;
  const analysis::Estimate e = ev.evaluate(*s);
  REQUIRE(e.inference.has_value());
  const double ttft_ms = *e.inference->ttft_s * 1e3;
  CHECK(*p.predicted == mlsim::test::approx(ttft_ms).epsilon(1e-12));
  CHECK(*p.signed_error == mlsim::test::approx((ttft_ms - 133.0) / 133.0).epsilon(1e-12));
  CHECK(p.compared == "inference.ttft_s × 1000 (batch 1, one output token)");

  // The scenario it built reads back as that scenario: A100 80GB, Llama 2 7B's shape, fp16, batch 1.
  const spec::Scenario built = load(p.scenario_yaml);
  CHECK(built.system.accelerator.id == "a100_sxm_80gb");
  CHECK(built.model.id == "llama2_7b");
  CHECK(built.inference->prompt_tokens == 2048);
  CHECK(built.inference->output_tokens == 1);
  CHECK(built.inference->batch == std::optional<long long>(1));
  CHECK(built.inference->precision.weights == Precision::kFp16);
}

TEST_CASE("an offline-throughput entry uses batch max and compares the whole system's tokens/s") {
  const std::string entry = R"(- id: B-THROUGHPUT
  category: B_inference
  metric: offline_output_throughput
  value: 28312
  unit: output tokens/s
  hardware: {gpu: H100-SXM5-80GB, count: 1}
  model: {name: Llama-3.1-8B-Instruct FP8, params_b: 8}
  workload: {isl: 128, osl: 128}
  parallel: {tp: 1, precision: fp8}
)";
  Diagnostics d;
  const AccuracyReport r = published(entry, d);
  REQUIRE(r.points.size() == 1);
  const auto& p = r.points[0];
  REQUIRE(p.status == PointStatus::kScored);
  Diagnostics d2;
  const auto s = spec::load_scenario_file(test::source_path("scenarios/validation/trtllm_llama31_8b_h100_fp8_128_128.yaml"),
                                          test::zoo(), {}, d2);
  REQUIRE(s.has_value());
  analysis::Evaluator ev;
  CHECK(*p.predicted == mlsim::test::approx(ev.evaluate(*s).inference->throughput_tokens_per_s).epsilon(1e-12));
}

TEST_CASE("an offline-throughput entry's other lengths are points of their own, the same scenario at those lengths") {
  // also.isl_osl_2048_128 of the entry: the 2,048-token prompts with 128-token answers on the same
  // engine; requests: 4e6 tokens / 2,176 = 1,838 (between 500 and the entry's 30,000).
  const std::string entry = R"(- id: B-T
  category: B_inference
  metric: offline_output_throughput
  value: 28312
  unit: output tokens/s
  also: {isl_osl_2048_128: 3450, isl_osl_bad: 7, isl128_osl2048: 22710}
  hardware: {gpu: H100-SXM5-80GB, count: 1}
  model: {name: Llama-3.1-8B-Instruct FP8, params_b: 8}
  workload: {isl: 128, osl: 128, num_requests: 30000}
  parallel: {tp: 1, precision: fp8}
  software: TensorRT-LLM
)";
  Diagnostics d;
  const AccuracyReport r = published(entry, d);
  REQUIRE(r.points.size() == 3);   // the malformed key is not a length pair; Azure's spelling is
  CHECK(*point(r, "B-T@128_2048").expected == 22710.0);
  const auto& v = point(r, "B-T@2048_128");
  REQUIRE(v.status == PointStatus::kScored);
  CHECK(*v.expected == 3450.0);
  const auto base = point(r, "B-T");
  // trtllm-bench's own settings for these lengths (analysis/trtllm_bench: 640 sequences, 9216
  // tokens), no chunked prefill, and the 0.95 KV share of TensorRT-LLM's overview runs.
  const std::vector<spec::Override> expected = {{"inference.prompt_tokens", "2048"},   {"inference.output_tokens", "128"},
                                                {"inference.traffic.requests", "1838"}, {"software.max_sequences", "640"},
                                                {"software.max_batched_tokens", "9216"}, {"software.kv_memory_fraction", "0.95"},
                                                {"inference.traffic.chunked_prefill", "false"}};
  REQUIRE(v.overrides.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(v.overrides[i].path == expected[i].path);
    CHECK(v.overrides[i].value == expected[i].value);
  }
  Diagnostics d2;
  const auto s = spec::load_scenario_text(base.scenario_yaml, "t", test::zoo(), expected, d2);
  REQUIRE(s.has_value());
  analysis::Evaluator ev;
  CHECK(*v.predicted == mlsim::test::approx(ev.evaluate(*s).inference->throughput_tokens_per_s).epsilon(1e-12));
  CHECK(*v.signed_error == mlsim::test::approx((*v.predicted - 3450.0) / 3450.0).epsilon(1e-12));
}

// The estimate of a point's own scenario, evaluated afresh.
analysis::Estimate estimate_of(const analysis::AccuracyPoint& p) {
  Diagnostics d;
  const auto s = spec::load_scenario_text(p.scenario_yaml, "t", test::zoo(), {}, d);
  REQUIRE(s.has_value());
  analysis::Evaluator ev;
  return ev.evaluate(*s);
}

// The one point `id` of a published-format text that must parse cleanly and be scored.
analysis::AccuracyPoint scored_point(const std::string& text, const std::string& id) {
  analysis::AccuracyPoint p = point(published_clean(text, 1), id);
  REQUIRE(p.status == PointStatus::kScored);
  return p;
}

TEST_CASE("a static batch (workload.batch, no request count) runs in lockstep; a table per GPU divides by the GPUs") {
  const std::string entry = R"(- id: B-STATIC
  category: B_inference_supplement
  metric: offline_output_throughput
  value: 1486
  unit: output tokens/s per GPU
  hardware: {gpu: H100-SXM5-80GB, count: 4}
  model: {name: LLaMA 70B, params_b: 70}
  workload: {batch: 480, isl: 128, osl: 2048}
  parallel: {tp: 4, precision: fp8}
  software: TensorRT-LLM v0.6.1 (gptSessionBenchmark)
)";
  const analysis::AccuracyPoint p = scored_point(entry, "B-STATIC");
  CHECK(p.scenario_yaml.find("  batch: 480\n") != std::string::npos);
  CHECK(p.scenario_yaml.find("traffic") == std::string::npos);
  const auto inf = estimate_of(p).inference;
  REQUIRE(inf.has_value());
  CHECK(inf->batch == 480);
  // 480 sequences of 2048 output tokens each, over one prefill and 2047 decode steps, on 4 GPUs.
  CHECK(inf->throughput_tokens_per_s == mlsim::test::approx(480.0 * 2048.0 / inf->e2e_s).epsilon(1e-9));
  CHECK(*p.predicted == mlsim::test::approx(inf->throughput_tokens_per_s / 4.0).epsilon(1e-12));

  // A batch that is not a positive count is listed with the reason, not run as another batch.
  for (const char* bad : {"0", "-3", "many"}) {
    std::string text = entry;
    text.replace(text.find("batch: 480"), 10, std::string("batch: ") + bad);
    Diagnostics d3;
    const AccuracyReport r3 = published(text, d3);
    CHECK_FALSE(d3.has_errors());
    const auto& q = point(r3, "B-STATIC");
    CHECK(q.status == PointStatus::kNotExpressible);
    CHECK(q.reason == std::string("workload.batch \"") + bad + "\" is not a positive number of sequences");
  }
}

TEST_CASE("a supplement's category is scored as inference: GPT-J 6B on an L40S, above its fp8 compute floor") {
  const std::string entry = R"(- id: B-SUP
  category: B_inference_supplement
  metric: time_to_first_token_batch1
  value: 71
  unit: ms (input 2048 tokens)
  hardware: {gpu: L40S, count: 1}
  model: {name: GPT-J 6B, params_b: 6.05}
  workload: {batch: 1, isl: 2048}
  parallel: {tp: 1, precision: fp8}
  software: TensorRT-LLM v0.5
)";
  const analysis::AccuracyPoint p = scored_point(entry, "B-SUP");
  CHECK(p.category == "B_inference_supplement");
  CHECK(p.scenario_yaml.find("accelerator: l40s") != std::string::npos);
  CHECK(p.scenario_yaml.find("model: gptj_6b") != std::string::npos);
  // The prefill's matrix FLOPs alone, 2 x 6.05e9 parameters x 2048 tokens, take 33.8 ms at the L40S's
  // whole fp8 peak (733 TFLOPS): no prediction can be faster.
  CHECK(*p.predicted > 33.8);
  // And it is the scenario's own first-token time, in ms.
  CHECK(*p.predicted == mlsim::test::approx(*estimate_of(p).inference->ttft_s * 1e3).epsilon(1e-12));
}

TEST_CASE("an entry's other runs in `also` are points of their own: another prompt, GPU count or GPU; another model is listed") {
  const std::string entry = R"(- id: B-TTFT
  category: B_inference
  metric: time_to_first_token_batch1
  value: 133
  unit: ms (input 2048 tokens)
  also: {ttft_ms_input_128: 16, falcon180b_tp8_ttft_ms_128: 27, grok314b_tp8_ttft_ms_128: 30}
  hardware: {gpu: A100-SXM4-80GB, count: 1}
  model: {name: LLaMA 7B, params_b: 6.7}
  workload: {batch: 1, isl: 2048}
  parallel: {tp: 1, precision: fp16}
  software: TensorRT-LLM v0.5
- id: A-T2
  category: A_training
  metric: achieved_tflops_per_gpu_end_to_end
  value: 159
  unit: TFLOP/s per GPU
  also: {same_model_560_gpus_tflops: 171, same_model_1000_gpus_tflops: 1}
  hardware: {gpu: A100-SXM4-80GB, inter_node: 8x 200 Gb/s HDR InfiniBand per node, peak_tflops_bf16_fp16: 312}
  gpu_count: 2240
  model: {name: GPT, params_b: 529.6, layers: 105, hidden: 20480, heads: 128, seq_len: 2048, vocab: 51200}
  parallel: {tp: 8, pp: 35, dp: 8, global_batch_seqs: 2240, micro_batch: 1, recompute: full, precision: fp16 mixed}
)";
  // 1000 GPUs is not a multiple of tp × pp = 280: no point.
  const AccuracyReport r = published_clean(entry, 6);

  // The same batch-1 prefill at 128 tokens: the base scenario with that prompt.
  const auto& base = point(r, "B-TTFT");
  const auto& short_prompt = point(r, "B-TTFT@ttft_ms_input_128");
  REQUIRE(short_prompt.status == PointStatus::kScored);
  CHECK(*short_prompt.expected == 16.0);
  CHECK(short_prompt.unit == "ms (input 128 tokens)");
  Diagnostics d2;
  const auto s = spec::load_scenario_text(base.scenario_yaml, "t", test::zoo(), {{"inference.prompt_tokens", "128"}}, d2);
  REQUIRE(s.has_value());
  analysis::Evaluator ev;
  CHECK(*short_prompt.predicted == mlsim::test::approx(*ev.evaluate(*s).inference->ttft_s * 1e3).epsilon(1e-12));
  CHECK(*short_prompt.predicted < *base.predicted / 5.0);   // 16x fewer tokens, the weights read once

  // Another model on 8 GPUs: the zoo's Falcon 180B, tensor parallel 8; a model the zoo lacks is listed.
  const auto& falcon = point(r, "B-TTFT@falcon180b_tp8_ttft_ms_128");
  REQUIRE(falcon.status == PointStatus::kScored);
  const std::vector<spec::Override> falcon_keys = {
      {"model", "falcon_180b"}, {"system.count", "8"}, {"inference.parallelism.tp", "8"}, {"inference.prompt_tokens", "128"}};
  REQUIRE(falcon.overrides.size() == falcon_keys.size());
  for (std::size_t i = 0; i < falcon_keys.size(); ++i) {
    CHECK(falcon.overrides[i].path == falcon_keys[i].path);
    CHECK(falcon.overrides[i].value == falcon_keys[i].value);
  }
  const auto& grok = point(r, "B-TTFT@grok314b_tp8_ttft_ms_128");
  CHECK(grok.status == PointStatus::kNotExpressible);
  CHECK(grok.reason.find("no zoo model matches \"grok 314b\"") != std::string::npos);
  CHECK_FALSE(grok.predicted.has_value());

  // The 530B run on 560 GPUs: data parallelism 560 / (8 × 35) = 2, the same batch of 2240.
  const auto& fewer = point(r, "A-T2@same_model_560_gpus_tflops");
  REQUIRE(fewer.status == PointStatus::kScored);
  bool count = false, dp = false;
  for (const auto& o : fewer.overrides) {
    count = count || (o.path == "system.count" && o.value == "560");
    dp = dp || (o.path == "training.parallelism.dp" && o.value == "2");
  }
  CHECK(count);
  CHECK(dp);
  // Fewer replicas, 4x the micro-batches per pipeline: a smaller bubble, more TFLOP/s per GPU.
  CHECK(*fewer.predicted > *point(r, "A-T2").predicted);
}

TEST_CASE("Azure's trtllm-bench runs: TensorRT-LLM 0.15's engine, built once from the longest dataset, host work per sequence") {
  // The guide (Benchmarks/NVIDIA/LLMBenchmark.py) builds one engine per model from its longest
  // dataset, here 2048 / 2048, and runs every length on it. Llama-3.1-8B in fp8 on one H100:
  // engine 8.03e9 B = 7.48 GiB; KV cache (80 - 7.48) x 0.95 = 68.9 GiB at 2 x 32 x 8 x 128 x 1 B =
  // 64 KiB per token, 4096 tokens a request: 275.6 requests -> max_batch_size 128 x ceil(275.6 / 128)
  // = 384; max_num_tokens max(2048, 256 x ceil(551 / 256)) = 2048. The 128 / 128 run gets the same.
  const std::string entry = R"(- id: B-AZ
  category: B_inference
  metric: offline_throughput
  value: 11724
  unit: tokens/s (isl 1024 / osl 1024, 1000 requests)
  also: {isl128_osl128: 15163, isl2048_osl2048: 8026}
  hardware: {gpu: H100-SXM5-80GB (HBM3), count: 1}
  model: {name: Llama-3.1-8B, params_b: 8}
  workload: {isl: 1024, osl: 1024, num_requests: 1000}
  parallel: {tp: 1, precision: fp8}
  source: {title: Azure AI-benchmarking-guide, ND H100 v5 results}
)";
  const AccuracyReport r = published_clean(entry, 3);
  for (const std::string id : {"B-AZ", "B-AZ@128_128", "B-AZ@2048_2048"}) {
    const auto& p = point(r, id);
    REQUIRE_MESSAGE(p.status == PointStatus::kScored, id);
    CHECK(p.scenario_yaml.find("software: tensorrt_llm_0_15\n") != std::string::npos);
    bool engine = false;
    for (const auto& n : p.notes) engine = engine || n.find("build dataset 2048 / 2048: max_batch_size 384, max_num_tokens 2048") != std::string::npos;
    CHECK_MESSAGE(engine, id);
  }
  // The engine's host work per running sequence per step (22 us, fitted on half of these runs) is
  // what brings the short runs down: without it 128 / 128 is predicted about twice as fast.
  const auto& short_run = point(r, "B-AZ@128_128");
  CHECK(std::abs(*short_run.signed_error) < 0.2);
  Diagnostics d;
  std::vector<spec::Override> keys = short_run.overrides;
  keys.push_back({"software.host_per_sequence", "0 us"});
  const auto s = spec::load_scenario_text(short_run.scenario_yaml, "t", test::zoo(), keys, d);
  REQUIRE(s.has_value());
  analysis::Evaluator ev;
  CHECK(ev.evaluate(*s).inference->throughput_tokens_per_s > 1.7 * 15163.0);
}

TEST_CASE("a cluster-wide all-reduce entry is predicted by the collective model on its placed ranks") {
  // 1,984 H200s on 248 nodes, 512 MiB: the solver on the same placed group (an NDR fat tree
  // assumed) gives the busbw; the node's measured curve is for 8 ranks on one node, so the
  // nominal model applies (NCCL's tree across 248 nodes).
  const std::string entry = R"(- id: C-X
  category: C_microbenchmark
  metric: allreduce_bus_bandwidth_multi_node
  value: 350
  unit: GB/s busbw (typical), 512 MB message
  hardware: {gpu: H200, count: 1984, nodes: 248}
)";
  Diagnostics d;
  const AccuracyReport r = published(entry, d);
  REQUIRE(r.points.size() == 1);
  const auto& p = r.points[0];
  REQUIRE(p.status == PointStatus::kScored);
  spec::SystemSpec sys;
  sys.accelerator = test::zoo_entry("accelerator", "h200_sxm", spec::read_accelerator);
  sys.node = test::zoo_entry("node", "dgx_h200", spec::read_node);
  sys.fabric = test::zoo_entry("fabric", "ib_ndr400_fat_tree", spec::read_fabric);
  sys.count = 1984;
  const auto c = solvers::collective(solvers::Collective::kAllReduce, 512.0 * 1024 * 1024, system::Cluster::build(sys).place(1984, 1));
  CHECK(c.algorithm != solvers::Algorithm::kMeasured);
  CHECK(*p.predicted == mlsim::test::approx(c.busbw / 1e9).epsilon(1e-12));
  // Within a few percent of nccl-tests#283's 350 GB/s: 8 NDR NICs per node at 47 GB/s each.
  CHECK(*p.predicted > 330.0);
  CHECK(*p.predicted < 380.0);
}

TEST_CASE("an 8-GPU all-reduce sweep on a node without a measured curve is scored size by size; the DGX nodes' are inputs") {
  // The MI300X platform carries no measured curve, so each also.busbw_<size> is a point: nccl-tests
  // sizes are binary (16MB = 16 MiB), predicted by the solver on the node's 8 placed ranks. A value
  // that is not a positive number is skipped. On a DGX A100, whose curve is this kind of sweep,
  // nothing is scored.
  const std::string mi300x = R"(- id: C-S
  category: C_microbenchmark
  metric: allreduce_bus_bandwidth_intra_node
  value: 300
  unit: GB/s busbw (8 GB message)
  also: {busbw_16MB: 150, busbw_1GB: 290, busbw_4MB: n/a}
  hardware: {gpu: MI300X, count: 8}
)";
  Diagnostics d;
  const AccuracyReport r = published(mi300x, d);
  REQUIRE(r.points.size() == 3);   // the entry (an input) and two sizes
  CHECK(point(r, "C-S").status == PointStatus::kNotExpressible);
  const auto& p16 = point(r, "C-S@16MB");
  REQUIRE(p16.status == PointStatus::kScored);
  spec::SystemSpec sys;
  sys.accelerator = test::zoo_entry("accelerator", "mi300x", spec::read_accelerator);
  sys.node = test::zoo_entry("node", "mi300x_platform", spec::read_node);
  sys.count = 8;
  const auto c = solvers::collective(solvers::Collective::kAllReduce, 16.0 * 1024 * 1024, system::Cluster::build(sys).place(8, 1));
  CHECK(*p16.predicted == mlsim::test::approx(c.busbw / 1e9).epsilon(1e-12));
  CHECK(*p16.signed_error == mlsim::test::approx((c.busbw / 1e9 - 150.0) / 150.0).epsilon(1e-12));
  std::string a100 = mi300x;
  a100.replace(a100.find("MI300X"), 6, "A100-SXM4-80GB");
  Diagnostics d2;
  CHECK(published(a100, d2).points.size() == 1);
}

TEST_CASE("entries that cannot be expressed are listed with their reason") {
  const std::string entries = R"(- id: C-HBM
  category: C_microbenchmark
  metric: hbm_stream_bandwidth
  value: 1.7
  unit: TB/s
- id: A-RANGE
  category: A_training
  metric: model_flops_utilization_range
  value: [41, 48]
  unit: percent
- id: A-NO-BATCH
  category: A_training
  metric: model_flops_utilization
  value: 54.2
  hardware: {gpu: A100-SXM4-80GB}
  gpu_count: 8
  model: {name: GPT, layers: 2, hidden: 64, heads: 4, seq_len: 128, vocab: 1000}
  parallel: {tp: 8}
- id: D-ENERGY
  category: D_reliability_energy
  metric: training_energy
  value: 433196
- id: B-TP2
  category: B_inference
  metric: offline_output_throughput
  value: 4205
  hardware: {gpu: H100-SXM5-80GB, count: 2}
  model: {name: Llama-3.3-70B-Instruct FP8}
  workload: {isl: 1000, osl: 1000}
  parallel: {tp: 2, precision: fp8}
)";
  const AccuracyReport r = published_clean(entries, 5);
  const auto& c = point(r, "C-HBM");
  CHECK(c.status == PointStatus::kNotExpressible);
  CHECK(c.reason.rfind("a microbenchmark (hbm_stream_bandwidth), not a scenario metric: the zoo's efficiency figures", 0) == 0);
  CHECK(*c.expected == 1.7);
  CHECK_FALSE(c.predicted.has_value());
  CHECK(point(r, "A-RANGE").reason == "a range (41, 48), not one value");
  CHECK(point(r, "A-NO-BATCH").reason == "the global batch is not given");
  CHECK(point(r, "D-ENERGY").reason.find("the operations issue") != std::string::npos);
  // Tensor-parallel serving is evaluated: the TP2 point is scored.
  const auto& tp2 = point(r, "B-TP2");
  CHECK(tp2.status == PointStatus::kScored);
  REQUIRE(tp2.predicted.has_value());
  CHECK(*tp2.predicted > 0.0);
  CHECK(r.overall.points == 5);
  CHECK(r.overall.scored == 1);
  CHECK(r.overall.not_expressible == 4);
  CHECK(r.overall.unsupported == 0);
}

TEST_CASE("a Megatron training entry: zoo model by shape, parallelism, fabric above a node, assumptions noted") {
  const std::string entry = R"(- id: A-MEG
  category: A_training
  metric: achieved_tflops_per_gpu_end_to_end
  value: 138
  unit: TFLOP/s per GPU
  hardware:
    gpu: A100-SXM4-80GB
    system: NVIDIA Selene, DGX A100 nodes (8 GPUs/node)
    inter_node: 8x 200 Gb/s HDR InfiniBand per node, fat tree
    peak_tflops_bf16_fp16: 312
  gpu_count: 512
  model: {name: GPT (Megatron weak-scaling family), layers: 48, hidden: 8192, heads: 64, seq_len: 2048, vocab: 51200}
  parallel:
    tp: 8
    pp: 2
    dp: 32
    global_batch_seqs: 1536
    recompute: full activation recomputation
    precision: fp16 mixed
    schedule: interleaved 1F1B with scatter/gather where PP>1
)";
  Diagnostics d;
  const spec::Node root = spec::load_yaml(entry, "pub.yaml", d);
  REQUIRE(root.is_seq());
  const auto m = analysis::map_published_entry(root.seq[0], test::zoo());
  REQUIRE(m.expressible);
  CHECK(m.quantity == analysis::PublishedMapping::Quantity::kHfuTimesPeak);
  CHECK(m.peak_tflops == 312.0);
  CHECK(m.compared == "training.hfu × 312 TFLOP/s");
  const spec::Scenario s = load(m.scenario_yaml);
  CHECK(s.system.accelerator.id == "a100_sxm_80gb");
  CHECK(s.system.count == 512);
  CHECK(s.system.node->id == "dgx_a100");
  CHECK(s.system.fabric->id == "ib_hdr200_fat_tree");
  CHECK(s.model.id == "megatron_gpt_39_1b");
  const auto& t = *s.training;
  CHECK(t.parallelism.tp == 8);
  CHECK(t.parallelism.pp == 2);
  CHECK(t.parallelism.dp == 32);
  CHECK_FALSE(t.parallelism.sequence_parallel);   // Megatron 2021 had none
  CHECK(t.global_batch == 1536);
  CHECK(t.micro_batch == 1);
  CHECK(t.recompute == spec::Recompute::kFull);
  CHECK(t.precision == Precision::kFp16);
  const std::vector<std::string> expected_notes = {
      "model: zoo megatron_gpt_39_1b",
      "schedule: the source's interleaved 1F1B is modelled as plain 1F1B (its virtual stages are not given)",
      "micro batch not given: 1 assumed"};
  CHECK(m.notes == expected_notes);
}

TEST_CASE("a Narayanan et al. 2021 Table 1 row runs as the authors' sc21 script runs it") {
  // examples/sc21/run_table_1.sh, 76B: MBS 2, --num-layers-per-virtual-pipeline-stage 5 (60 layers
  // over pp 4: 15 per stage, 3 virtual stages), DDP=local; 1.7B: MBS 16, DDP=torch.
  const auto entry = [](const std::string& id, const std::string& gpus, const std::string& model, const std::string& parallel) {
    return "- id: " + id + "\n  category: A_training\n  metric: achieved_tflops_per_gpu_end_to_end\n  value: 140\n"
           "  unit: TFLOP/s per GPU\n"
           "  hardware: {gpu: A100-SXM4-80GB, system: \"NVIDIA Selene, DGX A100 nodes\", inter_node: 8x 200 Gb/s HDR "
           "InfiniBand per node, fat tree, peak_tflops_bf16_fp16: 312}\n  gpu_count: " + gpus + "\n  model: " + model +
           "\n  parallel: " + parallel +
           "\n  source: {title: \"Narayanan et al. 2021, Efficient Large-Scale Language Model Training\", where: Table 1 (weak scaling)}\n";
  };
  const std::string entries =
      entry("A-76", "1024", "{name: GPT, params_b: 76.1, layers: 60, hidden: 10240, heads: 80, seq_len: 2048, vocab: 51200}",
            "{tp: 8, pp: 4, dp: 32, global_batch_seqs: 1792, recompute: full, precision: fp16 mixed, schedule: interleaved 1F1B}") +
      entry("A-1.7", "32", "{name: GPT, params_b: 1.7, layers: 24, hidden: 2304, heads: 24, seq_len: 2048, vocab: 51200}",
            "{tp: 1, pp: 1, dp: 32, global_batch_seqs: 512, recompute: full, precision: fp16 mixed}");
  Diagnostics d;
  const spec::Node root = spec::load_yaml(entries, "pub.yaml", d);
  REQUIRE(root.is_seq());
  const auto big = analysis::map_published_entry(root.seq[0], test::zoo());
  REQUIRE(big.expressible);
  const spec::Scenario s = load(big.scenario_yaml);
  CHECK(s.training->micro_batch == 2);
  CHECK(s.training->parallelism.virtual_stages == 3);
  CHECK(s.training->parallelism.schedule == "interleaved");
  CHECK_FALSE(s.training->overlap_dp_grad);   // Megatron's local DDP all-reduces after the backward
  CHECK(big.overrides.empty());
  const auto small = analysis::map_published_entry(root.seq[1], test::zoo());
  REQUIRE(small.expressible);
  const spec::Scenario s2 = load(small.scenario_yaml);
  CHECK(s2.training->micro_batch == 16);
  CHECK(s2.training->parallelism.virtual_stages == 1);
  CHECK(s2.training->overlap_dp_grad);        // PyTorch DDP overlaps its buckets with the backward
  REQUIRE(small.overrides.size() == 1);       // and gradients accumulate in autograd's .grad
  CHECK(small.overrides[0].path == "software.grad_accumulation");
  CHECK(small.overrides[0].value == "autograd");
}

TEST_CASE("Korthikanti et al. 2022: Table 4's layer times are points, each the layer of its own recompute and SP setting") {
  const std::string entry = R"(- id: A-KORTH22-22B-LAYER-TIME
  category: A_training
  metric: per_layer_fwd_plus_bwd_time
  value: 20.3
  unit: ms per transformer layer
  also: {baseline_fwd_ms: 7.7, full_recompute_bwd_ms: 19.5}
  hardware: {gpu: A100-SXM4-80GB, peak_tflops_bf16_fp16: 312}
  model: {name: GPT 22B, layers: 48, hidden: 6144, heads: 64, seq_len: 2048}
  parallel: {tp: 8}
)";
  Diagnostics d;
  const AccuracyReport r = published(entry, d);
  REQUIRE(r.points.size() == 3);
  const auto evaluate = [&](const analysis::AccuracyPoint& p) {
    const auto s = scenario_of(p);
    REQUIRE(s.has_value());
    analysis::Evaluator ev;
    return *ev.evaluate(*s).training;
  };
  const auto& main = point(r, "A-KORTH22-22B-LAYER-TIME");
  REQUIRE(main.status == PointStatus::kScored);
  const auto t = evaluate(main);
  CHECK(*main.predicted == mlsim::test::approx((t.layer_forward_s + t.layer_backward_s) * 1e3).epsilon(1e-12));
  const auto& fwd = point(r, "A-KORTH22-22B-LAYER-TIME@baseline_fwd_ms");
  REQUIRE(fwd.status == PointStatus::kScored);
  CHECK(*fwd.expected == 7.7);
  CHECK(*fwd.predicted == mlsim::test::approx(evaluate(fwd).layer_forward_s * 1e3).epsilon(1e-12));
  const auto& bwd = point(r, "A-KORTH22-22B-LAYER-TIME@full_recompute_bwd_ms");
  REQUIRE(bwd.status == PointStatus::kScored);
  const auto tb = evaluate(bwd);
  CHECK(*bwd.predicted == mlsim::test::approx(tb.layer_backward_s * 1e3).epsilon(1e-12));
  // Full recomputation runs the forward again inside the backward: the backward grows by at least
  // one forward, the forward is unchanged.
  CHECK(tb.layer_forward_s == mlsim::test::approx(evaluate(fwd).layer_forward_s).epsilon(1e-12));
  CHECK(tb.layer_backward_s > evaluate(fwd).layer_backward_s + 0.99 * tb.layer_forward_s);
}

TEST_CASE("llm-foundry's MPT benchmarks run on PyTorch FSDP with Composer's reduce-scatters and the Triton attention") {
  // scripts/train/benchmarking/README.md, table 'H100 80GB BF16': MPT-7B at 2k on 8 GPUs, one
  // micro-batch of 6 per step, no activation checkpointing.
  const std::string entry = R"(- id: A-MPT
  category: A_training
  metric: model_flops_utilization
  value: 46.44
  unit: percent (llm-foundry MFU incl. attention FLOPs)
  hardware: {gpu: H100-SXM-80GB, peak_tflops_bf16: 989}
  gpu_count: 8
  model: {name: MPT-7b, params_exact: 6658859008, seq_len: 2048}
  parallel: {sharding: PyTorch FSDP FULL_SHARD (pure data parallel, no TP/PP), micro_batch: 6, grad_accum: 1,
             global_batch_seqs: 48, activation_checkpointing: false, precision: amp_bf16}
  software: Composer + llm-foundry, FlashAttention (torch 1.13/2.0 era)
  source: {title: MosaicML llm-foundry, MPT Training Benchmarks, where: table 'H100 80GB BF16'}
)";
  Diagnostics d;
  const AccuracyReport r = published(entry, d);
  CHECK_FALSE(d.has_errors());
  REQUIRE(r.points.size() == 1);
  const auto& p = point(r, "A-MPT");
  REQUIRE(p.status == PointStatus::kScored);
  const auto s = scenario_of(p);
  REQUIRE(s.has_value());
  CHECK(s->model.id == "mpt_7b");
  CHECK(s->software.id == "pytorch_fsdp");
  CHECK(s->training->parallelism.zero == 3);
  CHECK(s->training->parallelism.dp == 8);
  CHECK(s->training->micro_batch == 6);
  CHECK(s->training->global_batch == 48);
  CHECK(s->software.zero_reduce_per_micro_batch);
  // submit_benchmarks.py's default attn_impl: triton, at FlashAttention (v1)'s speed.
  CHECK(s->software.attention_kernel == spec::SoftwareSpec::AttentionKernel::kTritonFlashAttention);
  // The prediction is the evaluated MFU in percent; FlashAttention-2's kernels would raise it.
  analysis::Evaluator ev;
  const auto t = *ev.evaluate(*s).training;
  CHECK(*p.predicted == mlsim::test::approx(100.0 * t.mfu).epsilon(1e-9));
  auto fa2 = *s;
  fa2.software.attention_kernel = spec::SoftwareSpec::AttentionKernel::kFlashAttention2;
  CHECK(ev.evaluate(fa2).training->mfu > t.mfu);
}

TEST_CASE("Dao 2023 (FlashAttention-2): the training table runs as the flash-attention repository's configs run it") {
  // training/README.md and configs/experiment/pile/gpt3xl-flash.yaml: 1M-token batches, DDP with
  // ZeRO-1, no activation checkpointing, FlashAttention-2 kernels. A key of `also` may hold a dot.
  const std::string entry = R"(- id: A-FA2
  category: A_training
  metric: achieved_model_tflops_per_gpu
  value: 196
  unit: TFLOP/s per GPU
  also: {without_flashattention: 142, flashattention_v1: 189, gpt3_2.7B_2k_fa2: 205, gpt3_13B_2k_fa2: 150, mfu_pct: 63}
  hardware: {gpu: A100-SXM4-80GB, count: 8, peak_tflops_bf16_fp16: 312}
  model: {name: GPT3-1.3B, params_b: 1.3, seq_len: 2048}
  parallel: {dp: 8}
  source: {title: "Dao 2023, FlashAttention-2", where: end-to-end GPT training table}
)";
  Diagnostics d;
  const AccuracyReport r = published(entry, d);
  CHECK_FALSE(d.has_errors());
  // The entry, three runs of its own (FlashAttention v1's among them) and a model the zoo lacks
  // listed as not expressible; mfu_pct is the entry's own run in another unit.
  REQUIRE(r.points.size() == 5);
  CHECK(point(r, "A-FA2@gpt3_13B_2k_fa2").status == PointStatus::kNotExpressible);
  CHECK(point(r, "A-FA2@gpt3_13B_2k_fa2").reason.find("gpt3_<1.3B|2.7B>") != std::string::npos);
  const auto& main = point(r, "A-FA2");
  REQUIRE(main.status == PointStatus::kScored);
  const auto s = scenario_of(main);
  REQUIRE(s.has_value());
  CHECK(s->model.id == "gpt3_1_3b");
  CHECK(s->software.id == "pytorch_eager");
  CHECK(s->training->global_batch == 512);   // 2^20 tokens of 2,048
  CHECK(s->training->parallelism.zero == 1);
  CHECK(s->training->recompute == spec::Recompute::kNone);
  // The repository's per-GPU batch on an 80 GB GPU (gpt3xl-flash.yaml: 8) and its fused loss
  // (CrossEntropyLossApex in configs/experiment/pile/base.yaml).
  CHECK(s->training->micro_batch == 8);
  CHECK(s->software.cross_entropy == spec::SoftwareSpec::CrossEntropy::kFused);
  analysis::Evaluator ev;
  const auto t = *ev.evaluate(*s).training;
  // Model FLOPs per step by hand: 2^20 tokens x (6 x (24 x 12 h^2 + V h) + 12 l s h), h 2048,
  // V 50,264, l 24, s 2048 = 9.5141e15. The paper counts with Megatron's formula x 3/4,
  // 72 B s l h^2 (1 + s/6h + V/16lh) = 9.3522e15 (1.7% less: its LM-head term is 4.5 V h per
  // token), and the prediction uses the paper's count over the predicted step.
  CHECK(t.model_flops_per_step == mlsim::test::approx(9.514108474884096e15).epsilon(1e-9));
  CHECK(*main.predicted == mlsim::test::approx(9.35219679775949e15 / (t.step_time_s * 8.0) / 1e12).epsilon(1e-9));
  CHECK(*main.predicted == mlsim::test::approx(t.mfu * 312.0 / 1.0173126892671245).epsilon(1e-9));
  CHECK(point(r, "A-FA2@without_flashattention").status == PointStatus::kScored);
  CHECK(*point(r, "A-FA2@without_flashattention").predicted < *main.predicted);   // materialized attention is slower
  // FlashAttention (v1)'s kernels: the same run with every attention pass at half FlashAttention-2's
  // speed (Dao 2023, abstract: "around 2x"), so slower, but faster than materialized attention.
  const auto& v1 = point(r, "A-FA2@flashattention_v1");
  REQUIRE(v1.status == PointStatus::kScored);
  CHECK(*v1.expected == 189.0);
  const auto sv1 = scenario_of(v1);
  REQUIRE(sv1.has_value());
  CHECK(sv1->software.attention_kernel == spec::SoftwareSpec::AttentionKernel::kFlashAttention1);
  CHECK(*v1.predicted < *main.predicted);
  CHECK(*v1.predicted > *point(r, "A-FA2@without_flashattention").predicted);
  const auto& other = point(r, "A-FA2@gpt3_2.7B_2k_fa2");
  REQUIRE(other.status == PointStatus::kScored);
  CHECK(*other.expected == 205.0);
  const auto s27 = scenario_of(other);
  REQUIRE(s27.has_value());
  CHECK(s27->model.id == "gpt3_2_7b");
  CHECK(s27->training->global_batch == 512);
  CHECK(s27->training->micro_batch == 4);   // gpt3-2.7B-flash-hdim128.yaml on 80 GB
  // Standard attention has no transcribed config: the largest micro-batch that fits.
  const auto& standard = point(r, "A-FA2@without_flashattention");
  const auto s_std = scenario_of(standard);
  REQUIRE(s_std.has_value());
  CHECK(s_std->training->micro_batch == 4);
  CHECK(analysis::Evaluator{}.evaluate(*s_std).training->max_micro_batch < 8);
}

TEST_CASE("bad published input: errors with file:line:col, every one at once") {
  Diagnostics d;
  published("- id: A\n  category: A_training\n  metric: m\n  value: 1\n- category: B\n  metric: m\n  value: 2\n"
            "- id: A\n  category: A_training\n  metric: m\n  value: 3\n",
            d);
  REQUIRE(d.error_count() == 2);
  CHECK(d.all()[0].origin.str() == "pub.yaml:5:3");
  CHECK(d.all()[0].message == "measurement without \"id\"");
  CHECK(d.all()[1].origin.str() == "pub.yaml:8:7");
  CHECK(d.all()[1].message == "duplicate id \"A\" (first at pub.yaml:1:7)");

  Diagnostics d2;
  published("id: A\n", d2);
  REQUIRE(d2.error_count() == 1);
  CHECK(d2.all()[0].origin.str() == "pub.yaml:1:1");
}

TEST_CASE("the validation folder is found from inside the project") {
  CHECK(std::filesystem::equivalent(analysis::find_validation_dir(test::source_path("src/analysis")),
                                    test::source_path("validation")));
}

// ---- the command --------------------------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("mlsim accuracy on the project's validation folder: exit 0, every published id once, every vTrain row") {
  const auto r = test::run_cli({"accuracy", test::source_path("validation"), "--format", "json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  // The ids of published.yaml and of the project's supplement to it, read independently.
  std::multiset<std::string> want;
  for (const char* file : {"validation/published.yaml", "validation/supplement.yaml"}) {
    Diagnostics d;
    const spec::Node root = spec::load_yaml(read_file(test::source_path(file)), file, d);
    REQUIRE(root.is_seq());
    for (const auto& e : root.seq) want.insert(e.find("id")->scalar);
  }
  std::multiset<std::string> got;
  std::map<std::string, int> per_category;
  std::set<std::string> statuses;
  int variants = 0;
  for (const auto& p : j["points"]) {
    ++per_category[p["category"].get<std::string>()];
    statuses.insert(p["status"].get<std::string>());
    const std::string pid = p["id"].get<std::string>();
    // One point per entry, plus the entry's other measured lengths ("<id>@<in>_<out>").
    if (pid.find('@') != std::string::npos) {
      CHECK(want.contains(pid.substr(0, pid.find('@'))));
      ++variants;
    } else if (p["category"].get<std::string>().rfind("vtrain", 0) != 0) {
      got.insert(pid);
    }
    if (p["status"] != "scored") {
      CHECK_MESSAGE(p["reason"].is_string(), p["id"]);   // every point not scored says why
      CHECK(p["predicted"].is_null());
    } else {
      CHECK(p["signed_error"].get<double>() ==
            mlsim::test::approx((p["predicted"].get<double>() - p["expected"].get<double>()) / p["expected"].get<double>()));
    }
  }
  CHECK(got == want);
  // The TensorRT-LLM entries' 21 also.isl_osl_* lengths and Azure's 8 also.isl*_osl* ones, the A100
  // two-node all-reduce, Korthikanti et al.'s other eight Table 4 layer times and the 1T run's HFU;
  // TensorRT-LLM 0.5's four 128-token first tokens and its two Falcon-180B ones,
  // 405B on H200 at two lengths, the 530B run on 560 and 1,120 GPUs, and llm.c's run on 8 H100s;
  // the supplement's five 128-token first tokens; FlashAttention-2's runs without it (two), with
  // FlashAttention v1 (two, listed as not expressible) and at the other model and length (two).
  CHECK(variants == 61);
  for (const auto& id : want) CHECK_MESSAGE(want.count(id) == 1, id);
  CHECK(per_category["vtrain_multi"] == 109);
  CHECK(per_category["vtrain_single"] == 1440);
  CHECK(j["overall"]["points"].get<long long>() == static_cast<long long>(j["points"].size()));
  CHECK(j["categories"].size() == 7);
  // The supplement (TensorRT-LLM's other first tokens: GPT-J 6B, L40S, Falcon-180B on A100s; its
  // static-batch throughput tables) is its own category, every point of it expressible.
  CHECK(per_category["B_inference_supplement"] == 39);
  // Per model size (multi-node) and per GPU count (single node).
  std::set<std::string> groups;
  for (const auto& g : j["groups"]) groups.insert(g["name"].get<std::string>());
  for (const char* g : {"vtrain_multi 3.6B", "vtrain_multi 18.4B", "vtrain_multi 39.1B", "vtrain_multi 175B", "vtrain_single 2 GPUs",
                        "vtrain_single 4 GPUs", "vtrain_single 8 GPUs"}) {
    CHECK_MESSAGE(groups.contains(g), g);
  }
  // The single-GPU inference entries are scored today.
  for (const auto& p : j["points"]) {
    const std::string id = p["id"];
    if (id == "B-TRTLLM05-TTFT-LLAMA7B-A100-FP16" || id == "B-TRTLLM-L31-8B-H100-TP1-FP8-128-128") CHECK(p["status"] == "scored");
    if (p["category"] == "B_inference_supplement") CHECK_MESSAGE(p["status"] == "scored", id);
    // Microbenchmarks are inputs of the model, except the all-reduces across nodes, which the
    // collective model predicts (nccl-tests#283 at 1,984 H200s; #175's two A100 nodes).
    if (id == "C-NCCL-AR-1984xH200-ISSUE283" || id == "C-NCCL-AR-A100-1NODE-VS-2NODE@two_node") {
      CHECK(p["status"] == "scored");
    } else if (id.rfind("C-", 0) == 0) {
      CHECK(p["status"] == "not_expressible");
    }
  }
  // Accuracy, as measured today (docs/accuracy.md), guarded against regressions: vTrain multi-node
  // mean absolute error 7.9% (the issue's target: at most 8%), single-node 8.1% with the held-out
  // (odd-line) half at 8.10%.
  double odd_sum = 0.0;
  int odd_n = 0;
  for (const auto& p : j["points"]) {
    const std::string id = p["id"];
    if (id.rfind("vtrain-single-", 0) != 0 || p["status"] != "scored") continue;
    if (std::stoi(id.substr(id.rfind('-') + 1)) % 2 == 0) continue;
    odd_sum += std::abs(p["signed_error"].get<double>());
    ++odd_n;
  }
  REQUIRE(odd_n == 720);
  CHECK(odd_sum / odd_n < 0.085);
  // The operations issue's targets (docs/accuracy.md): energy and GPU-hours within 25% (BLOOM
  // -23.5%, LLaMA-65B +3.9%), a large run's interruptions within a factor of 1.5 (OPT-175B x0.81).
  for (const auto& p : j["points"]) {
    const std::string id = p["id"];
    if (id == "D-BLOOM-176B-ENERGY-CO2" || id == "D-LLAMA1-65B-GPU-HOURS") {
      REQUIRE(p["status"] == "scored");
      CHECK_MESSAGE(std::abs(p["signed_error"].get<double>()) < 0.25, id);
    }
    if (id == "D-OPT175B-RESTARTS") {
      REQUIRE(p["status"] == "scored");
      const double ratio = p["predicted"].get<double>() / p["expected"].get<double>();
      CHECK(ratio > 1.0 / 1.5);
      CHECK(ratio < 1.5);
    }
  }
  for (const auto& c : j["categories"]) {
    if (c["name"] == "vtrain_multi") CHECK(c["mean_abs_error"].get<double>() <= 0.08);
    if (c["name"] == "vtrain_single") CHECK(c["mean_abs_error"].get<double>() < 0.085);
    // The published points (docs/accuracy.md: training median 9.7% over 45 points, 8.7% over the
    // 40 before the FlashAttention-2 runs were expressed; inference 10.9% over 48, 12.7% before
    // the tensor-parallel all-reduces carried the bf16 residual stream under fp8 GEMMs, 21.8% before
    // TensorRT-LLM 0.15's host work per sequence), guarded the same way: inference at its target.
    if (c["name"] == "A_training") CHECK(c["median_abs_error"].get<double>() < 0.105);
    // Training mean 12.6% (14.0% before attention took FlashAttention-2's per-pass speeds).
    if (c["name"] == "A_training") CHECK(c["mean_abs_error"].get<double>() < 0.13);
    if (c["name"] == "B_inference") CHECK(c["median_abs_error"].get<double>() <= 0.12);
  }
}

TEST_CASE("the calibrated H200 (calibrated/, measured by mlsim-probe): the H200 serving points move toward TensorRT-LLM's") {
  // The same published points predicted with the zoo's nominal h200_sxm and with the calibrated
  // overlay of calibrated/h200_sxm.yaml (cuBLASLt GEMMs at the points' own shapes, the copy curve and
  // the launch gaps of one H200, 2026-12-04). docs/calibration.md, "The H200 calibration": the median
  // absolute error of the eight H200 TensorRT-LLM points goes from 11.6% to 10.0%, the 70B's four
  // from 14.7% to 10.1%.
  const std::string pub = test::source_path("validation/published.yaml");
  const auto nominal = test::run_cli({"accuracy", pub, "-f", "json"});
  const auto calibrated = test::run_cli({"--zoo", test::source_path("calibrated"), "accuracy", pub, "-f", "json"});
  REQUIRE(nominal.code == 0);
  INFO(calibrated.err);
  REQUIRE(calibrated.code == 0);
  const auto errors_of = [](const std::string& out) {
    std::map<std::string, double> e;
    const auto j = nlohmann::json::parse(out);   // named: a range-for over a temporary's member dangles
    for (const auto& p : j["points"]) {
      const std::string id = p["id"];
      if (id.rfind("B-TRTLLM-", 0) == 0 && id.find("-H200-") != std::string::npos && p["status"] == "scored") {
        e[id] = p["signed_error"].get<double>();
      }
    }
    return e;
  };
  const auto nom = errors_of(nominal.out);
  const auto cal = errors_of(calibrated.out);
  REQUIRE(nom.size() == 8);
  REQUIRE(cal.size() == 8);
  const auto median_abs = [](const std::map<std::string, double>& e, const std::string& filter) {
    std::vector<double> v;
    for (const auto& [id, err] : e) {
      if (id.find(filter) != std::string::npos) v.push_back(std::abs(err));
    }
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  };
  CHECK(median_abs(nom, "") == mlsim::test::approx(0.116).epsilon(0.05));
  CHECK(median_abs(cal, "") == mlsim::test::approx(0.100).epsilon(0.05));
  CHECK(median_abs(nom, "-70B-") == mlsim::test::approx(0.147).epsilon(0.05));
  CHECK(median_abs(cal, "-70B-") == mlsim::test::approx(0.101).epsilon(0.05));
  // Measured GEMMs are slower than the nominal fp8 rate at these shapes: every 70B point (prefill-
  // and batched-decode-heavy) comes down, none by more than 7 points.
  for (const auto& [id, err] : nom) {
    if (id.find("-70B-") == std::string::npos) continue;
    CHECK_MESSAGE(cal.at(id) < err, id);
    CHECK_MESSAGE(cal.at(id) > err - 0.07, id);
  }
}

TEST_CASE("mlsim accuracy: table and markdown, -o with --force, bad input exits 2 with file:line:col") {
  test::TempDir dir;
  const std::string pub = dir.write("pub.yaml", kTtftEntry);
  auto r = test::run_cli({"accuracy", pub});
  REQUIRE(r.code == 0);
  CHECK(r.out.rfind("mlsim accuracy: 1 measurements: 1 scored", 0) == 0);
  CHECK(r.out.find("B-TTFT-7B-A100") != std::string::npos);
  r = test::run_cli({"accuracy", pub, "-f", "md"});
  REQUIRE(r.code == 0);
  CHECK(r.out.rfind("# mlsim accuracy\n", 0) == 0);
  CHECK(r.out.find("| B_inference | 1 | 1 |") != std::string::npos);

  const std::string out = dir.file("report.json");
  r = test::run_cli({"accuracy", pub, "-f", "json", "-o", out});
  REQUIRE(r.code == 0);
  CHECK(r.out.empty());
  CHECK(nlohmann::json::parse(read_file(out))["points"].size() == 1);
  r = test::run_cli({"accuracy", pub, "-f", "json", "-o", out});
  CHECK(r.code == 2);   // exists, no --force
  r = test::run_cli({"accuracy", pub, "-f", "json", "-o", out, "--force"});
  CHECK(r.code == 0);

  const std::string bad = dir.write("bad.csv", kSingleHeader + "8,32,4,1024,16,24,1024,2,2,x,219.7\n");
  r = test::run_cli({"accuracy", bad});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.rfind(bad + ":2:28: error: pipeline parallelism: expected a positive whole number, got \"x\"\n", 0) == 0);

  r = test::run_cli({"accuracy", dir.file("missing.yaml")});
  CHECK(r.code == 2);
  CHECK(r.err == dir.file("missing.yaml") + ": error: no such file or directory\n");
}

}  // namespace
}  // namespace mlsim

namespace mlsim {

TEST_CASE("mlsim accuracy --set applies to every point: the fitted host cost of Megatron 2021 matters at micro-batch 1") {
  // Two vTrain single-node rows at micro-batch 1 (host-bound), from ground_truth_single.csv.
  test::TempDir dir;
  const std::string csv = dir.write(
      "rows.csv",
      "# GPUs,global batch,micro batch,hidden size,attention heads,# layers,sequence length,tensor parallelism,"
      "data parallelism,pipeline parallelism,iteration time (ms)\n"
      "2,4,1,1024,16,12,1024,1,2,1,92.4\n"
      "2,32,1,1024,16,12,1024,1,2,1,691.8\n");
  const auto predicted = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"accuracy", csv, "-f", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = test::run_cli(args);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["points"].size() == 2);
    return j["points"][1]["predicted"].get<double>();
  };
  const double fitted = predicted({});
  // 16 micro-batches x 12 layers of a host-bound layer: the per-kernel host cost sets the time, so
  // the fitted 68 us lands near the measured 691.8 ms, and 21 us (plain PyTorch dispatch) far below.
  CHECK(fitted == mlsim::test::approx(691.8).epsilon(0.10));
  const double plain = predicted({"--set", "software.host_per_kernel=21us"});
  CHECK(plain < 0.6 * fitted);
  CHECK(test::run_cli({"accuracy", csv, "--set", "software.host_per_kernel"}).code == 2);
}

}  // namespace mlsim
