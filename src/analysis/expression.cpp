#include "analysis/expression.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/unit_parser.hpp"

namespace mlsim::analysis {

// A recursive-descent parser over the text; each level is one precedence tier.
class ExprParser {
 public:
  ExprParser(std::string_view text, const Expression::Lookup& lookup, Expression& out, ExprError& err)
      : t_(text), lookup_(lookup), out_(out), err_(err) {}

  bool run() {
    const int root = parse_or();
    if (root < 0) return false;
    skip();
    if (pos_ < t_.size()) return fail("unexpected \"" + std::string(t_.substr(pos_, 1)) + "\"; expected an operator or the end", pos_);
    out_.root_ = root;
    return true;
  }

 private:
  using Op = Expression::Op;

  bool fail(const std::string& message, std::size_t at) {
    if (err_.message.empty()) {
      err_.message = message;
      err_.column = at + 1;
    }
    return false;
  }
  void skip() {
    while (pos_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[pos_]))) ++pos_;
  }
  bool eat(std::string_view tok) {
    skip();
    if (t_.substr(pos_, tok.size()) == tok) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }
  int add(Expression::Node n) {
    out_.nodes_.push_back(std::move(n));
    return static_cast<int>(out_.nodes_.size() - 1);
  }
  int binary(Op op, int l, int r, std::size_t at) {
    if (l < 0 || r < 0) return -1;
    const auto& a = out_.nodes_[static_cast<std::size_t>(l)];
    const auto& b = out_.nodes_[static_cast<std::size_t>(r)];
    const bool dims_matter = op == Op::kAdd || op == Op::kSub || (op >= Op::kLt && op <= Op::kNe);
    if (dims_matter && a.dimension && b.dimension && !(*a.dimension == *b.dimension)) {
      fail("cannot compare or add " + dimension_name(*a.dimension) + " and " + dimension_name(*b.dimension), at);
      return -1;
    }
    if ((a.op == Op::kStr || b.op == Op::kStr) && op != Op::kEq && op != Op::kNe) {
      fail("a string can only be compared with == or !=", at);
      return -1;
    }
    Expression::Node n;
    n.op = op;
    n.lhs = l;
    n.rhs = r;
    if (op == Op::kAdd || op == Op::kSub) n.dimension = a.dimension ? a.dimension : b.dimension;
    return add(std::move(n));
  }
  int parse_or() {
    int l = parse_and();
    while (l >= 0) {
      const std::size_t at = (skip(), pos_);
      if (!eat("||")) break;
      l = binary(Op::kOr, l, parse_and(), at);
    }
    return l;
  }
  int parse_and() {
    int l = parse_cmp();
    while (l >= 0) {
      const std::size_t at = (skip(), pos_);
      if (!eat("&&")) break;
      l = binary(Op::kAnd, l, parse_cmp(), at);
    }
    return l;
  }
  std::optional<Op> cmp_op() {
    skip();
    static const std::pair<const char*, Op> ops[] = {{"<=", Op::kLe}, {">=", Op::kGe}, {"==", Op::kEq},
                                                     {"!=", Op::kNe}, {"<", Op::kLt},  {">", Op::kGt}};
    for (const auto& [tok, op] : ops) {
      if (eat(tok)) return op;
    }
    return std::nullopt;
  }
  int parse_cmp() {
    int l = parse_add();
    if (l < 0) return l;
    const std::size_t at = (skip(), pos_);
    if (auto op = cmp_op()) {
      l = binary(*op, l, parse_add(), at);
      skip();
      const std::size_t again = pos_;
      if (l >= 0 && cmp_op()) {
        fail("comparisons do not chain; write a < b && b < c", again);
        return -1;
      }
    }
    return l;
  }
  int parse_add() {
    int l = parse_mul();
    while (l >= 0) {
      skip();
      const std::size_t at = pos_;
      if (pos_ < t_.size() && (t_[pos_] == '+' || t_[pos_] == '-')) {
        const Op op = t_[pos_] == '+' ? Op::kAdd : Op::kSub;
        ++pos_;
        l = binary(op, l, parse_mul(), at);
      } else {
        break;
      }
    }
    return l;
  }
  int parse_mul() {
    int l = parse_unary();
    while (l >= 0) {
      skip();
      const std::size_t at = pos_;
      if (pos_ < t_.size() && (t_[pos_] == '*' || t_[pos_] == '/')) {
        const Op op = t_[pos_] == '*' ? Op::kMul : Op::kDiv;
        ++pos_;
        l = binary(op, l, parse_unary(), at);
      } else {
        break;
      }
    }
    return l;
  }
  int parse_unary() {
    skip();
    if (pos_ < t_.size() && (t_[pos_] == '-' || t_[pos_] == '!')) {
      const Op op = t_[pos_] == '-' ? Op::kNeg : Op::kNot;
      if (t_.substr(pos_, 2) == "!=") {
        fail("expected a value before \"!=\"", pos_);
        return -1;
      }
      ++pos_;
      const int x = parse_unary();
      if (x < 0) return -1;
      Expression::Node n;
      n.op = op;
      n.lhs = x;
      if (op == Op::kNeg) n.dimension = out_.nodes_[static_cast<std::size_t>(x)].dimension;
      return add(std::move(n));
    }
    if (pos_ < t_.size() && t_[pos_] == '+') {
      ++pos_;
      return parse_unary();
    }
    return parse_primary();
  }
  static bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
  static bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

  int parse_primary() {
    skip();
    if (pos_ >= t_.size()) {
      fail("expected a value (a number, a name or a parenthesis) at the end", pos_);
      return -1;
    }
    const char c = t_[pos_];
    const std::size_t start = pos_;
    if (c == '(') {
      ++pos_;
      const int x = parse_or();
      if (x < 0) return -1;
      if (!eat(")")) {
        fail("expected \")\" to close the \"(\" at column " + std::to_string(start + 1), pos_);
        return -1;
      }
      return x;
    }
    if (c == '"' || c == '\'') {
      const auto end = t_.find(c, pos_ + 1);
      if (end == std::string_view::npos) {
        fail("unterminated string", start);
        return -1;
      }
      Expression::Node n;
      n.op = Op::kStr;
      n.str = std::string(t_.substr(pos_ + 1, end - pos_ - 1));
      pos_ = end + 1;
      return add(std::move(n));
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return parse_number();
    if (ident_start(c)) {
      while (pos_ < t_.size() && ident_char(t_[pos_])) ++pos_;
      const std::string_view name = t_.substr(start, pos_ - start);
      Expression::Node n;
      if (name == "true" || name == "false") {
        n.num = name == "true" ? 1.0 : 0.0;
        return add(std::move(n));
      }
      std::string why;
      const auto v = lookup_(name, why);
      if (!v) {
        fail(why.empty() ? "unknown name \"" + std::string(name) + "\"" : why, start);
        return -1;
      }
      n.op = Op::kVar;
      n.var = v->id;
      n.dimension = v->dimension;
      if (std::find(out_.vars_.begin(), out_.vars_.end(), v->id) == out_.vars_.end()) out_.vars_.push_back(v->id);
      return add(std::move(n));
    }
    fail("unexpected \"" + std::string(1, c) + "\"; expected a number, a name, a string or \"(\"", start);
    return -1;
  }

  int parse_number() {
    const std::size_t start = pos_;
    while (pos_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[pos_])) || t_[pos_] == '.')) ++pos_;
    if (pos_ < t_.size() && (t_[pos_] == 'e' || t_[pos_] == 'E')) {
      std::size_t p = pos_ + 1;
      if (p < t_.size() && (t_[p] == '+' || t_[p] == '-')) ++p;
      if (p < t_.size() && std::isdigit(static_cast<unsigned char>(t_[p]))) {
        pos_ = p;
        while (pos_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[pos_]))) ++pos_;
      }
    }
    const std::size_t num_end = pos_;
    // A unit follows directly or after spaces: letters (and %), then optional /letters parts.
    std::size_t p = pos_;
    while (p < t_.size() && t_[p] == ' ') ++p;
    std::size_t unit_end = p;
    const auto unit_char = [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)) || ch == '%' || ch == '2' || static_cast<unsigned char>(ch) >= 0x80; };
    if (p < t_.size() && (std::isalpha(static_cast<unsigned char>(t_[p])) || static_cast<unsigned char>(t_[p]) >= 0x80)) {
      while (unit_end < t_.size() && unit_char(t_[unit_end])) ++unit_end;
      while (unit_end + 1 < t_.size() && t_[unit_end] == '/' && std::isalpha(static_cast<unsigned char>(t_[unit_end + 1]))) {
        ++unit_end;
        while (unit_end < t_.size() && unit_char(t_[unit_end])) ++unit_end;
      }
    }
    Expression::Node n;
    const std::string_view number_text = t_.substr(start, num_end - start);
    if (unit_end > p) {
      const std::string text = std::string(number_text) + " " + std::string(t_.substr(p, unit_end - p));
      const UnitParse q = parse_quantity_text(text);
      if (!q.value) {
        fail("\"" + std::string(t_.substr(p, unit_end - p)) + "\" is not a unit mlsim knows (e.g. ms, us, GB, GiB, TB/s, TFLOPS, W, USD)",
             p);
        return -1;
      }
      n.num = q.value->si;
      n.dimension = q.value->dimension;
      pos_ = unit_end;
    } else {
      const auto v = mlsim::parse_number(number_text);
      if (!v) {
        fail("\"" + std::string(number_text) + "\" is not a number", start);
        return -1;
      }
      n.num = *v;
    }
    return add(std::move(n));
  }

  std::string_view t_;
  const Expression::Lookup& lookup_;
  Expression& out_;
  ExprError& err_;
  std::size_t pos_ = 0;
};

