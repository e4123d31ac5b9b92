#include "analysis/operations.hpp"

#include "solvers/energy.hpp"
#include "solvers/queueing.hpp"
#include "solvers/scaling_laws.hpp"

namespace mlsim::analysis {

namespace {

void add_detail(const spec::Scenario& s, const OpsContext& ctx, std::optional<double> tokens, OpsReport& o,
                std::vector<std::string>& warnings) {
  const auto& op = *s.operations;
  const auto& acc = s.system.accelerator;
  const double n = static_cast<double>(s.system.count);
  const double duration_s = o.duration_s;
  OpsDetail d;
  d.power_model = op.power_at_utilization ? "utilization" : "tdp";
  d.accelerator_utilization = op.power_at_utilization ? ctx.utilization : 1.0;
  if (op.power_at_utilization && acc.idle_power.si() <= 0.0) {
    warnings.emplace_back("the accelerator entry has no idle power: the power curve starts at 0 W");
  }
  d.accelerator_power_w = solvers::accelerator_power_w(acc.idle_power.si(), acc.tdp.si(), d.accelerator_utilization);
  if (s.system.node) d.node_overhead_w = s.system.node->power_overhead.si() / static_cast<double>(s.system.node->accelerators);
  o.it_energy_j = n * (d.accelerator_power_w + d.node_overhead_w) * duration_s;
  o.energy_j = solvers::facility_energy_j(n * (d.accelerator_power_w + d.node_overhead_w), duration_s, s.system.site.pue);
  o.operational_carbon_kg = solvers::carbon_kg(o.energy_j, s.system.site.carbon_intensity.si());
  if (op.embodied_per_accelerator) {
    d.embodied_per_accelerator_kg = op.embodied_per_accelerator->si();
    o.embodied_carbon_kg = n * solvers::amortized(d.embodied_per_accelerator_kg, duration_s, op.lifetime.si());
    std::erase_if(warnings, [](const std::string& w) { return w.rfind("embodied carbon is not counted", 0) == 0; });
  }
  o.carbon_kg = o.operational_carbon_kg + o.embodied_carbon_kg;
  o.water_l = o.it_energy_j * s.system.site.wue.si();
  d.carbon_price_usd = o.carbon_kg / 1000.0 * op.carbon_price_usd_per_tonne;
  d.electricity_usd = o.energy_j * s.system.site.electricity.si();
  const bool own = op.cost == spec::CostModel::kOwnership && acc.purchase_price.has_value();
  if (op.cost == spec::CostModel::kOwnership && !own) {
    warnings.emplace_back("ownership cost asked but the accelerator entry has no purchase price: rental (or electricity) used");
  }
  const double facility = op.facility_per_accelerator ? op.facility_per_accelerator->si() : 0.0;
  if (own) {
    d.cost_model = "ownership";
    const auto c = solvers::ownership_cost(n, acc.purchase_price->si(), op.lifetime.si(), duration_s, op.maintenance_per_year,
                                           facility, d.electricity_usd);
    d.capital_usd = c.capital_usd;
    d.maintenance_usd = c.maintenance_usd;
    d.facility_usd = c.facility_usd;
    o.cost_usd = c.total() + d.carbon_price_usd;
  } else {
    d.cost_model = "rental";
    o.cost_usd = (acc.rental_price ? acc.rental_price->si() * n * duration_s : d.electricity_usd) + d.carbon_price_usd;
  }
  if (own && op.tco_duration && duration_s > 0.0) {
    const double t = op.tco_duration->si();
    const auto c = solvers::ownership_cost(n, acc.purchase_price->si(), op.lifetime.si(), t, op.maintenance_per_year, facility,
                                           d.electricity_usd * t / duration_s);
    d.tco_usd = c.total() + d.carbon_price_usd * t / duration_s;
  }
  if (ctx.step_s && *ctx.step_s > 0.0 && duration_s > 0.0) {
    const double steps = duration_s / *ctx.step_s;
    d.energy_per_step_j = o.energy_j / steps;
    d.usd_per_step = o.cost_usd / steps;
  }
  if (tokens && *tokens > 0.0) d.energy_per_token_j = o.energy_j / *tokens;
  if (op.queue_utilization) {
    const double service = op.queue_service_time ? op.queue_service_time->si() : duration_s;
    d.queue_wait_md1_s = solvers::md1_wait_s(*op.queue_utilization, service);
    d.queue_wait_probability = solvers::erlang_c(op.queue_servers, static_cast<double>(op.queue_servers) * *op.queue_utilization);
    d.queue_wait_mmc_s = solvers::mmc_wait_s(op.queue_servers, *op.queue_utilization, service);
  }
  if (ctx.model_flops && *ctx.model_flops > 0.0) {
    const auto opt = solvers::chinchilla_optimal(*ctx.model_flops);
    d.chinchilla_params = opt.params;
    d.chinchilla_tokens = opt.tokens;
    if (ctx.params && *ctx.params > 0.0 && ctx.trained_tokens) d.tokens_per_param = *ctx.trained_tokens / *ctx.params;
  }
  o.detail = d;
}

}  // namespace

OpsReport operations(const spec::Scenario& s, double duration_s, std::optional<double> tokens,
                     std::vector<std::string>& warnings, const OpsContext& ctx) {
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
  if (s.operations) add_detail(s, ctx, tokens, o, warnings);
  if (tokens && *tokens > 0.0) o.usd_per_million_tokens = o.cost_usd / *tokens * 1e6;
  return o;
}

}  // namespace mlsim::analysis
