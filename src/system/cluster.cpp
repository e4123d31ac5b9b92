// The cluster graph (Boost.Graph adjacency_list): vertices for accelerators, scale-up switches, NICs,
// leaf and spine switches; each link with its bandwidth per direction and latency, all from the node
// and fabric specs. Groups are placed on it by graph search, and each (size, stride) is resolved once
// and cached, so evaluations never walk the graph.
#include "system/cluster.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <queue>
#include <utility>

#include <boost/range/iterator_range.hpp>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/filtered_graph.hpp>

namespace mlsim::system {
namespace {

using Kind = Cluster::VertexKind;

struct VertexProp {
  Kind kind = Kind::kAccelerator;
  long long node = -1;   // the node of an accelerator, scale-up switch or NIC; -1 for fabric switches
  long long rail = -1;   // a NIC's index inside its node; a leaf's rail under rail_optimized
};

struct EdgeProp {
  double bandwidth = 0.0;   // B/s per direction
  double latency = 0.0;     // s, one traversal
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, VertexProp, EdgeProp>;
using Vertex = Graph::vertex_descriptor;
using EdgeDesc = Graph::edge_descriptor;
constexpr Vertex kNone = std::numeric_limits<Vertex>::max();

int level(Kind k) {
  switch (k) {
    case Kind::kAccelerator: return 0;
    case Kind::kScaleUpSwitch: return 1;
    case Kind::kNic: return 1;
    case Kind::kLeaf: return 2;
    case Kind::kSpine: return 3;
  }
  return 0;
}

// Splits n into three torus dimensions a <= b <= c with a·b·c = n, as close to a cube as the
// factors allow (smallest c - a); x is the fastest-varying.
std::array<long long, 3> torus_dims(long long n) {
  std::array<long long, 3> best{1, 1, n};
  for (long long a = 1; a * a * a <= n; ++a) {
    if (n % a != 0) continue;
    for (long long b = a; a * b * b <= n; ++b) {
      if ((n / a) % b != 0) continue;
      const long long c = n / a / b;
      if (c - a < best[2] - best[0]) best = {a, b, c};
    }
  }
  return best;
}

// Links the members of a torus (or ring) of `n` vertices `v(i)` along every dimension: one link to the
// next vertex in each dimension of size >= 2, wrapping around when the dimension has 3 or more.
template <class VertexOf>
void link_torus(Graph& g, long long n, const VertexOf& v, const EdgeProp& e, bool one_dimension) {
  const std::array<long long, 3> d = one_dimension ? std::array<long long, 3>{n, 1, 1} : torus_dims(n);
  for (long long i = 0; i < n; ++i) {
    const long long x = i % d[0], y = (i / d[0]) % d[1], z = i / (d[0] * d[1]);
    const std::array<long long, 3> c{x, y, z};
    for (std::size_t k = 0; k < 3; ++k) {
      if (d[k] < 2) continue;
      if (d[k] == 2 && c[k] == 1) continue;       // two vertices: one link, not two
      std::array<long long, 3> nc = c;
      nc[k] = (c[k] + 1) % d[k];
      if (d[k] > 2 || nc[k] != c[k]) {
        const long long j = nc[0] + d[0] * (nc[1] + d[1] * nc[2]);
        boost::add_edge(v(i), v(j), e, g);
      }
    }
  }
}

struct SubgraphFilter {
  const Graph* g = nullptr;
  bool scale_up = true;   // true: accelerators and scale-up switches; false: NICs, leaves, spines
  bool operator()(Vertex v) const {
    const Kind k = (*g)[v].kind;
    return scale_up ? (k == Kind::kAccelerator || k == Kind::kScaleUpSwitch) : (k == Kind::kNic || k == Kind::kLeaf || k == Kind::kSpine);
  }
};

// Breadth-first search (fewest hops) from `source` inside the filtered subgraph: returns the
// predecessor of every vertex reached (kNone elsewhere) and the hop distances.
struct Search {
  std::vector<Vertex> pred;
  std::vector<long long> dist;
};

Search bfs(const Graph& g, Vertex source, bool scale_up) {
  using Filtered = boost::filtered_graph<Graph, boost::keep_all, SubgraphFilter>;
  const Filtered f(g, boost::keep_all(), SubgraphFilter{&g, scale_up});
  Search s;
  s.pred.assign(boost::num_vertices(g), kNone);
  s.dist.assign(boost::num_vertices(g), -1);
  s.pred[source] = source;
  s.dist[source] = 0;
  auto pmap = boost::make_iterator_property_map(s.pred.begin(), boost::get(boost::vertex_index, g));
  auto dmap = boost::make_iterator_property_map(s.dist.begin(), boost::get(boost::vertex_index, g));
  boost::breadth_first_search(
      f, source,
      boost::visitor(boost::make_bfs_visitor(std::make_pair(boost::record_predecessors(pmap, boost::on_tree_edge()),
                                                            boost::record_distances(dmap, boost::on_tree_edge())))));
  return s;
}

std::vector<Vertex> path_to(const Search& s, Vertex target) {
  std::vector<Vertex> p;
  if (s.pred[target] == kNone) return p;
  for (Vertex v = target;; v = s.pred[v]) {
    p.push_back(v);
    if (s.pred[v] == v) break;
  }
  std::reverse(p.begin(), p.end());
  return p;
}

}  // namespace

struct Cluster::Impl {
  Graph g;
  long long count = 1, per_node = 1, node_count = 1;
  bool slice_domain = false;        // ICI: the whole slice is one scale-up domain (a torus)
  std::vector<Vertex> nic_of;       // per rank: the NIC serving it (kNone without a fabric)
  long long nics_per_node = 0;
  std::vector<Vertex> nic_table;    // node * nics_per_node + rail -> NIC vertex
  std::vector<std::vector<long long>> below;   // per NIC or leaf vertex: the ranks whose traffic enters the fabric there
  double scale_up_efficiency = 1.0, nic_efficiency = 1.0, in_switch_efficiency = 1.0;
  bool in_switch = false, sharp = false;
  double in_switch_latency = 0.0, base_latency = 0.0;
  std::shared_ptr<const spec::CalibratedNode> calibrated;   // the node's measured collective curves

