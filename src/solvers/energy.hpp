// Power, energy, carbon and money of a run (docs/operations.md). Pure arithmetic on SI values.
#pragma once

namespace mlsim::solvers {

// Linear power between idle and TDP in the busy fraction `utilization` (Fan, Weber and Barroso
// 2007, "Power provisioning for a warehouse-sized computer", ISCA: P(u) = P_idle + (P_max - P_idle) u).
double accelerator_power_w(double idle_w, double tdp_w, double utilization);

// Facility energy: IT power x time x PUE.
double facility_energy_j(double it_power_w, double time_s, double pue);

// Operational carbon: energy x grid intensity (kg per J).
double carbon_kg(double energy_j, double kg_per_j);

// The share of a fixed life-cycle quantity (embodied carbon, a purchase price) that `duration_s`
// of use carries when it is spread evenly over `lifetime_s`.
double amortized(double total, double duration_s, double lifetime_s);

struct OwnershipCost {
  double capital_usd = 0, maintenance_usd = 0, facility_usd = 0, electricity_usd = 0;
  [[nodiscard]] double total() const { return capital_usd + maintenance_usd + facility_usd + electricity_usd; }
};

// Owning `units` accelerators for `duration_s`: purchase amortized over `lifetime_s`, maintenance
// as a fraction of the purchase per year, a facility charge per unit-second, and the electricity.
OwnershipCost ownership_cost(double units, double purchase_usd, double lifetime_s, double duration_s,
                             double maintenance_per_year, double facility_usd_per_s, double electricity_usd);

}  // namespace mlsim::solvers
