// Expert parallelism (the MoE all-to-alls and the experts split over EP ranks), context
// parallelism (ring attention) and ZeRO-Offload, each against a hand derivation.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <string>

#include "../support.hpp"
#include "analysis/evaluate.hpp"
#include "solvers/collectives.hpp"
#include "system/cluster.hpp"
#include "workload/params.hpp"

namespace mlsim {
namespace {

// Mixtral 8x7B (32 MoE layers, top-2 of 8 experts) on 16 H100s (two DGX H100), bf16, no
// recomputation, 4096-token sequences, one micro-batch per rank, no sequence parallelism.
std::string moe_yaml(const std::string& parallelism, const std::string& extra = "") {
  return "schema_version: 1\nkind: scenario\nname: moe\n"
         "system: {accelerator: h100_sxm, count: 16, node: dgx_h100, fabric: ib_ndr400_fat_tree}\n"
         "model: mixtral_8x7b\n"
         "software: {schema_version: 1, kind: software, host_per_kernel: 0 us, graph_launch: 0 us, workspace: 0 GiB}\n"
         "training: {seq_len: 4096, global_batch: 16, micro_batch: 1, precision: bf16, recompute: full,\n"
         "           parallelism: " + parallelism + extra + "}\n";
}

analysis::Estimate run(const std::string& yaml) {
  Diagnostics d;
  const auto s = test::scenario_from_text(yaml, d);
  INFO(d.format());
  REQUIRE(s.has_value());
  analysis::Evaluator ev;
  return ev.evaluate(*s);
}

}  // namespace

TEST_CASE("expert parallel: two all-to-alls per MoE layer in forward and two in backward, experts split over EP") {
  const std::string layout = "{dp: 16, ep: 8, zero: 2, sequence_parallel: false}";
  Diagnostics d;
  const auto s = test::scenario_from_text(moe_yaml(layout), d);
  INFO(d.format());
  REQUIRE(s.has_value());
  const auto e = run(moe_yaml(layout));
  REQUIRE(e.feasible);
  // Each rank's 4096 tokens x top-2 x 4096 hidden x 2 B = 64 MiB go out per all-to-all, over the
  // 8 EP ranks of one node (EP innermost after TP = 1).
  const auto cluster = system::Cluster::build(s->system);
  const double one = solvers::collective(solvers::Collective::kAllToAll, 4096.0 * 2.0 * 4096.0 * 2.0, cluster.place(8, 1)).time_s;
  CHECK(e.training->exposed_ep_s == mlsim::test::approx(32.0 * 6.0 * one).epsilon(1e-9));   // + the recomputed forward pair
  // Weights: the routed experts (32 layers x 8 experts x 3 x 4096 x 14336) split 8 ways.
  const auto p = workload::count_params(s->model);
  const double experts = 32.0 * 8.0 * p.expert;
  CHECK(p.expert == mlsim::test::approx(3.0 * 4096.0 * 14336.0));
  CHECK(e.memory.weights_bytes == mlsim::test::approx(2.0 * (p.total - experts + experts / 8.0)).epsilon(1e-9));
  // Without EP every rank holds all experts.
  const auto no_ep = run(moe_yaml("{dp: 16, zero: 2, sequence_parallel: false}"));
  CHECK_FALSE(no_ep.feasible);   // 94 GB of bf16 weights alone: only EP (or ZeRO-3) makes it fit
  CHECK(no_ep.training->exposed_ep_s == 0.0);
  CHECK(no_ep.memory.weights_bytes == mlsim::test::approx(2.0 * p.total).epsilon(1e-9));
  // A capacity factor of 1.25 pads the all-to-alls and the expert GEMMs.
  const auto padded = run(moe_yaml(layout, ", moe_capacity_factor: 1.25"));
  REQUIRE(padded.feasible);
  CHECK(padded.training->exposed_ep_s > e.training->exposed_ep_s);
  CHECK(padded.training->step_time_s > e.training->step_time_s);
  // EP needs an MoE model and must divide the experts and dp.
  CHECK_FALSE(run(moe_yaml("{dp: 8, tp: 2, ep: 16}")).feasible);
}

TEST_CASE("context parallel: each rank holds seq / cp tokens, and the ring's K/V traffic hides behind attention") {
  const auto base = run(moe_yaml("{dp: 16, ep: 8, zero: 2}"));
  const auto ctx = run(moe_yaml("{dp: 8, cp: 2, ep: 8, zero: 2}"));
  REQUIRE(base.feasible);
  REQUIRE(ctx.feasible);
  // Half the tokens per rank: stored activations halve (one micro-batch in flight, no PP).
  CHECK(ctx.memory.activations_bytes == mlsim::test::approx(0.5 * base.memory.activations_bytes).epsilon(0.02));
  CHECK(ctx.training->exposed_cp_s >= 0.0);
  // With the ring not overlapped, its cp - 1 = 1 step per layer forward and 2 backward are exposed.
  const auto exposed = run(moe_yaml("{dp: 8, cp: 2, ep: 8, zero: 2}", "\n           , overlap: {cp_ring: false}"));
  REQUIRE(exposed.feasible);
  CHECK(exposed.training->exposed_cp_s > ctx.training->exposed_cp_s);
}

TEST_CASE("ZeRO-Offload: the optimizer's state leaves the device, its step crosses the host link and runs on the CPU") {
  const std::string yaml =
      "schema_version: 1\nkind: scenario\nname: offload\n"
      "system: {accelerator: a100_sxm_80gb, count: 8, node: dgx_a100}\n"
      "model: llama2_7b\n"
      "software: {schema_version: 1, kind: software, host_per_kernel: 0 us, graph_launch: 0 us, workspace: 0 GiB}\n"
      "training: {seq_len: 4096, global_batch: 8, micro_batch: 1, precision: bf16, recompute: full, offload_optimizer: true,\n"
      "           parallelism: {dp: 8, zero: 2}}\n";
  const auto e = run(yaml);
  REQUIRE(e.feasible);
  CHECK(e.memory.optimizer_bytes == 0.0);
  Diagnostics d;
  const auto s = test::scenario_from_text(yaml, d);
  REQUIRE(s.has_value());
  // Per rank P / 8 parameters: fp32 gradients down and bf16 weights up at 32 GB/s x 0.82, then
  // 28 B per parameter on 409.6 / 8 GB/s of DRAM.
  const double per_rank = workload::count_params(s->model).total / 8.0;
  const double expected = per_rank * 6.0 / (32e9 * 0.82) + per_rank * 28.0 / (409.6e9 / 8.0);
  CHECK(e.training->optimizer_s == mlsim::test::approx(expected).epsilon(1e-6));
}

}  // namespace mlsim
