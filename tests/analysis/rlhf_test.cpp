// RLHF with PPO (analysis/rlhf): the co-located iteration is the sum of its phases, each priced
// independently here from the plain training and inference scenarios it is made of; memory is every
// model's state at hand-derived bytes per parameter; disaggregated is max(pools) + the weight sync;
// a point that does not fit co-located fits split into pools; bad input is reported with its place.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/evaluate.hpp"
#include "spec/hardware.hpp"
#include "workload/params.hpp"
#include "core/text.hpp"
#include "../support.hpp"

namespace mlsim {
namespace {

// Llama 3 8B actor (and reference), GPT-2 1.5B critic (and reward) on one DGX H100.
const std::string kBase = R"(schema_version: 1
kind: scenario
name: rlhf test
system: {accelerator: h100_sxm, count: 8, node: dgx_h100, fabric: ib_ndr400_fat_tree}
software: deepspeed
model: llama3_8b
training:
  seq_len: 1024
  global_batch: 64
  micro_batch: 2
  precision: bf16
  grad_precision: fp32
  parallelism: {dp: 8, zero: 2}
rlhf:
  critic: gpt2_1_5b
  prompts_per_iteration: 256
  prompt_tokens: 512
  response_tokens: 512
  ppo_epochs: 2
)";

analysis::Estimate plain(const std::string& yaml) { return test::evaluate_text(yaml); }

std::string inference_text(const std::string& model, long long gpus, long long prompt, long long out, long long batch) {
  return "schema_version: 1\nkind: scenario\nname: plain\nsystem: {accelerator: h100_sxm, count: " + std::to_string(gpus) +
         ", node: dgx_h100, fabric: ib_ndr400_fat_tree}\nsoftware: deepspeed\nmodel: " + model +
         "\ninference: {prompt_tokens: " + std::to_string(prompt) + ", output_tokens: " + std::to_string(out) +
         ", batch: " + std::to_string(batch) + ", precision: bf16, parallelism: {dp: " + std::to_string(gpus) + "}}\n";
}

std::string training_text(const std::string& model, long long gpus, long long zero) {
  return "schema_version: 1\nkind: scenario\nname: plain\nsystem: {accelerator: h100_sxm, count: " + std::to_string(gpus) +
         ", node: dgx_h100, fabric: ib_ndr400_fat_tree}\nsoftware: deepspeed\nmodel: " + model +
         "\ntraining: {seq_len: 1024, global_batch: 64, micro_batch: 2, precision: bf16, grad_precision: fp32, "
         "parallelism: {dp: " + std::to_string(gpus) + ", zero: " + std::to_string(zero) + "}}\n";
}

}  // namespace

