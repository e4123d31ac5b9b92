// The probe's measurement interface: what a backend must report about its device and one method per
// benchmark returning raw per-sample times in microseconds. CudaBackend (cuda_backend.cu, ...)
// measures a real GPU; FakeBackend (fake_backend.cpp) synthesizes times from a fixed roofline.
// Statistics, sweeps and JSON live in the shared harness (probe.cpp), never in a backend.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mlsim::probe {

enum class Precision { bf16, fp16, tf32, fp8_e4m3 };
enum class MemoryPattern { read, write, copy, triad };
enum class HostLinkKind { h2d_pinned, d2h_pinned, h2d_pageable, d2h_pageable };
enum class LaunchKind { host_enqueue, device_gap, device_gap_graph, cublaslt_min, memcpy_min, nccl_min };
enum class CollectiveOp { all_reduce, all_gather, reduce_scatter, broadcast, all_to_all };

std::string_view to_string(Precision p);
std::string_view to_string(MemoryPattern p);
std::string_view to_string(HostLinkKind k);
std::string_view to_string(LaunchKind k);
std::string_view to_string(CollectiveOp op);
std::optional<Precision> parse_precision(std::string_view text);

// Bytes per element of the GEMM operands A and B, and of the output D (fp8 writes bf16).
int input_element_bytes(Precision p);
int output_element_bytes(Precision p);

// A GEMM in row-major math terms: D[m x n] = A[m x k] * B[k x n] (as `x @ W^T` with m tokens).
struct GemmShape {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  Precision precision = Precision::bf16;
};
double gemm_flops(const GemmShape& s);          // 2 m n k
double gemm_min_bytes(const GemmShape& s);      // A + B read once, D written once

// The driver version in the first line of /proc/driver/nvidia/version ("" if none): the first token
// after "Kernel Module" made of digits and dots. The open modules print "Open Kernel Module for
// x86_64  580.159.04", where the token right after is "for" (seen on an H200, 2026-12-04).
std::string driver_version_from_proc_line(std::string_view line);

struct DeviceInfo {
  std::string name;
  int cc_major = 0;
  int cc_minor = 0;
  int sm_count = 0;
  std::uint64_t l2_bytes = 0;
  std::uint64_t mem_bytes = 0;
  std::optional<std::string> uuid_sha256;   // sha256 of the 16 UUID bytes, hex; null when unknown
  std::string pci_bus_id;                   // empty when unknown
  int index = 0;                            // the --device ordinal
};

struct SoftwareInfo {
  std::string driver;        // kernel driver version, e.g. "580.95.05", or the CUDA driver API version
  std::string cuda_runtime;  // e.g. "13.0"
  std::string cublaslt;      // e.g. "13.1.0"
  std::string nccl;          // e.g. "2.28.9", or "unavailable"
};

// A fact about the run conditions for provenance.conditions (clock, environment, fake parameters).
struct Condition {
  std::string key;
  std::variant<std::string, double, std::int64_t, bool> value;
};

// Who takes part in the collectives (one rank per GPU, one process).
struct CollectiveSetup {
  bool available = false;          // NCCL built in and initialised
  int nranks = 0;
  std::vector<int> devices;        // CUDA ordinals, rank r on devices[r]
  std::string note;                // e.g. why unavailable, or the single-GPU caveat
};

// A failed measurement. `fatal` means the device or context is unusable (sticky CUDA error): the
// harness stops measuring and writes what it has.
class ProbeError : public std::runtime_error {
 public:
  explicit ProbeError(const std::string& what, bool fatal = false) : std::runtime_error(what), fatal_(fatal) {}
  bool fatal() const { return fatal_; }
 private:
  bool fatal_;
};

// The configuration cannot run on this device or library (no cuBLASLt algorithm for a shape, a
// buffer larger than device memory): recorded as skipped, not as an error.
class ProbeUnsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Samples = std::vector<double>;   // one time per sample, microseconds

class Backend {
 public:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  virtual ~Backend() = default;

  virtual std::string_view kind() const = 0;                   // "cuda" or "fake"
  virtual DeviceInfo device() const = 0;
  virtual SoftwareInfo software() const = 0;
  virtual std::vector<Condition> conditions() const = 0;       // backend-specific facts
  virtual bool supports(Precision p) const = 0;
  virtual CollectiveSetup collectives() = 0;                   // initialises NCCL on first call
  // Seconds on the backend's clock: wall time for a real GPU, simulated time for the fake, so that
  // warm-up, per-configuration caps and --max-seconds behave the same (and reproducibly) on both.
  virtual double now_s() = 0;

  // Keep the GPU busy with a large bf16 GEMM for `seconds` (sustained clocks before measuring).
  virtual void soak(double seconds) = 0;

  // Each call returns `count` samples of one configuration, in microseconds; the backend keeps its
  // buffers between calls for the same configuration. Throws ProbeError / ProbeUnsupported.
  // GEMM: one cuBLASLt matmul per sample, L2 flushed before each (cold).
  virtual Samples gemm(const GemmShape& shape, int count) = 0;
  // HBM: one kernel over arrays of `array_bytes` each, L2 flushed before each sample (cold).
  virtual Samples memory(MemoryPattern pattern, std::uint64_t array_bytes, int count) = 0;
  // L2: one kernel reading `traffic_bytes` in total from a `working_set_bytes` working set (hot).
  virtual Samples l2_read(std::uint64_t working_set_bytes, std::uint64_t traffic_bytes, int count) = 0;
  // Host link: one cudaMemcpyAsync of `bytes` per sample.
  virtual Samples host_link(HostLinkKind kind, std::uint64_t bytes, int count) = 0;
  // Launch and call overheads: each sample is already per launch/call.
  virtual Samples launch(LaunchKind kind, int count) = 0;
  // Collectives over all ranks of collectives(): `bytes` as nccl-tests' S (already aligned);
  // each sample is one operation's time (slowest rank).
  virtual Samples collective(CollectiveOp op, std::uint64_t bytes, int count) = 0;

  // Free the buffers of a finished block.
  virtual void release() = 0;
};

}  // namespace mlsim::probe
