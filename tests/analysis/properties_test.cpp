// Properties over seeded random scenarios: more FLOPS or bandwidth never makes anything slower,
// every reported number is finite and non-negative, and the Evaluator (which reuses its buffers)
// gives identical results when it evaluates the same scenario again.
#include <doctest/doctest.h>

#include <array>

#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "analysis/evaluate.hpp"
#include "../support.hpp"

namespace mlsim {
namespace {

constexpr int kPoints = 200;

std::optional<spec::Scenario> load(const std::string& yaml) {
  Diagnostics d;
  return test::scenario_from_text(yaml, d);
}

// A random inference point: model, batch 1..256, prompt 16..8192, output 1..1024, bf16 or fp8.
std::string random_inference(std::mt19937& rng) {
  static const char* models[] = {"llama3_8b", "mistral_7b", "mixtral_8x7b", "gpt2_124m"};
  static const char* precisions[] = {"bf16", "fp8"};
  std::uniform_int_distribution<int> model(0, 3), batch(1, 256), prompt(16, 8192), output(1, 1024), precision(0, 1);
  const int m = model(rng);
  // GPT-2 has 1024 positions; its prompts stay within them.
  const int p = m == 3 ? 16 + prompt(rng) % 900 : prompt(rng);
  const int o = m == 3 ? 1 + output(rng) % 100 : output(rng);
  return "schema_version: 1\nkind: scenario\nname: random\nsystem: {accelerator: h100_sxm, count: 1}\nmodel: " +
         std::string(models[m]) + "\ninference: {prompt_tokens: " + std::to_string(p) + ", output_tokens: " +
         std::to_string(o) + ", batch: " + std::to_string(batch(rng)) + ", precision: " + precisions[precision(rng)] +
         "}\nops: {duration: 1 h}\n";
}

// A random single-accelerator training point.
std::string random_training(std::mt19937& rng) {
  static const char* models[] = {"llama3_8b", "mistral_7b", "mixtral_8x7b", "gpt2_124m"};
  static const char* recompute[] = {"none", "selective", "full"};
  std::uniform_int_distribution<int> model(0, 3), seq(16, 4096), micro(1, 8), steps(1, 4), rc(0, 2);
  const int m = model(rng);
  const int s = m == 3 ? 16 + seq(rng) % 1000 : seq(rng);
  const int mb = micro(rng);
  return "schema_version: 1\nkind: scenario\nname: random\nsystem: {accelerator: h100_sxm, count: 1}\nmodel: " +
         std::string(models[m]) + "\ntraining: {seq_len: " + std::to_string(s) + ", global_batch: " +
         std::to_string(mb * steps(rng)) + ", micro_batch: " + std::to_string(mb) + ", recompute: " + recompute[rc(rng)] +
         ", tokens: 1e9}\n";
}

void scale_flops(spec::Scenario& s, double f) {
  for (auto& p : s.system.accelerator.peak) {
    if (p) *p = FlopsPerSecond(p->si() * f);
  }
}

void scale_bandwidth(spec::Scenario& s, double f) {
  s.system.accelerator.memory_bandwidth = BytesPerSecond(s.system.accelerator.memory_bandwidth.si() * f);
}

// The scenario with every peak FLOPS scaled by f, and the one with the HBM bandwidth scaled by f.
std::array<spec::Scenario, 2> sped_up(const spec::Scenario& s, double f) {
  std::array<spec::Scenario, 2> out{s, s};
  scale_flops(out[0], f);
  scale_bandwidth(out[1], f);
  return out;
}

// Every number of an estimate, in a fixed order.
std::vector<double> numbers(const analysis::Estimate& e) {
  std::vector<double> v;
  for (const auto& w : e.walls) {
    v.push_back(w.time_s);
    v.push_back(w.utilization);
  }
  for (const auto& r : e.operators) {
    v.insert(v.end(), {r.count, r.flops, r.bytes, r.time_s, r.kernels});
  }
  const auto& m = e.memory;
  v.insert(v.end(), {m.per_device_bytes, m.capacity_bytes, m.weights_bytes, m.gradients_bytes, m.optimizer_bytes,
                     m.activations_bytes, m.kv_cache_bytes, m.workspace_bytes, m.offloaded_weight_bytes});
  if (e.training) {
    const auto& t = *e.training;
    v.insert(v.end(), {t.step_time_s, t.mfu, t.hfu, t.model_flops_per_step, t.hardware_flops_per_step, t.tokens_per_s,
                       t.bubble_fraction, t.compute_s, t.bubble_s, t.optimizer_s, t.host_s, t.exposed_tp_s, t.exposed_dp_s,
                       t.exposed_pp_s, t.exposed_ep_s, t.exposed_cp_s, static_cast<double>(t.micro_batches),
                       static_cast<double>(t.max_micro_batch)});
    if (t.time_to_train_s) v.push_back(*t.time_to_train_s);
  }
  if (e.inference) {
    const auto& i = *e.inference;
    v.insert(v.end(), {i.e2e_s, i.throughput_tokens_per_s, static_cast<double>(i.batch), static_cast<double>(i.max_batch),
                       i.e2e_pct.p50, i.e2e_pct.p90, i.e2e_pct.p99});
    for (const auto& x : {i.ttft_s, i.tpot_s, i.kv_cache_bytes_per_token, i.goodput}) {
      if (x) v.push_back(*x);
    }
    for (const auto& p : {i.ttft_pct, i.tpot_pct}) {
      if (p) v.insert(v.end(), {p->p50, p->p90, p->p99});
    }
  }
  if (e.ops) {
    const auto& o = *e.ops;
    v.insert(v.end(), {o.duration_s, o.gpu_hours, o.energy_j, o.it_energy_j, o.operational_carbon_kg, o.embodied_carbon_kg,
                       o.carbon_kg, o.water_l, o.cost_usd});
    if (o.usd_per_million_tokens) v.push_back(*o.usd_per_million_tokens);
  }
  return v;
}

void check_finite_non_negative(const analysis::Estimate& e) {
  const auto v = numbers(e);
  CHECK(v.size() > 10);
  for (std::size_t i = 0; i < v.size(); ++i) {
    CAPTURE(i);
    CHECK(std::isfinite(v[i]));
    CHECK(v[i] >= 0.0);
  }
}

}  // namespace

TEST_CASE("inference: more FLOPS or bandwidth never slows anything; outputs finite and non-negative") {
  std::mt19937 rng(20240611u);
  std::uniform_real_distribution<double> factor(1.0, 4.0);
  analysis::Evaluator ev;
  for (int k = 0; k < kPoints; ++k) {
    const std::string yaml = random_inference(rng);
    CAPTURE(yaml);
    const auto s = load(yaml);
    REQUIRE(s.has_value());
    const auto base = ev.evaluate(*s);
    check_finite_non_negative(base);
    REQUIRE(base.inference.has_value());
    REQUIRE(base.inference->ttft_s.has_value());
    REQUIRE(base.inference->tpot_s.has_value());
    CHECK(*base.inference->ttft_s > 0.0);
    CHECK(*base.inference->tpot_s > 0.0);
    // (1, 4]: 1 is excluded by drawing from [1, 4) and reflecting.
    const double f = 5.0 - factor(rng);
    CAPTURE(f);
    const auto variants = sped_up(*s, f);
    for (std::size_t which = 0; which < variants.size(); ++which) {
      const auto e = ev.evaluate(variants[which]);
      CAPTURE(which);
      check_finite_non_negative(e);
      REQUIRE(e.inference.has_value());
      CHECK(*e.inference->ttft_s <= *base.inference->ttft_s);
      CHECK(*e.inference->tpot_s <= *base.inference->tpot_s);
      CHECK(e.inference->e2e_s <= base.inference->e2e_s);
      CHECK(e.inference->throughput_tokens_per_s >= base.inference->throughput_tokens_per_s);
    }
  }
}

TEST_CASE("training: more FLOPS or bandwidth never slows a step; outputs finite and non-negative") {
  std::mt19937 rng(7777u);
  std::uniform_real_distribution<double> factor(1.0, 4.0);
  analysis::Evaluator ev;
  for (int k = 0; k < kPoints; ++k) {
    const std::string yaml = random_training(rng);
    CAPTURE(yaml);
    const auto s = load(yaml);
    REQUIRE(s.has_value());
    const auto base = ev.evaluate(*s);
    check_finite_non_negative(base);
    REQUIRE(base.training.has_value());
    CHECK(base.training->step_time_s > 0.0);
    const double f = 5.0 - factor(rng);
    CAPTURE(f);
    const auto variants = sped_up(*s, f);
    for (std::size_t which = 0; which < variants.size(); ++which) {
      const auto e = ev.evaluate(variants[which]);
      CAPTURE(which);
      check_finite_non_negative(e);
      REQUIRE(e.training.has_value());
      CHECK(e.training->step_time_s <= base.training->step_time_s);
      CHECK(e.training->tokens_per_s >= base.training->tokens_per_s);
    }
  }
}

TEST_CASE("the same scenario evaluated again gives identical results, whatever ran in between") {
  std::mt19937 rng(99u);
  analysis::Evaluator reused;
  for (int k = 0; k < 40; ++k) {
    const auto a = load(k % 2 == 0 ? random_inference(rng) : random_training(rng));
    const auto b = load(k % 3 == 0 ? random_training(rng) : random_inference(rng));
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    const auto first = reused.evaluate(*a);
    (void)reused.evaluate(*b);   // a different scenario in between, through the same buffers
    const auto again = reused.evaluate(*a);
    analysis::Evaluator fresh;
    const auto separate = fresh.evaluate(*a);
    const auto x = numbers(first), y = numbers(again), z = numbers(separate);
    REQUIRE(x.size() == y.size());
    REQUIRE(x.size() == z.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      CAPTURE(i);
      CHECK(x[i] == y[i]);
      CHECK(x[i] == z[i]);
    }
    CHECK(first.binding_wall == again.binding_wall);
    CHECK(first.feasible == again.feasible);
    CHECK(first.infeasible_reason == again.infeasible_reason);
    REQUIRE(first.operators.size() == again.operators.size());
    for (std::size_t i = 0; i < first.operators.size(); ++i) {
      CHECK(first.operators[i].name == again.operators[i].name);
      CHECK(first.operators[i].bound == again.operators[i].bound);
    }
  }
}

}  // namespace mlsim
