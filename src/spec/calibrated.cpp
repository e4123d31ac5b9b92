#include "spec/calibrated.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/unit_parser.hpp"

namespace mlsim::spec {

const GemmCurve* CalibratedAccelerator::gemm_at(Precision p) const {
  for (const auto& g : gemm) {
    if (g.precision == p) return &g;
  }
  return nullptr;
}

const SizeCurve* CalibratedAccelerator::memory_at(const std::string& pattern) const {
  for (const auto& c : memory) {
    if (c.name == pattern) return &c;
  }
  return nullptr;
}

const SizeCurve* CalibratedAccelerator::host_link_at(const std::string& direction) const {
  for (const auto& c : host_link) {
    if (c.name == direction) return &c;
  }
  return nullptr;
}

const std::vector<std::string>& collective_op_names() {
  static const std::vector<std::string> names = {"all_reduce", "all_gather", "reduce_scatter", "all_to_all",
                                                 "broadcast",  "reduce",     "send_recv"};
  return names;
}

// nccl-tests doc/PERFORMANCE.md: busbw = algbw x factor.
std::optional<double> bus_factor_of(const std::string& op, long long n) {
  const double r = static_cast<double>(n);
  if (n < 1) return std::nullopt;
  if (op == "all_reduce") return 2.0 * (r - 1.0) / r;
  if (op == "all_gather" || op == "reduce_scatter" || op == "all_to_all") return (r - 1.0) / r;
  if (op == "broadcast" || op == "reduce" || op == "send_recv") return 1.0;
  return std::nullopt;
}

namespace {

// A scalar of a flow list (`[8 KiB, 2.5 us]`) as a quantity of the expected dimension.
template <class Q>
std::optional<double> item_quantity(const Node& n, Diagnostics& d, const std::string& what, std::string_view example) {
  if (!n.is_scalar()) {
    d.error(n.origin, what + ": expected a quantity with a unit like " + std::string(example));
    return std::nullopt;
  }
  const UnitParse p = parse_checked_quantity(n.scalar, quantity_check<Q>(example));
  if (!p.value) {
    Origin at = n.origin;
    if (!n.quoted && at.line > 0) at.column += static_cast<int>(p.error->column);
    d.error(at, what + ": " + p.error->message);
    return std::nullopt;
  }
  return p.value->si;
}

void read_quality(MapReader& r, FitQuality& q) {
  q.samples = r.integer("samples", Need::kRequired, 0, 1LL << 50).value_or(0);
  q.spread = r.number("spread", Need::kRequired, 0.0, 10.0).value_or(0.0);
  q.rms_rel = r.number("rms_rel", Need::kOptional, 0.0, 1e6).value_or(0.0);
  q.max_rel = r.number("max_rel", Need::kOptional, 0.0, 1e6).value_or(0.0);
}

// points: [[bytes, time], ...], bytes strictly ascending.
std::vector<std::pair<double, double>> read_size_points(const Node* pts, Diagnostics& d, const std::string& what) {
  std::vector<std::pair<double, double>> out;
  if (pts == nullptr) return out;
  if (!pts->is_seq()) {
    d.error(pts->origin, what + ".points: expected a list of [bytes, time] pairs");
    return out;
  }
  for (const auto& p : pts->seq) {
    if (!p.is_seq() || p.seq.size() != 2) {
      d.error(p.origin, what + ".points[]: expected [bytes, time], e.g. [8 KiB, 2.5 us]");
      continue;
    }
    const auto b = item_quantity<Bytes>(p.seq[0], d, what + ".points[] bytes", "8 KiB");
    const auto t = item_quantity<Seconds>(p.seq[1], d, what + ".points[] time", "2.5 us");
    if (!b || !t) continue;
    if (!out.empty() && *b <= out.back().first) {
      d.error(p.origin, what + ".points: sizes must be strictly ascending");
      continue;
    }
    out.emplace_back(*b, *t);
  }
  return out;
}

SizeCurve read_size_curve(const Node& n, Diagnostics& d, const std::string& what, const std::string& name_key,
                          const std::vector<std::string>& names) {
  SizeCurve c;
  MapReader r(&n, d, what);
  if (!r.valid()) return c;
  c.name = r.choice(name_key, names, Need::kRequired).value_or("");
  c.latency_s = r.quantity<Seconds>("latency", "2.4 us", Need::kRequired, true).value_or(Seconds(0.0)).si();
  // 0: a curve without a size term (the fit found none).
  c.bandwidth = r.quantity<BytesPerSecond>("bandwidth", "3010 GB/s", Need::kRequired, true).value_or(BytesPerSecond(0.0)).si();
  read_quality(r, c.quality);
  c.points = read_size_points(r.get("points"), d, what);
  r.finish();
  return c;
}

void read_provenance(MapReader& r, CalibrationProvenance& p) {
  p.device = r.string("device", Need::kRequired).value_or("");
  p.driver = r.string("driver", Need::kRequired).value_or("");
  p.date = r.string("date", Need::kRequired).value_or("");
  p.tool = r.string("tool", Need::kRequired).value_or("");
  p.raw = r.string("raw").value_or("");
}

GemmCurve read_gemm_curve(const Node& n, Diagnostics& d) {
  GemmCurve g;
  MapReader r(&n, d, "calibrated.gemm[]");
  if (!r.valid()) return g;
  if (const auto p = r.choice("precision", precision_names(), Need::kRequired)) g.precision = *precision_from_name(*p);
  g.latency_s = r.quantity<Seconds>("latency", "4 us", Need::kRequired, true).value_or(Seconds(0.0)).si();
  g.rate = r.quantity<FlopsPerSecond>("rate", "791 TFLOPS", Need::kRequired).value_or(FlopsPerSecond(0.0)).si();
  g.bandwidth = r.quantity<BytesPerSecond>("bandwidth", "2800 GB/s", Need::kRequired).value_or(BytesPerSecond(0.0)).si();
  read_quality(r, g.quality);
  if (const Node* pts = r.get("points")) {
    if (!pts->is_seq()) {
      d.error(pts->origin, "calibrated.gemm[].points: expected a list of [m, n, k, time]");
    } else {
      for (const auto& p : pts->seq) {
        if (!p.is_seq() || p.seq.size() != 4) {
          d.error(p.origin, "calibrated.gemm[].points[]: expected [m, n, k, time], e.g. [1, 4096, 4096, 16 us]");
          continue;
        }
        GemmPoint q;
        bool ok = true;
        double* dims[3] = {&q.m, &q.n, &q.k};
        for (std::size_t i = 0; i < 3; ++i) {
          const auto v = read_number(p.seq[i], d, "calibrated.gemm[].points[] m/n/k");
          if (!v || *v < 1.0) {
            if (v) d.error(p.seq[i].origin, "calibrated.gemm[].points[]: m, n and k must be at least 1");
            ok = false;
          } else {
            *dims[i] = *v;
          }
        }
        const auto t = item_quantity<Seconds>(p.seq[3], d, "calibrated.gemm[].points[] time", "16 us");
        if (ok && t) {
          q.time_s = *t;
          g.points.push_back(q);
        }
      }
    }
  }
  r.finish();
  return g;
}

CollectiveCurve read_collective(const Node& n, Diagnostics& d) {
  CollectiveCurve c;
  MapReader r(&n, d, "calibrated.collectives[]");
  if (!r.valid()) return c;
  c.op = r.choice("op", collective_op_names(), Need::kRequired).value_or("");
  c.ranks = r.integer("ranks", Need::kRequired, 2, 1 << 24).value_or(2);
  c.nodes = r.integer("nodes", Need::kOptional, 1, 1 << 24).value_or(1);
  c.dtype = r.string("dtype").value_or("");
  c.source = r.choice("source", {"probe", "nccl-tests"}, Need::kRequired).value_or("");
  if (const Node* segs = r.get("segments", Need::kRequired)) {
    if (!segs->is_seq() || segs->seq.empty()) {
      d.error(segs->origin, "calibrated.collectives[].segments: expected a list of {latency, busbw} lines");
    } else {
      for (const auto& s : segs->seq) {
        MapReader m(&s, d, "calibrated.collectives[].segments[]");
        EnvelopeSegment e;
        e.latency_s = m.quantity<Seconds>("latency", "25 us", Need::kRequired, true).value_or(Seconds(0.0)).si();
        // 0: a flat line (the latency floor of the smallest sizes).
        e.busbw = m.quantity<BytesPerSecond>("busbw", "354 GB/s", Need::kRequired, true).value_or(BytesPerSecond(0.0)).si();
        m.finish();
        c.segments.push_back(e);
      }
    }
  }
  read_quality(r, c.quality);
  c.points = read_size_points(r.get("points"), d, "calibrated.collectives[]");
  r.finish();
  return c;
}

template <class F>
void read_list(MapReader& r, const std::string& key, Diagnostics& d, F&& each) {
  if (const Node* l = r.get(key)) {
    if (!l->is_seq()) {
      d.error(l->origin, r.what() + "." + key + ": expected a list");
      return;
    }
    for (const auto& item : l->seq) each(item);
  }
}

// ---- writing ----

std::string num(double v, int digits = 6) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, digits);
  return std::string(buf, res.ptr);
}

