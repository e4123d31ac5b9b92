#include "analysis/collective_sweep.hpp"

#include <cmath>

#include "core/text.hpp"
#include "core/unit_parser.hpp"
#include "core/units.hpp"
#include "system/cluster.hpp"

namespace mlsim::analysis {
namespace {

std::optional<double> parse_size(const std::string& text, std::string& err) {
  const UnitParse p = parse_checked_quantity(text, quantity_check<Bytes>("1 MiB"));
  if (!p.value) {
    err = "size \"" + text + "\": " + (p.error ? p.error->message : std::string("expected a size such as 1 MiB"));
    return std::nullopt;
  }
  return p.value->si;
}


constexpr std::size_t kMaxSizes = 200;

}  // namespace

std::optional<std::vector<double>> parse_size_range(const std::string& text, std::string& err) {
  std::vector<double> sizes;
  if (text.find(':') == std::string::npos) {
    for (const auto& part : split(text, ',')) {
      const auto v = parse_size(part, err);
      if (!v) return std::nullopt;
      sizes.push_back(*v);
    }
    return sizes;
  }
  const auto parts = split(text, ':');
  if (parts.size() != 3 || parts[2].size() < 2 || parts[2][0] != '*') {
    err = "sizes \"" + text + "\": expected FROM:TO:*FACTOR, e.g. 1KiB:8GiB:*4";
    return std::nullopt;
  }
  const auto from = parse_size(parts[0], err);
  if (!from) return std::nullopt;
  const auto to = parse_size(parts[1], err);
  if (!to) return std::nullopt;
  const auto factor = parse_number(parts[2].substr(1));
  if (!factor || *factor <= 1.0) {
    err = "sizes \"" + text + "\": the factor after '*' must be a number above 1";
    return std::nullopt;
  }
  if (*to < *from) {
    err = "sizes \"" + text + "\": TO is below FROM";
    return std::nullopt;
  }
  // Multiply from FROM; the last size is the largest not above TO (with a relative slack for
  // rounding, so 1KiB:1GiB:*4 ends at 1 GiB).
  for (double s = *from; s <= *to * (1.0 + 1e-9); s *= *factor) {
    sizes.push_back(std::round(s));
    if (sizes.size() > kMaxSizes) {
      err = "sizes \"" + text + "\": more than " + std::to_string(kMaxSizes) + " sizes; use a larger factor";
      return std::nullopt;
    }
  }
  return sizes;
}

std::optional<solvers::Collective> collective_from_name(const std::string& name) {
  using solvers::Collective;
  for (const Collective c : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter, Collective::kAllToAll,
                             Collective::kBroadcast, Collective::kSendRecv}) {
    if (name == solvers::collective_name(c)) return c;
  }
  return std::nullopt;
}

std::optional<solvers::Algorithm> algorithm_from_name(const std::string& name) {
  using solvers::Algorithm;
  for (const Algorithm a : {Algorithm::kRing, Algorithm::kTree, Algorithm::kHierarchical, Algorithm::kNvls, Algorithm::kSharp,
                            Algorithm::kDirect}) {
    if (name == solvers::algorithm_name(a)) return a;
  }
  return std::nullopt;
}

CollectiveSweep collective_sweep(const spec::SystemSpec& sys, solvers::Collective op, long long ranks, long long stride,
                                 const std::vector<double>& sizes, std::optional<solvers::Algorithm> algorithm, std::string& err) {
  CollectiveSweep r;
  r.op = op;
  r.forced = algorithm;
  r.ranks = ranks;
  r.stride = stride;
  if (ranks < 2) {
    err = "--ranks must be at least 2 (a group of one rank communicates nothing)";
    return r;
  }
  if (op == solvers::Collective::kSendRecv && ranks != 2) {
    err = "send_recv is between two ranks: use --ranks 2 (with --stride to put them on two nodes)";
    return r;
  }
  if (stride < 1 || (ranks - 1) * stride + 1 > sys.count) {
    err = "a group of " + std::to_string(ranks) + " ranks " + std::to_string(stride) + " apart needs " +
          std::to_string((ranks - 1) * std::max<long long>(1, stride) + 1) + " accelerators; the system has " +
          std::to_string(sys.count) + " (raise system.count with --set, or use a node id with --ranks)";
    return r;
  }
  const system::Cluster cluster = system::Cluster::build(sys);
  r.group = cluster.place(ranks, stride);
  r.system = std::to_string(sys.count) + "x " + sys.accelerator.id +
             (sys.node ? " in " + sys.node->id + " nodes (" + std::to_string(cluster.per_node()) + " per node)" : std::string("")) +
             (sys.fabric ? ", " + sys.fabric->id : std::string(cluster.nodes() > 1 ? ", ideal fabric at the NICs' rate" : ""));
  for (const double bytes : sizes) {
    CollectiveRow row;
    row.bytes = bytes;
    const auto tuned = solvers::collective(op, bytes, r.group);
    const auto used = algorithm ? solvers::collective_with(op, *algorithm, bytes, r.group) : tuned;
    row.time_s = used.time_s;
    row.algbw = used.algbw;
    row.busbw = used.busbw;
    row.algorithm = used.algorithm;
    row.tuner = tuned.algorithm;
    row.tuner_time_s = tuned.time_s;
    // The fixed part: the same algorithm's time for a 1-byte message (its alpha terms).
    const double fixed = solvers::collective_with(op, used.algorithm, 1.0, r.group).time_s;
    row.latency_share = used.time_s > 0 ? std::min(1.0, fixed / used.time_s) : 0.0;
    r.rows.push_back(row);
  }
  if (r.rows.empty()) err = "no sizes to cost";
  return r;
}

}  // namespace mlsim::analysis
