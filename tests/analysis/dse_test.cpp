// Design-space exploration: range expansion, the expression language, knob setters against
// --set, sweep points against one-by-one evaluation, elasticities derived by hand, Shapley sums,
// and synthesis answers that meet the target while 1% less does not.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <cmath>

#include "../support.hpp"
#include "analysis/compare.hpp"
#include "analysis/evaluate.hpp"
#include "analysis/expression.hpp"
#include "analysis/knobs.hpp"
#include "analysis/metrics.hpp"
#include "analysis/sensitivity.hpp"
#include "analysis/sweep.hpp"
#include "analysis/synthesize.hpp"

namespace {

using namespace mlsim;
using analysis::Expression;
using analysis::ExprError;
using analysis::ExprValue;
using analysis::ExprVar;

const char* kDecode = R"(schema_version: 1
kind: scenario
name: decode
system: {accelerator: h100_sxm, count: 1}
model: llama3_8b
inference:
  prompt_tokens: 4096
  output_tokens: 256
  batch: 8
  precision: bf16
)";

spec::Scenario load(const std::string& text, const std::vector<spec::Override>& o = {}) {
  Diagnostics d;
  auto s = test::scenario_from_text(text, d, o);
  INFO(d.format());
  REQUIRE(s.has_value());
  return *s;
}

double metric(const analysis::Estimate& e, const std::string& name) {
  std::string err;
  const auto m = analysis::resolve_metric(name, err);
  REQUIRE(m.has_value());
  const auto v = analysis::metric_table()[*m].get(e);
  REQUIRE(v.has_value());
  return *v;
}

// Variables x (id 0, a time) and y (id 1, plain) for expression tests.
std::optional<Expression> parse(const std::string& text, ExprError& err) {
  const auto lookup = [](std::string_view name, std::string&) -> std::optional<ExprVar> {
    if (name == "x") return ExprVar{0, false, dimension_of<Seconds>()};
    if (name == "y") return ExprVar{1, false, std::nullopt};
    if (name == "w") return ExprVar{2, true, std::nullopt};
    return std::nullopt;
  };
  return Expression::parse(text, lookup, err);
}

bool eval(const std::string& text, double x = 0.0, double y = 0.0) {
  ExprError err;
  const auto e = parse(text, err);
  INFO(text, ": ", err.message);
  REQUIRE(e.has_value());
  std::vector<ExprValue> vars(3);
  vars[0].num = x;
  vars[1].num = y;
  vars[2].is_str = true;
  vars[2].str = "compute";
  return e->test(vars);
}

ExprError parse_error(const std::string& text) {
  ExprError err;
  CHECK_FALSE(parse(text, err).has_value());
  return err;
}

}  // namespace

TEST_CASE("ranges include hi when a step lands on it") {
  std::string err;
  CHECK(analysis::expand_range(1, 64, 2, true, err) == std::vector<double>{1, 2, 4, 8, 16, 32, 64});
  CHECK(analysis::expand_range(1, 100, 2, true, err) == std::vector<double>{1, 2, 4, 8, 16, 32, 64});
  CHECK(analysis::expand_range(1, 10, 4, false, err) == std::vector<double>{1, 5, 9});
  // 0.1 steps accumulate rounding; 0.5 still counts as landing on hi.
  const auto tenths = analysis::expand_range(0.1, 0.5, 0.1, false, err);
  REQUIRE(tenths.size() == 5);
  CHECK(tenths.back() == 0.5);
  CHECK(analysis::expand_range(1, 4, 0, false, err).empty());
  CHECK(err == "an additive range needs a positive step (lo:hi:+1)");
  CHECK(analysis::expand_range(1, 4, 1, true, err).empty());
  CHECK(err == "a geometric range needs a factor above 1 (lo:hi:*2)");
  CHECK(analysis::expand_range(4, 1, 1, false, err).empty());
}