  mutable std::mutex mutex;
  mutable std::map<std::pair<long long, long long>, GroupPath> cache;

  Impl() = default;
  Impl(const Impl& o)
      : g(o.g), count(o.count), per_node(o.per_node), node_count(o.node_count), slice_domain(o.slice_domain),
        nic_of(o.nic_of), nics_per_node(o.nics_per_node), nic_table(o.nic_table), below(o.below), scale_up_efficiency(o.scale_up_efficiency), nic_efficiency(o.nic_efficiency),
        in_switch_efficiency(o.in_switch_efficiency), in_switch(o.in_switch), sharp(o.sharp),
        in_switch_latency(o.in_switch_latency), base_latency(o.base_latency), calibrated(o.calibrated) {
    const std::lock_guard<std::mutex> lock(o.mutex);
    cache = o.cache;
  }
  Impl& operator=(const Impl&) = delete;

  [[nodiscard]] long long node_of(long long rank) const { return slice_domain ? 0 : rank / per_node; }
  [[nodiscard]] GroupPath compute(long long size, long long stride) const;
  [[nodiscard]] bool inside(long long rank, Vertex lower) const {
    const auto& b = below[lower];
    return std::binary_search(b.begin(), b.end(), rank);
  }
};

Cluster::Cluster() : impl_(std::make_unique<Impl>()) {}
Cluster::~Cluster() = default;
Cluster::Cluster(const Cluster& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
Cluster& Cluster::operator=(const Cluster& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}
Cluster::Cluster(Cluster&&) noexcept = default;
Cluster& Cluster::operator=(Cluster&&) noexcept = default;

Cluster Cluster::build(const spec::SystemSpec& s) {
  Cluster c;
  Impl& m = *c.impl_;
  Graph& g = m.g;
  m.count = std::max<long long>(1, s.count);
  const spec::NodeSpec* node = s.node ? &*s.node : nullptr;
  m.per_node = node ? std::max<long long>(1, node->accelerators) : m.count;
  m.node_count = (m.count + m.per_node - 1) / m.per_node;
  const std::string kind = node ? node->scale_up_kind : "nvswitch";
  m.slice_domain = kind == "ici";

  // Scale-up link figures: the node's, else the accelerator's own scale-up, else its host link.
  double su_bw = 0.0;
  if (node && node->scale_up_bandwidth) su_bw = node->scale_up_bandwidth->si();
  else if (s.accelerator.scale_up_bandwidth) su_bw = s.accelerator.scale_up_bandwidth->si();
  else if (s.accelerator.host_link_bandwidth) su_bw = s.accelerator.host_link_bandwidth->si();
  const double su_lat = node && node->scale_up_latency ? node->scale_up_latency->si() : 0.0;
  if (node) {
    m.scale_up_efficiency = node->scale_up_efficiency;
    m.nic_efficiency = node->nic_efficiency;
    m.in_switch_efficiency = node->in_switch_efficiency;
    m.in_switch = node->in_switch_reduction && kind == "nvswitch";
    m.in_switch_latency = node->in_switch_latency ? node->in_switch_latency->si() : 0.0;
    m.base_latency = node->collective_base_latency ? node->collective_base_latency->si() : 0.0;
    if (node->calibrated) m.calibrated = std::make_shared<const spec::CalibratedNode>(*node->calibrated);
  }

  // Accelerators first, so that vertex r is rank r.
  for (long long r = 0; r < m.count; ++r) boost::add_vertex(VertexProp{Kind::kAccelerator, m.node_of(r), -1}, g);
  const auto acc = [](long long r) { return static_cast<Vertex>(r); };

  if (m.slice_domain) {
    // ICI: a 3D torus over the slice; the chip's scale_up bandwidth spreads over its 6 links (2 per
    // dimension), one chip-to-chip hop costing scale_up.latency (Jouppi et al., TPU v4, ISCA 2023).
    link_torus(g, m.count, acc, EdgeProp{su_bw / 6.0, su_lat}, false);
  } else {
    for (long long n = 0; n < m.node_count; ++n) {
      const long long first = n * m.per_node, present = std::min(m.per_node, m.count - first);
      if (kind == "nvlink_mesh" || kind == "infinity_fabric") {
        // Fully connected: each accelerator's bandwidth is split evenly over its G-1 direct links.
        if (present < 2) continue;
        const double pair = su_bw / static_cast<double>(m.per_node - 1);
        for (long long a = 0; a < present; ++a)
          for (long long b = a + 1; b < present; ++b) boost::add_edge(acc(first + a), acc(first + b), EdgeProp{pair, su_lat}, g);
      } else {
        // NVSwitch (the node's switch chips as one vertex), or a PCIe switch for `pcie`/`none`: each
        // link carries half of one transfer's latency, so accelerator-switch-accelerator sums to it.
        if (present < 2 && m.node_count == 1) continue;
        const Vertex sw = boost::add_vertex(VertexProp{Kind::kScaleUpSwitch, n, -1}, g);
        for (long long a = 0; a < present; ++a) boost::add_edge(acc(first + a), sw, EdgeProp{su_bw, su_lat / 2.0}, g);
      }
    }
  }

  m.nic_of.assign(static_cast<std::size_t>(m.count), kNone);
  m.below.assign(boost::num_vertices(g), {});
  const bool fabric_needed = !m.slice_domain && m.node_count > 1 && node && node->nic_count > 0 && node->nic_bandwidth;
  if (fabric_needed) {
    const long long nics = node->nic_count;
    m.nics_per_node = nics;
    const double nic_bw = node->nic_bandwidth->si();
    const double nic_lat = node->nic_latency ? node->nic_latency->si() : 0.0;
    // Without a fabric entry: one ideal switch at the NICs' rate (no latency, full bisection).
    const spec::FabricSpec fabric = s.fabric ? *s.fabric : spec::FabricSpec{};
    const double link_bw = s.fabric ? std::min(nic_bw, fabric.link_bandwidth.si()) : nic_bw;
    const double link_lat = fabric.link_latency.si();
    const double os = std::max(1.0, fabric.oversubscription);
    m.sharp = fabric.sharp;

    // NIC i of a node serves accelerators i*G/nics ... (i+1)*G/nics - 1; with more NICs than
    // accelerators, accelerator l uses NIC l*nics/G.
    std::vector<std::vector<Vertex>> nic(static_cast<std::size_t>(m.node_count));
    for (long long n = 0; n < m.node_count; ++n) {
      for (long long i = 0; i < nics; ++i) {
        nic[static_cast<std::size_t>(n)].push_back(boost::add_vertex(VertexProp{Kind::kNic, n, i}, g));
        m.nic_table.push_back(nic[static_cast<std::size_t>(n)].back());
      }
      const long long first = n * m.per_node, present = std::min(m.per_node, m.count - first);
      for (long long l = 0; l < present; ++l) {
        const long long i = std::min(nics - 1, l * nics / m.per_node);
        const Vertex v = nic[static_cast<std::size_t>(n)][static_cast<std::size_t>(i)];
        boost::add_edge(acc(first + l), v, EdgeProp{nic_bw, nic_lat}, g);
        m.nic_of[static_cast<std::size_t>(first + l)] = v;
      }
    }

    const std::string topo = s.fabric ? fabric.topology : "fat_tree";
    if (topo == "torus" || topo == "ring") {
      // Direct networks: NIC i of every node joins NIC i of its neighbours (one plane per NIC index).
      for (long long i = 0; i < nics; ++i)
        link_torus(g, m.node_count, [&](long long n) { return nic[static_cast<std::size_t>(n)][static_cast<std::size_t>(i)]; },
                   EdgeProp{link_bw, link_lat}, topo == "ring");
    } else {
      // Leaf-spine: a leaf of radix R under oversubscription o has floor(R·o/(o+1)) ports down and
      // the rest up; without a radix every node hangs under one leaf. The spine layer is one vertex;
      // each leaf's uplink carries its down capacity / oversubscription.
      long long down = std::numeric_limits<long long>::max() / 4;
      if (fabric.switch_radix) down = std::max<long long>(1, static_cast<long long>(std::floor(static_cast<double>(*fabric.switch_radix) * os / (os + 1.0))));
      const bool rails = topo == "rail_optimized";
      const long long nodes_per_leaf = rails ? down : std::max<long long>(1, down / nics);
      const long long groups = (m.node_count + nodes_per_leaf - 1) / nodes_per_leaf;
      std::vector<Vertex> leaves;
      for (long long grp = 0; grp < groups; ++grp) {
        if (rails) {
          for (long long i = 0; i < nics; ++i) leaves.push_back(boost::add_vertex(VertexProp{Kind::kLeaf, -1, i}, g));
        } else {
          leaves.push_back(boost::add_vertex(VertexProp{Kind::kLeaf, -1, -1}, g));
        }
      }
      for (long long n = 0; n < m.node_count; ++n) {
        const long long grp = n / nodes_per_leaf;
        for (long long i = 0; i < nics; ++i) {
          const Vertex leaf = leaves[static_cast<std::size_t>(rails ? grp * nics + i : grp)];
          boost::add_edge(nic[static_cast<std::size_t>(n)][static_cast<std::size_t>(i)], leaf, EdgeProp{link_bw, link_lat / 2.0}, g);
        }
      }
      if (leaves.size() > 1) {
        const Vertex spine = boost::add_vertex(VertexProp{Kind::kSpine, -1, -1}, g);
        const double ports = rails ? static_cast<double>(std::min(down, m.node_count))
                                   : static_cast<double>(std::min(down, nodes_per_leaf * nics));
        for (const Vertex leaf : leaves) boost::add_edge(leaf, spine, EdgeProp{ports * link_bw / os, link_lat}, g);
      }
    }

    // Which ranks enter the fabric at each NIC and each leaf.
    m.below.assign(boost::num_vertices(g), {});
    for (long long r = 0; r < m.count; ++r) {
      const Vertex v = m.nic_of[static_cast<std::size_t>(r)];
      m.below[v].push_back(r);
      for (const EdgeDesc e : boost::make_iterator_range(boost::out_edges(v, g))) {
        const Vertex t = boost::target(e, g);
        if (g[t].kind == Kind::kLeaf) m.below[t].push_back(r);
      }
    }
  }
  return c;
}

GroupPath Cluster::Impl::compute(long long size, long long stride) const {
  GroupPath p;
  p.size = size;
  p.base_latency = base_latency;
  p.calibrated = calibrated;
  if (size <= 1) return p;
  stride = std::max<long long>(1, stride);
  // Members of the group that holds rank 0: 0, stride, ..., wrapped into the cluster.
  std::vector<long long> members;
  for (long long i = 0; i < size; ++i) members.push_back((i * stride) % count);
  std::map<long long, long long> per_node_count;
  for (const long long r : members) ++per_node_count[node_of(r)];
  p.nodes = static_cast<long long>(per_node_count.size());
  p.ranks_per_node = 0;
  for (const auto& entry : per_node_count) p.ranks_per_node = std::max(p.ranks_per_node, entry.second);

  // Inside the domain: the path from rank 0 to the next member on its node, and the bandwidth of
  // rank 0's scale-up links that reach the group (its switch link, or its direct links to members).
  const long long r0 = members[0];
  long long peer = -1;
  for (std::size_t i = 1; i < members.size(); ++i)
    if (node_of(members[i]) == node_of(r0) && members[i] != r0) {
      peer = members[i];
      break;
    }
  if (peer >= 0) {
    const Vertex v0 = static_cast<Vertex>(r0);
    const Search s = bfs(g, v0, true);
    const std::vector<Vertex> path = path_to(s, static_cast<Vertex>(peer));
    double min_bw = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
      const auto [e, ok] = boost::edge(path[i], path[i + 1], g);
      if (!ok) continue;
      p.intra_latency += g[e].latency;
      min_bw = std::min(min_bw, g[e].bandwidth);
      if (i > 0) ++p.intra_hops;
    }
    double usable = 0.0, switch_bw = 0.0;
    for (const EdgeDesc e : boost::make_iterator_range(boost::out_edges(v0, g))) {
      const Vertex t = boost::target(e, g);
      if (g[t].kind == Kind::kScaleUpSwitch) {
        usable += g[e].bandwidth;
        switch_bw = g[e].bandwidth;
      } else if (g[t].kind == Kind::kAccelerator && std::find(members.begin(), members.end(), static_cast<long long>(t)) != members.end()) {
        usable += g[e].bandwidth;
      }
    }
    if (usable <= 0.0 && std::isfinite(min_bw)) usable = min_bw;
    p.intra_bandwidth = usable * scale_up_efficiency;
    if (in_switch && switch_bw > 0.0) {
      p.in_switch_reduction = true;
      p.in_switch_bandwidth = switch_bw * in_switch_efficiency;
      p.in_switch_latency = in_switch_latency;
    }
  }

  // Across nodes: from rank 0's NIC to the farthest member's NIC on the same rail (NCCL's PXN routes
  // to the rail-aligned NIC), every link's bandwidth shared by the ranks of the whole layout that
  // cross it at once: all ranks below a NIC or leaf whose group has a member outside it.
  if (p.nodes > 1 && nic_of[static_cast<std::size_t>(r0)] != kNone) {
    const Vertex src = nic_of[static_cast<std::size_t>(r0)];
    const Search s = bfs(g, src, false);
    Vertex far = kNone;
    for (const long long r : members) {
      if (node_of(r) == node_of(r0)) continue;
      // The NIC of that node on rank 0's rail.
      const Vertex t = nic_table[static_cast<std::size_t>(node_of(r) * nics_per_node + g[src].rail)];
      if (s.dist[t] >= 0 && (far == kNone || s.dist[t] > s.dist[far])) {
        far = t;
      }
    }
    if (far != kNone) {
      const std::vector<Vertex> path = path_to(s, far);
      const auto group_leaves = [&](long long r, Vertex lower) {
        // Does rank r's group (same layout) have a member whose traffic does not enter at `lower`?
        const long long block = stride * size;
        const long long base = (r / block) * block + (r % stride);
        for (long long i = 0; i < size; ++i)
          if (!inside((base + i * stride) % count, lower)) return true;
        return false;
      };
      const auto load = [&](Vertex lower) {
        long long n = 0;
        for (const long long r : below[lower]) n += group_leaves(r, lower) ? 1 : 0;
        return std::max<long long>(1, n);
      };
      double bw = std::numeric_limits<double>::infinity();
      const auto [first, ok0] = boost::edge(static_cast<Vertex>(r0), src, g);
      if (ok0) {
        bw = g[first].bandwidth;
        p.inter_latency += 2.0 * g[first].latency;   // the NIC end at each side
      }
      for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        const auto [e, ok] = boost::edge(path[i], path[i + 1], g);
        if (!ok) continue;
        const Vertex a = path[i], b = path[i + 1];
        const Vertex lower = level(g[a].kind) <= level(g[b].kind) ? a : b;
        bw = std::min(bw, g[e].bandwidth / static_cast<double>(load(lower)));
        p.inter_latency += g[e].latency;
        if (i > 0) ++p.inter_hops;
      }
      if (std::isfinite(bw)) p.inter_bandwidth = bw * nic_efficiency;
      p.in_network_reduction = sharp;
    }
  }
  return p;
}

GroupPath Cluster::place(long long size, long long stride) const {
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  const auto key = std::make_pair(size, stride);
  if (const auto it = impl_->cache.find(key); it != impl_->cache.end()) return it->second;
  GroupPath p = impl_->compute(size, stride);
  impl_->cache.emplace(key, p);
  return p;
}

long long Cluster::accelerators() const { return impl_->count; }
long long Cluster::per_node() const { return impl_->per_node; }
long long Cluster::nodes() const { return impl_->node_count; }
std::size_t Cluster::vertex_count() const { return boost::num_vertices(impl_->g); }
std::size_t Cluster::edge_count() const { return boost::num_edges(impl_->g); }
std::size_t Cluster::vertex_count(VertexKind kind) const {
  std::size_t n = 0;
  for (Vertex v = 0; v < boost::num_vertices(impl_->g); ++v) n += impl_->g[v].kind == kind ? 1U : 0U;
  return n;
}

}  // namespace mlsim::system
