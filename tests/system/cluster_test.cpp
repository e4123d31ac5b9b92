// The cluster graph: vertex and edge counts derived by hand, group placement (ranks per node, nodes),
// the per-rank bottleneck bandwidth, latency and hops of placed groups, and a rail-optimized fat tree
// whose oversubscription halves the bandwidth only of groups that cross the spine.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <thread>
#include <vector>

#include "../support.hpp"
#include "system/cluster.hpp"

namespace mlsim {
namespace {

using Kind = system::Cluster::VertexKind;

spec::SystemSpec zoo_system(const std::string& accelerator, const std::string& node, const std::string& fabric, long long count) {
  spec::SystemSpec s;
  s.accelerator = test::zoo_entry("accelerator", accelerator, spec::read_accelerator);
  if (!node.empty()) s.node = test::zoo_entry("node", node, spec::read_node);
  if (!fabric.empty()) s.fabric = test::zoo_entry("fabric", fabric, spec::read_fabric);
  s.count = count;
  return s;
}

// A 400 Gb/s (50 GB/s) fabric with 0.2 us switches, built inline.
spec::FabricSpec fabric(const std::string& topology, double oversubscription, long long radix) {
  spec::FabricSpec f;
  f.id = f.name = "test_fabric";
  f.topology = topology;
  f.link_bandwidth = BytesPerSecond(50e9);
  f.link_latency = Seconds(0.2e-6);
  f.oversubscription = oversubscription;
  f.switch_radix = radix;
  return f;
}

}  // namespace

TEST_CASE("graph of two DGX H100 on the NDR fat tree, counted by hand") {
  // 16 accelerators; one NVSwitch vertex per node (2); 8 NICs per node (16). A QM9700 leaf has 64
  // ports, 32 down at oversubscription 1, so 32 / 8 NICs = 4 nodes per leaf: both nodes under one
  // leaf (1), no spine. Links: 16 accelerator-NVSwitch + 16 accelerator-NIC + 16 NIC-leaf = 48.
  const auto c = system::Cluster::build(zoo_system("h100_sxm", "dgx_h100", "ib_ndr400_fat_tree", 16));
  CHECK(c.accelerators() == 16);
  CHECK(c.per_node() == 8);
  CHECK(c.nodes() == 2);
  CHECK(c.vertex_count() == 35);
  CHECK(c.vertex_count(Kind::kAccelerator) == 16);
  CHECK(c.vertex_count(Kind::kScaleUpSwitch) == 2);
  CHECK(c.vertex_count(Kind::kNic) == 16);
  CHECK(c.vertex_count(Kind::kLeaf) == 1);
  CHECK(c.vertex_count(Kind::kSpine) == 0);
  CHECK(c.edge_count() == 48);

  // Rail-optimized: one leaf per rail (8; 32 nodes per rail leaf) and a spine joining the rails
  // (cross-rail traffic): 16 + 2 + 16 + 8 + 1 = 43 vertices, 48 + 8 leaf-spine = 56 links.
  const auto r = system::Cluster::build(zoo_system("h100_sxm", "dgx_h100", "ib_ndr400_rail_optimized", 16));
  CHECK(r.vertex_count() == 43);
  CHECK(r.vertex_count(Kind::kLeaf) == 8);
  CHECK(r.vertex_count(Kind::kSpine) == 1);
  CHECK(r.edge_count() == 56);

  // 40 nodes on the fat tree: 10 leaves and a spine; 320 + 40 + 320 + 10 + 1 vertices,
  // 320 x 3 + 10 leaf-spine links.
  const auto big = system::Cluster::build(zoo_system("h100_sxm", "dgx_h100", "ib_ndr400_fat_tree", 320));
  CHECK(big.vertex_count(Kind::kLeaf) == 10);
  CHECK(big.vertex_count(Kind::kSpine) == 1);
  CHECK(big.vertex_count() == 691);
  CHECK(big.edge_count() == 970);
}

TEST_CASE("placement: TP inside a node, DP across nodes") {
  const auto c = system::Cluster::build(zoo_system("h100_sxm", "dgx_h100", "ib_ndr400_fat_tree", 32));
  SUBCASE("TP = 8, stride 1: one node over NVSwitch") {
    const auto g = c.place(8, 1);
    CHECK(g.size == 8);
    CHECK(g.nodes == 1);
    CHECK(g.ranks_per_node == 8);
    // 450 GB/s NVLink x 0.822 (nccl-tests#212 ring efficiency in dgx_h100.yaml).
    CHECK(g.intra_bandwidth == mlsim::test::approx(450e9 * 0.822).epsilon(1e-12));
    CHECK(g.intra_latency == mlsim::test::approx(1.9e-6).epsilon(1e-12));   // two half-links through the switch
    CHECK(g.intra_hops == 1);
    CHECK(g.in_switch_reduction);
    CHECK(g.in_switch_bandwidth == mlsim::test::approx(450e9 * 0.611).epsilon(1e-12));
    CHECK(g.in_switch_latency == mlsim::test::approx(25e-6).epsilon(1e-12));
    CHECK(g.base_latency == mlsim::test::approx(8.4e-6).epsilon(1e-12));
    CHECK(g.inter_bandwidth == 0.0);
    CHECK_FALSE(g.in_network_reduction);
  }
  SUBCASE("DP = 4, stride 8: one rank on each of 4 nodes") {
    const auto g = c.place(4, 8);
    CHECK(g.nodes == 4);
    CHECK(g.ranks_per_node == 1);
    // Each rank has its own 400 Gb/s NIC (8 NICs, 8 GPUs): 50 GB/s x 0.94 (nccl-tests#290).
    CHECK(g.inter_bandwidth == mlsim::test::approx(50e9 * 0.94).epsilon(1e-12));
    // NIC 1.9 us + leaf 0.2 us + NIC 1.9 us; one switch hop (4 nodes under one leaf).
    CHECK(g.inter_latency == mlsim::test::approx(4.0e-6).epsilon(1e-9));
    CHECK(g.inter_hops == 1);
    CHECK(g.intra_bandwidth == 0.0);
  }
  SUBCASE("TP = 4, stride 1, then DP = 2 with stride 4: two ranks per node share nothing") {
    const auto g = c.place(16, 2);   // ranks 0, 2, ..., 30: 4 per node on 4 nodes
    CHECK(g.nodes == 4);
    CHECK(g.ranks_per_node == 4);
  }
  SUBCASE("a group of one") {
    const auto g = c.place(1, 1);
    CHECK(g.size == 1);
    CHECK(g.intra_bandwidth == 0.0);
    CHECK(g.inter_bandwidth == 0.0);
  }
}

TEST_CASE("rail-optimized fat tree with oversubscription 2: the group bandwidth halves only across the spine") {
  // Radix 12 at oversubscription 2: floor(12 x 2/3) = 8 ports down, 4 up; a rail leaf takes rail i of 8
  // nodes, and its uplink carries 8 x 50 GB/s / 2 = 200 GB/s. 16 DGX H100 = 2 scalable units.
  spec::SystemSpec s = zoo_system("h100_sxm", "dgx_h100", "", 128);
  s.fabric = fabric("rail_optimized", 2.0, 12);
  const auto c = system::Cluster::build(s);
  CHECK(c.vertex_count(Kind::kLeaf) == 16);   // 8 rails x 2 units
  CHECK(c.vertex_count(Kind::kSpine) == 1);
  const double nic = 50e9 * 0.94;

  // DP = 8, stride 8: nodes 0-7, all under one rail leaf: NIC bandwidth, one hop.
  const auto under = c.place(8, 8);
  CHECK(under.nodes == 8);
  CHECK(under.inter_bandwidth == mlsim::test::approx(nic).epsilon(1e-12));
  CHECK(under.inter_hops == 1);
  // DP = 4 stays under the leaf too.
  CHECK(c.place(4, 8).inter_bandwidth == mlsim::test::approx(nic).epsilon(1e-12));

  // DP = 16, stride 8: all 8 ranks under the leaf talk across it at once; 200 GB/s / 8 = 25 GB/s each,
  // half the NIC. Path NIC-leaf-spine-leaf-NIC: 3 switch hops, 1.9 + 0.2 x 3 + 1.9 = 4.4 us.
  const auto across = c.place(16, 8);
  CHECK(across.nodes == 16);
  CHECK(across.inter_bandwidth == mlsim::test::approx(nic / 2.0).epsilon(1e-12));
  CHECK(across.inter_hops == 3);
  CHECK(across.inter_latency == mlsim::test::approx(4.4e-6).epsilon(1e-9));
  // DP = 2 with stride 64 pairs node n with node n + 8: also across the spine, also halved.
  CHECK(c.place(2, 64).inter_bandwidth == mlsim::test::approx(nic / 2.0).epsilon(1e-12));

  // The same tree without oversubscription (radix 16: 8 down, 8 up): no halving.
  spec::SystemSpec full = s;
  full.fabric = fabric("rail_optimized", 1.0, 16);
  CHECK(system::Cluster::build(full).place(16, 8).inter_bandwidth == mlsim::test::approx(nic).epsilon(1e-12));
}

TEST_CASE("NIC sharing: two GCDs per Slingshot NIC on the MI250X node") {
  // 4 NICs for 8 GCDs: NIC i serves GCDs 2i and 2i+1; with DP over nodes every GCD crosses at once,
  // so each gets 25 GB/s / 2. The GCDs are fully connected: 350 GB/s / 7 = 50 GB/s per pair.
  spec::SystemSpec s = zoo_system("mi250x_gcd", "mi250x_platform", "", 32);
  s.fabric = fabric("fat_tree", 1.0, 64);
  const auto c = system::Cluster::build(s);
  CHECK(c.place(4, 8).inter_bandwidth == mlsim::test::approx(25e9 / 2.0).epsilon(1e-12));
  const auto pair = c.place(2, 1);
  CHECK(pair.intra_bandwidth == mlsim::test::approx(50e9).epsilon(1e-12));
  CHECK(pair.intra_hops == 0);
  CHECK(c.place(8, 1).intra_bandwidth == mlsim::test::approx(350e9).epsilon(1e-12));   // 7 direct links
}

TEST_CASE("TPU v4 slice: a 3D torus over ICI") {
  // 64 chips = 4 x 4 x 4 with wrap-around: 3 links per chip, 192 links; each link 300 / 6 = 50 GB/s.
  const auto c = system::Cluster::build(zoo_system("tpu_v4", "tpu_v4_slice", "tpu_dcn", 64));
  CHECK(c.vertex_count() == 64);
  CHECK(c.edge_count() == 192);
  const auto ring = c.place(4, 1);   // one x-ring: both neighbours are members
  CHECK(ring.nodes == 1);
  CHECK(ring.ranks_per_node == 4);
  CHECK(ring.intra_bandwidth == mlsim::test::approx(100e9).epsilon(1e-12));
  CHECK(ring.intra_hops == 0);
}

TEST_CASE("a system without a node entry is one scale-up domain") {
  spec::SystemSpec s;
  s.accelerator = test::zoo_entry("accelerator", "h100_sxm", spec::read_accelerator);
  s.count = 4;
  const auto c = system::Cluster::build(s);
  CHECK(c.nodes() == 1);
  const auto g = c.place(4, 1);
  CHECK(g.nodes == 1);
  CHECK(g.ranks_per_node == 4);
  CHECK(g.intra_bandwidth == mlsim::test::approx(450e9).epsilon(1e-12));   // the accelerator's own scale_up
  CHECK(g.inter_bandwidth == 0.0);
}

TEST_CASE("placements are cached, identical across copies and threads") {
  const auto c = system::Cluster::build(zoo_system("h100_sxm", "dgx_h100", "ib_ndr400_rail_optimized", 512));
  const auto ref = c.place(64, 8);
  std::vector<double> seen(8, 0.0);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&c, &seen, i] { seen[i] = c.place(64, 8).inter_bandwidth; });
  for (auto& t : threads) t.join();
  for (const double v : seen) CHECK(v == ref.inter_bandwidth);
  const system::Cluster copy = c;
  CHECK(copy.place(64, 8).inter_bandwidth == ref.inter_bandwidth);
  CHECK(copy.vertex_count() == c.vertex_count());
}

}  // namespace mlsim
