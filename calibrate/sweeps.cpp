// Sweep definitions (CALIBRATION.md 5.4), shapes files, and nccl-tests size/bandwidth conventions.
#include "sweeps.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace mlsim::probe {
namespace {

constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = 1024 * KiB;
constexpr std::uint64_t GiB = 1024 * MiB;

// from, from*2, ... <= to; `per_octave` points per factor of two (1 or 2), rounded to 16 bytes.
std::vector<std::uint64_t> geometric(std::uint64_t from, std::uint64_t to, int per_octave) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t s = from; s <= to; s *= 2) {
    out.push_back(s);
    if (per_octave == 2 && s * 2 <= to) {
      const auto mid = static_cast<std::uint64_t>(std::llround(static_cast<double>(s) * std::sqrt(2.0)));
      out.push_back((mid + 15) / 16 * 16);
    }
  }
  return out;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string_view to_string(Mode m) {
  switch (m) {
    case Mode::quick: return "quick";
    case Mode::full: return "full";
    case Mode::shapes: return "shapes";
  }
  return "?";
}

std::optional<Blocks> parse_blocks(const std::string& list, std::string& error) {
  Blocks b{false, false, false, false, false, false};
  std::stringstream ss(list);
  std::string item;
  bool any = false;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (item == "gemm") b.gemm = true;
    else if (item == "memory") b.memory = true;
    else if (item == "l2") b.l2 = true;
    else if (item == "host_link") b.host_link = true;
    else if (item == "launch") b.launch = true;
    else if (item == "collectives") b.collectives = true;
    else {
      error = "unknown block '" + item + "' in --only (expected gemm, memory, l2, host_link, launch, collectives)";
      return std::nullopt;
    }
    any = true;
  }
  if (!any) {
    error = "--only needs at least one block";
    return std::nullopt;
  }
  return b;
}

int memory_streams(MemoryPattern p) {
  switch (p) {
    case MemoryPattern::read:
    case MemoryPattern::write: return 1;
    case MemoryPattern::copy: return 2;
    case MemoryPattern::triad: return 3;
  }
  return 1;
}

std::uint64_t l2_traffic_bytes(std::uint64_t working_set_bytes) {
  const std::uint64_t ws = std::max<std::uint64_t>(working_set_bytes / kL2ChunkBytes, 1) * kL2ChunkBytes;
  const std::uint64_t passes = std::max<std::uint64_t>((GiB + ws - 1) / ws, 16);
  return ws * passes;
}

Plan make_plan(Mode mode, const Blocks& blocks_in, std::uint64_t l2_bytes, std::uint64_t mem_bytes,
               const std::vector<GemmShape>& shapes) {
  Plan plan;
  plan.mode = mode;
  Blocks blocks = blocks_in;
  if (mode == Mode::shapes) blocks = Blocks{blocks_in.gemm, false, false, false, false, false};
  const bool full = mode == Mode::full;
  plan.soak_s = full ? 20 : 10;
  plan.config_cap_s = full ? 3 : 1;
  const double budget = 0.8 * static_cast<double>(mem_bytes);

  if (blocks.gemm) {
    std::vector<GemmShape> all;
    if (mode == Mode::shapes) {
      all = shapes;
    } else {
      const std::int64_t squares[] = {512, 1024, 2048, 4096, 8192, 16384};
      const std::int64_t ms[] = {1, 8, 32, 128, 512, 2048, 8192};
      const std::pair<std::int64_t, std::int64_t> nk[] = {{4096, 4096},  {14336, 4096}, {4096, 14336},
                                                          {8192, 8192},  {28672, 8192}, {8192, 28672}};
      auto quick_set = [&](Precision p, bool with_tokens) {
        for (auto s : squares) all.push_back({s, s, s, p});
        if (!with_tokens) return;
        for (auto m : ms)
          for (auto [n, k] : nk) all.push_back({m, n, k, p});
      };
      if (!full) {
        quick_set(Precision::bf16, true);
        quick_set(Precision::fp16, true);
        quick_set(Precision::fp8_e4m3, true);
        quick_set(Precision::tf32, false);
      } else {
        // bf16 and fp8: M = 2^0..2^15 x N, K in {512 .. 32768}; fp16 and tf32 keep the quick set.
        for (Precision p : {Precision::bf16, Precision::fp8_e4m3}) {
          for (std::int64_t m = 1; m <= 32768; m *= 2)
            for (std::int64_t n = 512; n <= 32768; n *= 2)
              for (std::int64_t k = 512; k <= 32768; k *= 2) all.push_back({m, n, k, p});
          // Off-grid shapes (log-uniform, fixed list) to validate interpolation and wave effects.
          const std::int64_t off[][3] = {{3, 5120, 3072},      {24, 6144, 1536},    {96, 2560, 10240},
                                         {200, 12288, 3584},   {384, 7168, 2304},   {640, 3328, 13312},
                                         {1000, 9216, 4608},   {1536, 5376, 7680},  {2500, 1792, 20480},
                                         {3072, 11520, 2816},  {5000, 4864, 6144},  {6144, 2304, 18432},
                                         {7000, 13824, 5120},  {12000, 3584, 9728}, {20000, 6400, 3072},
                                         {27000, 2816, 11264}};
          for (const auto& o : off) all.push_back({o[0], o[1], o[2], p});
        }
        quick_set(Precision::fp16, true);
        quick_set(Precision::tf32, true);
      }
    }
    const double workspace = 32.0 * static_cast<double>(MiB);
    for (const auto& s : all) {
      if (gemm_min_bytes(s) + workspace > budget) {
        plan.notes.push_back("gemm " + std::string(to_string(s.precision)) + " " + std::to_string(s.m) + "x" +
                             std::to_string(s.n) + "x" + std::to_string(s.k) + " skipped: exceeds device memory");
        continue;
      }
      plan.gemm.push_back(s);
    }
  }

  if (blocks.memory) {
    plan.memory_patterns = {MemoryPattern::read, MemoryPattern::write, MemoryPattern::copy, MemoryPattern::triad};
    for (auto b : geometric(4 * KiB, full ? 4 * GiB : 2 * GiB, full ? 2 : 1)) {
      // the largest pattern (triad) holds three arrays; keep them under half the memory
      if (3.0 * static_cast<double>(b) <= 0.5 * static_cast<double>(mem_bytes)) plan.memory_array_bytes.push_back(b);
    }
  }

  if (blocks.l2 && l2_bytes > 0) {
    const int points = full ? 48 : 16;
    const double lo = 256.0 * static_cast<double>(KiB);
    const double hi = 2.0 * static_cast<double>(l2_bytes);
    for (int i = 0; i < points; ++i) {
      const double w = lo * std::pow(hi / lo, static_cast<double>(i) / (points - 1));
      auto ws = static_cast<std::uint64_t>(std::llround(w / static_cast<double>(kL2ChunkBytes))) * kL2ChunkBytes;
      ws = std::max(ws, kL2ChunkBytes);
      if (plan.l2_working_sets.empty() || plan.l2_working_sets.back() != ws) plan.l2_working_sets.push_back(ws);
    }
  }

  if (blocks.host_link) {
    plan.host_kinds = {HostLinkKind::h2d_pinned, HostLinkKind::d2h_pinned, HostLinkKind::h2d_pageable};
    if (full) plan.host_kinds.push_back(HostLinkKind::d2h_pageable);
    plan.host_bytes = geometric(4 * KiB, GiB, 1);
    plan.host_bytes_pageable = geometric(4 * KiB, 256 * MiB, 1);
  }

  plan.launch = blocks.launch;

  if (blocks.collectives) {
    plan.collective_ops = {CollectiveOp::all_reduce, CollectiveOp::all_gather, CollectiveOp::reduce_scatter,
                           CollectiveOp::broadcast, CollectiveOp::all_to_all};
    const std::uint64_t top = full ? 8 * GiB : GiB;
    std::vector<std::uint64_t> sizes;
    for (std::uint64_t s = 8; s <= top; s *= (full ? 2 : 4)) sizes.push_back(s);
    if (sizes.back() != top) sizes.push_back(top);
    for (std::uint64_t s : sizes) {
      // send + receive buffers of S each per GPU; keep them under half the memory
      if (2.0 * static_cast<double>(s) <= 0.5 * static_cast<double>(mem_bytes)) plan.collective_bytes.push_back(s);
    }
  }
  return plan;
}

