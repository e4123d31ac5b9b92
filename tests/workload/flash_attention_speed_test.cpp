// FlashAttention-2's speed per training pass relative to its best case (the long non-causal
// forward), from the FlashAttention-3 paper's FA2 bars (arXiv:2407.08608, Figures 5 and 6), by hand.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <cmath>

#include "spec/model.hpp"
#include "workload/flash_attention_speed.hpp"
#include "workload/transformer.hpp"
#include "../support.hpp"

namespace mlsim {

using workload::AttentionPass;
using workload::flash_attention_relative_speed;

TEST_CASE("FlashAttention-2 relative speed: the measured points") {
  // The best case itself: forward, non-causal, 16k, head dimension 128 (370 of 370 TFLOP/s).
  CHECK(flash_attention_relative_speed(AttentionPass::kForward, false, 16384, 128) == test::approx(1.0));
  // Forward, causal, 2k, head 128: 298 / 370.
  CHECK(flash_attention_relative_speed(AttentionPass::kForward, true, 2048, 128) == test::approx(298.0 / 370.0));
  // Backward, non-causal, 2k, head 64: 264 / 370.
  CHECK(flash_attention_relative_speed(AttentionPass::kBackward, false, 2048, 64) == test::approx(264.0 / 370.0));
  // Backward, causal, 2k, head 128: 291 x (298 / 362) / 370 = 0.6474 (the forward's causal ratio).
  CHECK(flash_attention_relative_speed(AttentionPass::kBackward, true, 2048, 128) == test::approx(291.0 * 298.0 / 362.0 / 370.0));
  CHECK(flash_attention_relative_speed(AttentionPass::kBackward, true, 2048, 128) == test::approx(0.6474).epsilon(1e-3));
}

TEST_CASE("FlashAttention-2 relative speed: interpolation and clamping") {
  // Head 96 is halfway between 64 and 128: forward non-causal 2k (318 + 362) / 2 / 370 = 0.9189.
  CHECK(flash_attention_relative_speed(AttentionPass::kForward, false, 2048, 96) == test::approx(340.0 / 370.0));
  // 3k lies 0.585 of the way from 2k to 4k in log2: 362 + 0.585 x (368 - 362) = 365.51.
  CHECK(flash_attention_relative_speed(AttentionPass::kForward, false, 3072, 128) ==
        test::approx((362.0 + (std::log2(3072.0) - 11.0) * 6.0) / 370.0));
  // Below 512 and above 16k the ends hold; head dimensions outside 64..128 take the nearest row.
  CHECK(flash_attention_relative_speed(AttentionPass::kForward, false, 128, 64) == test::approx(282.0 / 370.0));
  CHECK(flash_attention_relative_speed(AttentionPass::kBackward, false, 131072, 256) == test::approx(322.0 / 370.0));
  // Monotone where the measurements are: longer sequences are never slower, backward below forward.
  for (double s = 512; s <= 16384; s *= 2) {
    CHECK(flash_attention_relative_speed(AttentionPass::kBackward, true, s, 128) <
          flash_attention_relative_speed(AttentionPass::kForward, true, s, 128));
    CHECK(flash_attention_relative_speed(AttentionPass::kForward, true, s, 128) <=
          flash_attention_relative_speed(AttentionPass::kForward, true, 2 * s, 128));
  }
}

TEST_CASE("training attention carries its pass speeds; serving and the uniform option do not") {
  const spec::ModelSpec m = test::tiny_model();   // head dimension 16 -> the 64 row; 8 tokens -> 512
  const double fwd = 282.0 * (191.0 / 309.0) / 370.0;   // 0.4711
  const double bwd = 198.0 * (191.0 / 309.0) / 370.0;   // 0.3308
  workload::OperatorList ops;
  workload::append_transformer_pass(m, {2, 8, 0}, {}, ops);
  const std::size_t n = ops.size();
  workload::append_backward(ops, 0, n);
  int seen = 0;
  for (const auto& op : ops) {
    if (op.op_class != workload::OpClass::kAttention) continue;
    ++seen;
    CHECK(op.rate_scale == test::approx(op.phase == workload::Phase::kForward ? fwd : bwd));
  }
  CHECK(seen == 2);

  workload::PassOptions uniform;
  uniform.flash_attention_2_speeds = false;
  workload::OperatorList u;
  workload::append_transformer_pass(m, {2, 8, 0}, uniform, u);
  workload::append_backward(u, 0, u.size());
  workload::PassOptions prefill;
  prefill.phase = workload::Phase::kPrefill;
  workload::append_transformer_pass(m, {2, 8, 0}, prefill, u);
  for (const auto& op : u) {
    if (op.op_class == workload::OpClass::kAttention) CHECK(op.rate_scale == 1.0);
  }
}

}  // namespace mlsim