TEST_CASE("--vary parses lists, ranges with units and zoo globs") {
  std::string err;
  auto a = analysis::parse_vary("system.accelerator.memory.bandwidth=2 TB/s:4 TB/s:+1 TB/s", test::zoo(), err);
  REQUIRE(a.has_value());
  CHECK(a->values == std::vector<double>{2e12, 3e12, 4e12});
  a = analysis::parse_vary("inference.batch=1:8:*2", test::zoo(), err);
  REQUIRE(a.has_value());
  CHECK(a->texts == std::vector<std::string>{"1", "2", "4", "8"});
  a = analysis::parse_vary("system.accelerator=h*", test::zoo(), err);
  REQUIRE(a.has_value());
  CHECK(a->texts == std::vector<std::string>{"h100_pcie", "h100_sxm", "h200_sxm", "h800_sxm"});
  CHECK_FALSE(analysis::parse_vary("inference.batch=0,1", test::zoo(), err).has_value());
  CHECK(err == "--vary inference.batch=0,1: inference.batch = \"0\" is out of range: at least 1 and at most 1073741824");
  CHECK_FALSE(analysis::parse_vary("system.accelerator.memory.bandwidth=3 GiB", test::zoo(), err).has_value());
  CHECK(err == "--vary system.accelerator.memory.bandwidth=3 GiB: expected a bandwidth for system.accelerator.memory.bandwidth, got a size in bytes (\"3 GiB\")");
}

TEST_CASE("expressions: precedence, units, strings, missing values") {
  CHECK(eval("1 + 2 * 3 == 7"));
  CHECK(eval("(1 + 2) * 3 == 9"));
  CHECK(eval("-2 * -3 == 6"));
  CHECK(eval("10 / 4 == 2.5"));
  CHECK_FALSE(eval("!(1 < 2) || 3 > 2 && 0"));   // 0 || (1 && 0)
  CHECK(eval("1 || 0 && 0"));                    // && binds tighter than ||
  CHECK(eval("x < 50ms", 0.049));
  CHECK_FALSE(eval("x < 50ms", 0.051));
  CHECK(eval("x <= 50 ms && x >= 49.9 ms", 0.05));
  CHECK(eval("3.35 TB/s == 3.35e12"));
  CHECK(eval("80 GiB == 85899345920"));
  CHECK(eval("y * 2 > 1e3", 0, 501));
  CHECK(eval("w == \"compute\""));
  CHECK(eval("w != 'memory_bandwidth'"));
  CHECK(eval("true && !false"));
  // A missing value (NaN) fails every comparison.
  CHECK_FALSE(eval("x < 1s", std::nan("")));
  CHECK_FALSE(eval("x >= 1s", std::nan("")));
}

TEST_CASE("expression errors carry the column") {
  auto e = parse_error("x < ");
  CHECK(e.column == 5);
  CHECK(e.message == "expected a value (a number, a name or a parenthesis) at the end");
  e = parse_error("x < 50 GB");
  CHECK(e.column == 3);
  CHECK(e.message == "cannot compare or add a time and a size in bytes");
  e = parse_error("1 < y < 3");
  CHECK(e.column == 7);
  CHECK(e.message == "comparisons do not chain; write a < b && b < c");
  e = parse_error("x < 3 xs");
  CHECK(e.column == 7);
  e = parse_error("(x < 3");
  CHECK(e.column == 7);
  CHECK(e.message == "expected \")\" to close the \"(\" at column 1");
  e = parse_error("zz > 1");
  CHECK(e.column == 1);
  CHECK(e.message == "unknown name \"zz\"");
  e = parse_error("w < \"a\"");
  CHECK(e.message == "a string can only be compared with == or !=");
  e = parse_error("x < 1 )");
  CHECK(e.column == 7);
}

TEST_CASE("every knob's setter gives the estimate that --set gives") {
  const spec::Scenario base = load(kDecode);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"system.accelerator.memory.bandwidth", "4.8 TB/s"},   {"system.accelerator.peak.bf16", "500 TFLOPS"},
      {"system.accelerator.memory.capacity", "40 GiB"},      {"system.accelerator.efficiency.memory", "0.7"},
      {"system.accelerator.efficiency.graph_gap", "3 us"},   {"inference.batch", "32"},
      {"inference.prompt_tokens", "1000"},                   {"inference.output_tokens", "17"},
      {"system.accelerator.efficiency.compute.bf16", "0.5"},
  };
  analysis::Evaluator ev;
  for (const auto& [path, value] : cases) {
    INFO(path);
    const analysis::Knob* k = analysis::find_knob(path);
    REQUIRE(k != nullptr);
    std::string err;
    const auto v = analysis::parse_knob_value(*k, value, err);
    REQUIRE(v.has_value());
    spec::Scenario fast = base;
    k->set(fast, *v);
    const auto a = ev.evaluate(fast, {false});
    const auto b = ev.evaluate(load(kDecode, {{path, value}}), {false});
    CHECK(metric(a, "tpot_s") == mlsim::test::approx(metric(b, "tpot_s")).epsilon(1e-12));
    CHECK(metric(a, "ttft_s") == mlsim::test::approx(metric(b, "ttft_s")).epsilon(1e-12));
    CHECK(metric(a, "memory.per_device_bytes") == mlsim::test::approx(metric(b, "memory.per_device_bytes")).epsilon(1e-12));
  }
}

