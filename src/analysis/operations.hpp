// The operations wall for one run: GPU-hours, energy (IT and facility), carbon, water and money.
// Power is the accelerators' TDP plus the node's share of overhead, as published training-energy
// estimates compute it (BLOOM: 1,082,990 GPU-hours x 400 W = 433,196 kWh; Luccioni et al. 2022).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/estimate.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

// `tokens` is the number of tokens (or samples) the run processes in `duration_s`.
OpsReport operations(const spec::Scenario& s, double duration_s, std::optional<double> tokens,
                     std::vector<std::string>& warnings);

}  // namespace mlsim::analysis
