// Design-space sweeps: the cartesian grid of --vary axes over a scenario, evaluated point by point
// on the real solver. A numeric axis on a knob the scenario has is applied in place to a composed
// copy (no YAML per point); other axes (zoo entries, precisions, switches) re-compose the scenario
// once per combination of their values and are cached per worker. Points are numbered in grid
// order (the first axis outermost); run_ordered() hands chunks to threads and their results back
// in that order, with a bounded window so memory stays flat however large the grid.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/estimate.hpp"
#include "analysis/evaluate.hpp"
#include "analysis/knobs.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

struct SweepAxis {
  std::string path;                 // a --set path
  std::vector<std::string> texts;   // each value as --set text
  std::vector<double> values;       // SI, when the path is a numeric knob (same length as texts)
  const Knob* knob = nullptr;       // the numeric knob of the path, if any
  bool fast = false;                // applied in place (set by SweepGrid)
};

// The values of lo:hi:+step (additive) or lo:hi:*factor (geometric); hi is included when a step
// lands on it (within 1e-9 relative). Empty with `error` for a step that does not move toward hi.
std::vector<double> expand_range(double lo, double hi, double step, bool geometric, std::string& error);

// Parses one --vary "path=v1,v2,...", "path=lo:hi:+step", "path=lo:hi:*factor", "path=*" or
// "path=h1*,b200" (zoo ids by glob, for reference paths such as system.accelerator and model).
std::optional<SweepAxis> parse_vary(const std::string& text, const spec::Zoo& zoo, std::string& error);

// The zoo kind a reference path takes (system.accelerator -> accelerator), or "".
std::string reference_kind(const std::string& path);

class SweepGrid {
 public:
  // Loads the base scenario once per value of every slow axis, so bad values are reported up front.
  static std::shared_ptr<const SweepGrid> make(const std::string& scenario_path, const spec::Zoo& zoo,
                                                std::vector<spec::Override> base, std::vector<SweepAxis> axes,
                                                Diagnostics& diags);
  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] const std::vector<SweepAxis>& axes() const { return axes_; }
  [[nodiscard]] const spec::Scenario& base() const { return *base_; }
  // The value index on each axis of a point (mixed radix, last axis fastest).
  void coords(std::uint64_t point, std::vector<std::size_t>& out) const;

 private:
  friend class PointEvaluator;
  std::string text_, file_;
  const spec::Zoo* zoo_ = nullptr;
  std::vector<spec::Override> base_overrides_;
  std::vector<SweepAxis> axes_;
  std::optional<spec::Scenario> base_;
  std::uint64_t size_ = 1;
};

// One per worker thread: evaluates points of a grid, reusing its Evaluator and composed scenario.
class PointEvaluator {
 public:
  explicit PointEvaluator(std::shared_ptr<const SweepGrid> grid, EvalOptions options = {false});
  // Evaluates a point; the coordinates are left in coords().
  const Estimate& evaluate(std::uint64_t point);
  [[nodiscard]] const std::vector<std::size_t>& coords() const { return coords_; }
  [[nodiscard]] const spec::Scenario& scenario() const { return *scenario_; }

 private:
  std::shared_ptr<const SweepGrid> grid_;
  EvalOptions options_;
  Evaluator evaluator_;
  std::vector<std::size_t> coords_, slow_key_;
  bool have_slow_ = false;
  std::optional<spec::Scenario> scenario_;
  std::string slow_error_;
  Estimate estimate_;
};

// Runs work(worker, first, last, chunk) for consecutive chunks of [begin, end) on `threads`
// threads and passes each chunk to sink() on the calling thread in order. At most a few chunks per
// thread are in flight. `progress(done_points)` is called from the calling thread after each sink.
template <class Chunk>
void run_ordered(std::uint64_t begin, std::uint64_t end, unsigned threads, std::uint64_t chunk_size,
                 const std::function<void(unsigned, std::uint64_t, std::uint64_t, Chunk&)>& work,
                 const std::function<void(Chunk&)>& sink, const std::function<void(std::uint64_t)>& progress);

// The Pareto front (every metric minimized; negate the ones to maximize), kept incrementally.
class ParetoFront {
 public:
  // Offers a point; returns the indices (into items()) removed because the new point dominates them,
  // or marks it rejected. Points with a NaN are rejected.
  bool offer(std::uint64_t id, const std::vector<double>& keys);
  struct Item {
    std::uint64_t id;
    std::vector<double> keys;
  };
  [[nodiscard]] const std::vector<Item>& items() const { return items_; }

 private:
  std::vector<Item> items_;
};

}  // namespace mlsim::analysis

#include "analysis/sweep_ordered.hpp"

#include "analysis/expression.hpp"

namespace mlsim::analysis {

// Expressions over a sweep's points: the varied knobs (ids 0..axes-1, by path), the metrics
// (ids axes + metric_table index, by path or alias) and binding_wall (a string, the last id).
std::optional<Expression> parse_point_expression(std::string_view text, const std::vector<SweepAxis>& axes, ExprError& error);
void fill_point_variable(std::vector<ExprValue>& vars, std::size_t id, const std::vector<SweepAxis>& axes,
                         const std::vector<std::size_t>& coords, const Estimate& e);
// The dimension a metric's key names (_s: time, _bytes: data, _per_s: rate, _j, _usd, _kg, _l).
std::optional<DimensionVector> metric_dimension(const std::string& path);

}  // namespace mlsim::analysis
