// Collective communication on a placed group: all-reduce, all-gather, reduce-scatter, all-to-all,
// broadcast and send/recv, with ring, tree, hierarchical (intra-node then inter-node), NVLS and
// in-network (SHARP) algorithms as latency-bandwidth costs; the fastest algorithm is chosen as
// NCCL's tuner would. algbw and busbw follow nccl-tests (PERFORMANCE.md).
#pragma once

#include "system/cluster.hpp"

namespace mlsim::solvers {

enum class Collective { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kBroadcast, kSendRecv };
// kMeasured: the node's calibrated curve for this op and group size (solvers/calibrated.hpp).
enum class Algorithm { kRing, kTree, kHierarchical, kNvls, kSharp, kDirect, kMeasured };

const char* collective_name(Collective c);
const char* algorithm_name(Algorithm a);

struct CollectiveCost {
  double time_s = 0.0;
  double algbw = 0.0;    // bytes / time (B/s)
  double busbw = 0.0;    // algbw x the bus factor of the operation
  Algorithm algorithm = Algorithm::kRing;
};

// nccl-tests' bus factor: all-reduce 2(n-1)/n; all-gather, reduce-scatter, all-to-all (n-1)/n;
// broadcast and send/recv 1.
double bus_factor(Collective op, long long n);

// `bytes` is the buffer as nccl-tests counts it: all-reduce and broadcast the whole buffer,
// all-gather the output, reduce-scatter the input, all-to-all the send buffer, send/recv the message.
// A group of one rank costs nothing. A group whose node carries a calibrated curve of `op` (the
// same group size and node count, or a single-node group of another size) takes the measured time.
CollectiveCost collective(Collective op, double bytes, const system::GroupPath& g);
CollectiveCost collective_with(Collective op, Algorithm algorithm, double bytes, const system::GroupPath& g);

}  // namespace mlsim::solvers
