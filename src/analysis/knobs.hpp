// Numeric knobs: the `--set` paths of a scenario's numeric figures, each with a getter and a setter
// on the parsed Scenario, so that sweeps, sensitivity, synthesis and compare change one figure in
// place without re-reading YAML. A knob's setter does what the reader would have done with the same
// `--set` (derived defaults included); tests check both paths give the same estimate.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/units.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

enum class KnobKind { kReal, kInteger };

struct Knob {
  std::string path;              // the --set path: system.accelerator.memory.bandwidth
  KnobKind kind = KnobKind::kReal;
  DimensionVector dimension{};   // of the value (dimensionless for counts and efficiencies)
  std::string unit;              // the SI unit values are written in ("B/s", "FLOPS", "s", "B", "")
  double min = 0.0, max = 1e300; // the values the reader accepts (inclusive)
  bool degree = false;           // a parallel degree: steps by x2 with dp compensating (sensitivity)
  // The value in SI, or nullopt where the figure does not exist in this scenario.
  std::function<std::optional<double>(const spec::Scenario&)> get;
  std::function<void(spec::Scenario&, double)> set;
};

// Every knob mlsim knows, in a fixed order.
const std::vector<Knob>& knob_table();
const Knob* find_knob(std::string_view path);

// Parses a knob value ("6 TB/s", "64", "0.8") into SI; an error message (empty when fine) otherwise.
std::optional<double> parse_knob_value(const Knob& k, std::string_view text, std::string& error);

// A value as --set text that the scenario reader accepts ("6e+12 B/s", "64").
std::string knob_value_text(const Knob& k, double si);

}  // namespace mlsim::analysis
