// The rows of `mlsim sweep`: CSV (one header line) or JSON lines, one row per design point:
// point, the varied knobs, feasible, binding_wall, the chosen metrics (JSON-contract paths) and
// infeasible_reason. An infeasible point keeps its knobs and leaves its metric cells empty (null).
// Numbers are SI, written shortest-round-trip. Also reads rows back for `sweep --merge`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/estimate.hpp"

namespace mlsim::report {

struct SweepColumns {
  std::vector<std::string> axes;          // --set paths of the varied knobs
  std::vector<std::string> metric_paths;  // metric_table paths, in column order
  std::vector<std::size_t> metrics;       // their metric_table indices
  bool jsonl = false;
};

// The CSV header line ("" for JSON lines).
std::string sweep_header(const SweepColumns& c);

// A knob cell: an SI number when `numeric`, else the text.
struct AxisCell {
  const std::string* text = nullptr;
  double value = 0.0;
  bool numeric = false;
};

void append_sweep_row(std::string& out, const SweepColumns& c, std::uint64_t point, const std::vector<AxisCell>& axes,
                      const analysis::Estimate& e);

// Shortest round-trip text of a double.
void append_number(std::string& out, double v);

// Reading rows back (merge): the point number of a row, and the cell of a named column as a number
// (nullopt when empty, null or not a number). `header` is the CSV header (unused for JSON lines).
std::optional<std::uint64_t> row_point(std::string_view row, bool jsonl);
std::optional<double> row_number(std::string_view row, const std::vector<std::string>& header, const std::string& column,
                                 bool jsonl);
std::vector<std::string> split_csv_line(std::string_view line);

}  // namespace mlsim::report
