// Renders the report of `mlsim accuracy`: JSON (every point, every statistic), a human table and
// markdown (the statistics, then the points).
#pragma once

#include <string>

#include "analysis/accuracy.hpp"

namespace mlsim::report {

// Which points the table and markdown list one by one (JSON always has them all).
enum class PointDetail {
  kAll,         // every point
  kPublished,   // points of published entries; rows of data sets (vTrain CSVs) only summarised
  kNone,        // statistics only
};

std::string accuracy_to_json(const analysis::AccuracyReport& r, int indent = 2);
std::string accuracy_to_table(const analysis::AccuracyReport& r, PointDetail detail = PointDetail::kPublished);
std::string accuracy_to_markdown(const analysis::AccuracyReport& r, PointDetail detail = PointDetail::kPublished);

}  // namespace mlsim::report
