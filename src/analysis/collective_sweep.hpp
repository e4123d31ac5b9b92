// `mlsim collective`: one collective over a range of message sizes on a group placed on a system's
// cluster graph (inside one node or across nodes), with time, algbw, busbw and the algorithm NCCL's
// tuner would pick (solvers/collectives.hpp), so the latency- and bandwidth-bound regimes show.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "solvers/collectives.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

// "1KiB:8GiB:*4" (from, to, multiplied by 4 each step; both ends included when reached),
// "1 MiB" (one size) or "4KiB,1MiB,1GiB" (a list). nullopt with `err` set on bad text.
std::optional<std::vector<double>> parse_size_range(const std::string& text, std::string& err);

// The op and algorithm by name ("all_reduce", "ring"); nullopt if unknown.
std::optional<solvers::Collective> collective_from_name(const std::string& name);
std::optional<solvers::Algorithm> algorithm_from_name(const std::string& name);

struct CollectiveRow {
  double bytes = 0.0;
  double time_s = 0.0;
  double algbw = 0.0;   // B/s
  double busbw = 0.0;   // B/s
  solvers::Algorithm algorithm = solvers::Algorithm::kRing;   // the one timed
  solvers::Algorithm tuner = solvers::Algorithm::kRing;       // the one NCCL's tuner picks
  double tuner_time_s = 0.0;
  double latency_share = 0.0;   // share of time_s that is fixed latency (the time of a 1-byte message)
};

struct CollectiveSweep {
  std::string system;            // "8x h100_sxm in dgx_h100 nodes, ib_ndr400_fat_tree"
  solvers::Collective op = solvers::Collective::kAllReduce;
  std::optional<solvers::Algorithm> forced;   // --algorithm
  long long ranks = 1, stride = 1;
  system::GroupPath group;
  std::vector<CollectiveRow> rows;
};

// Places a group of `ranks` members `stride` apart on `sys` and costs `op` at every size. Empty
// `err` on success; otherwise why the group does not fit the system.
CollectiveSweep collective_sweep(const spec::SystemSpec& sys, solvers::Collective op, long long ranks, long long stride,
                                 const std::vector<double>& sizes, std::optional<solvers::Algorithm> algorithm, std::string& err);

}  // namespace mlsim::analysis
