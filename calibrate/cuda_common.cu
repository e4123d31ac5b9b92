// Shared pieces of the CUDA backend (see cuda_common.cuh).
#include "cuda_common.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <algorithm>
#include <atomic>
#include <sstream>

namespace mlsim::probe::cuda {
namespace {

constexpr unsigned long long kBlockerTimeoutNs = 10ull * 1000 * 1000 * 1000;   // 10 s

__device__ __forceinline__ unsigned long long global_timer_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__global__ void blocker_kernel(volatile int* flags, unsigned long long timeout_ns) {
  const unsigned long long start = global_timer_ns();
  while (flags[0] == 0) {
    if (global_timer_ns() - start > timeout_ns) {
      flags[1] = 1;
      return;
    }
    __nanosleep(500);
  }
}

__global__ void flush_read_kernel(const uint4* __restrict__ p, std::size_t n, unsigned* sink) {
  unsigned acc = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const uint4 v = __ldcg(p + i);
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0x9e3779b9u) sink[0] = acc;   // practically never: keeps the loads alive
}

__device__ __forceinline__ float hash_uniform(std::uint64_t seed, std::size_t i) {
  std::uint64_t x = seed ^ (static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ull);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return static_cast<float>(x >> 40) * (2.0f / 16777216.0f) - 1.0f;   // [-1, 1)
}

__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(__half* p, float v) { *p = __float2half(v); }
__device__ __forceinline__ void store(__nv_bfloat16* p, float v) { *p = __float2bfloat16(v); }
__device__ __forceinline__ void store(__nv_fp8_e4m3* p, float v) { *p = __nv_fp8_e4m3(v); }

template <typename T>
__global__ void fill_kernel(T* p, std::size_t n, std::uint64_t seed) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    store(p + i, hash_uniform(seed, i));
  }
}

template <typename T>
void launch_fill(void* ptr, std::size_t count, std::uint64_t seed, cudaStream_t stream) {
  if (count == 0) return;
  const int threads = 256;
  const auto blocks = static_cast<unsigned>(std::min<std::size_t>((count + threads - 1) / threads, 65536));
  fill_kernel<T><<<blocks, threads, 0, stream>>>(static_cast<T*>(ptr), count, seed);
  PROBE_CUDA(cudaGetLastError());
}

}  // namespace

void throw_cuda(cudaError_t e, const char* expr, const char* file, int line) {
  std::ostringstream o;
  o << expr << ": " << cudaGetErrorString(e) << " (" << static_cast<int>(e) << ") at " << file << ":" << line;
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();   // not sticky: clear it
    throw ProbeUnsupported(o.str());
  }
  throw ProbeError(o.str(), is_sticky(e));
}

bool is_sticky(cudaError_t e) {
  switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorECCUncorrectable:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
    case cudaErrorDevicesUnavailable:
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
      return true;
    default:
      return false;
  }
}

DeviceBuffer::~DeviceBuffer() { reset(); }

void DeviceBuffer::reset() {
  if (ptr_) {
    int current = 0;
    cudaGetDevice(&current);
    cudaSetDevice(device_);
    cudaFree(ptr_);
    cudaSetDevice(current);
  }
  ptr_ = nullptr;
  bytes_ = 0;
}

bool DeviceBuffer::ensure(std::size_t bytes, int device) {
  if (ptr_ && bytes <= bytes_ && device == device_) return false;
  reset();
  device_ = device;
  int current = 0;
  PROBE_CUDA(cudaGetDevice(&current));
  PROBE_CUDA(cudaSetDevice(device));
  const cudaError_t e = cudaMalloc(&ptr_, std::max<std::size_t>(bytes, 16));
  cudaSetDevice(current);
  if (e != cudaSuccess) {
    ptr_ = nullptr;
    throw_cuda(e, "cudaMalloc", __FILE__, __LINE__);
  }
  bytes_ = bytes;
  return true;
}

Blocker::Blocker() {
  void* host = nullptr;
  PROBE_CUDA(cudaHostAlloc(&host, 2 * sizeof(int), cudaHostAllocMapped));
  host_flags_ = static_cast<volatile int*>(host);
  host_flags_[0] = 0;
  host_flags_[1] = 0;
  void* dev = nullptr;
  PROBE_CUDA(cudaHostGetDevicePointer(&dev, host, 0));
  device_flags_ = static_cast<int*>(dev);
}

Blocker::~Blocker() {
  if (host_flags_) cudaFreeHost(const_cast<int*>(host_flags_));
}

void Blocker::hold(cudaStream_t stream) {
  host_flags_[0] = 0;
  host_flags_[1] = 0;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  blocker_kernel<<<1, 1, 0, stream>>>(device_flags_, kBlockerTimeoutNs);
  PROBE_CUDA(cudaGetLastError());
}