Node scalar(const std::string& s, bool quoted = false) {
  Node n = Node::make_scalar(s, Origin{});
  n.quoted = quoted;
  return n;
}
Node us(double seconds) { return scalar(num(seconds * 1e6) + " us"); }
Node bytes(double b) { return scalar(num(b, 12) + " B"); }
Node gbs(double bps) { return scalar(num(bps / 1e9) + " GB/s"); }
Node tflops(double f) { return scalar(num(f / 1e12) + " TFLOPS"); }

Node seq(std::vector<Node> items) {
  Node n;
  n.kind = Node::Kind::kSeq;
  n.seq = std::move(items);
  return n;
}

void put(Node& m, const std::string& key, Node v) { m.set(key, std::move(v), Origin{}); }

void put_quality(Node& m, const FitQuality& q) {
  put(m, "samples", scalar(std::to_string(q.samples)));
  put(m, "spread", scalar(num(q.spread)));
  put(m, "rms_rel", scalar(num(q.rms_rel)));
  put(m, "max_rel", scalar(num(q.max_rel)));
}

void put_provenance(Node& m, const CalibrationProvenance& p) {
  put(m, "device", scalar(p.device, true));
  put(m, "driver", scalar(p.driver, true));
  put(m, "date", scalar(p.date, true));
  put(m, "tool", scalar(p.tool, true));
  if (!p.raw.empty()) put(m, "raw", scalar(p.raw, true));
}