TEST_CASE("rlhf co-located: the iteration is generation + experience + training, each equal to its plain scenario") {
  const auto e = test::evaluate_text(kBase);
  REQUIRE(e.rlhf.has_value());
  const auto& r = *e.rlhf;
  CHECK(e.feasible);
  // Generation: 256 prompts over 8 replicas of tp 1 = 32 per replica, in one round of batch 32.
  CHECK(r.generation_replicas == 8);
  CHECK(r.generation_batch == 32);
  CHECK(r.generation_rounds == 1);
  const auto gen = plain(inference_text("llama3_8b", 8, 512, 512, 32));
  REQUIRE(gen.inference.has_value());
  CHECK(r.generation_s == mlsim::test::approx(gen.inference->e2e_s).epsilon(1e-9));
  // Experience: 256 sequences of 1024 tokens over 8 groups at the micro-batch 2: 16 passes per model.
  CHECK(r.experience_batch == 2);
  const auto fa = plain(inference_text("llama3_8b", 8, 1024, 1, 2));
  const auto fc = plain(inference_text("gpt2_1_5b", 8, 1024, 1, 2));
  REQUIRE(fa.inference->ttft_s.has_value());
  // Plus the log-probabilities' vocabulary projection of the other 1,023 tokens of each of the 2
  // sequences: 2 x 4096 x 128256 x 1023 x 2 FLOPs at the H100's bf16 peak x its GEMM efficiency.
  const auto h100 = test::zoo_entry("accelerator", "h100_sxm", spec::read_accelerator);
  const double gemm = h100.peak_at(Precision::kBf16)->si() * h100.efficiency.compute_at[static_cast<std::size_t>(Precision::kBf16)];
  const double head_s = 2.0 * 4096.0 * 128256.0 * 1023.0 * 2.0 / gemm;
  CHECK(head_s > 0.002);   // ~2.3 ms at 989 TFLOP/s x 0.93
  CHECK(r.actor_forward_s == mlsim::test::approx(16.0 * (*fa.inference->ttft_s + head_s)).epsilon(1e-9));
  CHECK(r.reference_forward_s == mlsim::test::approx(r.actor_forward_s).epsilon(1e-12));   // reference = actor
  CHECK(r.critic_forward_s == mlsim::test::approx(16.0 * *fc.inference->ttft_s).epsilon(1e-9));
  CHECK(r.reward_forward_s == mlsim::test::approx(r.critic_forward_s).epsilon(1e-12));     // reward = critic
  CHECK(r.experience_s == mlsim::test::approx(2.0 * (r.actor_forward_s + r.critic_forward_s)).epsilon(1e-9));
  // Training: 2 epochs x 256 / 64 = 8 optimizer steps of actor and of critic.
  const auto ta = plain(training_text("llama3_8b", 8, 2));
  const auto tc = plain(training_text("gpt2_1_5b", 8, 2));
  REQUIRE(ta.training.has_value());
  CHECK(r.optimizer_steps == 8);
  CHECK(r.actor_step_s == mlsim::test::approx(ta.training->step_time_s).epsilon(1e-9));
  CHECK(r.training_s == mlsim::test::approx(8.0 * (ta.training->step_time_s + tc.training->step_time_s)).epsilon(1e-9));
  CHECK(r.iteration_s == mlsim::test::approx(r.generation_s + r.experience_s + r.training_s).epsilon(1e-12));
  CHECK(r.weight_sync_s == 0.0);
  CHECK(r.samples_per_s == mlsim::test::approx(256.0 / r.iteration_s).epsilon(1e-12));
  CHECK(r.tokens_per_s == mlsim::test::approx(256.0 * 1024.0 / r.iteration_s).epsilon(1e-12));
  // Two epochs of 64-sequence steps outweigh decoding 512 tokens at batch 32 here.
  CHECK(r.training_s > r.generation_s);
  CHECK(r.training_s > r.experience_s);
  CHECK(r.binding_phase == "training");
  CHECK(e.binding_wall == "training");
}

TEST_CASE("rlhf co-located memory: every model's state at once, ZeRO-2 over 8 ranks") {
  const auto e = test::evaluate_text(kBase);
  const double na = workload::count_params(test::zoo_model("llama3_8b")).total;
  const double nc = workload::count_params(test::zoo_model("gpt2_1_5b")).total;
  // Trained (actor, critic): bf16 weights 2 B whole, fp32 gradients 4 B and fp32 master + Adam m, v
  // 12 B over the 8 DP ranks (ZeRO-2); frozen (reference = actor, reward = critic): bf16 weights 2 B.
  CHECK(e.memory.weights_bytes == mlsim::test::approx(2.0 * (na + nc) + 2.0 * (na + nc)).epsilon(1e-6));
  CHECK(e.memory.gradients_bytes == mlsim::test::approx(4.0 * (na + nc) / 8.0).epsilon(1e-9));
  CHECK(e.memory.optimizer_bytes == mlsim::test::approx(12.0 * (na + nc) / 8.0).epsilon(1e-9));
  const double states = (2.0 + 0.5 + 1.5 + 2.0) * (na + nc);
  const double workspace = 2.0 * 1024.0 * 1024.0 * 1024.0;   // deepspeed.yaml: 2 GiB
  // The largest transient of a phase, from the plain scenarios: the generation's KV cache of 32
  // sequences x 1024 tokens x 128 KiB (Llama 3 8B: 2 x 32 layers x 8 KV heads x 128 x 2 B = 4 GiB)
  // and its prefill activations, a forward pass's activations, or a training step's.
  const auto gen = plain(inference_text("llama3_8b", 8, 512, 512, 32));
  CHECK(gen.memory.kv_cache_bytes == mlsim::test::approx(32.0 * 1024.0 * 131072.0).epsilon(1e-9));
  const auto fa = plain(inference_text("llama3_8b", 8, 1024, 1, 2));
  const auto fc = plain(inference_text("gpt2_1_5b", 8, 1024, 1, 2));
  const auto ta = plain(training_text("llama3_8b", 8, 2));
  const auto tc = plain(training_text("gpt2_1_5b", 8, 2));
  // The actor's log-probability pass also holds fp32 logits: 2 x 1024 tokens x 128256 x 4 B.
  const double transient = std::max({gen.memory.kv_cache_bytes + gen.memory.activations_bytes,
                                     fa.memory.activations_bytes + 2.0 * 1024.0 * 128256.0 * 4.0,
                                     fc.memory.activations_bytes, ta.memory.activations_bytes, tc.memory.activations_bytes});
  CHECK(transient > 1e9);
  CHECK(e.memory.per_device_bytes == mlsim::test::approx(states + workspace + transient).epsilon(1e-6));
  REQUIRE(e.rlhf->pools.size() == 1);
  CHECK(e.rlhf->pools[0].memory_per_device_bytes == mlsim::test::approx(e.memory.per_device_bytes).epsilon(1e-12));
  CHECK(e.rlhf->pools[0].fits);
}

