#include "solvers/serving_queue.hpp"

#include <algorithm>
#include <cmath>

namespace mlsim::solvers {

double wait_quantile(double mean_wait_s, double rho, double p) {
  // P(W > t) = rho exp(-t rho / E[W]): zero below the atom at 0 (probability 1 - rho).
  if (mean_wait_s <= 0.0 || rho <= 0.0 || rho <= 1.0 - p) return 0.0;
  return mean_wait_s / rho * std::log(rho / (1.0 - p));
}

namespace {

long long round_ll(double v) { return std::max<long long>(1, std::llround(v)); }
long long decoding(double n) { return std::max<long long>(0, std::llround(n)); }   // requests decoding beside the prefills

// The mean step with n running requests when `prompts` prompts start per step: below one per step,
// a share `prompts` of the steps carries a whole prefill beside the decodes and the rest are pure
// decode steps (what the scheduler does at light load); above, every step carries them all.
double mean_step(double n, double prompts, double p_eff, const StepCost& cost) {
  if (prompts <= 1.0) {
    return prompts * cost(round_ll(n + 1.0), round_ll(n + p_eff), decoding(n)) + (1.0 - prompts) * cost(round_ll(n), round_ll(n), round_ll(n));
  }
  return cost(round_ll(n + prompts), round_ll(n + prompts * p_eff), decoding(n));
}

}  // namespace

SteadyState steady_state(double rate, double prompt, double output, double arrival_scv, long long max_running,
                         const SchedulerConfig& c, const StepCost& cost) {
  SteadyState s;
  const double p_eff = std::max(1.0, prompt - std::floor(c.prefix_hit * prompt));
  const double o = std::max(1.0, output);
  const double n_max = static_cast<double>(std::max<long long>(1, max_running));
  // Capacity: the batch full, each step prefilling the prompts that replace finished requests.
  const double tau_max = mean_step(n_max, n_max / o, p_eff, cost);
  s.capacity_rps = n_max / (o * tau_max);
  s.utilization = rate / s.capacity_rps;
  if (s.utilization >= 1.0) {
    s.stable = false;
    s.batch = n_max;
    s.step_s = tau_max;
    s.tpot_s = tau_max;
    s.throughput_tokens_per_s = s.capacity_rps * o;
    return s;
  }
  // tau = mean_step(n, lambda tau) with n = lambda O tau: bisection on f(tau) = mean_step - tau,
  // positive at tau -> 0 and non-positive at tau_max (the cost grows slower than linearly).
  const auto f = [&](double tau) { return mean_step(rate * o * tau, rate * tau, p_eff, cost) - tau; };
  double lo = 0.0, hi = tau_max;
  if (f(hi) > 0.0) hi = tau_max * 2.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (f(mid) > 0.0 ? lo : hi) = mid;
  }
  s.step_s = hi;
  s.batch = std::max(rate * o * s.step_s, 0.0);
  // A prompt is prefilled in chunks of what the budget leaves beside the running decodes.
  const double n = std::max(1.0, std::round(s.batch));
  const double room = std::max(1.0, static_cast<double>(c.max_batched_tokens) - n);
  const double chunks = c.chunked_prefill ? std::ceil(p_eff / room) : 1.0;
  const double chunk = p_eff / chunks;
  s.prefill_s = chunks * cost(round_ll(n + 1.0), round_ll(n + chunk), decoding(n));
  s.tpot_s = s.step_s;
  // Kingman: E[W] = rho / (1 - rho) x (ca^2 + cs^2) / 2 x S, S = 1 / mu_max, cs^2 = 0.
  const double rho = s.utilization;
  s.wait_mean_s = rho / (1.0 - rho) * arrival_scv / 2.0 / s.capacity_rps;
  // An iteration-level scheduler admits a request at the next step boundary: an arrival that finds
  // requests running (probability 1 - e^-n, n running on average, Poisson as in M/G/inf) waits out
  // the step in progress, uniform on [0, step] (deterministic steps, arrivals see time averages).
  // The quantiles of the queue wait and of that residual are added (exact when either is zero:
  // the residual at light load, the queue wait's tail under heavy load).
  const double busy = 1.0 - std::exp(-s.batch);
  const auto residual = [&](double p) { return p <= 1.0 - busy ? 0.0 : s.step_s * (p - (1.0 - busy)) / busy; };
  const auto ttft = [&](double p) { return wait_quantile(s.wait_mean_s, rho, p) + residual(p) + s.prefill_s; };
  s.ttft_p50_s = ttft(0.50);
  s.ttft_p90_s = ttft(0.90);
  s.ttft_p99_s = ttft(0.99);
  const double decode = (o - 1.0) * s.tpot_s;
  s.e2e_p50_s = s.ttft_p50_s + decode;
  s.e2e_p90_s = s.ttft_p90_s + decode;
  s.e2e_p99_s = s.ttft_p99_s + decode;
  s.throughput_tokens_per_s = rate * o;
  return s;
}

}  // namespace mlsim::solvers
