#include "spec/operations_spec.hpp"

namespace mlsim::spec {

const std::vector<std::string>& reliability_components() {
  static const std::vector<std::string> k = {"gpu", "hbm", "nic", "switch", "psu", "host", "software"};
  return k;
}

NodeReliability read_node_reliability(const Node& n, Diagnostics& d) {
  NodeReliability r;
  MapReader m(&n, d, "node.reliability");
  if (!m.valid()) {
    d.error(n.origin, "node.reliability: expected a mapping of component -> mean time between failures per node");
    return r;
  }
  for (const auto& c : reliability_components()) {
    if (auto v = m.quantity<Seconds>(c, "13542 h")) r.component_mtbf.emplace_back(c, *v);
  }
  m.finish();
  return r;
}

ReliabilitySpec read_reliability_spec(const Node& n, Diagnostics& d) {
  ReliabilitySpec s;
  MapReader m(&n, d, "reliability");
  if (!m.valid()) {
    d.error(n.origin, "reliability: expected a mapping (node_mtbf, weibull_shape, checkpoint, restart)");
    return s;
  }
  s.node_mtbf = m.quantity<Seconds>("node_mtbf", "6335 h");
  s.weibull_shape = m.number("weibull_shape", Need::kOptional, 0.1, 10.0).value_or(1.0);
  if (auto v = m.quantity<Seconds>("restart", "10 min", Need::kOptional, true)) s.restart = *v;
  if (const Node* ck = m.get("checkpoint")) {
    MapReader c(ck, d, "reliability.checkpoint");
    if (auto mode = c.choice("mode", {"sync", "async"})) s.checkpoint_mode = *mode == "async" ? CheckpointMode::kAsync : CheckpointMode::kSync;
    s.checkpoint_interval = c.quantity<Seconds>("interval", "1 h");
    s.storage_bandwidth = c.quantity<BytesPerSecond>("storage_bandwidth", "1 TB/s");
    if (auto v = c.quantity<Bytes>("extra", "10 GB", Need::kOptional, true)) s.checkpoint_extra = *v;
    c.finish();
  }
  m.finish();
  return s;
}

OperationsSpec read_operations_spec(const Node& n, Diagnostics& d) {
  OperationsSpec s;
  MapReader m(&n, d, "operations");
  if (!m.valid()) {
    d.error(n.origin, "operations: expected a mapping (power, embodied_carbon, lifetime, carbon_price_usd_per_tonne, cost, queue)");
    return s;
  }
  if (auto p = m.choice("power", {"utilization", "tdp"})) s.power_at_utilization = *p == "utilization";
  s.embodied_per_accelerator = m.quantity<Kilograms>("embodied_carbon", "2500 kgCO2");
  if (auto v = m.quantity<Seconds>("lifetime", "1826 d")) s.lifetime = *v;
  s.carbon_price_usd_per_tonne = m.number("carbon_price_usd_per_tonne", Need::kOptional, 0.0, 1e5).value_or(0.0);
  if (const Node* c = m.get("cost")) {
    MapReader cr(c, d, "operations.cost");
    if (auto model = cr.choice("model", {"rental", "ownership"})) s.cost = *model == "ownership" ? CostModel::kOwnership : CostModel::kRental;
    s.maintenance_per_year = cr.number("maintenance_per_year", Need::kOptional, 0.0, 1.0).value_or(0.0);
    s.facility_per_accelerator = cr.quantity<UsdPerSecond>("facility", "0.10 USD/h", Need::kOptional, true);
    s.tco_duration = cr.quantity<Seconds>("tco_duration", "1826 d");
    cr.finish();
  }
  if (const Node* q = m.get("queue")) {
    MapReader qr(q, d, "operations.queue");
    s.queue_utilization = qr.number("utilization", Need::kRequired, 0.0, 0.999);
    s.queue_servers = qr.integer("servers", Need::kOptional, 1, 1 << 20).value_or(1);
    s.queue_service_time = qr.quantity<Seconds>("service_time", "24 h");
    qr.finish();
  }
  m.finish();
  return s;
}

DataSpec read_data_spec(const Node& n, Diagnostics& d) {
  DataSpec s;
  MapReader m(&n, d, "data");
  if (!m.valid()) {
    d.error(n.origin, "data: expected a mapping (bytes_per_sample, decode_per_core, workers, storage, ...)");
    return s;
  }
  s.bytes_per_sample = m.quantity<Bytes>("bytes_per_sample", "110 kB", Need::kRequired).value_or(Bytes(0.0));
  s.decode_per_core = m.number("decode_per_core", Need::kOptional, 1e-6, 1e12);
  s.workers = m.integer("workers", Need::kOptional, 1, 1 << 20);
  s.storage = m.choice("storage", {"local_nvme", "network_fs", "object_store"}).value_or("local_nvme");
  s.storage_bandwidth = m.quantity<BytesPerSecond>("storage_bandwidth", "25 GB/s");
  s.network_bandwidth = m.quantity<BytesPerSecond>("network_bandwidth", "100 Gb/s");
  m.finish();
  return s;
}

AlgorithmSpec read_algorithm_spec(const Node& n, Diagnostics& d) {
  AlgorithmSpec s;
  MapReader m(&n, d, "algorithm");
  if (!m.valid()) {
    d.error(n.origin, "algorithm: expected a mapping (dp_sgd, sparsity, weight_bits, index_bits)");
    return s;
  }
  if (auto v = m.choice("dp_sgd", {"none", "per_sample", "ghost"})) {
    s.dp_sgd = *v == "per_sample" ? DpSgd::kPerSample : (*v == "ghost" ? DpSgd::kGhost : DpSgd::kNone);
  }
  s.sparsity = m.number("sparsity", Need::kOptional, 0.0, 0.999).value_or(0.0);
  s.weight_bits = m.number("weight_bits", Need::kOptional, 1.0, 64.0);
  s.index_bits = m.number("index_bits", Need::kOptional, 0.0, 64.0).value_or(0.0);
  m.finish();
  return s;
}

}  // namespace mlsim::spec