Node size_points(const std::vector<std::pair<double, double>>& pts) {
  std::vector<Node> items;
  for (const auto& [b, t] : pts) items.push_back(seq({bytes(b), us(t)}));
  return seq(std::move(items));
}

Node size_curve(const SizeCurve& c, const std::string& name_key) {
  Node m;
  put(m, name_key, scalar(c.name));
  put(m, "latency", us(c.latency_s));
  put(m, "bandwidth", gbs(c.bandwidth));
  put_quality(m, c.quality);
  put(m, "points", size_points(c.points));
  return m;
}

}  // namespace

CalibratedAccelerator read_calibrated_accelerator(const Node& n, Diagnostics& d) {
  CalibratedAccelerator c;
  MapReader r(&n, d, "accelerator.calibrated");
  if (!r.valid()) return c;
  read_provenance(r, c.provenance);
  read_list(r, "gemm", d, [&](const Node& item) { c.gemm.push_back(read_gemm_curve(item, d)); });
  read_list(r, "memory", d, [&](const Node& item) {
    c.memory.push_back(read_size_curve(item, d, "calibrated.memory[]", "pattern", {"copy", "read", "write", "triad"}));
  });
  read_list(r, "host_link", d, [&](const Node& item) {
    c.host_link.push_back(read_size_curve(item, d, "calibrated.host_link[]", "direction",
                                          {"h2d_pinned", "d2h_pinned", "h2d_pageable", "d2h_pageable"}));
  });
  if (const Node* l2 = r.get("l2")) {
    MapReader m(l2, d, "accelerator.calibrated.l2");
    if (auto v = m.quantity<BytesPerSecond>("bandwidth", "8800 GB/s", Need::kRequired)) c.l2_bandwidth = v->si();
    if (auto v = m.quantity<Bytes>("capacity", "40 MiB")) c.l2_capacity = v->si();
    read_quality(m, c.l2_quality);
    m.finish();
  }
  if (const Node* la = r.get("launch")) {
    MapReader m(la, d, "accelerator.calibrated.launch");
    if (auto v = m.quantity<Seconds>("device_gap", "2.2 us", Need::kOptional, true)) c.device_gap_s = v->si();
    if (auto v = m.quantity<Seconds>("graph_gap", "1.3 us", Need::kOptional, true)) c.graph_gap_s = v->si();
    if (auto v = m.quantity<Seconds>("host_enqueue", "2 us", Need::kOptional, true)) c.host_enqueue_s = v->si();
    read_quality(m, c.launch_quality);
    m.finish();
  }
  r.finish();
  return c;
}