TEST_CASE("a sweep's points equal the same points evaluated one by one") {
  std::string err;
  std::vector<analysis::SweepAxis> axes;
  axes.push_back(*analysis::parse_vary("inference.batch=1,16,256", test::zoo(), err));
  axes.push_back(*analysis::parse_vary("system.accelerator=a100_sxm_80gb,h200_sxm", test::zoo(), err));
  axes.push_back(*analysis::parse_vary("system.accelerator.memory.bandwidth=2TB/s:6TB/s:+2TB/s", test::zoo(), err));
  Diagnostics d;
  const std::string path = test::source_path("scenarios/llama3_8b_decode_h100.yaml");
  auto grid = analysis::SweepGrid::make(path, test::zoo(), {}, axes, d);
  REQUIRE(grid != nullptr);
  CHECK(grid->size() == 18);
  CHECK(grid->axes()[0].fast);
  CHECK_FALSE(grid->axes()[1].fast);
  analysis::PointEvaluator pe(grid);
  analysis::Evaluator ev;
  for (std::uint64_t p = 0; p < grid->size(); ++p) {
    const analysis::Estimate e = pe.evaluate(p);
    const auto& c = pe.coords();
    std::vector<spec::Override> o;
    for (std::size_t i = 0; i < axes.size(); ++i) o.push_back({axes[i].path, grid->axes()[i].texts[c[i]]});
    Diagnostics d2;
    auto s = spec::load_scenario_file(path, test::zoo(), o, d2);
    REQUIRE(s.has_value());
    const auto ref = ev.evaluate(*s, {false});
    INFO("point ", p);
    REQUIRE(e.feasible == ref.feasible);
    if (!e.feasible) continue;
    CHECK(metric(e, "tpot_s") == metric(ref, "tpot_s"));
    CHECK(metric(e, "throughput_tokens_per_s") == metric(ref, "throughput_tokens_per_s"));
    CHECK(e.binding_wall == ref.binding_wall);
  }
}

TEST_CASE("elasticity of decode TPOT: -1 to bandwidth and 0 to FLOPS when every decode kernel is bandwidth-bound") {
  // Batch 1 with launch costs set to zero: every decode kernel reads more bytes per FLOP than
  // H100's ridge point (989 TFLOPS x 0.803 / (3.35 TB/s x 0.87) ~ 272 FLOP/B; a GEMV does ~1
  // FLOP/B), so TPOT = bytes / (bandwidth x efficiency.memory) and d ln TPOT / d ln bandwidth = -1,
  // while peak FLOPS does not enter TPOT at all.
  spec::Scenario s = load(kDecode, {{"inference.batch", "1"}});
  for (const char* zero : {"system.accelerator.efficiency.graph_gap", "system.accelerator.efficiency.device_gap",
                           "software.graph_launch", "software.host_per_kernel"}) {
    analysis::find_knob(zero)->set(s, 0.0);
  }
  std::string err;
  const auto m = *analysis::resolve_metric("inference.tpot_s", err);
  const auto list = analysis::elasticities(s, m, 0.01, err);
  REQUIRE(err.empty());
  const auto find = [&](const std::string& knob) {
    for (const auto& e : list) {
      if (e.knob == knob) return e;
    }
    FAIL("no elasticity for " << knob);
    return analysis::Elasticity{};
  };
  const auto bw = find("system.accelerator.memory.bandwidth");
  CHECK(bw.elasticity == mlsim::test::approx(-1.0).epsilon(1e-6));
  CHECK(bw.wall == "memory_bandwidth");
  CHECK_FALSE(bw.wall_changes);
  CHECK(std::fabs(find("system.accelerator.peak.bf16").elasticity) < 1e-9);
  CHECK(find("system.accelerator.efficiency.memory").elasticity == mlsim::test::approx(-1.0).epsilon(1e-6));
  CHECK(list.front().magnitude() >= list.back().magnitude());
}

