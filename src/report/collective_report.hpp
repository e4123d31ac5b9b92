// The report of `mlsim collective`: a table, JSON (docs/json_contract.md, "collective") or CSV.
#pragma once

#include <string>

#include "analysis/collective_sweep.hpp"

namespace mlsim::report {

std::string collective_table(const analysis::CollectiveSweep& s);
std::string collective_json(const analysis::CollectiveSweep& s);
std::string collective_csv(const analysis::CollectiveSweep& s);

}  // namespace mlsim::report
