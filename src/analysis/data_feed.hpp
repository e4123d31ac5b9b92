// The data wall of a training run (solvers/data_pipeline, docs/operations.md): when the scenario
// has a `data:` section, the samples per second each node's storage, network and decode workers
// supply are set against what its accelerators consume; when supply is short the step waits for
// data, which lowers MFU and stretches the time to train.
#pragma once

#include <string>
#include <vector>

#include "analysis/estimate.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

// Adds the data_pipeline section and wall to `e`, and stretches `tr` when data binds.
void apply_data_pipeline(const spec::Scenario& s, TrainingReport& tr, Estimate& e, bool detail);

}  // namespace mlsim::analysis
