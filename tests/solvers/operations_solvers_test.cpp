// The operations solvers by hand: series and cluster MTBF, Young-Daly, the exponential
// checkpoint/restart model, queueing (M/D/1, Erlang C), power and energy, the data supply, and
// the compute-optimal sizes. Expected values are worked from the formulas in the comments.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <cmath>

#include "solvers/data_pipeline.hpp"
#include "solvers/energy.hpp"
#include "solvers/queueing.hpp"
#include "solvers/reliability.hpp"
#include "solvers/scaling_laws.hpp"
#include "spec/hardware.hpp"
#include "../support.hpp"

namespace mlsim {

TEST_CASE("node MTBF from the DGX H100 entry's component rates is Llama 3's 2,654,208 node-hours / 419") {
  const auto node = test::zoo_entry("node", "dgx_h100", spec::read_node);
  REQUIRE(node.reliability.has_value());
  std::vector<double> m;
  for (const auto& [name, v] : node.reliability->component_mtbf) m.push_back(v.si());
  CHECK(m.size() == 7);
  const double node_h = solvers::series_mtbf_s(m) / 3600.0;
  CHECK(node_h == mlsim::test::approx(2654208.0 / 419.0).epsilon(0.001));
  // Cluster MTBF = node MTBF / nodes: 2,048 nodes fail every ~3.09 h ("one failure every three hours").
  CHECK(solvers::cluster_mtbf_s(node_h * 3600.0, 2048) / 3600.0 == mlsim::test::approx(node_h / 2048.0).epsilon(1e-12));
  CHECK(solvers::cluster_mtbf_s(node_h * 3600.0, 2048) / 3600.0 == mlsim::test::approx(3.093).epsilon(0.002));
}

TEST_CASE("Young-Daly interval is sqrt(2 C M)") {
  // C = 60 s, M = 3 h: sqrt(2 x 60 x 10800) = 1138.42 s.
  CHECK(solvers::young_daly_interval_s(60.0, 10800.0) == mlsim::test::approx(1138.42).epsilon(1e-5));
}

TEST_CASE("expected wall time with failures: Bougeret et al.'s exponential model") {
  // W = 100 h, M = 10 h, C = 0.1 h, R = 0.2 h: tau = sqrt(2 x 0.1 x 10) = 1.41421 h;
  // segment = 10 e^0.02 (e^(1.51421/10) - 1) = 1.66789 h; wall = 100 / 1.41421 x 1.66789 = 117.938 h.
  const auto r = solvers::run_with_failures(100.0, 10.0, 0.1, 0.2, 0.0);
  CHECK(r.interval_s == mlsim::test::approx(1.414214).epsilon(1e-6));
  CHECK(r.wall_s == mlsim::test::approx(117.938).epsilon(1e-5));
  CHECK(r.goodput == mlsim::test::approx(100.0 / 117.938).epsilon(1e-5));
  CHECK(r.interruptions == mlsim::test::approx(11.7938).epsilon(1e-5));
  // The parts add up to the wall time.
  CHECK(100.0 + r.checkpoint_s + r.restart_s + r.lost_work_s == mlsim::test::approx(r.wall_s).epsilon(1e-12));
  CHECK(r.checkpoint_s == mlsim::test::approx(100.0 / 1.414214 * 0.1).epsilon(1e-6));
}

TEST_CASE("goodput stays in (0, 1] over a wide range of MTBFs and checkpoint costs") {
  for (const double m : {1.0, 10.0, 100.0, 1e4}) {
    for (const double c : {0.0, 0.01, 1.0, 5.0}) {
      const auto r = solvers::run_with_failures(1000.0, m, c, 0.5, 0.0);
      CHECK(r.goodput > 0.0);
      CHECK(r.goodput <= 1.0);
      CHECK(std::isfinite(r.wall_s));
    }
  }
  // No failures and no checkpoint interval: no loss.
  CHECK(solvers::run_with_failures(50.0, INFINITY, 1.0, 1.0, 0.0).goodput == mlsim::test::approx(1.0));
}

TEST_CASE("Weibull survival reduces to the exponential at shape 1 and keeps the mean") {
  CHECK(solvers::survival_probability(10.0, 10.0, 1.0) == mlsim::test::approx(std::exp(-1.0)).epsilon(1e-12));
  // Shape 2: eta = mean / Gamma(1.5) = 10 / 0.886227 = 11.2838.
  CHECK(solvers::weibull_scale_s(10.0, 2.0) == mlsim::test::approx(11.2838).epsilon(1e-5));
}

TEST_CASE("queue waits: M/D/1 and Erlang C") {
  // M/D/1, rho = 0.5, S = 1 h: 0.5 x 1 / (2 x 0.5) = 0.5 h.
  CHECK(solvers::md1_wait_s(0.5, 3600.0) == mlsim::test::approx(1800.0));
  // One server: Erlang C = rho; M/M/1 wait = rho S / (1 - rho).
  CHECK(solvers::erlang_c(1, 0.5) == mlsim::test::approx(0.5));
  CHECK(solvers::mmc_wait_s(1, 0.5, 3600.0) == mlsim::test::approx(3600.0));
  // M/M/2 at a = 1: B = 0.2, C = 2 x 0.2 / (2 - 0.8) = 1/3; Wq = (1/3) S / (2 x 0.5) = S / 3.
  CHECK(solvers::erlang_c(2, 1.0) == mlsim::test::approx(1.0 / 3.0));
  CHECK(solvers::mmc_wait_s(2, 0.5, 3600.0) == mlsim::test::approx(1200.0));
  // More servers at the same utilization wait less (pooling).
  CHECK(solvers::mmc_wait_s(16, 0.8, 3600.0) < solvers::mmc_wait_s(2, 0.8, 3600.0));
}

TEST_CASE("energy = power x time x PUE; carbon = energy x intensity") {
  // H100 curve: 75 W idle, 700 W TDP, 40 % busy: 75 + 625 x 0.4 = 325 W.
  const double p = solvers::accelerator_power_w(75.0, 700.0, 0.4);
  CHECK(p == mlsim::test::approx(325.0));
  CHECK(solvers::accelerator_power_w(75.0, 700.0, 1.7) == mlsim::test::approx(700.0));
  // 8 GPUs for 1 h at PUE 1.5: 2600 W x 3600 s x 1.5 = 14.04 MJ = 3.9 kWh; at 412.72 g/kWh: 1.6096 kg.
  const double e = solvers::facility_energy_j(8.0 * p, 3600.0, 1.5);
  CHECK(e == mlsim::test::approx(14.04e6));
  CHECK(solvers::carbon_kg(e, 412.72e-3 / 3.6e6) == mlsim::test::approx(1.60961).epsilon(1e-5));
  // Ownership of 8 GPUs at USD 25,000 for 30 of 1826.25 days, 5 %/year maintenance, USD 0.1/h facility.
  const double year = 365.0 * 86400.0;
  const auto c = solvers::ownership_cost(8, 25000.0, 5.0 * year, 30.0 * 86400.0, 0.05, 0.1 / 3600.0, 100.0);
  CHECK(c.capital_usd == mlsim::test::approx(8.0 * 25000.0 * 30.0 / (5.0 * 365.0)));
  CHECK(c.maintenance_usd == mlsim::test::approx(8.0 * 25000.0 * 0.05 * 30.0 / 365.0));
  CHECK(c.facility_usd == mlsim::test::approx(8.0 * 0.1 * 720.0));
  CHECK(c.total() == mlsim::test::approx(c.capital_usd + c.maintenance_usd + c.facility_usd + 100.0));
}

TEST_CASE("data supply: the smallest of storage, network and decode") {
  // 110 kB JPEGs, 25 GB/s NVMe: 227,273/s; 48 workers x 219/s = 10,512/s decode-bound.
  const auto s = solvers::data_supply(110e3, 25e9, 0.0, 219.0, 48.0);
  CHECK(s.limiter == "decode");
  CHECK(s.supply_samples_per_s == mlsim::test::approx(10512.0));
  CHECK(s.storage_samples_per_s == mlsim::test::approx(25e9 / 110e3));
  CHECK(solvers::fed_fraction(10512.0, 26280.0) == mlsim::test::approx(0.4));
  CHECK(solvers::fed_fraction(30000.0, 26280.0) == mlsim::test::approx(1.0));
  // A 10 Gb/s object-store link binds first: 1.25e9 / 110e3 = 11,364/s vs 1,000 cores.
  const auto o = solvers::data_supply(110e3, 25e9, 1.25e9, 219.0, 1000.0);
  CHECK(o.limiter == "network");
  CHECK(o.supply_samples_per_s == mlsim::test::approx(11363.6).epsilon(1e-5));
}

TEST_CASE("compute-optimal sizes: 20 tokens per parameter and the approach-3 fit") {
  // Chinchilla's own budget, 5.76e23 FLOPs: sqrt(5.76e23 / 120) = 69.3B parameters on 1.39T tokens
  // (Chinchilla: 70B on 1.4T).
  const auto r = solvers::twenty_tokens_per_param(5.76e23);
  CHECK(r.params == mlsim::test::approx(70e9).epsilon(0.011));
  CHECK(r.tokens == mlsim::test::approx(1.4e12).epsilon(0.011));
  // Approach 3 with the paper's rounded coefficients: G = (0.34 x 406.4 / (0.28 x 410.7))^(1/0.62).
  const auto a = solvers::chinchilla_optimal(5.76e23);
  CHECK(a.params == mlsim::test::approx(32.19e9).epsilon(0.001));
  CHECK(6.0 * a.params * a.tokens == mlsim::test::approx(5.76e23).epsilon(1e-9));
  // Ghost clipping doubles the backward; materialized per-sample gradients cost micro-batch x params.
  CHECK(solvers::dpsgd_flops_factor(true) == mlsim::test::approx(10.0 / 6.0));
  CHECK(solvers::dpsgd_extra_bytes(false, 8, 1e9, 4) == mlsim::test::approx(32e9));
  // 2:4 sparsity in fp16: half the weights, 16 + 2 bits each: 1e9 x 0.5 x 18 / 8 = 1.125 GB.
  CHECK(solvers::compressed_weight_bytes(1e9, 0.5, 16, 2) == mlsim::test::approx(1.125e9));
}

}  // namespace mlsim
