// The Cerebras WSE-3 entry against an H100 on Llama-3-8B decode: the ridge point moves from ~270
// FLOP/B to 3.5 FLOP/B (125 PFLOPS x 0.5 over 21 PB/s x 0.85), so the weight GEMMs of a batch-8
// decode are compute-bound on the wafer and bandwidth-bound on the H100; at batch 1 the wafer
// streams the weights in under a microsecond and its TPOT is the derived per-operator cost
// (Cerebras' published 1,800 tokens/s); a model beyond 44 GB streams over the 1.2 Tb/s I/O.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include "../support.hpp"

namespace {

std::string decode_yaml(const std::string& accelerator, const std::string& model, int batch) {
  return "schema_version: 1\nkind: scenario\nname: t\nsystem: {accelerator: " + accelerator + ", count: 1}\nmodel: " + model +
         "\ninference: {prompt_tokens: 4096, output_tokens: 256, batch: " + std::to_string(batch) + ", precision: bf16}\n";
}

const mlsim::analysis::OperatorRow& op(const mlsim::analysis::Estimate& e, const std::string& name, const std::string& phase) {
  for (const auto& o : e.operators) {
    if (o.name == name && o.phase == phase) return o;
  }
  FAIL("no operator " << name << " " << phase);
  return e.operators.front();
}

}  // namespace

TEST_CASE("wafer scale: the decode GEMMs change wall between an H100 and a WSE-3") {
  const auto wse8 = mlsim::test::evaluate_text(decode_yaml("cerebras_wse3", "llama3_8b", 8));
  const auto h1008 = mlsim::test::evaluate_text(decode_yaml("h100_sxm", "llama3_8b", 8));
  CHECK(op(wse8, "mlp_up", "decode").bound == "compute");
  CHECK(op(h1008, "mlp_up", "decode").bound == "memory_bandwidth");
  // mlp_up at batch 8: 2 x 8 x 4096 x 28672 FLOPs (gate and up, 14336 each) at 125 PFLOPS x 0.5.
  CHECK(op(wse8, "mlp_up", "decode").time_s == mlsim::test::approx(2.0 * 8 * 4096 * 28672 / (125e15 * 0.5)).epsilon(0.02));

  const auto wse1 = mlsim::test::evaluate_text(decode_yaml("cerebras_wse3", "llama3_8b", 1));
  CHECK(wse1.binding_wall == "host_overhead");
  REQUIRE(wse1.inference);
  // 355 operators x 1.56 us + ~0.9 us of streaming = the published 1,800 tokens/s (555.6 us).
  CHECK(wse1.inference->tpot_s == mlsim::test::approx(1.0 / 1800.0).epsilon(0.01));
  for (const auto& w : wse1.walls) {
    if (w.name == "memory_bandwidth") CHECK(w.time_s < 1e-6);   // 15.6 GB at 21 PB/s x 0.85 = 0.87 us
  }

  // Llama-3-70B does not fit 44 GB: the rest of the weights stream over the 1.2 Tb/s I/O each step.
  const auto wse70 = mlsim::test::evaluate_text(decode_yaml("cerebras_wse3", "llama3_70b", 1));
  CHECK(wse70.binding_wall == "host_link");
  REQUIRE(wse70.inference);
  CHECK(wse70.inference->tpot_s == mlsim::test::approx(wse70.memory.offloaded_weight_bytes / 150e9).epsilon(0.01));
}
