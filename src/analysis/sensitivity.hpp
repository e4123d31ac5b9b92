// Local and global sensitivity of a metric to the scenario's numeric knobs, on the real solver.
// Local: the elasticity d ln M / d ln x of every knob by central differences (x(1±h) for real
// knobs, ±1 for counts and lengths, x2 and /2 for parallel degrees with dp or the count
// compensating), with both one-sided values and the binding wall on each side, so a step across
// the max() of the roofline shows as a wall change instead of a blurred average.
// Global: Morris elementary effects (Morris 1991; Campolongo et al. 2007's mu*) over --range
// boxes, on a reusable sampling design (points in the unit hypercube) that uncertainty
// propagation can draw from too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/evaluate.hpp"
#include "analysis/knobs.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

struct Elasticity {
  std::string knob;          // the --set path
  double value = 0.0;        // at the scenario, SI
  std::string unit;
  double elasticity = 0.0;   // central: ln(M+/M-) / ln(x+/x-)
  std::optional<double> elasticity_down, elasticity_up;   // one-sided, each side's own step
  std::string wall_down, wall, wall_up;                   // binding wall at x-, x, x+
  bool wall_changes = false;
  double x_down = 0.0, x_up = 0.0;
  std::string note;          // why a side is missing (infeasible, out of range)
  [[nodiscard]] double magnitude() const;
};

// The metric sensitivity reports by default: inference.tpot_s (else e2e_s) or training.step_time_s.
std::size_t default_sensitivity_metric(const spec::Scenario& s);

// Every applicable knob's elasticity of metric_table()[metric], ranked by magnitude (largest first).
// Empty with `error` when the scenario itself is infeasible or the metric absent.
// The knobs are split over `threads` workers (0: all cores), each with its own Evaluator; the
// result does not depend on the thread count.
std::vector<Elasticity> elasticities(const spec::Scenario& s, std::size_t metric, double rel_step, std::string& error,
                                     unsigned threads = 0);

// Points in the unit hypercube [0,1]^k with a reading of how they were built. For Morris: r
// trajectories of k+1 points; point j of a trajectory differs from point j-1 in factor changed[j]
// by delta[j] (changed = -1 at a trajectory's start). Deterministic for a seed.
struct SamplingDesign {
  std::size_t factors = 0;
  std::vector<std::vector<double>> points;
  std::vector<int> changed;
  std::vector<double> delta;
  static SamplingDesign morris(std::size_t factors, std::size_t trajectories, int levels, std::uint64_t seed);
};

// A factor of a global screening: a knob over [lo, hi], log-scaled when hi/lo >= 10.
struct RangeFactor {
  const Knob* knob = nullptr;
  double lo = 0.0, hi = 0.0;
  bool log_scale = false;
  [[nodiscard]] double at(double u) const;   // u in [0,1] -> SI value (integers rounded)
};

struct MorrisEffect {
  std::string knob;
  double mu = 0.0, mu_star = 0.0, sigma = 0.0;   // of the elementary effects of ln M per unit range
  std::size_t effects = 0;                       // feasible pairs that contributed
};

// mu* ranks the factors (largest first). Infeasible points drop the effects that touch them.
std::vector<MorrisEffect> morris_screening(const spec::Scenario& s, std::size_t metric, const std::vector<RangeFactor>& factors,
                                           const SamplingDesign& design, std::size_t& evaluations);

}  // namespace mlsim::analysis
