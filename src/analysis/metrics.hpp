// The numbers of an Estimate by name: every number and boolean of the analyze JSON contract as a
// dotted path (inference.tpot_s, memory.fits, inference.percentiles.tpot_s.p99), plus
// walls.<name>.time_s and walls.<name>.utilization; a leaf that no other path shares (tpot_s) is
// an alias. Used by sweep columns, --where, --minimize, --pareto, --metric and --target.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/estimate.hpp"

namespace mlsim::analysis {

struct Metric {
  std::string path;
  bool boolean = false;          // memory.fits, feasible: 1 or 0
  bool higher_is_better = false; // throughputs, MFU, goodput
  std::function<std::optional<double>(const Estimate&)> get;   // nullopt: absent in this estimate
};

const std::vector<Metric>& metric_table();

// Resolves a path or a unique leaf; nullopt with `error` set ("unknown metric ...; did you mean").
std::optional<std::size_t> resolve_metric(std::string_view name, std::string& error);

// The default CSV columns of a job kind (paths into metric_table), after feasible and binding_wall.
std::vector<std::size_t> default_metrics(bool training);

// The short alias of a path when its leaf is unique, else the path.
std::string metric_alias(const std::string& path);

// The wall names mlsim reports (DESIGN.md: extend, never rename).
const std::vector<std::string>& wall_names();

}  // namespace mlsim::analysis
