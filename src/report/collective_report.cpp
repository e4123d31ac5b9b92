#include "report/collective_report.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/text.hpp"

namespace mlsim::report {
namespace {

std::string gbps(double bps) { return format_double(bps / 1e9, 4); }

std::string where(const analysis::CollectiveSweep& s) {
  const auto& g = s.group;
  return std::to_string(g.size) + " ranks on " + std::to_string(g.nodes) + " node" + (g.nodes > 1 ? "s" : "") + " (" +
         std::to_string(g.ranks_per_node) + " per node)";
}

std::string pad(const std::string& s, std::size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

}  // namespace

std::string collective_table(const analysis::CollectiveSweep& s) {
  std::ostringstream o;
  const auto& g = s.group;
  o << solvers::collective_name(s.op) << " on " << where(s) << " of " << s.system << "\n";
  o << "  per rank: " << gbps(g.intra_bandwidth) << " GB/s inside the node, latency " << format_seconds(g.intra_latency);
  if (g.nodes > 1) o << "; " << gbps(g.inter_bandwidth) << " GB/s across nodes, latency " << format_seconds(g.inter_latency);
  o << "; call " << format_seconds(g.base_latency) << "\n";
  if (s.forced) o << "  algorithm: " << solvers::algorithm_name(*s.forced) << " (forced; 'tuner' is NCCL's own pick)\n";
  o << pad("size", 11) << pad("time", 12) << pad("algbw GB/s", 12) << pad("busbw GB/s", 12) << pad("algorithm", 14)
    << pad("tuner", 14) << pad("latency", 9) << "\n";
  for (const auto& r : s.rows) {
    o << pad(format_bytes(r.bytes), 11) << pad(format_seconds(r.time_s), 12) << pad(gbps(r.algbw), 12) << pad(gbps(r.busbw), 12)
      << pad(solvers::algorithm_name(r.algorithm), 14) << pad(solvers::algorithm_name(r.tuner), 14)
      << pad(format_double(100.0 * r.latency_share, 3) + "%", 9) << "\n";
  }
  o << "(latency: the share of the time that is fixed cost, the time of a 1-byte message of the same algorithm)\n";
  return o.str();
}

std::string collective_json(const analysis::CollectiveSweep& s) {
  using nlohmann::json;
  const auto& g = s.group;
  json j;
  j["op"] = solvers::collective_name(s.op);
  j["system"] = s.system;
  j["algorithm"] = s.forced ? json(solvers::algorithm_name(*s.forced)) : json(nullptr);
  j["group"] = {{"ranks", g.size},
                {"stride", s.stride},
                {"nodes", g.nodes},
                {"ranks_per_node", g.ranks_per_node},
                {"intra_bandwidth_Bps", g.intra_bandwidth},
                {"intra_latency_s", g.intra_latency},
                {"inter_bandwidth_Bps", g.inter_bandwidth},
                {"inter_latency_s", g.inter_latency},
                {"base_latency_s", g.base_latency}};
  json rows = json::array();
  for (const auto& r : s.rows) {
    rows.push_back({{"bytes", r.bytes},
                    {"time_s", r.time_s},
                    {"algbw_Bps", r.algbw},
                    {"busbw_Bps", r.busbw},
                    {"algorithm", solvers::algorithm_name(r.algorithm)},
                    {"tuner_algorithm", solvers::algorithm_name(r.tuner)},
                    {"tuner_time_s", r.tuner_time_s},
                    {"latency_share", r.latency_share}});
  }
  j["rows"] = rows;
  return j.dump(2) + "\n";
}

std::string collective_csv(const analysis::CollectiveSweep& s) {
  std::ostringstream o;
  o << "op,ranks,nodes,bytes,time_s,algbw_Bps,busbw_Bps,algorithm,tuner_algorithm,tuner_time_s,latency_share\n";
  char buf[64];
  const auto num = [&buf](double v) {
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return std::string(buf);
  };
  for (const auto& r : s.rows) {
    o << solvers::collective_name(s.op) << "," << s.group.size << "," << s.group.nodes << "," << num(r.bytes) << "," << num(r.time_s)
      << "," << num(r.algbw) << "," << num(r.busbw) << "," << solvers::algorithm_name(r.algorithm) << ","
      << solvers::algorithm_name(r.tuner) << "," << num(r.tuner_time_s) << "," << num(r.latency_share) << "\n";
  }
  return o.str();
}

}  // namespace mlsim::report
