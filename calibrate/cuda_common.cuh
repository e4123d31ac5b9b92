// Shared pieces of the CUDA backend: error checks that throw ProbeError, grow-only device buffers,
// the blocking kernel that holds a stream while samples are queued, the L2 flush, seeded random
// fills, and the event-timed sampling loop used by every benchmark.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "backend.hpp"

namespace mlsim::probe::cuda {

[[noreturn]] void throw_cuda(cudaError_t e, const char* expr, const char* file, int line);
bool is_sticky(cudaError_t e);   // the context is unusable after this error

#define PROBE_CUDA(expr)                                                             \
  do {                                                                               \
    const cudaError_t probe_e_ = (expr);                                             \
    if (probe_e_ != cudaSuccess) ::mlsim::probe::cuda::throw_cuda(probe_e_, #expr, __FILE__, __LINE__); \
  } while (0)

// A device allocation on a fixed device that only grows; an allocation failure is ProbeUnsupported
// (the configuration does not fit), any other failure ProbeError.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer();
  // Returns true when the buffer was (re)allocated, i.e. its contents are undefined.
  bool ensure(std::size_t bytes, int device);
  void reset();
  void* get() const { return ptr_; }
  std::size_t size() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
  int device_ = 0;
};

// Holds a stream with a spinning kernel until release(), so that everything queued behind it runs
// back to back without host enqueue gaps (nvbench's blocking kernel). The kernel gives up after a
// timeout, which release() reports as an error.
class Blocker {
 public:
  Blocker();
  Blocker(const Blocker&) = delete;
  Blocker& operator=(const Blocker&) = delete;
  ~Blocker();
  void hold(cudaStream_t stream);
  void release(cudaStream_t stream);   // lets the kernel finish, synchronises, checks the timeout

 private:
  volatile int* host_flags_ = nullptr;   // [0] release, [1] timed out
  int* device_flags_ = nullptr;
};

// Evicts L2 by reading a scratch buffer of max(3 x L2, 32 MiB) (reads leave no dirty lines whose
// write-back would be charged to the next kernel).
class L2Flusher {
 public:
  void init(std::size_t l2_bytes, int sm_count, int device);
  void flush(cudaStream_t stream);
  void reset() { buffer_.reset(); sink_.reset(); }

 private:
  DeviceBuffer buffer_;
  DeviceBuffer sink_;
  int sm_count_ = 1;
};

class EventPool {
 public:
  EventPool() = default;
  EventPool(const EventPool&) = delete;
  EventPool& operator=(const EventPool&) = delete;
  ~EventPool();
  cudaEvent_t operator[](std::size_t i);   // created on first use, on the current device

 private:
  std::vector<cudaEvent_t> events_;
};

// Everything a timed benchmark needs on its device.
struct TimingContext {
  cudaStream_t stream = nullptr;
  Blocker* blocker = nullptr;
  L2Flusher* flusher = nullptr;
  EventPool* events = nullptr;
};

// `count` samples: behind the blocker, [pre() (untimed), event, body(), event] per sample, in holds
// of at most `per_hold` samples; each sample is the event time in microseconds divided by `divisor`.
Samples timed_samples(TimingContext& ctx, int count, const std::function<void()>& pre,
                      const std::function<void()>& body, double divisor = 1.0, int per_hold = 16);

// Seeded uniform values in [-1, 1] of the given element type, generated on the device.
enum class FillType { f32, f16, bf16, fp8_e4m3 };
void fill_uniform(void* ptr, std::size_t count, FillType type, std::uint64_t seed, cudaStream_t stream);

// Blocks per grid for a grid-stride kernel: min(needed, SMs x resident blocks).
int grid_for(std::size_t items, int threads, int sm_count, int blocks_per_sm);

}  // namespace mlsim::probe::cuda
