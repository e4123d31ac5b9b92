#include "analysis/walls.hpp"

#include "core/text.hpp"

namespace mlsim::analysis {

solvers::LaunchModel launch_model(const spec::Scenario& s, bool graphs) {
  solvers::LaunchModel m;
  m.cuda_graphs = graphs;
  m.device_gap_s = graphs ? s.system.accelerator.efficiency.graph_gap.si() : s.system.accelerator.efficiency.device_gap.si();
  // A calibrated accelerator's measured gaps (probe: 256 back-to-back empty kernels, plain and in a graph).
  if (const auto& c = s.system.accelerator.calibrated) {
    if (graphs && c->graph_gap_s) m.device_gap_s = *c->graph_gap_s;
    if (!graphs && c->device_gap_s) m.device_gap_s = *c->device_gap_s;
  }
  m.host_per_kernel_s = s.software.host_per_kernel.si();
  m.graph_launch_s = s.software.graph_launch.si();
  m.host_runs_ahead = s.software.host_runs_ahead;
  m.launch_blocking = s.software.launch_blocking;
  return m;
}

void add_time_walls(Estimate& e, const Priced& p, const solvers::SequenceTime& t, double step_s, const solvers::Rates& r,
                    double peak_flops, bool detail, const std::string& what) {
  Wall compute{"compute", p.compute_bound_s, peak_flops > 0 ? p.flops / (step_s * peak_flops) : 0.0, false, ""};
  Wall bandwidth{"memory_bandwidth", p.memory_bound_s, r.memory_bandwidth > 0 ? p.bytes / (step_s * r.memory_bandwidth) : 0.0,
                 false, ""};
  Wall host{"host_overhead", t.launch_overhead_s(), step_s > 0 ? t.launch_overhead_s() / step_s : 0.0, false, ""};
  if (detail) {
    compute.note = format_seconds(p.compute_bound_s) + " of " + what + " in compute-bound operators (" +
                   format_si(p.flops, "FLOP") + ")";
    bandwidth.note = format_seconds(p.memory_bound_s) + " of " + what + " in bandwidth-bound operators (" +
                     format_si(p.bytes, "B") + " moved)";
    host.note = format_double(p.kernels, 4) + " kernels: " + format_seconds(t.gaps_s) + " of device gaps, host issues in " +
                format_seconds(t.host_s) + (t.host_s > t.device_s() ? " (the host is slower than the GPU)" : "");
  }
  e.walls.push_back(compute);
  e.walls.push_back(bandwidth);
  e.walls.push_back(host);
}

// A sequence longer than the model's context: impossible with learned positions (no embedding
// rows exist), an extrapolation with RoPE or ALiBi (context extension), said as a warning.
void check_context(const spec::ModelSpec& m, long long tokens, Estimate& e) {
  if (tokens <= m.max_seq_len) return;
  const std::string what = std::to_string(tokens) + " tokens exceed " + m.name + "'s max_seq_len of " + std::to_string(m.max_seq_len);
  if (m.positions == spec::Positions::kLearned) {
    e.feasible = false;
    e.infeasible_reason = what + " (learned positions have no embedding beyond it)";
  } else {
    e.warnings.push_back(what + ": assumes the context is extended (e.g. RoPE scaling)");
  }
}

void add_capacity_wall(Estimate& e, bool detail) {
  Wall w{"memory_capacity", 0.0, e.memory.capacity_bytes > 0 ? e.memory.per_device_bytes / e.memory.capacity_bytes : 0.0,
         false, ""};
  if (detail) {
    w.note = format_bytes(e.memory.per_device_bytes) + " of " + format_bytes(e.memory.capacity_bytes) +
             (e.memory.fits ? " used" : " needed: does not fit");
  }
  e.walls.push_back(w);
}


}  // namespace mlsim::analysis