TEST_CASE("elasticity of decode TPOT to bandwidth is the bandwidth-bound share (about 0 when compute-bound)") {
  // With launch overheads on, TPOT = sum over kernels of max(flops/rate, bytes/bw) + launch time,
  // so d ln TPOT / d ln bw = -(time of the bandwidth-bound kernels) / TPOT: the memory_bandwidth
  // wall's share of the decode step.
  for (const auto& o : std::vector<std::vector<spec::Override>>{
           {},
           {{"system.accelerator.memory.bandwidth", "1000 TB/s"}, {"inference.batch", "256"}, {"inference.prompt_tokens", "128"}}}) {
    const spec::Scenario s = load(kDecode, o);
    analysis::Evaluator ev;
    const auto e = ev.evaluate(s);
    double mem_wall = 0;
    for (const auto& w : e.walls) {
      if (w.name == "memory_bandwidth") mem_wall = w.time_s;
    }
    const double share = mem_wall / metric(e, "tpot_s");
    std::string err;
    const auto list = analysis::elasticities(s, *analysis::resolve_metric("tpot_s", err), 0.01, err);
    for (const auto& x : list) {
      if (x.knob == "system.accelerator.memory.bandwidth") CHECK(x.elasticity == mlsim::test::approx(-share).epsilon(1e-3));
    }
    if (!o.empty()) CHECK(share < 0.02);   // compute-bound: about 0
  }
}

TEST_CASE("compare: Shapley values sum to ln(speedup); two proportional inputs split as their own logs") {
  const spec::Scenario a100 = load(kDecode, {{"system.accelerator", "a100_sxm_80gb"}});
  const spec::Scenario h100 = load(kDecode);
  std::string err;
  const auto m = *analysis::resolve_metric("tpot_s", err);
  const auto r = analysis::compare(a100, h100, m, err);
  REQUIRE(r.has_value());
  double sum = 0;
  for (const auto& c : r->contributions) sum += c.shapley_ln;
  CHECK(sum == mlsim::test::approx(r->ln_speedup).epsilon(1e-12));
  CHECK(r->speedup == mlsim::test::approx(r->a_value / r->b_value).epsilon(1e-12));
  CHECK(r->exact);
  CHECK(r->contributions.front().input == "system.accelerator.memory.bandwidth");
  // Bandwidth x1.5 and efficiency.memory x1.2 on a purely bandwidth-bound step (no launch costs):
  // TPOT ~ 1/(bw x eff), so v is additive in logs and the Shapley values are ln 1.5 and ln 1.2.
  spec::Scenario a = load(kDecode, {{"inference.batch", "1"}});
  for (const char* zero : {"system.accelerator.efficiency.graph_gap", "system.accelerator.efficiency.device_gap",
                           "software.graph_launch", "software.host_per_kernel"}) {
    analysis::find_knob(zero)->set(a, 0.0);
  }
  a.system.accelerator.efficiency.memory = 0.7;
  spec::Scenario b = a;
  b.system.accelerator.memory_bandwidth = BytesPerSecond(a.system.accelerator.memory_bandwidth.si() * 1.5);
  b.system.accelerator.efficiency.memory = 0.84;
  const auto r2 = analysis::compare(a, b, m, err);
  REQUIRE(r2.has_value());
  REQUIRE(r2->contributions.size() == 2);
  CHECK(r2->contributions[0].input == "system.accelerator.memory.bandwidth");
  CHECK(r2->contributions[0].shapley_ln == mlsim::test::approx(std::log(1.5)).epsilon(1e-9));
  CHECK(r2->contributions[1].shapley_ln == mlsim::test::approx(std::log(1.2)).epsilon(1e-9));
  CHECK(r2->speedup == mlsim::test::approx(1.8).epsilon(1e-9));
}

TEST_CASE("synthesize: the least bandwidth meets the target and 1% less does not") {
  const spec::Scenario s = load(kDecode);
  analysis::ExprError err;
  auto e = analysis::parse_point_expression("tpot_s < 5ms", {}, err);
  REQUIRE(e.has_value());
  std::vector<analysis::Target> targets{{"tpot_s < 5ms", std::move(*e)}};
  CHECK_FALSE(analysis::meets_targets(s, targets));
  const auto* k = analysis::find_knob("system.accelerator.memory.bandwidth");
  const auto a = analysis::least_resource(s, *k, "memory bandwidth", targets);
  REQUIRE(a.least.has_value());
  spec::Scenario t = s;
  k->set(t, *a.least);
  CHECK(analysis::meets_targets(t, targets));
  k->set(t, *a.least * 0.99);
  CHECK_FALSE(analysis::meets_targets(t, targets));
  // Peak FLOPS cannot help a bandwidth-bound decode: unreachable, said so.
  const auto f = analysis::least_resource(s, *analysis::find_knob("system.accelerator.peak.bf16"), "peak", targets);
  CHECK_FALSE(f.least.has_value());
  CHECK(f.note.find("unreachable") == 0);
}

