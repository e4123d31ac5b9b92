// The `rlhf` section of a report (docs/json_contract.md, docs/rlhf.md): JSON, table lines, CSV columns.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "analysis/estimate.hpp"

namespace mlsim::report {

nlohmann::ordered_json rlhf_json(const analysis::RlhfReport& r);
std::string rlhf_table(const analysis::RlhfReport& r);
std::vector<std::pair<std::string, std::string>> rlhf_csv(const analysis::RlhfReport& r);

}  // namespace mlsim::report
