// The human report: headline numbers, the walls with the binding one marked, memory, and the
// per-operator table, with humanized units.
#include <algorithm>
#include <sstream>

#include "core/text.hpp"
#include "report/report.hpp"
#include "report/rlhf_report.hpp"

namespace mlsim::report {
namespace {

std::string pad(const std::string& s, std::size_t width) { return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' '); }
std::string pct(double v) { return format_double(v * 100.0, 3) + " %"; }

}  // namespace

std::string to_table(const analysis::Estimate& e) {
  std::ostringstream out;
  out << e.scenario << "\n" << std::string(std::min<std::size_t>(e.scenario.size(), 100), '=') << "\n";
  if (!e.feasible) out << "INFEASIBLE: " << e.infeasible_reason << "\n";
  out << "binding wall: " << e.binding_wall;
  for (const auto& w : e.walls) {
    if (w.binding && !w.note.empty()) out << " — " << w.note;
  }
  out << "\n";
  if (!e.binding_reason.empty()) out << "  " << e.binding_reason << "\n";
  out << "\n";
  if (e.rlhf) out << rlhf_table(*e.rlhf);
  if (e.training) {
    const auto& t = *e.training;
    out << "training\n";
    out << "  step time          " << format_seconds(t.step_time_s) << "  (" << t.micro_batches << " micro-batches)\n";
    out << "  MFU / HFU          " << pct(t.mfu) << " / " << pct(t.hfu) << "\n";
    out << "  " << pad(t.samples ? "samples/s" : "tokens/s", 19) << format_double(t.tokens_per_s, 5) << "\n";
    if (t.time_to_train_s) {
      out << "  time to train      " << format_seconds(*t.time_to_train_s);
      if (t.rampup_s != 0.0) out << "  (of which the batch ramp-up adds " << format_seconds(t.rampup_s) << ")";
      out << "\n";
    }
    out << "  breakdown          compute " << format_seconds(t.compute_s) << ", optimizer " << format_seconds(t.optimizer_s)
        << ", host/launch " << format_seconds(t.host_s) << "\n";
    if (!t.samples && t.layer_forward_s > 0.0) {
      out << "  one layer          forward " << format_seconds(t.layer_forward_s) << ", backward " << format_seconds(t.layer_backward_s)
          << "  (one micro-batch, one TP rank)\n";
    }
    out << "  largest micro-batch that fits  " << t.max_micro_batch << "\n\n";
  }
  if (e.inference) {
    const auto& i = *e.inference;
    out << "inference (batch " << i.batch << ", largest that fits " << i.max_batch << ")\n";
    if (i.ttft_s) out << "  TTFT               " << format_seconds(*i.ttft_s) << "\n";
    if (i.tpot_s) out << "  TPOT               " << format_seconds(*i.tpot_s) << "\n";
    out << "  end to end         " << format_seconds(i.e2e_s) << "\n";
    out << "  throughput         " << format_double(i.throughput_tokens_per_s, 5) << (i.samples ? " samples/s" : " tokens/s") << "\n";
    if (i.kv_cache_bytes_per_token) out << "  KV cache per token " << format_bytes(*i.kv_cache_bytes_per_token) << "\n";
    if (i.goodput && !i.serving) out << "  meets the SLO      " << (*i.goodput > 0.5 ? "yes" : "no") << "\n";
    if (i.speculative_speedup) {
      out << "  speculative decode " << format_double(*i.speculative_speedup, 3)
          << "x decode speed (" << format_double(i.speculative_tokens_per_step.value_or(1.0), 3) << " tokens per verification)\n";
    }
    if (i.serving) {
      const auto& v = *i.serving;
      const auto p3 = [](const analysis::Percentiles& p) {
        return format_seconds(p.p50) + " / " + format_seconds(p.p90) + " / " + format_seconds(p.p99);
      };
      out << "  serving            " << (v.simulated ? "simulated, " + std::to_string(v.requests) + " requests" : std::string("closed form"))
          << "; " << format_double(v.arrival_rate_per_s, 4) << " requests/s of " << format_double(v.capacity_requests_per_s, 4)
          << " sustainable (utilization " << format_double(100.0 * v.utilization, 3) << "%)\n";
      out << "  running requests   " << format_double(v.mean_batch, 4) << " per replica on average, at most " << v.max_running
          << " (" << v.kv_blocks << " KV blocks of " << v.block_tokens << " tokens)" << (v.preemptions > 0 ? ", " + std::to_string(v.preemptions) + " preemptions" : "") << "\n";
      if (v.swapped_tokens > 0) {
        out << "  KV offload         " << v.swapped_tokens << " tokens' KV swapped to host memory and back, "
            << format_seconds(v.kv_swap_s) << " on the host link per replica\n";
      } else if (v.recomputed_tokens > 0) {
        out << "  recomputed         " << v.recomputed_tokens << " tokens' KV dropped by preemptions and recomputed\n";
      }
      if (i.ttft_pct) out << "  TTFT p50/p90/p99   " << p3(*i.ttft_pct) << "\n";
      if (i.tpot_pct) out << "  TPOT p50/p90/p99   " << p3(*i.tpot_pct) << "\n";
      out << "  e2e p50/p90/p99    " << p3(i.e2e_pct) << "\n";
      if (i.goodput) out << "  within the SLO     " << format_double(100.0 * *i.goodput, 4) << "% of requests (" << format_double(v.goodput_requests_per_s, 4) << " requests/s)\n";
    }
    out << "\n";
  }
  const auto& m = e.memory;
  out << "memory per device    " << format_bytes(m.per_device_bytes) << " of " << format_bytes(m.capacity_bytes)
      << (m.fits ? " (fits)" : " (DOES NOT FIT)") << "\n";
  out << "  weights " << format_bytes(m.weights_bytes) << ", gradients " << format_bytes(m.gradients_bytes) << ", optimizer "
      << format_bytes(m.optimizer_bytes) << ", activations " << format_bytes(m.activations_bytes) << ", KV cache "
      << format_bytes(m.kv_cache_bytes) << ", workspace " << format_bytes(m.workspace_bytes) << "\n";
  if (m.offloaded_weight_bytes > 0) out << "  offloaded to host: " << format_bytes(m.offloaded_weight_bytes) << " of weights\n";
  out << "\nwalls\n";
  for (const auto& w : e.walls) {
    out << (w.binding ? "* " : "  ") << pad(w.name, 18) << pad(format_seconds(w.time_s), 12) << pad(pct(w.utilization), 10)
        << w.note << "\n";
  }
  if (e.ops) {
    const auto& o = *e.ops;
    out << "\noperations over " << format_seconds(o.duration_s) << "\n";
    out << "  GPU-hours " << format_double(o.gpu_hours, 5) << ", energy " << format_double(o.energy_j / 3.6e6, 5)
        << " kWh (IT " << format_double(o.it_energy_j / 3.6e6, 5) << " kWh), carbon " << format_double(o.carbon_kg, 5)
        << " kg CO2e, water " << format_double(o.water_l, 5) << " L, cost " << format_double(o.cost_usd, 6) << " USD";
    if (o.usd_per_million_tokens) out << " (" << format_double(*o.usd_per_million_tokens, 4) << " USD per million tokens)";
    out << "\n";
  }
  if (e.reliability) {
    const auto& r = *e.reliability;
    out << "\nreliability (" << format_double(r.nodes, 6) << " nodes)\n";
    out << "  cluster MTBF " << format_seconds(r.cluster_mtbf_s) << " (node " << format_seconds(r.node_mtbf_s) << "), "
        << format_double(r.interruptions, 4) << " interruptions, goodput " << pct(r.goodput) << ", wall "
        << format_seconds(r.wall_s) << " for " << format_seconds(r.work_s) << " of work\n";
    out << "  checkpoint " << format_bytes(r.checkpoint_bytes) << " (" << r.checkpoint_mode << ", write "
        << format_seconds(r.checkpoint_write_s) << ", stall " << format_seconds(r.checkpoint_stall_s) << ") every "
        << format_seconds(r.checkpoint_interval_s) << " (Young-Daly " << format_seconds(r.young_daly_interval_s) << ")\n";
  }
  if (e.data_pipeline) {
    const auto& d = *e.data_pipeline;
    out << "\ndata pipeline: " << format_double(d.supply_samples_per_s, 5) << " samples/s per node supplied ("
        << d.limiter << "-bound) vs " << format_double(d.demand_samples_per_s, 5) << " consumed: accelerators fed "
        << pct(d.gpu_utilization) << "\n";
  }
  if (e.algorithm) {
    const auto& a = *e.algorithm;
    out << "\nalgorithm: DP-SGD " << a.dp_sgd << " (step " << format_seconds(a.dpsgd_step_time_s) << ", +"
        << format_bytes(a.dpsgd_extra_bytes) << " per device" << (a.dpsgd_fits ? "" : ", does not fit") << "); weights "
        << format_bytes(a.compressed_weight_bytes) << " of " << format_bytes(a.dense_weight_bytes) << " dense\n";
  }
  if (!e.operators.empty()) {
    out << "\noperators (per instance)\n  " << pad("name", 20) << pad("phase", 11) << pad("count", 8) << pad("FLOPs", 13)
        << pad("bytes", 13) << pad("time", 12) << "bound\n";
    for (const auto& o : e.operators) {
      out << "  " << pad(o.name, 20) << pad(o.phase, 11) << pad(format_double(o.count, 5), 8) << pad(format_si(o.flops, "FLOP"), 13)
          << pad(format_si(o.bytes, "B"), 13) << pad(format_seconds(o.time_s), 12) << o.bound << "\n";
    }
  }
  for (const auto& w : e.warnings) out << "\nwarning: " << w;
  if (!e.warnings.empty()) out << "\n";
  return out.str();
}

