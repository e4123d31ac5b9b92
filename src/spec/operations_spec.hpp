// Scenario sections and node keys of the operations model (docs/operations.md): the node entry's
// per-component failure rates, and the scenario's `reliability:`, `operations:` and `data:`
// sections. Each reader is a key table (MapReader), so unknown keys are reported.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/units.hpp"
#include "spec/reader.hpp"

namespace mlsim::spec {

// Mean time between failures of each component class of one node (the node's GPUs together, its
// HBM, NICs, its share of switches and cables, PSUs, the host, software), from a fleet study.
struct NodeReliability {
  std::vector<std::pair<std::string, Seconds>> component_mtbf;

  friend bool operator==(const NodeReliability&, const NodeReliability&) = default;
};

// The component classes a node's `reliability:` mapping may name.
const std::vector<std::string>& reliability_components();

NodeReliability read_node_reliability(const Node& n, Diagnostics& d);

enum class CheckpointMode { kSync, kAsync };

// Scenario `reliability:`: failures, checkpoints and restarts of a training run.
struct ReliabilitySpec {
  std::optional<Seconds> node_mtbf;               // overrides the node entry's component rates
  double weibull_shape = 1.0;                     // 1: exponential
  CheckpointMode checkpoint_mode = CheckpointMode::kSync;
  std::optional<Seconds> checkpoint_interval;     // default: Young-Daly
  std::optional<BytesPerSecond> storage_bandwidth;   // aggregate write/read bandwidth; default: node storage x nodes
  Bytes checkpoint_extra{0.0};                    // data-loader state, RNG, ... on top of weights + optimizer
  Seconds restart{600.0};                         // detection, rescheduling, NCCL init (assumption, docs/operations.md)
};

ReliabilitySpec read_reliability_spec(const Node& n, Diagnostics& d);

enum class CostModel { kRental, kOwnership };

// Scenario `operations:`: the power curve, embodied carbon, carbon price, ownership cost and queue.
struct OperationsSpec {
  bool power_at_utilization = true;               // false: every accelerator at TDP
  std::optional<Kilograms> embodied_per_accelerator;  // cradle-to-gate of one accelerator with its node share
  Seconds lifetime{5.0 * 365.0 * 86400.0};        // amortization period of purchase and embodied carbon
  double carbon_price_usd_per_tonne = 0.0;
  CostModel cost = CostModel::kRental;
  double maintenance_per_year = 0.0;              // fraction of the purchase price per year
  std::optional<UsdPerSecond> facility_per_accelerator;   // space, cooling plant, staff per accelerator-hour
  std::optional<Seconds> tco_duration;            // total cost of ownership over this period
  // Shared cluster: utilization of the scheduler's capacity and number of servers (job slots).
  std::optional<double> queue_utilization;
  long long queue_servers = 1;
  std::optional<Seconds> queue_service_time;      // default: the run's own duration
};

OperationsSpec read_operations_spec(const Node& n, Diagnostics& d);

// Scenario `data:`: the input pipeline feeding the accelerators.
struct DataSpec {
  Bytes bytes_per_sample{0.0};                        // on storage (a JPEG, a tokenized sequence)
  std::optional<double> decode_per_core;              // samples per second one host core decodes and augments
  std::optional<long long> workers;                   // data-loader processes per node; default: every host core
  std::optional<BytesPerSecond> storage_bandwidth;    // per node read bandwidth; default: the node entry's
  std::optional<BytesPerSecond> network_bandwidth;    // per node ingestion from remote storage
  std::string storage = "local_nvme";                 // local_nvme | network_fs | object_store (label)
};

DataSpec read_data_spec(const Node& n, Diagnostics& d);

enum class DpSgd { kNone, kPerSample, kGhost };

// Scenario `algorithm:`: DP-SGD and weight compression (pruning, fewer bits) on top of the run.
struct AlgorithmSpec {
  DpSgd dp_sgd = DpSgd::kNone;
  double sparsity = 0.0;             // fraction of weights pruned
  std::optional<double> weight_bits; // stored bits per kept weight; default: the weights' precision
  double index_bits = 0.0;           // metadata bits per kept weight (2:4 sparsity: 2)
};

AlgorithmSpec read_algorithm_spec(const Node& n, Diagnostics& d);

}  // namespace mlsim::spec
