// Collective costs on a placed group as latency-bandwidth (alpha-beta) models, one per algorithm, and
// the choice of the fastest as NCCL's tuner makes it (the minimum predicted time over the algorithms
// that apply, NVIDIA/nccl src/graph/tuning.cc). Bytes, algbw and busbw follow nccl-tests
// (doc/PERFORMANCE.md; CALIBRATION.md 1.1).
#include "solvers/collectives.hpp"

#include "solvers/calibrated.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace mlsim::solvers {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The figures of one group the formulas use; n ranks, k per node, m nodes.
struct Shape {
  double n = 1, k = 1, m = 1;
  double bi = 0, bo = 0;     // per-rank bandwidth inside the domain / across nodes (B/s)
  double ai = 0, ao = 0;     // one transfer's latency inside the domain / across nodes (s)
  double base = 0;           // fixed cost of one call (s)
};

Shape shape_of(const system::GroupPath& g) {
  Shape s;
  s.n = static_cast<double>(g.size);
  s.m = static_cast<double>(std::max<long long>(1, g.nodes));
  s.k = static_cast<double>(std::max<long long>(1, g.ranks_per_node));
  s.bi = g.intra_bandwidth;
  s.bo = g.inter_bandwidth;
  s.ai = g.intra_latency;
  s.ao = g.inter_latency;
  s.base = g.base_latency;
  return s;
}

// S / B, infinite when the link is missing (so the algorithm never wins).
double transfer(double bytes, double bandwidth) { return bytes <= 0 ? 0.0 : (bandwidth > 0 ? bytes / bandwidth : kInf); }

// The per-rank bandwidth of a flat ring over the whole group. On one node: the scale-up link. Across
// nodes, NCCL runs one ring per NIC (channel), each crossing every node boundary once, so a node's k
// ranks push the ring's boundary traffic through their k NIC shares while every rank still carries
// all rings over its scale-up link: min(B_intra, k·B_inter) (NCCL tuning.cc: busBw = nChannels ×
// speed; the NDR per-NIC busbw of nccl-tests#290).
double ring_bandwidth(const Shape& s) {
  if (s.m <= 1) return s.bi;
  if (s.k <= 1) return s.bo;
  return std::min(s.bi, s.k * s.bo);
}

// Ring latency: nsteps transfers of which nInterSteps cross nodes, NCCL tuning.cc:
// (nsteps - nInterSteps)·intraLat + nInterSteps·interLat.
double ring_latency(const Shape& s, double steps, double inter_steps) {
  if (s.m <= 1) return steps * s.ai;
  return (steps - inter_steps) * s.ai + inter_steps * s.ao;
}

double ring_all_reduce(const Shape& s, double bytes) {
  // 2(n-1)/n · S/B + 2(n-1)·α  (Patarasuk & Yuan 2009, bandwidth-optimal all-reduce; NCCL's ring:
  // reduce-scatter then all-gather, 2(n-1) steps of S/n), with 2(m-1) of the steps crossing nodes.
  return s.base + transfer(2.0 * (s.n - 1.0) / s.n * bytes, ring_bandwidth(s)) +
         ring_latency(s, 2.0 * (s.n - 1.0), 2.0 * (s.m - 1.0));
}

double ring_gather_scatter(const Shape& s, double bytes) {
  // all-gather / reduce-scatter: (n-1)/n · S/B + (n-1)·α, S the full (gathered) buffer (nccl-tests).
  return s.base + transfer((s.n - 1.0) / s.n * bytes, ring_bandwidth(s)) + ring_latency(s, s.n - 1.0, s.m - 1.0);
}

double tree_all_reduce(const Shape& s, double bytes) {
  // Double binary tree (Sanders, Speck & Träff 2009; NCCL 2.4, Jeaugey 2019): a chain inside each node
  // and two complementary binary trees over the nodes, reduce up then broadcast down, pipelined.
  // NCCL tuning.cc models its algbw as busBw/2 (time 2S/B) and its latency as
  // 2·((k-1)·intraLat + log2(m)·interLat).
  const double depth = s.m > 1 ? std::ceil(std::log2(s.m)) : 0.0;
  return s.base + transfer(2.0 * bytes, ring_bandwidth(s)) + 2.0 * ((s.k - 1.0) * s.ai + depth * s.ao);
}

