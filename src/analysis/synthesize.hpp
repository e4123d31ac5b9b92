// The inverse roofline: the least amount of one resource (peak FLOPS at the job's precision,
// memory bandwidth, memory capacity, a link's bandwidth, the accelerator count) that meets every
// target, each resource alone with the rest of the scenario fixed, by monotone bisection on the
// real solver (log-scale bisection to 1e-4 relative for real knobs, exact for counts); and the
// zoo accelerators that meet the targets, cheapest first by their price fields.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/expression.hpp"
#include "analysis/knobs.hpp"
#include "spec/scenario.hpp"
#include "spec/zoo.hpp"

namespace mlsim::analysis {

struct Target {
  std::string text;
  Expression expr;   // from parse_point_expression with no axes
};

struct ResourceAnswer {
  std::string resource, knob;          // "memory bandwidth", system.accelerator.memory.bandwidth
  std::string unit;
  double current = 0.0;
  std::optional<double> least;         // the least value that meets the targets
  bool met_now = false;
  bool unconstrained = false;          // the targets hold however little of it there is
  std::string binding_wall;            // at `least` (or at the largest tried when unreachable)
  std::string note;                    // unreachable, any value meets, ...
  std::size_t evaluations = 0;
};

struct ZooAnswer {
  std::string accelerator;
  long long count = 1;
  bool meets = false;
  std::optional<double> purchase_usd, rental_usd_per_h;   // for the whole count
  std::string binding_wall, note;
};

struct SynthesisResult {
  std::string scenario;
  std::vector<std::string> targets;
  bool met_now = false;
  std::vector<ResourceAnswer> resources;
  std::vector<ZooAnswer> zoo;   // meeting ones first, cheapest first
};

// Whether a scenario meets every target (and is feasible).
bool meets_targets(const spec::Scenario& s, const std::vector<Target>& targets, std::string* wall = nullptr);

// The least value of `knob` meeting the targets (monotone search); counts step in whole numbers.
ResourceAnswer least_resource(const spec::Scenario& s, const Knob& knob, const std::string& resource,
                              const std::vector<Target>& targets);

SynthesisResult synthesize(const spec::Scenario& s, const std::string& scenario_text, const std::string& file,
                           const spec::Zoo& zoo, const std::vector<spec::Override>& overrides,
                           const std::vector<Target>& targets);

}  // namespace mlsim::analysis