TEST_CASE("rlhf disaggregated: max of the pools plus the actor's weights sent over the fabric") {
  const auto e = test::evaluate_text(kBase, {{"rlhf.placement", "disaggregated"},
                                             {"rlhf.generation", "{gpus: 4}"},
                                             {"training.parallelism.dp", "4"},
                                             {"training.parallelism.zero", "3"}});
  REQUIRE(e.rlhf.has_value());
  const auto& r = *e.rlhf;
  CHECK(e.feasible);
  REQUIRE(r.pools.size() == 2);
  CHECK(r.pools[0].name == "generation");
  CHECK(r.pools[0].gpus == 4);
  CHECK(r.pools[1].gpus == 4);
  // Generation: 64 prompts per replica, in one round.
  CHECK(r.generation_batch == 64);
  const auto gen = plain(inference_text("llama3_8b", 4, 512, 512, 64));
  CHECK(r.generation_s == mlsim::test::approx(gen.inference->e2e_s).epsilon(1e-9));
  const auto ta = plain(training_text("llama3_8b", 4, 3));
  CHECK(r.actor_step_s == mlsim::test::approx(ta.training->step_time_s).epsilon(1e-9));
  CHECK(r.pools[1].busy_s == mlsim::test::approx(r.experience_s + r.training_s).epsilon(1e-12));
  CHECK(r.iteration_s == mlsim::test::approx(std::max(r.generation_s, r.experience_s + r.training_s) + r.weight_sync_s).epsilon(1e-12));
  CHECK(r.synchronous_iteration_s == mlsim::test::approx(r.generation_s + r.experience_s + r.training_s + r.weight_sync_s).epsilon(1e-12));
  // The sync: 2 B x 8.03 G parameters = 16.1 GB inside the DGX's NVLink (900 GB/s per GPU
  // bidirectional, 450 GB/s each way): at least 16.1 GB / 450 GB/s = 36 ms, and under 4x that.
  const double bytes = 2.0 * workload::count_params(test::zoo_model("llama3_8b")).total;
  CHECK(r.weight_sync_s >= bytes / 450e9);
  CHECK(r.weight_sync_s < 4.0 * bytes / 450e9);
}

TEST_CASE("rlhf disaggregated: a training layout that does not cover the training pool is infeasible, with the fix") {
  const auto e = test::evaluate_text(kBase, {{"rlhf.placement", "disaggregated"}, {"rlhf.generation", "{gpus: 2}"}});
  CHECK_FALSE(e.feasible);
  CHECK(e.infeasible_reason.find("covers 8 accelerators") != std::string::npos);
  CHECK(e.infeasible_reason.find("has 6") != std::string::npos);
  const auto bad = test::evaluate_text(kBase, {{"rlhf.placement", "disaggregated"}, {"rlhf.generation", "{gpus: 8}"}});
  CHECK_FALSE(bad.feasible);
  CHECK(bad.infeasible_reason.find("leaves no accelerator") != std::string::npos);
}

TEST_CASE("rlhf: a large generation batch does not fit beside four models co-located, but fits in its own pool") {
  const std::vector<spec::Override> big = {{"rlhf.prompts_per_iteration", "2048"}, {"training.parallelism.zero", "3"}};
  const auto co = test::evaluate_text(kBase, big);
  REQUIRE(co.rlhf.has_value());
  CHECK_FALSE(co.feasible);
  CHECK_FALSE(co.memory.fits);
  CHECK(co.infeasible_reason.find("all pool does not fit") != std::string::npos);
  CHECK(co.infeasible_reason.find("over") != std::string::npos);
  // 256 sequences x 1024 tokens x 128 KiB = 32 GiB of KV plus a gathered bf16 copy of the actor
  // (ZeRO-3 shards the training copy), above the 80 GB of an H100 with the other states.
  CHECK(co.rlhf->pools[0].memory_per_device_bytes > 80e9);
  CHECK(co.rlhf->pools[0].peak_phase == "generation");
  CHECK(co.memory.kv_cache_bytes == mlsim::test::approx(256.0 * 1024.0 * 131072.0).epsilon(1e-9));
  const double na = workload::count_params(test::zoo_model("llama3_8b")).total;
  const double nc = workload::count_params(test::zoo_model("gpt2_1_5b")).total;
  // Trained bf16 weights over the 8 ranks (ZeRO-3), frozen ones whole, and the gathered actor copy.
  CHECK(co.memory.weights_bytes == mlsim::test::approx(2.0 * (na + nc) / 8.0 + 2.0 * (na + nc) + 2.0 * na).epsilon(1e-6));
  auto split = big;
  split.push_back({"rlhf.placement", "disaggregated"});
  split.push_back({"rlhf.generation", "{gpus: 4, batch: 256}"});
  split.push_back({"training.parallelism.dp", "4"});
  const auto dis = test::evaluate_text(kBase, split);
  CHECK(dis.feasible);
  REQUIRE(dis.rlhf->pools.size() == 2);
  CHECK(dis.rlhf->pools[0].fits);
  CHECK(dis.rlhf->pools[1].fits);
  CHECK(dis.rlhf->pools[0].memory_per_device_bytes < co.rlhf->pools[0].memory_per_device_bytes);
}

