// trtllm-bench's batch settings (tensorrt_llm/bench/build/tuning.py), derived by hand for Llama 3
// 8B and 70B on H100s with FP8 weights and KV cache.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <string>

#include "../support.hpp"
#include "analysis/trtllm_bench.hpp"

namespace mlsim {
namespace {

spec::Scenario serving(const std::string& model, long long tp, long long isl, long long osl) {
  return test::require_scenario("schema_version: 1\nkind: scenario\nname: t\nsystem: {accelerator: h100_sxm, count: " +
                                std::to_string(tp) + ", node: dgx_h100}\nmodel: " + model +
                                "\nsoftware: tensorrt_llm\ninference:\n  prompt_tokens: " + std::to_string(isl) +
                                "\n  output_tokens: " + std::to_string(osl) +
                                "\n  precision: {weights: fp8, activations: fp8, kv_cache: fp8}\n  parallelism: {tp: " +
                                std::to_string(tp) + "}\n  traffic: {arrival: offline, requests: 100}\n");
}

}  // namespace

TEST_CASE("trtllm-bench's heuristic: Llama 3 8B on one H100 (8,030,261,248 parameters at 1 B, 64 KiB of KV per token)") {
  // Engine 8,030,261,248 / 2^30 = 7.479 GiB; KV cache 0.95 x (80 - 7.479) = 68.895 GiB; a token
  // holds 2 x 32 layers x 8 heads x 128 x 1 B = 65,536 B = 6.1035e-5 GiB.
  const double cache = 0.95 * (80.0 - 8030261248.0 / 1073741824.0);
  const double per_token = 65536.0 / 1073741824.0;
  SUBCASE("2048 / 128: 518.7 requests fit; batch 128 x ceil(4.05) = 640, tokens 518.7 x 17 = 8,819 -> 9,216") {
    const auto b = analysis::trtllm_bench_settings(serving("llama3_8b", 1, 2048, 128), 0.95, true);
    CHECK(b.kv_max_requests == mlsim::test::approx(cache / (per_token * 2176.0)).epsilon(1e-9));
    CHECK(b.kv_max_requests == mlsim::test::approx(518.74).epsilon(1e-4));
    CHECK(b.max_batch_size == 640);
    CHECK(b.max_num_tokens == 9216);
  }
  SUBCASE("128 / 128: 4,409 requests, capped at 4,096; tokens 4,096 x 2 = 8,192") {
    const auto b = analysis::trtllm_bench_settings(serving("llama3_8b", 1, 128, 128), 0.95, true);
    CHECK(b.kv_max_requests == mlsim::test::approx(4409.3).epsilon(1e-4));
    CHECK(b.max_batch_size == 4096);
    CHECK(b.max_num_tokens == 8192);
  }
  SUBCASE("20000 / 2000: 51.3 requests -> the floor of 64 sequences and 2,048 tokens; without chunking 20,000 + 64") {
    const auto chunked = analysis::trtllm_bench_settings(serving("llama3_8b", 1, 20000, 2000), 0.95, true);
    CHECK(chunked.max_batch_size == 64);
    CHECK(chunked.max_num_tokens == 2048);
    const auto whole = analysis::trtllm_bench_settings(serving("llama3_8b", 1, 20000, 2000), 0.95, false);
    CHECK(whole.max_num_tokens == 20064);
  }
}

TEST_CASE("trtllm-bench's heuristic: Llama 3.3 70B on two H100s, 1000 / 1000") {
  // Engine 70,553,706,496 / 2^30 = 65.708 GiB of 160; cache 0.95 x 94.292 = 89.577 GiB; a token
  // holds 2 x 80 x max(2, 8) x 128 = 163,840 B; 293.5 requests -> batch 384, tokens 587 -> 2,048.
  const auto b = analysis::trtllm_bench_settings(serving("llama3_70b", 2, 1000, 1000), 0.95, false);
  CHECK(b.kv_max_requests == mlsim::test::approx(0.95 * (160.0 - 70553706496.0 / 1073741824.0) / (163840.0 / 1073741824.0 * 2000.0))
                                 .epsilon(1e-9));
  CHECK(b.kv_max_requests == mlsim::test::approx(293.5).epsilon(1e-3));
  CHECK(b.max_batch_size == 384);
  CHECK(b.max_num_tokens == 2048);   // max(2048, 1000 + 384) without chunking
}

}  // namespace mlsim