void Blocker::release(cudaStream_t stream) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  host_flags_[0] = 1;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  PROBE_CUDA(cudaStreamSynchronize(stream));
  if (host_flags_[1] != 0) {
    throw ProbeError("the blocking kernel timed out before the samples were queued (launch queue full?)");
  }
}

void L2Flusher::init(std::size_t l2_bytes, int sm_count, int device) {
  sm_count_ = std::max(sm_count, 1);
  const std::size_t bytes = std::max<std::size_t>(3 * l2_bytes, std::size_t{32} << 20);
  if (buffer_.ensure(bytes, device)) fill_uniform(buffer_.get(), bytes / 4, FillType::f32, 0xf1u, nullptr);
  sink_.ensure(16, device);
  PROBE_CUDA(cudaDeviceSynchronize());
}

void L2Flusher::flush(cudaStream_t stream) {
  const std::size_t n = buffer_.size() / sizeof(uint4);
  const int threads = 512;
  const int blocks = grid_for(n, threads, sm_count_, 4);
  flush_read_kernel<<<blocks, threads, 0, stream>>>(static_cast<const uint4*>(buffer_.get()), n,
                                                    static_cast<unsigned*>(sink_.get()));
  PROBE_CUDA(cudaGetLastError());
}

EventPool::~EventPool() {
  for (auto e : events_) cudaEventDestroy(e);
}

cudaEvent_t EventPool::operator[](std::size_t i) {
  while (events_.size() <= i) {
    cudaEvent_t e = nullptr;
    PROBE_CUDA(cudaEventCreate(&e));
    events_.push_back(e);
  }
  return events_[i];
}

Samples timed_samples(TimingContext& ctx, int count, const std::function<void()>& pre,
                      const std::function<void()>& body, double divisor, int per_hold) {
  Samples out;
  out.reserve(static_cast<std::size_t>(std::max(count, 0)));
  // One untimed run outside the blocker first. CUDA loads kernels lazily (CUDA_MODULE_LOADING=LAZY,
  // the default since CUDA 12.2), and loading one can wait for the device to go idle, which never
  // happens while the blocking kernel spins: the first cuBLASLt GEMM of each new kernel then ran
  // into the blocker's timeout (seen on an H200, 2026-12-04; CUDA Programming Guide, "Lazy
  // Loading", possible issues: concurrent execution).
  if (count > 0) {
    if (pre) pre();
    body();
    PROBE_CUDA(cudaStreamSynchronize(ctx.stream));
  }
  while (static_cast<int>(out.size()) < count) {
    const int n = std::min(per_hold, count - static_cast<int>(out.size()));
    ctx.blocker->hold(ctx.stream);
    try {
      for (int i = 0; i < n; ++i) {
        if (pre) pre();
        PROBE_CUDA(cudaEventRecord((*ctx.events)[2 * static_cast<std::size_t>(i)], ctx.stream));
        body();
        PROBE_CUDA(cudaEventRecord((*ctx.events)[2 * static_cast<std::size_t>(i) + 1], ctx.stream));
      }
    } catch (...) {
      try {
        ctx.blocker->release(ctx.stream);
      } catch (...) {
      }
      throw;
    }
    ctx.blocker->release(ctx.stream);
    for (int i = 0; i < n; ++i) {
      float ms = 0;
      PROBE_CUDA(cudaEventElapsedTime(&ms, (*ctx.events)[2 * static_cast<std::size_t>(i)],
                                      (*ctx.events)[2 * static_cast<std::size_t>(i) + 1]));
      out.push_back(static_cast<double>(ms) * 1e3 / divisor);
    }
  }
  return out;
}

void fill_uniform(void* ptr, std::size_t count, FillType type, std::uint64_t seed, cudaStream_t stream) {
  switch (type) {
    case FillType::f32: launch_fill<float>(ptr, count, seed, stream); break;
    case FillType::f16: launch_fill<__half>(ptr, count, seed, stream); break;
    case FillType::bf16: launch_fill<__nv_bfloat16>(ptr, count, seed, stream); break;
    case FillType::fp8_e4m3: launch_fill<__nv_fp8_e4m3>(ptr, count, seed, stream); break;
  }
}

int grid_for(std::size_t items, int threads, int sm_count, int blocks_per_sm) {
  const std::size_t needed = (items + static_cast<std::size_t>(threads) - 1) / static_cast<std::size_t>(threads);
  const std::size_t cap = static_cast<std::size_t>(std::max(sm_count, 1)) * static_cast<std::size_t>(std::max(blocks_per_sm, 1));
  return static_cast<int>(std::max<std::size_t>(std::min(needed, cap), 1));
}

}  // namespace mlsim::probe::cuda
