#include "solvers/reliability.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlsim::solvers {

double series_mtbf_s(const std::vector<double>& component_mtbf_s) {
  double rate = 0.0;
  for (const double m : component_mtbf_s) {
    if (m > 0.0) rate += 1.0 / m;
  }
  return rate > 0.0 ? 1.0 / rate : std::numeric_limits<double>::infinity();
}

double cluster_mtbf_s(double node_mtbf_s, double nodes) { return node_mtbf_s / std::max(1.0, nodes); }

double weibull_scale_s(double mean_s, double shape) { return mean_s / std::tgamma(1.0 + 1.0 / shape); }

double survival_probability(double t_s, double mean_s, double shape) {
  if (!std::isfinite(mean_s)) return 1.0;
  return std::exp(-std::pow(t_s / weibull_scale_s(mean_s, shape), shape));
}

double young_daly_interval_s(double checkpoint_s, double mtbf_s) { return std::sqrt(2.0 * checkpoint_s * mtbf_s); }

RunWithFailures run_with_failures(double work_s, double mtbf_s, double checkpoint_s, double restart_s, double interval_s) {
  RunWithFailures r;
  if (work_s <= 0.0) return r;
  if (!std::isfinite(mtbf_s) || mtbf_s <= 0.0) {
    // No failures: checkpoints still cost their stall (one per interval if one is given).
    r.interval_s = interval_s > 0.0 ? interval_s : work_s;
    r.checkpoints = interval_s > 0.0 ? work_s / interval_s : 0.0;
    r.checkpoint_s = r.checkpoints * checkpoint_s;
    r.wall_s = work_s + r.checkpoint_s;
    r.goodput = work_s / r.wall_s;
    return r;
  }
  double tau = interval_s > 0.0 ? interval_s : young_daly_interval_s(checkpoint_s, mtbf_s);
  if (tau <= 0.0) tau = mtbf_s;   // free checkpoints: any interval works; one MTBF keeps the count finite
  tau = std::min(tau, work_s);
  // Bougeret et al. 2011, exponential failures, downtime folded into R.
  const double segment = mtbf_s * std::exp(restart_s / mtbf_s) * std::expm1((tau + checkpoint_s) / mtbf_s);
  r.interval_s = tau;
  r.checkpoints = work_s / tau;
  r.wall_s = r.checkpoints * segment;
  r.goodput = work_s / r.wall_s;
  r.interruptions = r.wall_s / mtbf_s;
  r.checkpoint_s = r.checkpoints * checkpoint_s;
  r.restart_s = r.interruptions * restart_s;
  r.lost_work_s = std::max(0.0, r.wall_s - work_s - r.checkpoint_s - r.restart_s);
  return r;
}

}  // namespace mlsim::solvers
