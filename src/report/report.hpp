// Renders an Estimate: JSON exactly per the analyze contract (DESIGN.md), a human table, CSV.
// nlohmann/json is used only in this layer.
#pragma once

#include <string>

#include "analysis/estimate.hpp"

namespace mlsim::report {

inline constexpr const char* kVersion = "0.1.0";

std::string to_json(const analysis::Estimate& e, int indent = 2);
std::string to_table(const analysis::Estimate& e);
// One header line and one row of headline metrics, then (after a blank line) the operator table.
std::string to_csv(const analysis::Estimate& e);

}  // namespace mlsim::report
