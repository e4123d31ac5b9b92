#include "spec/calibration_raw.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <tuple>

#include "core/unit_parser.hpp"
#include "spec/calibrated.hpp"

namespace mlsim::spec {
namespace {

const char* const kRawFormat = "mlsim.calibration.raw/1";

// Strict accessors of the raw tree: a missing key or a wrong type is an error at the map / value.
const Node* need(const Node& map, const std::string& key, Diagnostics& d, const std::string& where) {
  if (!map.is_map()) {
    d.error(map.origin, where + ": expected an object");
    return nullptr;
  }
  const Node* v = map.find(key);
  if (v == nullptr) d.error(map.origin, where + ": missing key \"" + key + "\"");
  return v;
}

std::optional<double> need_number(const Node& map, const std::string& key, Diagnostics& d, const std::string& where) {
  const Node* v = need(map, key, d, where);
  if (v == nullptr) return std::nullopt;
  if (v->is_null() || (v->is_scalar() && v->scalar == "null")) {
    d.error(v->origin, where + "." + key + ": null (the probe did not measure it)");
    return std::nullopt;
  }
  const auto x = v->is_scalar() && !v->quoted ? parse_number(v->scalar) : std::nullopt;
  if (!x) d.error(v->origin, where + "." + key + ": expected a number, got \"" + v->scalar + "\"");
  return x;
}

std::string opt_string(const Node& map, const std::string& key) {
  const Node* v = map.is_map() ? map.find(key) : nullptr;
  return v != nullptr && v->is_scalar() && v->scalar != "null" ? v->scalar : "";
}

std::optional<RawStats> read_stats(const Node& row, Diagnostics& d, const std::string& where) {
  const auto med = need_number(row, "median_us", d, where);
  const auto n = need_number(row, "samples", d, where);
  const auto spread = need_number(row, "rel_spread", d, where);
  if (!med || !n || !spread) return std::nullopt;
  if (*med <= 0.0) {
    d.error(row.find("median_us")->origin, where + ".median_us: must be positive");
    return std::nullopt;
  }
  return RawStats{*med * 1e-6, static_cast<long long>(*n), *spread};
}

const Node* need_list(const Node& map, const std::string& key, Diagnostics& d, const std::string& where) {
  const Node* v = need(map, key, d, where);
  if (v == nullptr) return nullptr;
  if (v->is_seq()) return v;
  if (v->is_null() || (v->is_scalar() && v->scalar.empty())) return nullptr;
  d.error(v->origin, where + "." + key + ": expected a list");
  return nullptr;
}

std::vector<RawSized> read_sized_rows(const Node* list, Diagnostics& d, const std::string& where) {
  std::vector<RawSized> out;
  if (list == nullptr) return out;
  for (const auto& row : list->seq) {
    const auto b = need_number(row, "bytes", d, where + "[]");
    const auto s = read_stats(row, d, where + "[]");
    if (!b || !s) continue;
    RawSized r;
    r.bytes = *b;
    r.stats = *s;
    if (const Node* ws = row.find("working_set_bytes")) {
      if (const auto w = parse_number(ws->scalar)) r.working_set = *w;
    }
    out.push_back(r);
  }
  return out;
}

std::string op_from_name(const std::string& s) {
  // Longest names first: "all_reduce" contains "reduce".
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"all_reduce", "all_reduce"}, {"reduce_scatter", "reduce_scatter"}, {"all_gather", "all_gather"},
      {"alltoall", "all_to_all"},   {"all_to_all", "all_to_all"},         {"sendrecv", "send_recv"},
      {"send_recv", "send_recv"},   {"broadcast", "broadcast"},           {"reduce", "reduce"}};
  for (const auto& [key, op] : names) {
    if (s.find(key) != std::string::npos) return op;
  }
  return "";
}

std::vector<std::string> split_ws(const std::string& line, std::vector<std::size_t>* cols = nullptr) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])) != 0) ++i;
    if (i >= line.size()) break;
    const std::size_t j = i;
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])) == 0) ++i;
    out.push_back(line.substr(j, i - j));
    if (cols != nullptr) cols->push_back(j);
  }
  return out;
}

