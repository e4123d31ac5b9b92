// Speculative decoding's expected tokens per verification and speedup, and the paged KV cache's
// blocks, last-block waste and concurrency, by hand.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include "solvers/kv_cache.hpp"
#include "solvers/speculative.hpp"

namespace mlsim {

TEST_CASE("expected accepted tokens per verification: (1 - a^(k+1)) / (1 - a)") {
  // a = 0.8, k = 4: (1 - 0.32768) / 0.2 = 3.3616.
  CHECK(solvers::expected_tokens_per_verification(0.8, 4) == mlsim::test::approx(3.3616));
  // a = 0.5, k = 2: 1 + 0.5 + 0.25 = 1.75.
  CHECK(solvers::expected_tokens_per_verification(0.5, 2) == mlsim::test::approx(1.75));
  // Nothing accepted: the verification still yields one token; everything accepted: k + 1.
  CHECK(solvers::expected_tokens_per_verification(0.0, 5) == mlsim::test::approx(1.0));
  CHECK(solvers::expected_tokens_per_verification(1.0, 5) == mlsim::test::approx(6.0));
}

TEST_CASE("speculative speedup: plain step over (k proposals + a verification) / expected tokens") {
  // Decode 20 ms, verify 22 ms, draft 2 ms, k = 4, a = 0.8: (4 x 2 + 22) / 3.3616 = 8.924 ms per token.
  const auto s = solvers::speculative_step(20e-3, 22e-3, 2e-3, 0.8, 4);
  CHECK(s.step_s == mlsim::test::approx(30e-3));
  CHECK(s.time_per_token_s == mlsim::test::approx(30e-3 / 3.3616));
  CHECK(s.speedup == mlsim::test::approx(20e-3 * 3.3616 / 30e-3));
  // When verification is compute-bound (5x the decode) speculation slows decoding down.
  CHECK(solvers::speculative_step(20e-3, 100e-3, 2e-3, 0.8, 4).speedup < 1.0);
}

TEST_CASE("paged KV: blocks, last-block waste, concurrency") {
  CHECK(solvers::kv_blocks_for(1000, 16) == 63);   // 62.5 -> 63 blocks
  // 63 x 16 = 1008 slots for 1000 tokens: 8 / 1008 wasted.
  CHECK(solvers::kv_last_block_waste(1000, 16) == mlsim::test::approx(8.0 / 1008.0));
  CHECK(solvers::kv_last_block_waste(1024, 16) == mlsim::test::approx(0.0));
  CHECK(solvers::kv_last_block_waste(1000, 1) == mlsim::test::approx(0.0));
  // Llama-3-8B fp16 (131072 B/token), 8K-token sequences in 40 GiB: 40 GiB / (8192 x 128 KiB) = 40.
  CHECK(solvers::kv_max_concurrency(40.0 * 1073741824.0, 131072.0, 8192, 16) == 40);
  // With 8200 tokens the last block of 16 is partly empty: 8208 slots each -> 39 sequences.
  CHECK(solvers::kv_max_concurrency(40.0 * 1073741824.0, 131072.0, 8200, 16) == 39);
  CHECK(solvers::kv_onload_s(64e9, 50e9) == mlsim::test::approx(1.28));
}

}  // namespace mlsim
