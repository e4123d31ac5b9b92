// `mlsim collective SCENARIO|NODE|ACCELERATOR --op OP --ranks N [--stride S] [--sizes 1KiB:8GiB:*4]
// [--algorithm A] [--fabric ID] [--set ...] [-f table|json|csv]`: what one collective costs on a group
// placed on the system, per message size: time, algbw, busbw, the algorithm NCCL's tuner picks.
#include <CLI/CLI.hpp>
#include <filesystem>

#include "analysis/collective_sweep.hpp"
#include "cli/context.hpp"
#include "cli/dse_common.hpp"
#include "cli/report_options.hpp"
#include "report/collective_report.hpp"
#include "spec/hardware.hpp"
#include "spec/scenario.hpp"

namespace mlsim::cli {
namespace {

// The system a target names: a scenario's, or `ranks * stride` accelerators of a node id (with
// `fabric` across nodes) or of an accelerator id (one scale-up domain).
std::optional<spec::SystemSpec> system_of(Context& ctx, const spec::Zoo& zoo, const std::string& target,
                                          const std::vector<std::string>& sets, const std::string& fabric, long long count,
                                          Diagnostics& diags) {
  std::error_code ec;
  const auto matches = zoo.find_id(target);
  const bool is_file = std::filesystem::is_regular_file(target, ec);
  if (is_file || (matches.size() == 1 && matches.front()->kind == "scenario")) {
    if (!fabric.empty()) {
      fail_input(ctx, "--fabric applies to a node id; for a scenario use --set system.fabric=ID");
      return std::nullopt;
    }
    std::vector<spec::Override> overrides;
    for (const auto& s : sets) {
      if (auto o = spec::parse_override(s, diags)) overrides.push_back(*o);
    }
    std::optional<spec::Scenario> sc;
    if (!diags.has_errors()) sc = spec::load_scenario_file(target, zoo, overrides, diags);
    if (ctx.report(diags) || !sc) {
      ctx.exit_code = kExitBadInput;
      return std::nullopt;
    }
    return sc->system;
  }
  if (!sets.empty()) {
    fail_input(ctx, "--set applies to a scenario file");
    return std::nullopt;
  }
  const spec::ZooFile* entry = nullptr;
  for (const auto* f : matches) {
    if (f->kind == "node" || f->kind == "accelerator") entry = f;
  }
  if (entry == nullptr) {
    fail_input(ctx, "\"" + target + "\" is neither a scenario file nor a node or accelerator id (mlsim list node shows them)");
    return std::nullopt;
  }
  const Origin where{"command line", 0, 0};
  spec::SystemSpec sys;
  sys.count = count;
  std::string accelerator = entry->id;
  if (entry->kind == "node") {
    sys.node = spec::read_node(spec::load_entry(zoo, "node", entry->id, where, diags), diags);
    accelerator = sys.node->accelerator;
  }
  sys.accelerator = spec::read_accelerator(spec::load_entry(zoo, "accelerator", accelerator, where, diags), diags);
  if (!fabric.empty()) {
    if (!sys.node) {
      fail_input(ctx, "--fabric needs a node id (the NICs that reach the fabric)");
      return std::nullopt;
    }
    sys.fabric = spec::read_fabric(spec::load_entry(zoo, "fabric", fabric, where, diags), diags);
  }
  if (ctx.report(diags)) return std::nullopt;
  return sys;
}

}  // namespace

void add_collective_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string target, op, sizes = "1KiB:8GiB:*4", algorithm, fabric, format = "table", output;
    long long ranks = 0, stride = 1;
    std::vector<std::string> sets;
    bool force = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "collective", "what one collective costs per message size on a group placed on a system: time, algbw, busbw, NCCL's algorithm");
  sub->add_option("target", o->target, "a scenario file (its system), or a node or accelerator id")->required();
  sub->add_option("--op", o->op, "all_reduce | all_gather | reduce_scatter | all_to_all | broadcast | send_recv")->required();
  sub->add_option("--ranks", o->ranks, "ranks in the group")->required();
  sub->add_option("--stride", o->stride, "ranks between two members (ranks are numbered node-major; default 1)");
  sub->add_option("--sizes", o->sizes, "FROM:TO:*FACTOR, one size, or a comma list (default 1KiB:8GiB:*4)");
  sub->add_option("--algorithm", o->algorithm, "ring | tree | hierarchical | nvls | sharp | direct (default: NCCL's tuner)");
  sub->add_option("--fabric", o->fabric, "with a node id: the fabric between nodes (default: an ideal switch at the NICs' rate)");
  sub->add_option("--set", o->sets, "override keys of a scenario, as in analyze")->allow_extra_args(false);
  add_report_options(sub, o->format, {"table", "json", "csv"}, o->output, o->force);
  sub->callback([o, &ctx]() {
    const auto op = analysis::collective_from_name(o->op);
    if (!op) return (void)fail_input(ctx, "--op \"" + o->op + "\": expected all_reduce, all_gather, reduce_scatter, all_to_all, broadcast or send_recv");
    std::optional<solvers::Algorithm> algorithm;
    if (!o->algorithm.empty()) {
      algorithm = analysis::algorithm_from_name(o->algorithm);
      if (!algorithm) return (void)fail_input(ctx, "--algorithm \"" + o->algorithm + "\": expected ring, tree, hierarchical, nvls, sharp or direct");
    }
    if (o->ranks < 2) return (void)fail_input(ctx, "--ranks must be at least 2");
    if (o->stride < 1) return (void)fail_input(ctx, "--stride must be at least 1");
    std::string err;
    const auto sizes = analysis::parse_size_range(o->sizes, err);
    if (!sizes) return (void)fail_input(ctx, "--sizes: " + err);
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    if (ctx.report(diags)) return;
    const auto sys = system_of(ctx, zoo, o->target, o->sets, o->fabric, (o->ranks - 1) * o->stride + 1, diags);
    if (!sys) return;
    const auto sweep = analysis::collective_sweep(*sys, *op, o->ranks, o->stride, *sizes, algorithm, err);
    if (!err.empty()) return (void)fail_input(ctx, err);
    ctx.emit(o->format == "json" ? report::collective_json(sweep)
                                 : o->format == "csv" ? report::collective_csv(sweep) : report::collective_table(sweep),
             o->output, o->force);
  });
}

}  // namespace mlsim::cli