double hierarchical_all_reduce(const Shape& s, double bytes) {
  // Reduce-scatter inside the node ((k-1)/k·S/B_intra), all-reduce of the S/k shard across the m
  // nodes by a ring over the rank's NIC share (2(m-1)/m·(S/k)/B_inter), all-gather inside the node
  // (2D / hierarchical ring: Ueno & Yokota 2019; Jia et al. 2018 (Tencent, hierarchical all-reduce)).
  const double intra = 2.0 * (transfer((s.k - 1.0) / s.k * bytes, s.bi) + (s.k - 1.0) * s.ai);
  const double inter = transfer(2.0 * (s.m - 1.0) / s.m * bytes / s.k, s.bo) + 2.0 * (s.m - 1.0) * s.ao;
  return s.base + intra + inter;
}

double nvls_all_reduce(const Shape& s, const system::GroupPath& g, double bytes) {
  // NVLink SHARP: each rank's buffer is reduced in the NVSwitch (multimem ld_reduce) and the result
  // multicast back (multimem st): about S per direction per rank, time S/B_nvls plus the switch's
  // fixed latency (NCCL tuning.cc hwLat[NVLINK][NVLS]). Across nodes (NCCL's NVLS + network), the
  // S/k shard of each rank is all-reduced across the nodes by a ring over its NIC share.
  double t = s.base + g.in_switch_latency + transfer(bytes, g.in_switch_bandwidth);
  if (s.m > 1) t += transfer(2.0 * (s.m - 1.0) / s.m * bytes / s.k, s.bo) + 2.0 * (s.m - 1.0) * s.ao;
  return t;
}

double sharp_all_reduce(const Shape& s, double bytes) {
  // In-network reduction (SHARP, Graham et al. 2016; NCCL CollNet): reduce-scatter inside the node,
  // each rank sends its S/k shard up the switch tree once and receives the reduced shard once
  // ((S/k)/B_inter), all-gather inside the node. Latency as NCCL tuning.cc models CollNet:
  // 2(k-1)·intraLat + interLat.
  const double intra = s.k > 1 ? 2.0 * transfer((s.k - 1.0) / s.k * bytes, s.bi) : 0.0;
  return s.base + intra + transfer(bytes / s.k, s.bo) + 2.0 * (s.k - 1.0) * s.ai + s.ao;
}

double all_to_all(const Shape& s, double bytes) {
  // Pairwise exchange (NCCL implements all-to-all as grouped send/recv): each rank sends S/n to each
  // of the n-1 others; the k-1 peers on its node over the scale-up link, the n-k others over its NIC
  // share, both at once: max((k-1)/n·S/B_intra, (n-k)/n·S/B_inter) + (k-1)·α_intra + (n-k)·α_inter.
  const double intra = transfer((s.k - 1.0) / s.n * bytes, s.bi);
  const double inter = s.m > 1 ? transfer((s.n - s.k) / s.n * bytes, s.bo) : 0.0;
  const double lat = s.m > 1 ? (s.k - 1.0) * s.ai + (s.n - s.k) * s.ao : (s.n - 1.0) * s.ai;
  return s.base + std::max(intra, inter) + lat;
}

double ring_broadcast(const Shape& s, double bytes) {
  // Pipelined ring broadcast: S/B once the pipeline is full, plus n-1 forwarding steps (NCCL ring
  // broadcast; busbw factor 1 in nccl-tests), of which m-1 cross nodes.
  return s.base + transfer(bytes, ring_bandwidth(s)) + ring_latency(s, s.n - 1.0, s.m - 1.0);
}

double send_recv(const Shape& s, double bytes) {
  // One message between two members: S/B + α over the link between them.
  const bool across = s.m > 1;
  return s.base + transfer(bytes, across ? s.bo : s.bi) + (across ? s.ao : s.ai);
}

// The time of `a` for `op`, or +infinity where it does not apply.
double time_of(Collective op, Algorithm a, double bytes, const system::GroupPath& g) {
  const Shape s = shape_of(g);
  switch (op) {
    case Collective::kAllReduce:
      switch (a) {
        case Algorithm::kRing: return ring_all_reduce(s, bytes);
        case Algorithm::kTree: return tree_all_reduce(s, bytes);
        case Algorithm::kHierarchical: return s.m > 1 && s.k > 1 ? hierarchical_all_reduce(s, bytes) : kInf;
        case Algorithm::kNvls: return g.in_switch_reduction && s.k > 1 ? nvls_all_reduce(s, g, bytes) : kInf;
        case Algorithm::kSharp: return g.in_network_reduction && s.m > 1 ? sharp_all_reduce(s, bytes) : kInf;
        case Algorithm::kDirect:
        case Algorithm::kMeasured: return kInf;
      }
      return kInf;
    case Collective::kAllGather:
    case Collective::kReduceScatter: return a == Algorithm::kRing ? ring_gather_scatter(s, bytes) : kInf;
    case Collective::kAllToAll: return a == Algorithm::kDirect ? all_to_all(s, bytes) : kInf;
    case Collective::kBroadcast: return a == Algorithm::kRing ? ring_broadcast(s, bytes) : kInf;
    case Collective::kSendRecv: return a == Algorithm::kDirect ? send_recv(s, bytes) : kInf;
  }
  return kInf;
}