std::optional<std::vector<GemmShape>> parse_shapes(const std::string& text, const std::string& file_name,
                                                   std::string& error) {
  std::vector<GemmShape> out;
  std::stringstream in(text);
  std::string line;
  int line_no = 0;
  auto fail = [&](const std::string& msg) {
    error = file_name + ":" + std::to_string(line_no) + ": " + msg;
    return std::nullopt;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    line = trim(line);
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream ls(line);
    std::string f;
    while (std::getline(ls, f, ',')) fields.push_back(trim(f));
    if (fields.size() != 4) return fail("expected m,n,k,precision, got '" + line + "'");
    std::int64_t dims[3] = {0, 0, 0};
    for (int i = 0; i < 3; ++i) {
      const std::string& t = fields[static_cast<std::size_t>(i)];
      const auto res = std::from_chars(t.data(), t.data() + t.size(), dims[i]);
      if (res.ec != std::errc() || res.ptr != t.data() + t.size() || dims[i] <= 0) {
        return fail("'" + t + "' is not a positive integer");
      }
    }
    const auto p = parse_precision(fields[3]);
    if (!p) return fail("unknown precision '" + fields[3] + "' (expected bf16, fp16, tf32, fp8_e4m3)");
    out.push_back({dims[0], dims[1], dims[2], *p});
  }
  if (out.empty()) {
    error = file_name + ": no shapes";
    return std::nullopt;
  }
  return out;
}

double busbw_factor(CollectiveOp op, int nranks) {
  if (nranks <= 0) return 0.0;
  const double n = nranks;
  switch (op) {
    case CollectiveOp::all_reduce: return 2.0 * (n - 1.0) / n;
    case CollectiveOp::all_gather:
    case CollectiveOp::reduce_scatter:
    case CollectiveOp::all_to_all: return (n - 1.0) / n;
    case CollectiveOp::broadcast: return 1.0;
  }
  return 0.0;
}

double algbw_gbs(std::uint64_t bytes, double time_us) {
  if (time_us <= 0) return 0.0;
  return static_cast<double>(bytes) / (time_us * 1e-6) / 1e9;
}

std::uint64_t collective_bytes_aligned(CollectiveOp op, int nranks, int element_bytes, std::uint64_t bytes) {
  if (nranks <= 0 || element_bytes <= 0) return 0;
  const auto elt = static_cast<std::uint64_t>(element_bytes);
  const auto n = static_cast<std::uint64_t>(nranks);
  const std::uint64_t count = bytes / elt;
  switch (op) {
    case CollectiveOp::all_reduce:
    case CollectiveOp::broadcast: return count * elt;
    case CollectiveOp::all_gather:
    case CollectiveOp::reduce_scatter:
    case CollectiveOp::all_to_all: return count / n * n * elt;
  }
  return 0;
}

}  // namespace mlsim::probe
