// What the probe measures: the quick and full sweeps (CALIBRATION.md 5.4), the `--shapes FILE`
// parser, and the nccl-tests conventions for collective sizes and bandwidths (CALIBRATION.md 1.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend.hpp"

namespace mlsim::probe {

enum class Mode { quick, full, shapes };
std::string_view to_string(Mode m);

// Which blocks run (--only); shapes mode runs only gemm.
struct Blocks {
  bool gemm = true;
  bool memory = true;
  bool l2 = true;
  bool host_link = true;
  bool launch = true;
  bool collectives = true;
};
// Parses "gemm,memory,l2,host_link,launch,collectives"; nullopt and `error` set on an unknown name.
std::optional<Blocks> parse_blocks(const std::string& list, std::string& error);

struct Plan {
  Mode mode = Mode::quick;
  double soak_s = 10;
  double config_cap_s = 1;          // per configuration (warm-up + samples)
  std::vector<GemmShape> gemm;
  std::vector<MemoryPattern> memory_patterns;
  std::vector<std::uint64_t> memory_array_bytes;   // per array; traffic = array x streams
  std::vector<std::uint64_t> l2_working_sets;
  std::vector<HostLinkKind> host_kinds;
  std::vector<std::uint64_t> host_bytes;
  std::vector<std::uint64_t> host_bytes_pageable;
  bool launch = true;
  std::vector<CollectiveOp> collective_ops;
  std::vector<std::uint64_t> collective_bytes;     // requested S before alignment
  std::vector<std::string> notes;                  // shapes dropped for memory and the like
};

// The sweep for `mode` on a device with `l2_bytes` of L2 and `mem_bytes` of memory. `shapes` is used
// in shapes mode (GEMMs only); precisions the device lacks are dropped by the caller.
Plan make_plan(Mode mode, const Blocks& blocks, std::uint64_t l2_bytes, std::uint64_t mem_bytes,
               const std::vector<GemmShape>& shapes);

// `--shapes FILE`: one GEMM per line, "m,n,k,precision" (precision: bf16, fp16, tf32, fp8_e4m3),
// blank lines and '#' comments ignored. On error returns nullopt with "FILE:LINE: message".
std::optional<std::vector<GemmShape>> parse_shapes(const std::string& text, const std::string& file_name,
                                                   std::string& error);

// Streams per element for the HBM patterns: read 1, write 1, copy 2 (1R+1W), triad 3 (2R+1W).
int memory_streams(MemoryPattern p);

// L2 benchmark geometry: working set rounded to whole chunks, traffic a multiple of it (>= 1 GiB).
inline constexpr std::uint64_t kL2ChunkBytes = 32 * 1024;
std::uint64_t l2_traffic_bytes(std::uint64_t working_set_bytes);

// nccl-tests: busbw = algbw x factor; all_reduce 2(n-1)/n, all_gather / reduce_scatter / all_to_all
// (n-1)/n, broadcast 1 (nccl-tests doc/PERFORMANCE.md).
double busbw_factor(CollectiveOp op, int nranks);
// algbw in GB/s (1e9 bytes) for S bytes in t microseconds.
double algbw_gbs(std::uint64_t bytes, double time_us);
// S aligned as nccl-tests does: element count, per-rank chunk divisible for all_gather,
// reduce_scatter and all_to_all (per-peer chunk). 0 when the size is too small for n ranks.
std::uint64_t collective_bytes_aligned(CollectiveOp op, int nranks, int element_bytes, std::uint64_t bytes);

}  // namespace mlsim::probe