std::optional<Expression> Expression::parse(std::string_view text, const Lookup& lookup, ExprError& error) {
  Expression e;
  e.text_ = std::string(text);
  ExprParser p(e.text_, lookup, e, error);
  if (!p.run()) return std::nullopt;
  return e;
}

namespace {
bool truthy(const ExprValue& v) { return v.is_str ? !v.str.empty() : (!std::isnan(v.num) && v.num != 0.0); }
ExprValue number(double x) {
  ExprValue v;
  v.num = x;
  return v;
}
}  // namespace

ExprValue Expression::eval_node(int i, const std::vector<ExprValue>& vars) const {
  const Node& n = nodes_[static_cast<std::size_t>(i)];
  switch (n.op) {
    case Op::kNum: return number(n.num);
    case Op::kStr: {
      ExprValue v;
      v.is_str = true;
      v.str = n.str;
      return v;
    }
    case Op::kVar: return n.var < vars.size() ? vars[n.var] : ExprValue{};
    case Op::kNeg: return number(-eval_node(n.lhs, vars).num);
    case Op::kNot: return number(truthy(eval_node(n.lhs, vars)) ? 0.0 : 1.0);
    case Op::kAnd: return number(truthy(eval_node(n.lhs, vars)) && truthy(eval_node(n.rhs, vars)) ? 1.0 : 0.0);
    case Op::kOr: return number(truthy(eval_node(n.lhs, vars)) || truthy(eval_node(n.rhs, vars)) ? 1.0 : 0.0);
    default: break;
  }
  const ExprValue a = eval_node(n.lhs, vars), b = eval_node(n.rhs, vars);
  if (n.op == Op::kEq || n.op == Op::kNe) {
    bool eq = false;
    if (a.is_str || b.is_str) {
      eq = a.is_str && b.is_str && a.str == b.str;
    } else {
      if (std::isnan(a.num) || std::isnan(b.num)) return number(0.0);
      eq = a.num == b.num;
    }
    return number((n.op == Op::kEq) == eq ? 1.0 : 0.0);
  }
  const double x = a.num, y = b.num;
  switch (n.op) {
    case Op::kAdd: return number(x + y);
    case Op::kSub: return number(x - y);
    case Op::kMul: return number(x * y);
    case Op::kDiv: return number(x / y);
    case Op::kLt: return number(x < y ? 1.0 : 0.0);
    case Op::kLe: return number(x <= y ? 1.0 : 0.0);
    case Op::kGt: return number(x > y ? 1.0 : 0.0);
    case Op::kGe: return number(x >= y ? 1.0 : 0.0);
    default: return ExprValue{};
  }
}

ExprValue Expression::eval(const std::vector<ExprValue>& vars) const { return eval_node(root_, vars); }

bool Expression::test(const std::vector<ExprValue>& vars) const { return truthy(eval(vars)); }

}  // namespace mlsim::analysis
