// The cluster as a graph (Boost.Graph): accelerators, the scale-up switches of each node
// (NVSwitch, NVLink or Infinity Fabric meshes, ICI), NICs, and the scale-out fabric's leaf and spine
// switches, each link with its bandwidth per direction and latency. Parallel groups are placed on it
// and each group's path (bottleneck bandwidth, latency, hops) is read from the graph once per
// system, never per evaluation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "spec/scenario.hpp"

namespace mlsim::system {

// How one parallel group's members are connected, as the collectives solver needs it. Bandwidths are
// achieved figures: the nominal link bandwidth from the graph times the node's `efficiency` keys
// (scale_up.efficiency, nics.efficiency, scale_up.in_switch_efficiency; 1 where a spec omits them).
struct GroupPath {
  long long size = 1;             // ranks in the group
  long long ranks_per_node = 1;   // members inside one node (one scale-up domain)
  long long nodes = 1;            // nodes the group spans
  double intra_bandwidth = 0.0;   // B/s per rank per direction: the bottleneck inside the domain
  double intra_latency = 0.0;     // s: one transfer inside the domain (link + switch)
  int intra_hops = 0;             // switch hops between two members inside the domain
  double inter_bandwidth = 0.0;   // B/s per rank per direction across nodes (its NIC share, after oversubscription)
  double inter_latency = 0.0;     // s: one transfer across the fabric (NIC + switch hops)
  int inter_hops = 0;             // switch hops between members on different nodes
  bool in_switch_reduction = false;   // NVLS (NVSwitch SHARP) inside the domain
  bool in_network_reduction = false;  // SHARP in the fabric's switches
  // Added with the graph implementation (extensions; the members above are unchanged):
  double in_switch_bandwidth = 0.0;   // B/s per rank per direction of an in-switch (NVLS) reduction; 0 without one
  double in_switch_latency = 0.0;     // s: extra fixed latency of one in-switch reduction call
  double base_latency = 0.0;          // s: fixed cost of one collective call (node collectives.base_latency)
  // Added with calibration: the node's measured collective curves (null: nominal model only).
  std::shared_ptr<const spec::CalibratedNode> calibrated;
};

class Cluster {
 public:
  // Builds the graph of `s.count` accelerators from the node and fabric specs. A system below one
  // node, or without a node entry, is one scale-up domain of `count` accelerators.
  static Cluster build(const spec::SystemSpec& s);

  // The path of a group of `size` ranks whose members are `stride` ranks apart (ranks are numbered
  // node-major: 0..per_node-1 on node 0, ...). Groups are placed TP innermost, then CP, EP, DP, PP.
  [[nodiscard]] GroupPath place(long long size, long long stride) const;

  [[nodiscard]] long long accelerators() const;
  [[nodiscard]] long long per_node() const;
  [[nodiscard]] long long nodes() const;
  // Vertices and edges of the graph (for tests and `mlsim show`).
  [[nodiscard]] std::size_t vertex_count() const;
  [[nodiscard]] std::size_t edge_count() const;   // links; each carries both directions

  // Added with the graph implementation: the kind of each vertex, for tests and `mlsim show`.
  enum class VertexKind { kAccelerator, kScaleUpSwitch, kNic, kLeaf, kSpine };
  [[nodiscard]] std::size_t vertex_count(VertexKind kind) const;

  Cluster();
  ~Cluster();
  Cluster(const Cluster&);
  Cluster& operator=(const Cluster&);
  Cluster(Cluster&&) noexcept;
  Cluster& operator=(Cluster&&) noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlsim::system
