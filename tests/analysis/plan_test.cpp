// mlsim plan: the ranked layouts are feasible, sorted, and the best is the fastest of an
// independent enumeration of the same space.
#include <doctest/doctest.h>

#include <limits>

#include "../support.hpp"
#include "analysis/evaluate.hpp"
#include "analysis/plan.hpp"

namespace mlsim {

TEST_CASE("plan: feasible layouts, fastest first, the best equal to a brute-force search") {
  // Llama 2 7B on 8 A100 (one DGX node), global batch 32.
  Diagnostics d;
  const auto s = test::scenario_from_text(
      "schema_version: 1\nkind: scenario\nname: plan\n"
      "system: {accelerator: a100_sxm_80gb, count: 8, node: dgx_a100}\nsoftware: megatron\nmodel: llama2_7b\n"
      "training: {seq_len: 4096, global_batch: 32, micro_batch: 1, precision: bf16, parallelism: {dp: 8}}\n",
      d);
  INFO(d.format());
  REQUIRE(s.has_value());
  analysis::PlanOptions po;
  po.top = 5;
  const auto r = analysis::plan_training(*s, po);
  REQUIRE(r.ranked.size() == 5);
  CHECK(r.feasible <= r.evaluated);
  for (std::size_t i = 0; i < r.ranked.size(); ++i) {
    CHECK(r.ranked[i].estimate.feasible);
    if (i > 0) {
      CHECK(r.ranked[i].estimate.training->step_time_s >= r.ranked[i - 1].estimate.training->step_time_s);
      CHECK_FALSE(r.ranked[i].lost_because.empty());
    }
  }
  CHECK(r.ranked[0].lost_because.empty());
  // Brute force over the same space: tp | 8, pp | layers and 8 / tp, micro-batch 1..8, ZeRO 0..3,
  // recompute none or full (selective equals none under flash attention), no interleaving.
  double best = std::numeric_limits<double>::infinity();
  analysis::Evaluator ev;
  for (long long tp : {1, 2, 4, 8}) {
    for (long long pp : {1, 2, 4, 8}) {
      if (tp * pp > 8 || s->model.layers % pp != 0) continue;
      for (long long mb : {1, 2, 4, 8}) {
        for (long long zero : {0, 1, 2, 3}) {
          for (auto rc : {spec::Recompute::kNone, spec::Recompute::kFull}) {
            auto c = *s;
            c.training->parallelism.tp = tp;
            c.training->parallelism.pp = pp;
            c.training->parallelism.dp = 8 / (tp * pp);
            c.training->parallelism.zero = c.training->parallelism.dp > 1 ? zero : 0;
            c.training->parallelism.sequence_parallel = tp > 1;
            c.training->micro_batch = mb;
            c.training->recompute = rc;
            if (c.training->global_batch % (mb * c.training->parallelism.dp) != 0) continue;
            const auto e = ev.evaluate(c);
            if (e.feasible && e.training) best = std::min(best, e.training->step_time_s);
          }
        }
      }
    }
  }
  // Interleaving can only make the plan's best faster than the brute force without it.
  CHECK(r.ranked[0].estimate.training->step_time_s <= best * (1.0 + 1e-12));
}

}  // namespace mlsim
