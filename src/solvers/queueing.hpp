// Waiting time of a job on a shared cluster (docs/operations.md): jobs arrive as a Poisson process
// at a cluster whose job slots are busy a fraction `utilization` of the time.
#pragma once

namespace mlsim::solvers {

// M/D/1 (Pollaczek-Khinchine with deterministic service S): Wq = rho S / (2 (1 - rho)).
double md1_wait_s(double utilization, double service_s);

// Erlang C: probability that an arrival waits at an M/M/c queue with offered load a = lambda / mu
// (a < c), from the Erlang B recurrence B_k = a B_{k-1} / (k + a B_{k-1}), C = c B / (c - a (1 - B)).
double erlang_c(long long servers, double offered_load);

// M/M/c: Wq = C(c, a) S / (c (1 - rho)), with a = c rho.
double mmc_wait_s(long long servers, double utilization, double service_s);

}  // namespace mlsim::solvers