CollectiveCost finish(Collective op, Algorithm a, double time, double bytes, const system::GroupPath& g) {
  CollectiveCost c;
  c.algorithm = a;
  if (!std::isfinite(time)) return c;   // no link figure at all: nothing can be said, reported as zero
  c.time_s = time;
  if (time > 0) {
    c.algbw = bytes / time;
    c.busbw = c.algbw * bus_factor(op, g.size);
  }
  return c;
}

// The algorithms NCCL's tuner chooses among (tuning.cc: ring, tree, CollNet = SHARP, NVLS). The
// hierarchical (2D) all-reduce is not one of them: it is priced only when asked for by name
// (collective_with), as a framework that runs it itself (Horovod's hierarchical all-reduce) would.
constexpr Algorithm kAll[] = {Algorithm::kRing, Algorithm::kTree, Algorithm::kNvls, Algorithm::kSharp, Algorithm::kDirect};

}  // namespace

const char* collective_name(Collective c) {
  switch (c) {
    case Collective::kAllReduce: return "all_reduce";
    case Collective::kAllGather: return "all_gather";
    case Collective::kReduceScatter: return "reduce_scatter";
    case Collective::kAllToAll: return "all_to_all";
    case Collective::kBroadcast: return "broadcast";
    case Collective::kSendRecv: return "send_recv";
  }
  return "";
}

const char* algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::kRing: return "ring";
    case Algorithm::kTree: return "tree";
    case Algorithm::kHierarchical: return "hierarchical";
    case Algorithm::kNvls: return "nvls";
    case Algorithm::kSharp: return "sharp";
    case Algorithm::kDirect: return "direct";
    case Algorithm::kMeasured: return "measured";
  }
  return "";
}

double bus_factor(Collective op, long long n) {
  // nccl-tests doc/PERFORMANCE.md: all-reduce 2(n-1)/n; reduce-scatter, all-gather, all-to-all (n-1)/n;
  // broadcast and send/recv 1.
  if (n <= 1) return op == Collective::kBroadcast || op == Collective::kSendRecv ? 1.0 : 0.0;
  const double d = static_cast<double>(n);
  switch (op) {
    case Collective::kAllReduce: return 2.0 * (d - 1.0) / d;
    case Collective::kAllGather:
    case Collective::kReduceScatter:
    case Collective::kAllToAll: return (d - 1.0) / d;
    case Collective::kBroadcast:
    case Collective::kSendRecv: return 1.0;
  }
  return 1.0;
}

CollectiveCost collective(Collective op, double bytes, const system::GroupPath& g) {
  if (g.size <= 1 || bytes <= 0) return {};
  if (g.calibrated) {
    if (const auto t = calibrated_collective_time(*g.calibrated, collective_name(op), bytes, g.size, g.nodes)) {
      return finish(op, Algorithm::kMeasured, *t, bytes, g);
    }
  }
  Algorithm best = op == Collective::kAllToAll || op == Collective::kSendRecv ? Algorithm::kDirect : Algorithm::kRing;
  double best_t = kInf;
  for (const Algorithm a : kAll) {
    const double t = time_of(op, a, bytes, g);
    if (t < best_t) {
      best_t = t;
      best = a;
    }
  }
  return finish(op, best, best_t, bytes, g);
}

CollectiveCost collective_with(Collective op, Algorithm algorithm, double bytes, const system::GroupPath& g) {
  // An algorithm that does not apply to `op` on this group (NVLS without in-switch reduction, a
  // tree for all-gather, ...) falls back to NCCL's choice, and the result names the one used.
  if (g.size <= 1 || bytes <= 0) return CollectiveCost{0.0, 0.0, 0.0, algorithm};
  const double t = time_of(op, algorithm, bytes, g);
  if (!std::isfinite(t)) return collective(op, bytes, g);
  return finish(op, algorithm, t, bytes, g);
}

}  // namespace mlsim::solvers