std::string to_csv(const analysis::Estimate& e) {
  std::ostringstream out;
  const auto num = [](double v) { return format_double(v, 10); };
  std::vector<std::pair<std::string, std::string>> cols = {
      {"scenario", "\"" + e.scenario + "\""}, {"feasible", e.feasible ? "true" : "false"}, {"binding_wall", e.binding_wall},
      {"memory.per_device_bytes", num(e.memory.per_device_bytes)}, {"memory.fits", e.memory.fits ? "true" : "false"}};
  if (e.training) {
    const auto& t = *e.training;
    cols.insert(cols.end(), {{"training.step_time_s", num(t.step_time_s)}, {"training.mfu", num(t.mfu)}, {"training.hfu", num(t.hfu)},
                             {"training.tokens_per_s", num(t.tokens_per_s)}});
    if (t.time_to_train_s) cols.emplace_back("training.time_to_train_s", num(*t.time_to_train_s));
  }
  if (e.inference) {
    const auto& i = *e.inference;
    if (i.ttft_s) cols.emplace_back("inference.ttft_s", num(*i.ttft_s));
    if (i.tpot_s) cols.emplace_back("inference.tpot_s", num(*i.tpot_s));
    cols.insert(cols.end(), {{"inference.e2e_s", num(i.e2e_s)}, {"inference.throughput_tokens_per_s", num(i.throughput_tokens_per_s)},
                             {"inference.max_batch", std::to_string(i.max_batch)}});
  }
  if (e.rlhf) {
    const auto rc = rlhf_csv(*e.rlhf);
    cols.insert(cols.end(), rc.begin(), rc.end());
  }
  if (e.ops) {
    cols.insert(cols.end(), {{"ops.energy_j", num(e.ops->energy_j)}, {"ops.carbon_kg", num(e.ops->carbon_kg)},
                             {"ops.cost_usd", num(e.ops->cost_usd)}});
  }
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i].first;
  out << "\n";
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i].second;
  out << "\n\nname,phase,count,flops,bytes,time_s,bound\n";
  for (const auto& o : e.operators) {
    out << o.name << "," << o.phase << "," << num(o.count) << "," << num(o.flops) << "," << num(o.bytes) << "," << num(o.time_s)
        << "," << o.bound << "\n";
  }
  return out.str();
}

}  // namespace mlsim::report
