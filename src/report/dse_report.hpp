// JSON and text renderings of the design-space results: elasticities and Morris effects
// (sensitivity), the differential explainer (compare) and the inverse roofline (synthesize).
#pragma once

#include <string>
#include <vector>

#include "analysis/compare.hpp"
#include "analysis/sensitivity.hpp"
#include "analysis/synthesize.hpp"

namespace mlsim::report {

std::string elasticities_json(const std::string& metric, const std::vector<analysis::Elasticity>& e);
std::string elasticities_table(const std::string& scenario, const std::string& metric, const std::vector<analysis::Elasticity>& e);
std::string morris_json(const std::string& metric, const std::vector<analysis::MorrisEffect>& e, std::size_t evaluations);
std::string morris_table(const std::string& metric, const std::vector<analysis::MorrisEffect>& e, std::size_t evaluations);
std::string compare_json(const analysis::CompareResult& r);
std::string compare_text(const analysis::CompareResult& r);
std::string synthesize_json(const analysis::SynthesisResult& r);
std::string synthesize_text(const analysis::SynthesisResult& r);

}  // namespace mlsim::report
