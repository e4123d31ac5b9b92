// The small expression language of --where and --target: numbers with optional units
// ("50ms", "3.35 TB/s", converted to SI), "strings", true/false, names (metric paths or aliases,
// knob paths), parentheses, unary ! - +, * /, + -, comparisons < <= > >= == != (not chained),
// && and || (lowest). C precedence. A missing value (an absent metric, an infeasible point's
// figures) is NaN: every comparison with it is false. Parsed once, evaluated per point.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/units.hpp"

namespace mlsim::analysis {

struct ExprValue {
  double num = std::numeric_limits<double>::quiet_NaN();
  std::string_view str;
  bool is_str = false;
};

struct ExprVar {
  std::size_t id = 0;                        // index into the values given to eval
  bool is_string = false;
  std::optional<DimensionVector> dimension;  // checked against literals with units
};

struct ExprError {
  std::string message;
  std::size_t column = 0;   // 1-based column in the expression text
};

class Expression {
 public:
  using Lookup = std::function<std::optional<ExprVar>(std::string_view name, std::string& error)>;

  // nullopt (and `error`) on a syntax error, an unknown name, a unit that does not parse or a
  // literal whose dimension differs from the name it is compared with.
  static std::optional<Expression> parse(std::string_view text, const Lookup& lookup, ExprError& error);

  [[nodiscard]] ExprValue eval(const std::vector<ExprValue>& vars) const;
  [[nodiscard]] bool test(const std::vector<ExprValue>& vars) const;
  // The variable ids the expression reads.
  [[nodiscard]] const std::vector<std::size_t>& variables() const { return vars_; }
  [[nodiscard]] const std::string& text() const { return text_; }

  enum class Op { kNum, kStr, kVar, kNeg, kNot, kAdd, kSub, kMul, kDiv, kLt, kLe, kGt, kGe, kEq, kNe, kAnd, kOr };
  struct Node {
    Op op = Op::kNum;
    double num = 0.0;
    std::string str;
    std::size_t var = 0;
    int lhs = -1, rhs = -1;
    std::optional<DimensionVector> dimension;   // of a literal with a unit, or of a variable
  };

 private:
  [[nodiscard]] ExprValue eval_node(int i, const std::vector<ExprValue>& vars) const;
  std::vector<Node> nodes_;
  int root_ = -1;
  std::vector<std::size_t> vars_;
  std::string text_;
  friend class ExprParser;
};

}  // namespace mlsim::analysis
