// The closed-form steady state of continuous batching (iteration-level scheduling, Yu et al. 2022
// "Orca"; vLLM): with requests arriving at rate lambda, prompts of P tokens (P' after the prefix
// cache) and outputs of O tokens, a step of tau seconds decodes one token for each of the n running
// requests and lambda tau prompts start per step; Little's law gives n = lambda O tau. Below one
// prompt per step, a share lambda tau of the steps carries a prefill of P' tokens beside the n
// decodes and the others decode only: tau = lambda tau cost(n + 1, n + P') + (1 - lambda tau)
// cost(n, n); above, every step carries lambda tau prompts. The largest sustainable rate is where
// n reaches the scheduler's limit n_max (sequences, KV blocks): mu_max = n_max / (O tau_max). Requests queue for admission when the batch is full; the wait is
// Kingman's heavy-traffic G/G/1 approximation (Kingman 1961), E[W] = rho / (1 - rho) (ca^2 + cs^2) / 2
// S with S = 1 / mu_max and cs^2 = 0 (deterministic service), which is exact for M/D/1
// (Pollaczek-Khinchine); its tail is exponential, P(W > t) = rho exp(-rho t / E[W]).
#pragma once

#include "solvers/scheduler_sim.hpp"

namespace mlsim::solvers {

struct SteadyState {
  bool stable = true;
  double capacity_rps = 0.0;      // mu_max, requests per second
  double utilization = 0.0;       // lambda / mu_max
  double batch = 0.0;             // mean running requests n
  double step_s = 0.0;            // tau
  double prefill_s = 0.0;         // one prompt's prefill (its chunks) inside the running batch
  double wait_mean_s = 0.0;
  double ttft_p50_s = 0, ttft_p90_s = 0, ttft_p99_s = 0;
  double tpot_s = 0.0;
  double e2e_p50_s = 0, e2e_p90_s = 0, e2e_p99_s = 0;
  double throughput_tokens_per_s = 0.0;   // output tokens
};

// `arrival_scv`: the squared coefficient of variation of the inter-arrival times (1 Poisson,
// 0 constant rate). `max_running`: the most requests that can run at once (sequences and KV).
SteadyState steady_state(double rate, double prompt, double output, double arrival_scv, long long max_running,
                         const SchedulerConfig& config, const StepCost& cost);

// The p-quantile of the waiting time under Kingman's exponential tail, given the mean wait and rho.
double wait_quantile(double mean_wait_s, double rho, double p);

}  // namespace mlsim::solvers
