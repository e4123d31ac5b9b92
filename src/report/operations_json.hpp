// JSON of the operations model's sections (docs/json_contract.md): the `ops` keys an
// `operations:` section adds, `reliability` and `data_pipeline`.
#pragma once

#include <nlohmann/json.hpp>

#include "analysis/estimate.hpp"

namespace mlsim::report {

void add_ops_detail(nlohmann::ordered_json& ops, const analysis::OpsDetail& d);
nlohmann::ordered_json reliability_json(const analysis::ReliabilityReport& r);
nlohmann::ordered_json data_pipeline_json(const analysis::DataPipelineReport& r);
nlohmann::ordered_json algorithm_json(const analysis::AlgorithmReport& r);

}  // namespace mlsim::report
