// Names of the probe's enums as they appear in the raw JSON, and GEMM bookkeeping.
#include "backend.hpp"

#include <algorithm>

namespace mlsim::probe {

std::string_view to_string(Precision p) {
  switch (p) {
    case Precision::bf16: return "bf16";
    case Precision::fp16: return "fp16";
    case Precision::tf32: return "tf32";
    case Precision::fp8_e4m3: return "fp8_e4m3";
  }
  return "?";
}

std::string_view to_string(MemoryPattern p) {
  switch (p) {
    case MemoryPattern::read: return "read";
    case MemoryPattern::write: return "write";
    case MemoryPattern::copy: return "copy";
    case MemoryPattern::triad: return "triad";
  }
  return "?";
}

std::string_view to_string(HostLinkKind k) {
  switch (k) {
    case HostLinkKind::h2d_pinned: return "h2d_pinned";
    case HostLinkKind::d2h_pinned: return "d2h_pinned";
    case HostLinkKind::h2d_pageable: return "h2d_pageable";
    case HostLinkKind::d2h_pageable: return "d2h_pageable";
  }
  return "?";
}

std::string_view to_string(LaunchKind k) {
  switch (k) {
    case LaunchKind::host_enqueue: return "host_enqueue";
    case LaunchKind::device_gap: return "device_gap";
    case LaunchKind::device_gap_graph: return "device_gap_graph";
    case LaunchKind::cublaslt_min: return "cublaslt_min";
    case LaunchKind::memcpy_min: return "memcpy_min";
    case LaunchKind::nccl_min: return "nccl_min";
  }
  return "?";
}

std::string_view to_string(CollectiveOp op) {
  switch (op) {
    case CollectiveOp::all_reduce: return "all_reduce";
    case CollectiveOp::all_gather: return "all_gather";
    case CollectiveOp::reduce_scatter: return "reduce_scatter";
    case CollectiveOp::broadcast: return "broadcast";
    case CollectiveOp::all_to_all: return "all_to_all";
  }
  return "?";
}

std::optional<Precision> parse_precision(std::string_view text) {
  if (text == "bf16") return Precision::bf16;
  if (text == "fp16") return Precision::fp16;
  if (text == "tf32") return Precision::tf32;
  if (text == "fp8_e4m3" || text == "fp8") return Precision::fp8_e4m3;
  return std::nullopt;
}

int input_element_bytes(Precision p) {
  switch (p) {
    case Precision::bf16:
    case Precision::fp16: return 2;
    case Precision::tf32: return 4;
    case Precision::fp8_e4m3: return 1;
  }
  return 0;
}

int output_element_bytes(Precision p) {
  switch (p) {
    case Precision::bf16:
    case Precision::fp16:
    case Precision::fp8_e4m3: return 2;   // fp8 GEMMs write bf16 (cuBLASLt D type)
    case Precision::tf32: return 4;
  }
  return 0;
}

double gemm_flops(const GemmShape& s) {
  return 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
}

double gemm_min_bytes(const GemmShape& s) {
  const double in = input_element_bytes(s.precision);
  const double out = output_element_bytes(s.precision);
  const auto m = static_cast<double>(s.m);
  const auto n = static_cast<double>(s.n);
  const auto k = static_cast<double>(s.k);
  return in * (m * k + k * n) + out * m * n;
}

std::string driver_version_from_proc_line(std::string_view line) {
  const auto pos = line.find("Kernel Module");
  if (pos == std::string_view::npos) return {};
  std::string_view rest = line.substr(pos + 13);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = std::min(rest.find_first_of(" \t"), rest.size());
    const std::string_view token = rest.substr(0, end);
    const bool version = token.front() >= '0' && token.front() <= '9' &&
                         token.find_first_not_of("0123456789.") == std::string_view::npos;
    if (version) return std::string(token);
    rest.remove_prefix(end);
  }
  return {};
}

}  // namespace mlsim::probe
