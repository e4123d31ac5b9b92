#include "solvers/energy.hpp"

#include <algorithm>

namespace mlsim::solvers {

double accelerator_power_w(double idle_w, double tdp_w, double utilization) {
  const double u = std::clamp(utilization, 0.0, 1.0);
  return idle_w + (tdp_w - idle_w) * u;
}

double facility_energy_j(double it_power_w, double time_s, double pue) { return it_power_w * time_s * pue; }

double carbon_kg(double energy_j, double kg_per_j) { return energy_j * kg_per_j; }

double amortized(double total, double duration_s, double lifetime_s) {
  return lifetime_s > 0.0 ? total * duration_s / lifetime_s : 0.0;
}

OwnershipCost ownership_cost(double units, double purchase_usd, double lifetime_s, double duration_s,
                             double maintenance_per_year, double facility_usd_per_s, double electricity_usd) {
  constexpr double kYear = 365.0 * 86400.0;
  OwnershipCost c;
  c.capital_usd = units * amortized(purchase_usd, duration_s, lifetime_s);
  c.maintenance_usd = units * purchase_usd * maintenance_per_year * duration_s / kYear;
  c.facility_usd = units * facility_usd_per_s * duration_s;
  c.electricity_usd = electricity_usd;
  return c;
}

}  // namespace mlsim::solvers
