#include "report/sweep_rows.hpp"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "analysis/metrics.hpp"

namespace mlsim::report {
namespace {

bool needs_quotes(std::string_view s) { return s.find_first_of(",\"\n\r") != std::string_view::npos; }

void append_csv_text(std::string& out, std::string_view s) {
  if (!needs_quotes(s)) {
    out += s;
    return;
  }
  out += '"';
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(ch)));
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

}  // namespace

void append_number(std::string& out, double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::string sweep_header(const SweepColumns& c) {
  if (c.jsonl) return "";
  std::string h = "point";
  for (const auto& a : c.axes) {
    h += ',';
    append_csv_text(h, a);
  }
  h += ",feasible,binding_wall";
  for (const auto& m : c.metric_paths) h += "," + m;
  h += ",infeasible_reason\n";
  return h;
}

void append_sweep_row(std::string& out, const SweepColumns& c, std::uint64_t point, const std::vector<AxisCell>& axes,
                      const analysis::Estimate& e) {
  const auto& table = analysis::metric_table();
  if (!c.jsonl) {
    append_number(out, static_cast<double>(point));
    for (const auto& a : axes) {
      out += ',';
      if (a.numeric) {
        append_number(out, a.value);
      } else {
        append_csv_text(out, *a.text);
      }
    }
    out += e.feasible ? ",true," : ",false,";
    if (e.feasible) out += e.binding_wall;
    for (std::size_t m : c.metrics) {
      out += ',';
      if (!e.feasible) continue;
      const auto v = table[m].get(e);
      if (!v || !std::isfinite(*v)) continue;
      if (table[m].boolean) {
        out += *v != 0.0 ? "true" : "false";
      } else {
        append_number(out, *v);
      }
    }
    out += ',';
    if (!e.feasible) append_csv_text(out, e.infeasible_reason);
    out += '\n';
    return;
  }
  out += "{\"point\":";
  append_number(out, static_cast<double>(point));
  for (std::size_t i = 0; i < axes.size(); ++i) {
    out += ',';
    append_json_string(out, c.axes[i]);
    out += ':';
    if (axes[i].numeric) {
      append_number(out, axes[i].value);
    } else {
      append_json_string(out, *axes[i].text);
    }
  }
  out += e.feasible ? ",\"feasible\":true,\"binding_wall\":" : ",\"feasible\":false,\"binding_wall\":";
  if (e.feasible) {
    append_json_string(out, e.binding_wall);
  } else {
    out += "null";
  }
  for (std::size_t k = 0; k < c.metrics.size(); ++k) {
    out += ',';
    append_json_string(out, c.metric_paths[k]);
    out += ':';
    const auto v = e.feasible ? table[c.metrics[k]].get(e) : std::nullopt;
    if (!v || !std::isfinite(*v)) {
      out += "null";
    } else if (table[c.metrics[k]].boolean) {
      out += *v != 0.0 ? "true" : "false";
    } else {
      append_number(out, *v);
    }
  }
  out += ",\"infeasible_reason\":";
  if (e.feasible) {
    out += "null";
  } else {
    append_json_string(out, e.infeasible_reason);
  }
  out += "}\n";
}

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> cells;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        cur += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      cells.push_back(cur);
      cur.clear();
    } else if (ch != '\n' && ch != '\r') {
      cur += ch;
    }
  }
  cells.push_back(cur);
  return cells;
}

std::optional<std::uint64_t> row_point(std::string_view row, bool jsonl) {
  std::string_view s = row;
  if (jsonl) {
    constexpr std::string_view kPrefix = "{\"point\":";
    if (s.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
    s.remove_prefix(kPrefix.size());
  }
  std::uint64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr == s.data()) return std::nullopt;
  return v;
}

std::optional<double> row_number(std::string_view row, const std::vector<std::string>& header, const std::string& column,
                                 bool jsonl) {
  if (jsonl) {
    const auto j = nlohmann::json::parse(row, nullptr, false);
    if (j.is_discarded() || !j.contains(column)) return std::nullopt;
    const auto& v = j[column];
    if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
    if (v.is_number()) return v.get<double>();
    return std::nullopt;
  }
  const auto cells = split_csv_line(row);
  for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i) {
    if (header[i] != column) continue;
    if (cells[i] == "true") return 1.0;
    if (cells[i] == "false") return 0.0;
    double v = 0.0;
    const auto r = std::from_chars(cells[i].data(), cells[i].data() + cells[i].size(), v);
    if (r.ec != std::errc{} || r.ptr != cells[i].data() + cells[i].size() || cells[i].empty()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

}  // namespace mlsim::report
