// Failures, checkpoints and restarts of a synchronous training job (docs/operations.md).
// Failures are a Poisson process per node (exponential inter-arrival); the cluster fails when any
// node does, so cluster MTBF = node MTBF / nodes. The checkpoint interval defaults to Young's
// sqrt(2 C M) (Young 1974; Daly 2006), and the expected wall time of a job of `work_s` seconds of
// failure-free progress is the exact exponential result of Bougeret et al. 2011 (SC'11):
//   E[segment] = M e^{R/M} (e^{(tau + C)/M} - 1),  wall = (work / tau) E[segment],
// with failures allowed during checkpoints and restarts too; goodput = work / wall in (0, 1].
#pragma once

#include <utility>
#include <vector>

namespace mlsim::solvers {

// 1 / sum(1 / m_i): components in series (any one failing stops the node).
double series_mtbf_s(const std::vector<double>& component_mtbf_s);

// Mean time between failures of `nodes` identical nodes of MTBF `node_mtbf_s` (any one stops the job).
double cluster_mtbf_s(double node_mtbf_s, double nodes);

// Weibull scale of a given mean: eta = mean / Gamma(1 + 1/k).
double weibull_scale_s(double mean_s, double shape);

// Probability that an interval of `t_s` passes without a failure: exp(-(t / eta)^k).
double survival_probability(double t_s, double mean_s, double shape);

// Young-Daly checkpoint interval sqrt(2 C M) (work between checkpoints).
double young_daly_interval_s(double checkpoint_s, double mtbf_s);

struct RunWithFailures {
  double interval_s = 0;          // work between checkpoints
  double wall_s = 0;              // expected wall-clock time including checkpoints, lost work and restarts
  double goodput = 1;             // work / wall
  double interruptions = 0;       // expected failures over the wall time: wall / M
  double checkpoints = 0;         // work / interval
  double checkpoint_s = 0;        // time stalled on checkpoints: checkpoints x C
  double restart_s = 0;           // interruptions x R
  double lost_work_s = 0;         // the rest: work redone after failures
};

// `checkpoint_s`: the job's stall per checkpoint (write time if synchronous, the snapshot if
// asynchronous); `restart_s`: detection + relaunch + restore; `interval_s` <= 0: Young-Daly.
RunWithFailures run_with_failures(double work_s, double mtbf_s, double checkpoint_s, double restart_s, double interval_s);

}  // namespace mlsim::solvers
