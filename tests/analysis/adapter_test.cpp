// LoRA and QLoRA fine-tuning checked by hand: the adapters' parameter count, the memory of a frozen
// base beside fp32 adapters, the FLOPs of a step without weight gradients, and the layouts the
// model refuses.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <string>

#include "../support.hpp"
#include "analysis/evaluate.hpp"
#include "workload/adapters.hpp"
#include "workload/params.hpp"

namespace mlsim {
namespace {

std::string finetune(const std::string& adapter, const std::string& model = "llama2_7b", const std::string& extra = "") {
  return "schema_version: 1\nkind: scenario\nname: ft\nsystem: {accelerator: a100_sxm_80gb, count: 1}\n"
         "software: pytorch_eager\nmodel: " + model + "\n"
         "training: {seq_len: 2048, global_batch: 16, micro_batch: 4, precision: bf16, recompute: full" +
         (adapter.empty() ? "" : ", adapter: " + adapter) + extra + "}\n";
}

}  // namespace

TEST_CASE("LoRA's trainable parameters by hand: Llama-2-7B, rank 16") {
  // Per layer, r (k + n) per matrix. All linears: q, k, v, o are 4096 -> 4096 (16 x 8192 each),
  // gate and up 4096 -> 11008 and down 11008 -> 4096 (16 x 15104 each): 524,288 + 724,992 =
  // 1,249,280; 32 layers: 39,976,960 (what PEFT's print_trainable_parameters reports for this
  // configuration). q and v only: 32 x 2 x 16 x 8192 = 8,388,608. Attention: 16,777,216.
  const auto m = test::zoo_model("llama2_7b");
  std::string problem;
  spec::AdapterSpec a;
  a.rank = 16;
  CHECK(workload::adapter_params_per_layer(m, a, problem) * 32.0 == mlsim::test::approx(39976960.0).epsilon(1e-12));
  a.targets = spec::AdapterTargets::kQv;
  CHECK(workload::adapter_params_per_layer(m, a, problem) * 32.0 == mlsim::test::approx(8388608.0).epsilon(1e-12));
  a.targets = spec::AdapterTargets::kAttention;
  CHECK(workload::adapter_params_per_layer(m, a, problem) * 32.0 == mlsim::test::approx(16777216.0).epsilon(1e-12));
  CHECK(problem.empty());
}

TEST_CASE("LoRA and QLoRA memory: a frozen base beside fp32 adapters with Adam") {
  const double P = 39976960.0;   // the adapters above
  const auto m = test::zoo_model("llama2_7b");
  const workload::ParamCount pc = workload::count_params(m);
  const double edges = pc.embedding + pc.lm_head + static_cast<double>(m.hidden);   // final RMSNorm
  const double layers = pc.total - edges;
  const auto full = test::evaluate_text(finetune(""));
  const auto lora = test::evaluate_text(finetune("{method: lora, rank: 16}"));
  const auto qlora = test::evaluate_text(finetune("{method: qlora, rank: 16}"));
  // Full fine-tuning of 6.7B parameters needs 2 + 4 + 12 B each: it does not fit an 80 GB A100.
  CHECK_FALSE(full.feasible);
  REQUIRE(lora.feasible);
  REQUIRE(qlora.feasible);
  // LoRA: bf16 base (2 B per weight) + fp32 adapters (4 B); gradients 4 B and Adam 8 B per adapter parameter.
  CHECK(lora.memory.weights_bytes == mlsim::test::approx(2.0 * pc.total + 4.0 * P).epsilon(1e-9));
  CHECK(lora.memory.gradients_bytes == mlsim::test::approx(4.0 * P).epsilon(1e-9));
  CHECK(lora.memory.optimizer_bytes == mlsim::test::approx(8.0 * P).epsilon(1e-9));
  // QLoRA: the layers' weights in NF4 with double quantization (4.127 bits), the embedding, head and
  // final norm in bf16 (Dettmers et al. 2023).
  CHECK(qlora.memory.weights_bytes == mlsim::test::approx(layers * 4.127 / 8.0 + 2.0 * edges + 4.0 * P).epsilon(1e-9));
  CHECK(qlora.memory.gradients_bytes == lora.memory.gradients_bytes);
  // The activations are those of full training at the same micro-batch (inputs of every linear
  // are kept: the adapters need them).
  CHECK(lora.memory.activations_bytes == mlsim::test::approx(full.memory.activations_bytes).epsilon(1e-12));
}

TEST_CASE("LoRA's step: no weight gradients for the frozen base, the adapters' own passes, QLoRA's dequantization") {
  const auto full = test::evaluate_text(finetune(""));
  const auto lora = test::evaluate_text(finetune("{method: lora, rank: 16}"));
  const auto qlora = test::evaluate_text(finetune("{method: qlora, rank: 16}"));
  REQUIRE(full.training.has_value());
  REQUIRE(lora.training.has_value());
  REQUIRE(qlora.training.has_value());
  // Model FLOPs per token: 6 N for full training, 4 N (forward and input gradients) + 6 P for LoRA;
  // the attention terms are the same, so the difference is exactly 2 N - 6 P per token.
  const auto m = test::zoo_model("llama2_7b");
  const double N = workload::count_params(m).matrix_active, P = 39976960.0, tokens = 16.0 * 2048.0;
  CHECK(full.training->model_flops_per_step - lora.training->model_flops_per_step ==
        mlsim::test::approx(tokens * (2.0 * N - 6.0 * P)).epsilon(1e-9));
  // With full recomputation the recomputed forward adds 2 (N - V h) + 2 P per token to both.
  const double Vh = static_cast<double>(m.padded_vocab() * m.hidden);
  CHECK(lora.training->hardware_flops_per_step - lora.training->model_flops_per_step ==
        mlsim::test::approx(tokens * (2.0 * (N - Vh) + 2.0 * P) +
                        (full.training->hardware_flops_per_step - full.training->model_flops_per_step -
                         tokens * 2.0 * (N - Vh)))
            .epsilon(1e-9));
  // Fewer FLOPs but the adapters' unfused small kernels: faster than full training, not by 8/6.
  CHECK(lora.training->step_time_s < full.training->step_time_s);
  CHECK(lora.training->step_time_s > full.training->step_time_s * 6.0 / 8.0);
  // QLoRA is LoRA plus a dequantization pass per GEMM and pass: slower, never faster.
  CHECK(qlora.training->step_time_s > lora.training->step_time_s);
  // The adapters' tiny optimizer step.
  CHECK(lora.training->optimizer_s < 0.01 * full.training->optimizer_s);
}

TEST_CASE("adapters refuse what they do not model, and bad keys are errors") {
  // MLA has no separate query and value projections; routed experts take no adapters here.
  const auto mla = test::evaluate_text(finetune("{method: lora, targets: qv}", "deepseek_v3"));
  CHECK_FALSE(mla.feasible);
  CHECK(mla.infeasible_reason.rfind("training.adapter: targets qv needs separate query and value projections", 0) == 0);
  const auto moe = test::evaluate_text(finetune("{method: lora}", "mixtral_8x7b"));
  CHECK_FALSE(moe.feasible);
  CHECK(moe.infeasible_reason.rfind("training.adapter: adapters on routed experts", 0) == 0);
  Diagnostics d;
  CHECK_FALSE(test::scenario_from_text(finetune("{method: dora}"), d).has_value());
  CHECK(d.format().find("training.adapter") != std::string::npos);
  Diagnostics d2;
  CHECK_FALSE(test::scenario_from_text(finetune("{method: lora, rnak: 8}"), d2).has_value());
  CHECK(d2.format().find("rnak") != std::string::npos);
}

}  // namespace mlsim