CalibratedNode read_calibrated_node(const Node& n, Diagnostics& d) {
  CalibratedNode c;
  MapReader r(&n, d, "node.calibrated");
  if (!r.valid()) return c;
  read_provenance(r, c.provenance);
  read_list(r, "collectives", d, [&](const Node& item) { c.collectives.push_back(read_collective(item, d)); });
  r.finish();
  return c;
}

Node calibrated_to_node(const CalibratedAccelerator& c) {
  Node m;
  put_provenance(m, c.provenance);
  if (!c.gemm.empty()) {
    std::vector<Node> items;
    for (const auto& g : c.gemm) {
      Node e;
      put(e, "precision", scalar(std::string(precision_name(g.precision))));
      put(e, "latency", us(g.latency_s));
      put(e, "rate", tflops(g.rate));
      put(e, "bandwidth", gbs(g.bandwidth));
      put_quality(e, g.quality);
      std::vector<Node> pts;
      for (const auto& p : g.points) pts.push_back(seq({scalar(num(p.m, 12)), scalar(num(p.n, 12)), scalar(num(p.k, 12)), us(p.time_s)}));
      put(e, "points", seq(std::move(pts)));
      items.push_back(std::move(e));
    }
    put(m, "gemm", seq(std::move(items)));
  }
  if (!c.memory.empty()) {
    std::vector<Node> items;
    for (const auto& s : c.memory) items.push_back(size_curve(s, "pattern"));
    put(m, "memory", seq(std::move(items)));
  }
  if (!c.host_link.empty()) {
    std::vector<Node> items;
    for (const auto& s : c.host_link) items.push_back(size_curve(s, "direction"));
    put(m, "host_link", seq(std::move(items)));
  }
  if (c.l2_bandwidth) {
    Node l2;
    put(l2, "bandwidth", gbs(*c.l2_bandwidth));
    if (c.l2_capacity) put(l2, "capacity", bytes(*c.l2_capacity));
    put_quality(l2, c.l2_quality);
    put(m, "l2", std::move(l2));
  }
  if (c.device_gap_s || c.graph_gap_s || c.host_enqueue_s) {
    Node la;
    if (c.device_gap_s) put(la, "device_gap", us(*c.device_gap_s));
    if (c.graph_gap_s) put(la, "graph_gap", us(*c.graph_gap_s));
    if (c.host_enqueue_s) put(la, "host_enqueue", us(*c.host_enqueue_s));
    put_quality(la, c.launch_quality);
    put(m, "launch", std::move(la));
  }
  return m;
}

Node calibrated_to_node(const CalibratedNode& c) {
  Node m;
  put_provenance(m, c.provenance);
  std::vector<Node> items;
  for (const auto& k : c.collectives) {
    Node e;
    put(e, "op", scalar(k.op));
    put(e, "ranks", scalar(std::to_string(k.ranks)));
    put(e, "nodes", scalar(std::to_string(k.nodes)));
    if (!k.dtype.empty()) put(e, "dtype", scalar(k.dtype));
    put(e, "source", scalar(k.source));
    std::vector<Node> segs;
    for (const auto& s : k.segments) {
      Node sn;
      put(sn, "latency", us(s.latency_s));
      put(sn, "busbw", gbs(s.busbw));
      segs.push_back(std::move(sn));
    }
    put(e, "segments", seq(std::move(segs)));
    put_quality(e, k.quality);
    put(e, "points", size_points(k.points));
    items.push_back(std::move(e));
  }
  put(m, "collectives", seq(std::move(items)));
  return m;
}

}  // namespace mlsim::spec
