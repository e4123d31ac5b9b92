// `mlsim plan SCENARIO [--top K] [--set ...]`: the best training layouts of the scenario's model on
// its cluster, ranked by step time, with the reason each next one lost.
#include <CLI/CLI.hpp>

#include "analysis/evaluate.hpp"
#include "analysis/plan.hpp"
#include "analysis/serving_plan.hpp"
#include "cli/context.hpp"
#include "core/text.hpp"
#include "spec/scenario.hpp"

namespace mlsim::cli {

void add_plan_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string scenario;
    std::vector<std::string> sets;
    std::size_t top = 10;
    std::string objective = "step_time";
  };
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "plan", "the best training layouts (TP, CP, EP, PP, DP, schedule, interleaving, micro-batch, recompute, ZeRO), or for serving the cheapest TP x replicas that hold the SLO");
  sub->add_option("scenario", opts->scenario, "a training scenario file or zoo id")->required();
  sub->add_option("--set", opts->sets, "override keys first, as in analyze");
  sub->add_option("--top", opts->top, "how many layouts to list")->check(CLI::Range(1, 1000));
  sub->add_option("--objective", opts->objective, "rank by step_time (fastest first), mfu (highest first) or memory (least per GPU first)")
      ->check(CLI::IsMember({"step_time", "mfu", "memory"}));
  sub->callback([opts, &ctx]() {
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    std::vector<spec::Override> overrides;
    for (const auto& s : opts->sets) {
      if (auto o = spec::parse_override(s, diags)) overrides.push_back(*o);
    }
    auto scenario = spec::load_scenario_file(opts->scenario, zoo, overrides, diags);
    if (ctx.report(diags) || !scenario) {
      ctx.exit_code = kExitBadInput;
      return;
    }
    if (scenario->inference) {
      // Serving: the cheapest TP x replicas x running-request cap that holds the SLO at p99.
      const analysis::ServingPlan sp = analysis::plan_serving(*scenario, opts->top);
      if (!sp.problem.empty()) {
        ctx.err << scenario->file << ": error: " << sp.problem << "\n";
        ctx.exit_code = kExitBadInput;
        return;
      }
      ctx.out << scenario->name << ": " << sp.evaluated << " serving layouts evaluated, " << sp.ranked.size()
              << " hold the SLO at p99 (closed-form steady state)\n\n";
      ctx.out << "rank  tp  replicas  GPUs  max running  p99 TTFT    p99 TPOT    $/hour    GPU-h/Mtok  $/Mtok    J/token   lost because\n";
      std::size_t rank = 0;
      for (const auto& c : sp.ranked) {
        const auto& i = *c.estimate.inference;
        char line[320];
        std::snprintf(line, sizeof line, "%4zu %3lld %9lld %5lld %12lld  %-10s  %-10s  %-8s  %-10s  %-8s  %-8s  ", ++rank, c.tp, c.dp,
                      c.gpus, c.max_running, format_seconds(i.ttft_pct->p99).c_str(), format_seconds(i.tpot_pct->p99).c_str(),
                      format_double(c.usd_per_hour, 4).c_str(), format_double(c.gpu_hours_per_million_tokens, 3).c_str(),
                      c.usd_per_million_tokens ? format_double(*c.usd_per_million_tokens, 3).c_str() : "-",
                      c.joules_per_token ? format_double(*c.joules_per_token, 3).c_str() : "-");
        ctx.out << line << c.lost_because << "\n";
      }
      if (sp.ranked.empty()) ctx.out << "no layout holds the SLO at this rate within 256 replicas\n";
      return;
    }
    if (!scenario->training) {
      ctx.err << scenario->file << ": error: plan needs a training or an inference scenario\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    analysis::PlanOptions po;
    po.top = opts->top;
    po.objective = opts->objective == "mfu"      ? analysis::PlanObjective::kMfu
                   : opts->objective == "memory" ? analysis::PlanObjective::kMemory
                                                 : analysis::PlanObjective::kStepTime;
    const analysis::PlanResult r = analysis::plan_training(*scenario, po);
    ctx.out << scenario->name << ": " << r.evaluated << " layouts evaluated, " << r.feasible << " feasible, " << r.pruned
            << " skipped (a smaller micro-batch of the layout already did not fit)\n\n";
    ctx.out << "rank  tp  cp  ep  pp  dp  schedule     v  mb  recompute  zero  step time    MFU     memory/GPU  lost because\n";
    static const char* rc_names[] = {"none", "selective", "full"};
    std::size_t rank = 0;
    for (const auto& c : r.ranked) {
      const auto& t = *c.estimate.training;
      char line[256];
      std::snprintf(line, sizeof line, "%4zu %3lld %3lld %3lld %3lld %3lld  %-11s %2lld %3lld  %-9s  %4lld  %-11s  %5.1f%%  %-10s  ",
                    ++rank, c.parallelism.tp, c.parallelism.cp, c.parallelism.ep, c.parallelism.pp, c.parallelism.dp,
                    c.parallelism.schedule.c_str(), c.parallelism.virtual_stages, c.micro_batch,
                    rc_names[static_cast<int>(c.recompute)], c.parallelism.zero, format_seconds(t.step_time_s).c_str(),
                    t.mfu * 100.0, format_bytes(c.estimate.memory.per_device_bytes).c_str());
      ctx.out << line << c.lost_because << "\n";
    }
    if (r.ranked.empty()) ctx.out << "no layout fits: the model needs more accelerators or memory\n";
  });
}

}  // namespace mlsim::cli
