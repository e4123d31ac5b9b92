#include "solvers/queueing.hpp"

namespace mlsim::solvers {

double md1_wait_s(double utilization, double service_s) {
  return utilization * service_s / (2.0 * (1.0 - utilization));
}

double erlang_c(long long servers, double offered_load) {
  double b = 1.0;
  for (long long k = 1; k <= servers; ++k) b = offered_load * b / (static_cast<double>(k) + offered_load * b);
  const double c = static_cast<double>(servers);
  return c * b / (c - offered_load * (1.0 - b));
}

double mmc_wait_s(long long servers, double utilization, double service_s) {
  const double c = static_cast<double>(servers);
  return erlang_c(servers, c * utilization) * service_s / (c * (1.0 - utilization));
}

}  // namespace mlsim::solvers