// The last component of a path ("/opt/nccl-tests/build/all_reduce_perf" -> "all_reduce_perf").
std::string fs_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void finish_group_size(RawCalibration& raw, std::optional<long long> from_log, std::optional<long long> override_n,
                       Diagnostics& d, const Origin& where) {
  std::optional<long long> n = from_log;
  std::string how = "the log's Rank / nGpus lines";
  if (!n) {
    // busbw / algbw = the bus factor of the op at n ranks (nccl-tests PERFORMANCE.md); the largest
    // size has the most printed digits.
    const RawCollective* best = nullptr;
    for (const auto& c : raw.collectives) {
      if (c.algbw > 0.0 && c.busbw > 0.0 && (best == nullptr || c.bytes > best->bytes)) best = &c;
    }
    if (best != nullptr) {
      n = ranks_from_bus_ratio(best->op, best->busbw / best->algbw);
      how = "the busbw / algbw ratio";
    }
  }
  if (!n && override_n) {
    n = override_n;
    how = "--nranks";
  }
  if (!n) {
    d.error(where, "cannot tell the group size: the log has no Rank or nGpus lines and busbw / algbw does not give one; pass --nranks N");
    return;
  }
  if (*n < 2) {
    d.error(where, "the log ran on " + std::to_string(*n) + " rank: a collective curve needs at least 2 ranks");
    return;
  }
  for (auto& c : raw.collectives) c.nranks = *n;
  raw.notes.push_back("group size " + std::to_string(*n) + " from " + how);
}

}  // namespace

std::optional<long long> ranks_from_bus_ratio(const std::string& op, double ratio) {
  double n = 0.0;
  if (op == "all_reduce") {
    if (ratio >= 2.0) return std::nullopt;
    n = 2.0 / (2.0 - ratio);   // ratio = 2(n-1)/n
  } else if (op == "all_gather" || op == "reduce_scatter" || op == "all_to_all") {
    if (ratio >= 1.0) return std::nullopt;
    n = 1.0 / (1.0 - ratio);   // ratio = (n-1)/n
  } else {
    return std::nullopt;       // factor 1: the ratio says nothing
  }
  const double r = std::round(n);
  if (r < 2.0) return std::nullopt;
  const auto f = bus_factor_of(op, static_cast<long long>(r));
  if (!f || std::abs(*f - ratio) > 0.02 * *f) return std::nullopt;
  return static_cast<long long>(r);
}