TEST_CASE("rlhf: bad input is reported at its place") {
  Diagnostics d;
  auto s = test::scenario_from_text(kBase + "  rolouts: 3\n", d);
  CHECK_FALSE(s.has_value());
  REQUIRE_FALSE(d.all().empty());
  CHECK(d.all()[0].origin.line == 20);
  CHECK(d.all()[0].message.find("rolouts") != std::string::npos);
  Diagnostics d2;
  CHECK_FALSE(test::scenario_from_text(kBase, d2, {{"training.seq_len", "2048"}}).has_value());
  CHECK(d2.all()[0].message.find("prompt + response, 1024 tokens") != std::string::npos);
  Diagnostics d3;
  CHECK_FALSE(test::scenario_from_text(kBase, d3, {{"rlhf.placement", "disaggregated"}}).has_value());
  CHECK(d3.all()[0].message.find("generation: {gpus: N}") != std::string::npos);
  Diagnostics d4;
  CHECK_FALSE(test::scenario_from_text(kBase, d4, {{"rlhf.prompts_per_iteration", "100"}}).has_value());
  CHECK(d4.all()[0].message.find("must divide") != std::string::npos);
}

TEST_CASE("rlhf: the shipped scenario's JSON section, and exit 2 on an unknown key") {
  const auto r = test::run_cli({"analyze", test::source_path("scenarios/rlhf_ppo_llama3_8b_h100.yaml"), "-f", "json"});
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.contains("rlhf"));
  const auto& x = j["rlhf"];
  CHECK(x["placement"] == "colocated");
  CHECK(x["iteration_s"].get<double>() == mlsim::test::approx(x["phases"]["generation_s"].get<double>() +
                                                          x["phases"]["experience_s"].get<double>() +
                                                          x["phases"]["training_s"].get<double>())
                                              .epsilon(1e-12));
  CHECK(x["samples_per_s"].get<double>() == mlsim::test::approx(512.0 / x["iteration_s"].get<double>()).epsilon(1e-12));
  CHECK(x["pools"].size() == 1);
  CHECK(j["feasible"] == true);
  CHECK_FALSE(j.contains("training"));
  const auto bad = test::run_cli({"analyze", test::source_path("scenarios/rlhf_ppo_llama3_8b_h100.yaml"), "--set", "rlhf.epochs=2"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("unknown key \"epochs\" in rlhf") != std::string::npos);
}

TEST_CASE("rlhf: sweep over the response length moves seq_len with it; the rlhf metrics by name") {
  const auto r = test::run_cli({"sweep", test::source_path("scenarios/rlhf_ppo_llama3_8b_h100.yaml"), "--set", "training.micro_batch=2",
                                "--vary", "rlhf.response_tokens=512,2048", "--metrics", "rlhf.iteration_s,rlhf.phases.generation_s"});
  REQUIRE(r.code == 0);
  const auto lines = split(r.out, '\n');
  REQUIRE(lines.size() >= 3);
  CHECK(lines[0] == "point,rlhf.response_tokens,feasible,binding_wall,rlhf.iteration_s,rlhf.phases.generation_s,infeasible_reason");
  const auto a = split(lines[1], ','), b = split(lines[2], ',');
  REQUIRE(a.size() == 7);
  REQUIRE(b.size() == 7);
  CHECK(a[2] == "true");
  CHECK(b[2] == "true");
  // Four times the response: decode steps x 4 at a longer context, so generation more than 4x.
  CHECK(std::stod(b[5]) > 4.0 * std::stod(a[5]));
  CHECK(std::stod(b[4]) > std::stod(a[4]));
  CHECK(b[3] == "generation");
}

}  // namespace mlsim
