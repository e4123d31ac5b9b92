#include "report/accuracy_report.hpp"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "core/diagnostics.hpp"
#include "core/text.hpp"
#include "report/report.hpp"

namespace mlsim::report {
namespace {

using json = nlohmann::ordered_json;
using analysis::AccuracyPoint;
using analysis::AccuracyReport;
using analysis::ErrorStats;
using analysis::PointStatus;

json opt(const std::optional<double>& v, const char* key) {
  if (!v) return nullptr;
  if (!std::isfinite(*v)) throw InternalError(std::string("non-finite value for ") + key + " in the accuracy report");
  return *v;
}

json stats_json(const ErrorStats& s) {
  return {{"name", s.name},
          {"points", s.points},
          {"scored", s.scored},
          {"unsupported", s.unsupported},
          {"infeasible", s.infeasible},
          {"not_expressible", s.not_expressible},
          {"errors", s.errors},
          {"median_abs_error", opt(s.median_abs_error, "median_abs_error")},
          {"mean_abs_error", opt(s.mean_abs_error, "mean_abs_error")},
          {"mean_signed_error", opt(s.mean_signed_error, "mean_signed_error")},
          {"within_10pct", opt(s.within_10pct, "within_10pct")},
          {"within_25pct", opt(s.within_25pct, "within_25pct")}};
}

std::string pct(const std::optional<double>& v, bool sign = false) {
  if (!v) return "-";
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(1);
  if (sign && *v >= 0) o << "+";
  o << *v * 100.0 << "%";
  return o.str();
}

std::string num(const std::optional<double>& v) { return v ? format_double(*v, 4) : "-"; }

std::string pad(const std::string& s, std::size_t w) {
  // Width in characters, not bytes (× and ≤ are two or three bytes).
  std::size_t chars = 0;
  for (const char c : s) chars += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
  return chars >= w ? s + " " : s + std::string(w - chars, ' ');
}

bool listed(const AccuracyPoint& p, PointDetail d) {
  return d == PointDetail::kAll || (d == PointDetail::kPublished && p.group.empty());
}

std::string headline(const AccuracyReport& r) {
  const auto& o = r.overall;
  std::ostringstream out;
  out << o.points << " measurements: " << o.scored << " scored, " << o.unsupported << " not yet supported, " << o.infeasible
      << " infeasible, " << o.not_expressible << " not expressible";
  if (o.errors > 0) out << ", " << o.errors << " errors";
  return out.str();
}

// The points not listed one by one, counted by (category, status, reason).
std::vector<std::tuple<std::string, std::string, std::string, long long>> unlisted_reasons(const AccuracyReport& r, PointDetail d) {
  std::vector<std::tuple<std::string, std::string, std::string, long long>> out;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index;
  for (const auto& p : r.points) {
    if (listed(p, d) || p.status == PointStatus::kScored) continue;
    const auto key = std::make_tuple(p.category, std::string(analysis::status_name(p.status)), p.reason);
    if (const auto it = index.find(key); it != index.end()) {
      ++std::get<3>(out[it->second]);
    } else {
      index[key] = out.size();
      out.emplace_back(std::get<0>(key), std::get<1>(key), std::get<2>(key), 1);
    }
  }
  return out;
}

}  // namespace

std::string accuracy_to_json(const AccuracyReport& r, int indent) {
  json j;
  j["schema_version"] = 1;
  j["mlsim_version"] = kVersion;
  j["inputs"] = r.inputs;
  j["overall"] = stats_json(r.overall);
  j["categories"] = json::array();
  for (const auto& c : r.categories) j["categories"].push_back(stats_json(c));
  j["groups"] = json::array();
  for (const auto& g : r.groups) j["groups"].push_back(stats_json(g));
  j["points"] = json::array();
  for (const auto& p : r.points) {
    json q;
    q["id"] = p.id;
    q["category"] = p.category;
    if (!p.group.empty()) q["group"] = p.group;
    q["source"] = p.where.str();
    q["metric"] = p.metric;
    q["unit"] = p.unit;
    q["compared_with"] = p.compared.empty() ? json(nullptr) : json(p.compared);
    q["expected"] = opt(p.expected, "expected");
    q["predicted"] = opt(p.predicted, "predicted");
    q["signed_error"] = opt(p.signed_error, "signed_error");
    q["abs_error"] = p.signed_error ? json(std::fabs(*p.signed_error)) : json(nullptr);
    q["status"] = analysis::status_name(p.status);
    q["reason"] = p.reason.empty() ? json(nullptr) : json(p.reason);
    q["notes"] = p.notes;
    j["points"].push_back(std::move(q));
  }
  return j.dump(indent) + "\n";
}

std::string accuracy_to_table(const AccuracyReport& r, PointDetail detail) {
  std::ostringstream out;
  out << "mlsim accuracy: " << headline(r) << "\n";
  for (const auto& in : r.inputs) out << "  " << in << "\n";
  out << "\n";
  const auto stats_header = [&](const char* first) {
    out << pad(first, 26) << pad("points", 8) << pad("scored", 8) << pad("median|err|", 13) << pad("mean|err|", 11)
        << pad("bias", 9) << pad("≤10%", 8) << "≤25%\n";
  };
  const auto stats_row = [&](const ErrorStats& s) {
    out << pad(s.name, 26) << pad(std::to_string(s.points), 8) << pad(std::to_string(s.scored), 8) << pad(pct(s.median_abs_error), 13)
        << pad(pct(s.mean_abs_error), 11) << pad(pct(s.mean_signed_error, true), 9) << pad(pct(s.within_10pct), 8)
        << pct(s.within_25pct) << "\n";
  };
  stats_header("category");
  for (const auto& c : r.categories) stats_row(c);
  stats_row(r.overall);
  if (!r.groups.empty()) {
    out << "\n";
    stats_header("group");
    for (const auto& g : r.groups) stats_row(g);
  }
  if (detail == PointDetail::kNone) return out.str();

  bool any = false;
  for (const auto& p : r.points) {
    if (!listed(p, detail) || p.status != PointStatus::kScored) continue;
    if (!any) {
      out << "\nscored points (error = (predicted - expected) / expected)\n";
      out << pad("id", 44) << pad("metric", 36) << pad("expected", 11) << pad("predicted", 11) << pad("error", 9) << "unit\n";
      any = true;
    }
    out << pad(p.id, 44) << pad(p.metric, 36) << pad(num(p.expected), 11) << pad(num(p.predicted), 11) << pad(pct(p.signed_error, true), 9)
        << p.unit << "\n";
    out << "    compared with " << p.compared << "\n";
    for (const auto& n : p.notes) out << "    assumed: " << n << "\n";
  }
  any = false;
  for (const auto& p : r.points) {
    if (!listed(p, detail) || p.status == PointStatus::kScored) continue;
    if (!any) {
      out << "\nnot scored\n";
      any = true;
    }
    out << pad(p.id, 44) << pad(std::string(analysis::status_name(p.status)), 16) << p.reason << "\n";
  }
  const auto rest = unlisted_reasons(r, detail);
  if (!rest.empty()) {
    out << "\nnot scored (data-set rows, by reason)\n";
    for (const auto& [cat, status, reason, n] : rest) out << pad(cat, 16) << pad(std::to_string(n) + " " + status, 20) << reason << "\n";
  }
  return out.str();
}

std::string accuracy_to_markdown(const AccuracyReport& r, PointDetail detail) {
  std::ostringstream out;
  const auto cell = [](std::string s) {
    std::string o;
    for (const char c : s) o += c == '|' ? std::string("\\|") : std::string(1, c);
    return o;
  };
  out << "# mlsim accuracy\n\n" << headline(r) << ", from:\n\n";
  for (const auto& in : r.inputs) out << "- `" << in << "`\n";
  out << "\nErrors are (predicted - expected) / expected; bias is the mean signed error.\n\n";
  const auto stats_table = [&](const char* first, const std::vector<ErrorStats>& rows, const ErrorStats* total) {
    out << "| " << first << " | points | scored | median abs error | mean abs error | bias | within 10% | within 25% |\n";
    out << "|---|---:|---:|---:|---:|---:|---:|---:|\n";
    const auto row = [&](const ErrorStats& s) {
      out << "| " << cell(s.name) << " | " << s.points << " | " << s.scored << " | " << pct(s.median_abs_error) << " | "
          << pct(s.mean_abs_error) << " | " << pct(s.mean_signed_error, true) << " | " << pct(s.within_10pct) << " | "
          << pct(s.within_25pct) << " |\n";
    };
    for (const auto& s : rows) row(s);
    if (total != nullptr) row(*total);
    out << "\n";
  };
  stats_table("category", r.categories, &r.overall);
  if (!r.groups.empty()) stats_table("group", r.groups, nullptr);
  if (detail == PointDetail::kNone) return out.str();

  bool any = false;
  for (const auto& p : r.points) {
    if (!listed(p, detail) || p.status != PointStatus::kScored) continue;
    if (!any) {
      out << "## Scored points\n\n| id | metric | expected | predicted | error | unit | compared with | assumptions |\n"
          << "|---|---|---:|---:|---:|---|---|---|\n";
      any = true;
    }
    std::string notes;
    for (const auto& n : p.notes) notes += (notes.empty() ? "" : "; ") + n;
    out << "| " << cell(p.id) << " | " << cell(p.metric) << " | " << num(p.expected) << " | " << num(p.predicted) << " | "
        << pct(p.signed_error, true) << " | " << cell(p.unit) << " | " << cell(p.compared) << " | " << cell(notes) << " |\n";
  }
  if (any) out << "\n";
  any = false;
  for (const auto& p : r.points) {
    if (!listed(p, detail) || p.status == PointStatus::kScored) continue;
    if (!any) {
      out << "## Not scored\n\n| id | status | reason |\n|---|---|---|\n";
      any = true;
    }
    out << "| " << cell(p.id) << " | " << analysis::status_name(p.status) << " | " << cell(p.reason) << " |\n";
  }
  if (any) out << "\n";
  const auto rest = unlisted_reasons(r, detail);
  if (!rest.empty()) {
    out << "## Data-set rows not scored\n\n| category | rows | status | reason |\n|---|---:|---|---|\n";
    for (const auto& [cat, status, reason, n] : rest) out << "| " << cat << " | " << n << " | " << status << " | " << cell(reason) << " |\n";
    out << "\n";
  }
  return out.str();
}

}  // namespace mlsim::report