RawCalibration read_raw_probe(const Node& root, Diagnostics& d) {
  RawCalibration raw;
  raw.source = "probe";
  const Node* fmt = need(root, "format", d, "raw file");
  if (fmt == nullptr) return raw;
  if (fmt->scalar != kRawFormat) {
    d.error(fmt->origin, "raw file: format \"" + fmt->scalar + "\" is not supported (this mlsim reads \"" + kRawFormat + "\")");
    return raw;
  }
  if (const Node* c = need(root, "complete", d, "raw file")) raw.complete = c->scalar == "true";
  if (!raw.complete) raw.notes.push_back("the probe run was incomplete (\"complete\": false): fitting what it measured");
  if (const Node* prov = need(root, "provenance", d, "raw file")) {
    raw.tool = opt_string(*prov, "tool") + " " + opt_string(*prov, "version") + " (backend " + opt_string(*prov, "backend") +
               ", mode " + opt_string(*prov, "mode") + ")";
    raw.mode = opt_string(*prov, "mode");
    raw.date = opt_string(*prov, "timestamp");
    if (const Node* dev = need(*prov, "device", d, "provenance")) raw.device = opt_string(*dev, "name");
    if (const Node* sw = need(*prov, "software", d, "provenance")) raw.driver = opt_string(*sw, "driver");
  }
  if (const Node* g = need_list(root, "gemm", d, "raw file")) {
    for (const auto& row : g->seq) {
      const Node* p = need(row, "precision", d, "gemm[]");
      const auto m = need_number(row, "m", d, "gemm[]");
      const auto n = need_number(row, "n", d, "gemm[]");
      const auto k = need_number(row, "k", d, "gemm[]");
      const auto s = read_stats(row, d, "gemm[]");
      if (p == nullptr || !m || !n || !k || !s) continue;
      const std::string name = p->scalar == "fp8_e4m3" ? "fp8" : p->scalar;
      const auto prec = precision_from_name(name);
      if (!prec) {
        d.error(p->origin, "gemm[].precision: unknown precision \"" + p->scalar + "\"");
        continue;
      }
      raw.gemm.push_back({*prec, *m, *n, *k, *s});
    }
  }
  if (const Node* mem = need(root, "memory", d, "raw file"); mem != nullptr && mem->is_map()) {
    for (const char* pattern : {"copy", "read", "write", "triad"}) {
      auto rows = read_sized_rows(need_list(*mem, pattern, d, "memory"), d, std::string("memory.") + pattern);
      if (!rows.empty()) raw.memory[pattern] = std::move(rows);
    }
  }
  raw.l2 = read_sized_rows(need_list(root, "l2", d, "raw file"), d, "l2");
  if (const Node* hl = need(root, "host_link", d, "raw file"); hl != nullptr && hl->is_map()) {
    for (const char* dir : {"h2d_pinned", "d2h_pinned", "h2d_pageable", "d2h_pageable"}) {
      const Node* list = hl->find(dir);
      if (list == nullptr) continue;   // d2h_pageable exists only in full runs
      auto rows = read_sized_rows(list->is_seq() ? list : need_list(*hl, dir, d, "host_link"), d, std::string("host_link.") + dir);
      if (!rows.empty()) raw.host_link[dir] = std::move(rows);
    }
  }
  if (const Node* la = need(root, "launch", d, "raw file"); la != nullptr && la->is_map()) {
    const Node* detail = la->find("detail");
    auto stat = [&](const char* key) -> std::optional<RawStats> {
      const Node* v = detail != nullptr ? detail->find(key) : nullptr;
      if (v == nullptr || !v->is_map()) return std::nullopt;
      return read_stats(*v, d, std::string("launch.detail.") + key);
    };
    raw.device_gap = stat("device_gap");
    raw.graph_gap = stat("device_gap_graph");
    raw.host_enqueue = stat("host_enqueue");
  }
  if (const Node* info = need(root, "collectives_info", d, "raw file"); info != nullptr && info->is_map()) {
    if (opt_string(*info, "single_rank_floor_only") == "true") {
      raw.notes.push_back("one GPU: the collectives measured only the single-rank floor and are not fitted");
    }
  }
  if (const Node* coll = need_list(root, "collectives", d, "raw file")) {
    for (const auto& row : coll->seq) {
      const Node* op = need(row, "op", d, "collectives[]");
      const auto n = need_number(row, "nranks", d, "collectives[]");
      const auto b = need_number(row, "bytes", d, "collectives[]");
      const auto s = read_stats(row, d, "collectives[]");
      const auto alg = need_number(row, "algbw_gbs", d, "collectives[]");
      const auto bus = need_number(row, "busbw_gbs", d, "collectives[]");
      if (op == nullptr || !n || !b || !s || !alg || !bus) continue;
      if (!bus_factor_of(op->scalar, 2)) {
        d.error(op->origin, "collectives[].op: unknown operation \"" + op->scalar + "\"");
        continue;
      }
      if (*n < 2) continue;   // single-rank floor: no link is involved
      raw.collectives.push_back({op->scalar, static_cast<long long>(*n), 1, opt_string(row, "dtype"), *b, *s, *alg * 1e9, *bus * 1e9});
    }
  }
  return raw;
}