TEST_CASE("synthesize: the least accelerator count is a whole number of replicas, one less does not meet") {
  Diagnostics d;
  auto s = spec::load_scenario_file(test::source_path("scenarios/llama2_7b_zero_8xa100.yaml"), test::zoo(), {}, d);
  REQUIRE(s.has_value());
  analysis::Evaluator ev;
  const double step8 = metric(ev.evaluate(*s, {false}), "training.step_time_s");
  // Ask for 1.5x faster than 8 GPUs.
  const std::string target = "step_time_s < " + std::to_string(step8 / 1.5);
  analysis::ExprError err;
  auto e = analysis::parse_point_expression(target, {}, err);
  REQUIRE(e.has_value());
  std::vector<analysis::Target> targets{{target, std::move(*e)}};
  const auto res = analysis::synthesize(*s, "", "", spec::Zoo{}, {}, targets);
  const analysis::ResourceAnswer* count = nullptr;
  for (const auto& r : res.resources) {
    if (r.resource == "accelerator count") count = &r;
  }
  REQUIRE(count != nullptr);
  REQUIRE(count->least.has_value());
  const auto n = static_cast<long long>(*count->least);
  CHECK(n > 8);
  const auto at = [&](long long c) {
    spec::Scenario t = *s;
    t.training->parallelism.dp = c;
    t.system.count = c;
    return analysis::meets_targets(t, targets);
  };
  CHECK(at(n));
  CHECK_FALSE(at(n - 1));
}

TEST_CASE("Morris design: trajectories move one factor at a time by delta") {
  const auto d = analysis::SamplingDesign::morris(3, 5, 4, 7);
  REQUIRE(d.points.size() == 20);
  for (std::size_t j = 0; j < d.points.size(); ++j) {
    if (d.changed[j] < 0) continue;
    for (std::size_t i = 0; i < 3; ++i) {
      const double diff = d.points[j][i] - d.points[j - 1][i];
      if (static_cast<int>(i) == d.changed[j]) {
        CHECK(std::fabs(diff) == mlsim::test::approx(2.0 / 3.0));
      } else {
        CHECK(diff == 0.0);
      }
    }
  }
  // On a bandwidth-bound decode (batch 1, no launch costs) ln TPOT = -ln bw + c: over 1..4 TB/s on
  // a linear scale a step of 2/3 moves bw by 2 TB/s, from 1 or 2 TB/s, so each effect is
  // -ln 3 / (2/3) = -1.65 or -ln 2 / (2/3) = -1.04; peak FLOPS has none.
  spec::Scenario s = load(kDecode, {{"inference.batch", "1"}});
  for (const char* zero : {"system.accelerator.efficiency.graph_gap", "system.accelerator.efficiency.device_gap",
                           "software.graph_launch", "software.host_per_kernel"}) {
    analysis::find_knob(zero)->set(s, 0.0);
  }
  std::vector<analysis::RangeFactor> f = {{analysis::find_knob("system.accelerator.memory.bandwidth"), 1e12, 4e12, false},
                                          {analysis::find_knob("system.accelerator.peak.bf16"), 500e12, 2000e12, false}};
  std::string err;
  std::size_t evals = 0;
  const auto fx = analysis::morris_screening(s, *analysis::resolve_metric("tpot_s", err), f, analysis::SamplingDesign::morris(2, 10, 4, 1), evals);
  CHECK(evals == 30);
  REQUIRE(fx.size() == 2);
  CHECK(fx[0].knob == "system.accelerator.memory.bandwidth");
  CHECK(fx[0].mu_star >= 1.03);
  CHECK(fx[0].mu_star <= 1.65);
  CHECK(fx[0].mu == mlsim::test::approx(-fx[0].mu_star));
  CHECK(fx[1].mu_star < 1e-9);
}

TEST_CASE("elasticities do not depend on the thread count") {
  const spec::Scenario s = load(kDecode);
  std::string err;
  const auto m = *analysis::resolve_metric("tpot_s", err);
  const auto one = analysis::elasticities(s, m, 0.01, err, 1);
  const auto three = analysis::elasticities(s, m, 0.01, err, 3);
  REQUIRE(one.size() == three.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    CHECK(one[i].knob == three[i].knob);
    CHECK(one[i].elasticity == three[i].elasticity);
  }
}
