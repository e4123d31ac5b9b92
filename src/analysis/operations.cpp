#include "analysis/operations.hpp"

namespace mlsim::analysis {

OpsReport operations(const spec::Scenario& s, double duration_s, std::optional<double> tokens,
                     std::vector<std::string>& warnings) {
  OpsReport o;
  const double n = static_cast<double>(s.system.count);
  o.duration_s = duration_s;
  o.gpu_hours = n * duration_s / 3600.0;
  double per_accelerator_w = s.system.accelerator.tdp.si();
  if (s.system.node) per_accelerator_w += s.system.node->power_overhead.si() / static_cast<double>(s.system.node->accelerators);
  o.it_energy_j = n * per_accelerator_w * duration_s;
  o.energy_j = o.it_energy_j * s.system.site.pue;
  o.operational_carbon_kg = o.energy_j * s.system.site.carbon_intensity.si();
  o.embodied_carbon_kg = 0.0;
  warnings.emplace_back("embodied carbon is not counted: the accelerator entry has no embodied-carbon figure");
  o.carbon_kg = o.operational_carbon_kg + o.embodied_carbon_kg;
  o.water_l = o.it_energy_j * s.system.site.wue.si();
  if (s.system.accelerator.rental_price) {
    o.cost_usd = s.system.accelerator.rental_price->si() * n * duration_s;
  } else {
    o.cost_usd = o.energy_j * s.system.site.electricity.si();
    warnings.emplace_back("cost counts electricity only: the accelerator entry has no rental price");
  }
  if (tokens && *tokens > 0.0) o.usd_per_million_tokens = o.cost_usd / *tokens * 1e6;
  return o;
}

}  // namespace mlsim::analysis