RawCalibration read_nccl_tests(const std::string& text, const std::string& file, Diagnostics& d,
                               std::optional<long long> nranks_override, const std::string& op_override) {
  RawCalibration raw;
  raw.source = "nccl-tests";
  raw.tool = "nccl-tests";
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  const Origin top{file, 1, 1};
  if (first == std::string::npos) {
    d.add_source(file, text);
    d.error(top, "empty file: expected an nccl-tests log or a raw probe JSON file");
    return raw;
  }
  std::string op = op_override;
  std::optional<long long> n_from_log;
  if (text[first] == '{' || text[first] == '[') {
    const Node root = load_yaml(text, file, d);
    if (d.has_errors()) return raw;
    // nccl-tests -J (src/util.cu): {args: [program, ...], config: {nthreads, ngpus, devices: [one
    // entry per process]}, results: [{size, type, out_of_place: {time, alg_bw, bus_bw, nwrong}}]}.
    const Node* results = root.is_map() ? root.find("results") : nullptr;
    if (results == nullptr || !results->is_seq()) {
      d.error(root.origin, "nccl-tests JSON: expected a \"results\" list (the file nccl-tests writes with -J)");
      return raw;
    }
    if (const Node* args = root.find("args"); op.empty() && args != nullptr && args->is_seq() && !args->seq.empty()) {
      op = op_from_name(fs_name(args->seq[0].scalar));
    }
    if (op.empty()) op = op_from_name(fs_name(file));
    if (op.empty()) {
      d.error(root.origin, "nccl-tests JSON: cannot tell the collective (no test program in \"args\", none in the file name); pass --op");
      return raw;
    }
    long long nodes = 1, iters = 0;
    if (const Node* config = root.find("config"); config != nullptr && config->is_map()) {
      iters = static_cast<long long>(parse_number(opt_string(*config, "iterations")).value_or(0.0));
      const auto threads = parse_number(opt_string(*config, "nthreads")).value_or(1.0);
      const auto gpus = parse_number(opt_string(*config, "ngpus")).value_or(1.0);
      if (const Node* devices = config->find("devices"); devices != nullptr && devices->is_seq() && !devices->seq.empty()) {
        // One entry per process, each driving nthreads x ngpus ranks.
        n_from_log = static_cast<long long>(static_cast<double>(devices->seq.size()) * std::max(1.0, threads) * std::max(1.0, gpus));
        std::set<std::string> hosts;
        for (const auto& dev : devices->seq) hosts.insert(opt_string(dev, "hostname"));
        nodes = static_cast<long long>(std::max<std::size_t>(1, hosts.size()));
        raw.device = opt_string(devices->seq.front(), "device_info");
      }
    }
    for (const auto& row : results->seq) {
      const auto size = need_number(row, "size", d, "results[]");
      const Node* oop = need(row, "out_of_place", d, "results[]");
      if (!size || oop == nullptr) continue;
      if (!oop->is_map()) continue;   // null: a trace replay without out-of-place results
      const auto t = need_number(*oop, "time", d, "results[].out_of_place");
      const auto alg = need_number(*oop, "alg_bw", d, "results[].out_of_place");
      const auto bus = need_number(*oop, "bus_bw", d, "results[].out_of_place");
      if (!t || !alg || !bus) continue;
      if (*t <= 0.0 || *size <= 0.0) {
        d.error(oop->find("time")->origin, "results[]: size and time must be positive");
        continue;
      }
      raw.collectives.push_back({op, 0, nodes, opt_string(row, "type"), *size, {*t * 1e-6, iters, 0.0}, *alg * 1e9, *bus * 1e9});
    }
    if (d.has_errors()) return raw;
    if (raw.collectives.empty()) {
      d.error(root.origin, "nccl-tests JSON: no out-of-place results");
      return raw;
    }
  } else {
    d.add_source(file, text);
    std::istringstream in(text);
    std::string line;
    int number = 0;
    long long threads = 0, gpus = 0, rank_lines = 0, iters = 0;
    std::set<std::string> hosts;
    std::size_t col_time = 5, col_alg = 6, col_bus = 7, col_type = 2;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto tok = split_ws(line);
      if (tok.empty()) continue;
      if (tok[0][0] == '#') {
        std::vector<std::string> t = tok;
        if (t[0] == "#") t.erase(t.begin()); else t[0] = t[0].substr(1);
        for (std::size_t i = 0; i + 1 < t.size(); ++i) {
          if (t[i] == "nThread") threads = std::atoll(t[i + 1].c_str());
          if (t[i] == "nGpus") gpus = std::atoll(t[i + 1].c_str());
          // "warmup iters: 5 iters: 20 agg iters: 1": the timed iterations behind each row's mean.
          if (t[i] == "iters:" && (i == 0 || (t[i - 1] != "warmup" && t[i - 1] != "agg"))) iters = std::atoll(t[i + 1].c_str());
        }
        if (!t.empty() && t[0] == "Rank") {
          ++rank_lines;
          for (std::size_t i = 0; i + 1 < t.size(); ++i) {
            if (t[i] == "on") hosts.insert(t[i + 1]);
          }
          if (raw.device.empty()) {
            const std::size_t close = line.find(']');
            if (close != std::string::npos) raw.device = line.substr(line.find_first_not_of(' ', close + 1));
          }
        }
        if (line.find("Collective test starting:") != std::string::npos && op.empty()) op = op_from_name(line);
        if (!t.empty() && t[0] == "size") {
          // The column header: the first time / algbw / busbw are the out-of-place ones.
          const auto find = [&](const char* name, std::size_t fallback) {
            const auto it = std::find(t.begin(), t.end(), name);
            return it == t.end() ? fallback : static_cast<std::size_t>(it - t.begin());
          };
          col_time = find("time", col_time);
          col_alg = find("algbw", col_alg);
          col_bus = find("busbw", col_bus);
          col_type = find("type", col_type);
        }
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(tok[0][0])) == 0) continue;   // NCCL INFO lines, hostnames...
      std::vector<std::size_t> cols;
      split_ws(line, &cols);
      const auto bad = [&](std::size_t i, const std::string& what) {
        d.error(Origin{file, number, static_cast<int>((i < cols.size() ? cols[i] : line.size()) + 1)},
                "nccl-tests row: " + what);
      };
      if (tok.size() <= col_bus) {
        bad(tok.size(), "expected at least " + std::to_string(col_bus + 1) + " columns (size count type redop root time algbw busbw ...), got " +
                            std::to_string(tok.size()));
        continue;
      }
      const auto size = parse_number(tok[0]);
      const auto t = parse_number(tok[col_time]);
      const auto alg = parse_number(tok[col_alg]);
      const auto bus = parse_number(tok[col_bus]);
      if (!size || *size <= 0) { bad(0, "expected the size in bytes, got \"" + tok[0] + "\""); continue; }
      if (!t || *t <= 0) { bad(col_time, "expected a positive time in us, got \"" + tok[col_time] + "\""); continue; }
      if (!alg || !bus) { bad(col_alg, "expected algbw and busbw in GB/s"); continue; }
      raw.collectives.push_back({op, 0, 1, tok[col_type], *size, {*t * 1e-6, 0, 0.0}, *alg * 1e9, *bus * 1e9});
    }
    if (op.empty()) op = op_from_name(fs_name(file));
    if (op.empty()) {
      d.error(top, "nccl-tests log: cannot tell the collective (no \"Collective test starting\" line, no op in the file name); pass --op");
      return raw;
    }
    for (auto& c : raw.collectives) c.op = op;
    if (raw.collectives.empty()) {
      d.error(top, "nccl-tests log: no result rows (lines starting with the size in bytes)");
      return raw;
    }
    if (rank_lines > 0) {
      n_from_log = rank_lines;
    } else if (gpus > 0) {
      n_from_log = std::max<long long>(1, threads) * gpus;   // one process: nThread x nGpus
    }
    const long long nodes = hosts.empty() ? 1 : static_cast<long long>(hosts.size());
    for (auto& c : raw.collectives) {
      c.nodes = nodes;
      c.stats.samples = iters;   // nccl-tests reports the mean of `iters` iterations and no spread
    }
  }
  finish_group_size(raw, n_from_log, nranks_override, d, top);
  return raw;
}

namespace {

// Appends `extra` to `rows`; a row whose key equals an earlier row's replaces it. Returns how many
// were replaced.
template <class Row, class Key>
std::size_t merge_rows(std::vector<Row>& rows, const std::vector<Row>& extra, Key key) {
  std::size_t replaced = 0;
  for (const Row& r : extra) {
    const auto same = std::find_if(rows.begin(), rows.end(), [&](const Row& old) { return key(old) == key(r); });
    if (same != rows.end()) {
      *same = r;
      ++replaced;
    } else {
      rows.push_back(r);
    }
  }
  return replaced;
}

}  // namespace

RawCalibration merge_raw(std::vector<RawCalibration> parts, const std::vector<std::string>& names, Diagnostics& d) {
  if (parts.empty()) return {};
  const auto name = [&](std::size_t i) { return i < names.size() ? names[i] : "file " + std::to_string(i + 1); };
  RawCalibration out = std::move(parts.front());
  std::size_t replaced = 0;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    RawCalibration& p = parts[i];
    const Origin where{name(i), 0, 0};
    if (p.source != out.source) {
      const auto kind = [](const std::string& source) { return source == "probe" ? "a probe file" : "an nccl-tests log"; };
      d.error(where, std::string(kind(p.source)) + " cannot be merged with " + name(0) + ", " + kind(out.source) +
                         ": import probe files together, nccl-tests logs together");
      return out;
    }
    if (p.source == "probe" && p.device != out.device) {
      d.error(where, "measured on \"" + p.device + "\", " + name(0) + " on \"" + out.device +
                         "\": one calibrated entry holds one device's measurements");
      return out;
    }
    if (p.driver != out.driver) {
      out.notes.push_back(name(i) + " ran under driver " + (p.driver.empty() ? "unknown" : p.driver) + ", " + name(0) +
                          " under " + (out.driver.empty() ? "unknown" : out.driver) + "; the entry names the first");
    }
    out.complete = out.complete && p.complete;
    if (!p.mode.empty() && p.mode != out.mode) {
      // The tool line names the mode ("mlsim-probe 0.1.0 (backend cuda, mode quick)"): name both.
      const std::string merged_mode = out.mode.empty() ? p.mode : out.mode + "+" + p.mode;
      if (const auto at = out.tool.rfind("mode " + out.mode); !out.mode.empty() && at != std::string::npos) {
        out.tool.replace(at, 5 + out.mode.size(), "mode " + merged_mode);
      }
      out.mode = merged_mode;
    }
    replaced += merge_rows(out.gemm, p.gemm, [](const RawGemm& g) {
      return std::tuple(static_cast<int>(g.precision), g.m, g.n, g.k);
    });
    const auto by_bytes = [](const RawSized& r) { return std::pair(r.bytes, r.working_set); };
    for (const auto& [pattern, rows] : p.memory) replaced += merge_rows(out.memory[pattern], rows, by_bytes);
    for (const auto& [direction, rows] : p.host_link) replaced += merge_rows(out.host_link[direction], rows, by_bytes);
    replaced += merge_rows(out.l2, p.l2, by_bytes);
    for (auto stat : {&RawCalibration::device_gap, &RawCalibration::graph_gap, &RawCalibration::host_enqueue}) {
      if (p.*stat) {
        if (out.*stat) ++replaced;
        out.*stat = p.*stat;
      }
    }
    replaced += merge_rows(out.collectives, p.collectives, [](const RawCollective& c) {
      return std::tuple(c.op, c.nranks, c.nodes, c.dtype, c.bytes);
    });
    for (auto& n : p.notes) out.notes.push_back(std::move(n));
  }
  std::string list;
  for (std::size_t i = 0; i < parts.size(); ++i) list += (i ? (i + 1 == parts.size() ? " and " : ", ") : "") + name(i);
  std::string note = "merged " + std::to_string(parts.size()) + " files (" + list + ")";
  if (replaced > 0) note += "; " + std::to_string(replaced) + " configurations measured again in a later file take its measurement";
  out.notes.push_back(note);
  return out;
}

}  // namespace mlsim::spec
