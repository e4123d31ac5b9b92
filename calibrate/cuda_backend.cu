// CudaBackend: the Backend on a real GPU. Device facts, HBM streaming kernels (read, write, copy,
// triad; 16-byte accesses, grid-stride, cold), the L2 read kernel, host<->device copies, launch
// overheads; GEMM and NCCL are delegated to GemmBench and NcclBench (CALIBRATION.md 5.2).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "cuda_backend.hpp"
#include "cuda_common.cuh"
#include "cuda_gemm.cuh"
#include "cuda_nccl.cuh"
#include "sha256.hpp"
#include "sweeps.hpp"

namespace mlsim::probe {
namespace cuda {
namespace {

constexpr int kStreamThreads = 512;
constexpr int kLaunchBatch = 256;   // empty kernels per launch-overhead sample

__global__ void empty_kernel() {}

__global__ void read_kernel(const uint4* __restrict__ a, std::size_t n, unsigned* sink) {
  unsigned acc = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const uint4 v = a[i];
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0x9e3779b9u) sink[0] = acc;   // practically never: keeps the loads alive
}

__global__ void write_kernel(uint4* __restrict__ a, std::size_t n, unsigned seed) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const auto x = static_cast<unsigned>(i) * 2654435761u ^ seed;
    a[i] = make_uint4(x, x ^ 0x55555555u, x ^ 0xaaaaaaaau, ~x);
  }
}

__global__ void copy_kernel(const uint4* __restrict__ a, uint4* __restrict__ b, std::size_t n) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    b[i] = a[i];
  }
}

__global__ void triad_kernel(float4* __restrict__ a, const float4* __restrict__ b, const float4* __restrict__ c,
                             float s, std::size_t n) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const float4 x = b[i];
    const float4 y = c[i];
    a[i] = make_float4(x.x + s * y.x, x.y + s * y.y, x.z + s * y.z, x.w + s * y.w);
  }
}

// Chunk c of the traffic reads working-set chunk c % nchunks; blocks stride over chunks.
constexpr int kL2Threads = 256;
constexpr std::size_t kChunkVec = kL2ChunkBytes / sizeof(uint4);   // 2048 uint4 = 8 per thread
__global__ void l2_read_kernel(const uint4* __restrict__ ws, std::size_t nchunks, std::size_t total_chunks,
                               unsigned* sink) {
  unsigned acc = 0;
  for (std::size_t c = blockIdx.x; c < total_chunks; c += gridDim.x) {
    const uint4* chunk = ws + (c % nchunks) * kChunkVec;
#pragma unroll
    for (std::size_t j = 0; j < kChunkVec / kL2Threads; ++j) {
      // __ldcg: cached in L2 only. Plain loads hit each SM's L1 while a block re-reads its chunks, so
      // working sets under ~1.5 MB measured L1 (29 TB/s on an H200, 2026-12-04) instead of L2.
      const uint4 v = __ldcg(&chunk[threadIdx.x + j * kL2Threads]);
      acc ^= v.x ^ v.y ^ v.z ^ v.w;
    }
  }
  if (acc == 0x9e3779b9u) sink[0] = acc;
}

std::string version_string(int v) {   // 13000 -> "13.0"
  std::ostringstream o;
  o << v / 1000 << "." << (v % 1000) / 10;
  return o.str();
}

std::string kernel_driver_version() {
  std::ifstream in("/proc/driver/nvidia/version");
  std::string line;
  if (in && std::getline(in, line)) return driver_version_from_proc_line(line);
  return {};
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device), start_(std::chrono::steady_clock::now()) {
    PROBE_CUDA(cudaSetDevice(device_));
    PROBE_CUDA(cudaGetDeviceProperties(&prop_, device_));
    PROBE_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    blocker_ = std::make_unique<Blocker>();
    flusher_.init(static_cast<std::size_t>(prop_.l2CacheSize), prop_.multiProcessorCount, device_);
    sink_.ensure(16, device_);
    ctx_ = TimingContext{stream_, blocker_.get(), &flusher_, &events_};
    int per_sm = 0;
    PROBE_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, copy_kernel, kStreamThreads, 0));
    stream_blocks_per_sm_ = std::max(per_sm, 1);
    PROBE_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, l2_read_kernel, kL2Threads, 0));
    l2_blocks_per_sm_ = std::max(per_sm, 1);
    nccl_ = std::make_unique<NcclBench>(device_);
  }

  ~CudaBackend() override {
    cudaSetDevice(device_);
    cudaDeviceSynchronize();
    gemm_.reset();
    nccl_.reset();
    if (graph_exec_) cudaGraphExecDestroy(graph_exec_);
    if (pinned_) cudaFreeHost(pinned_);
    if (stream_) cudaStreamDestroy(stream_);
  }

  std::string_view kind() const override { return "cuda"; }

  DeviceInfo device() const override {
    DeviceInfo d;
    d.name = prop_.name;
    d.cc_major = prop_.major;
    d.cc_minor = prop_.minor;
    d.sm_count = prop_.multiProcessorCount;
    d.l2_bytes = static_cast<std::uint64_t>(prop_.l2CacheSize);
    d.mem_bytes = static_cast<std::uint64_t>(prop_.totalGlobalMem);
    d.uuid_sha256 = sha256_hex(std::string_view(prop_.uuid.bytes, sizeof prop_.uuid.bytes));
    char bus[32] = {};
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, device_) == cudaSuccess) d.pci_bus_id = bus;
    d.index = device_;
    return d;
  }

  SoftwareInfo software() const override {
    SoftwareInfo s;
    int driver = 0;
    int runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    s.driver = kernel_driver_version();
    if (s.driver.empty()) s.driver = "cuda-driver-api " + version_string(driver);
    s.cuda_runtime = version_string(runtime);
    s.cublaslt = GemmBench::version();
    s.nccl = NcclBench::version();
    return s;
  }

  std::vector<Condition> conditions() const override {
    std::vector<Condition> c;
    int v = 0;
    if (cudaDeviceGetAttribute(&v, cudaDevAttrClockRate, device_) == cudaSuccess) {
      c.push_back({"sm_clock_mhz_max", static_cast<double>(v) / 1000.0});
    }
    if (cudaDeviceGetAttribute(&v, cudaDevAttrEccEnabled, device_) == cudaSuccess) c.push_back({"ecc", v != 0});
    int driver = 0;
    cudaDriverGetVersion(&driver);
    c.push_back({"cuda_driver_api", version_string(driver)});
    int count = 0;
    if (cudaGetDeviceCount(&count) == cudaSuccess) c.push_back({"cuda_device_count", static_cast<std::int64_t>(count)});
    c.push_back({"stream_kernel", "512 threads, grid = SMs x resident blocks, 16-byte accesses"});
    return c;
  }

  bool supports(Precision p) const override {
    const int cc = prop_.major * 10 + prop_.minor;
    if (p == Precision::fp8_e4m3) return cc >= 89;
    return cc >= 80;
  }

  CollectiveSetup collectives() override { return nccl_->setup(); }

  double now_s() override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  void soak(double seconds) override {
    select();
    gemm().soak(seconds, ctx_);
  }

  Samples gemm(const GemmShape& shape, int count) override {
    select();
    return gemm().run(shape, count, ctx_, true);
  }

  Samples memory(MemoryPattern pattern, std::uint64_t array_bytes, int count) override {
    select();
    const std::size_t bytes = static_cast<std::size_t>(array_bytes) / sizeof(uint4) * sizeof(uint4);
    const std::size_t n = bytes / sizeof(uint4);
    if (n == 0) throw ProbeUnsupported("array smaller than 16 bytes");
    const int arrays = memory_streams(pattern);
    DeviceBuffer* bufs[3] = {&mem_a_, &mem_b_, &mem_c_};
    for (int i = 0; i < arrays; ++i) {
      if (bufs[i]->ensure(bytes, device_)) {
        fill_uniform(bufs[i]->get(), bufs[i]->size() / 4, FillType::f32, 0x3e3 + static_cast<std::uint64_t>(i), stream_);
      }
    }
    PROBE_CUDA(cudaStreamSynchronize(stream_));
    const int blocks = grid_for(n, kStreamThreads, prop_.multiProcessorCount, stream_blocks_per_sm_);
    auto* a = static_cast<uint4*>(mem_a_.get());
    auto* b = static_cast<uint4*>(mem_b_.get());
    auto* c = static_cast<uint4*>(mem_c_.get());
    auto* sink = static_cast<unsigned*>(sink_.get());
    std::function<void()> body;
    switch (pattern) {
      case MemoryPattern::read:
        body = [=, this] { read_kernel<<<blocks, kStreamThreads, 0, stream_>>>(a, n, sink); };
        break;
      case MemoryPattern::write:
        body = [=, this] { write_kernel<<<blocks, kStreamThreads, 0, stream_>>>(a, n, 0x1234u); };
        break;
      case MemoryPattern::copy:
        body = [=, this] { copy_kernel<<<blocks, kStreamThreads, 0, stream_>>>(a, b, n); };
        break;
      case MemoryPattern::triad:
        body = [=, this] {
          triad_kernel<<<blocks, kStreamThreads, 0, stream_>>>(reinterpret_cast<float4*>(a), reinterpret_cast<float4*>(b),
                                                              reinterpret_cast<float4*>(c), 0.5f, n);
        };
        break;
    }
    Samples s = timed_samples(ctx_, count, [this] { flusher_.flush(stream_); }, body);
    PROBE_CUDA(cudaGetLastError());
    return s;
  }

  Samples l2_read(std::uint64_t working_set_bytes, std::uint64_t traffic_bytes, int count) override {
    select();
    const std::size_t nchunks = std::max<std::size_t>(static_cast<std::size_t>(working_set_bytes / kL2ChunkBytes), 1);
    const std::size_t total = std::max<std::size_t>(static_cast<std::size_t>(traffic_bytes / kL2ChunkBytes), nchunks);
    if (mem_a_.ensure(nchunks * kL2ChunkBytes, device_)) {
      fill_uniform(mem_a_.get(), mem_a_.size() / 4, FillType::f32, 0x12, stream_);
    }
    const auto* ws = static_cast<const uint4*>(mem_a_.get());
    auto* sink = static_cast<unsigned*>(sink_.get());
    const int blocks = std::max(prop_.multiProcessorCount * l2_blocks_per_sm_, 1);
    Samples s = timed_samples(ctx_, count, nullptr, [=, this] {
      l2_read_kernel<<<blocks, kL2Threads, 0, stream_>>>(ws, nchunks, total, sink);
    });
    PROBE_CUDA(cudaGetLastError());
    return s;
  }

  Samples host_link(HostLinkKind kind, std::uint64_t bytes64, int count) override {
    select();
    const auto bytes = static_cast<std::size_t>(bytes64);
    if (mem_a_.ensure(bytes, device_)) PROBE_CUDA(cudaMemsetAsync(mem_a_.get(), 0x5a, mem_a_.size(), stream_));
    const bool pinned = kind == HostLinkKind::h2d_pinned || kind == HostLinkKind::d2h_pinned;
    const bool h2d = kind == HostLinkKind::h2d_pinned || kind == HostLinkKind::h2d_pageable;
    void* host = nullptr;
    if (pinned) {
      if (pinned_bytes_ < bytes) {
        if (pinned_) PROBE_CUDA(cudaFreeHost(pinned_));
        pinned_ = nullptr;
        pinned_bytes_ = 0;
        PROBE_CUDA(cudaHostAlloc(&pinned_, bytes, cudaHostAllocDefault));
        pinned_bytes_ = bytes;
        std::memset(pinned_, 0x3c, bytes);
      }
      host = pinned_;
    } else {
      if (pageable_.size() < bytes) {
        pageable_.clear();
        pageable_.shrink_to_fit();
        pageable_.assign(bytes, 0x3c);   // touched: the pages exist
      }
      host = pageable_.data();
    }
    PROBE_CUDA(cudaStreamSynchronize(stream_));
    void* dst = h2d ? mem_a_.get() : host;
    const void* src = h2d ? host : mem_a_.get();
    const cudaMemcpyKind dir = h2d ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost;
    if (pinned) {
      return timed_samples(ctx_, count, nullptr, [=, this] { PROBE_CUDA(cudaMemcpyAsync(dst, src, bytes, dir, stream_)); });
    }
    // Pageable copies are staged by the driver and may wait for the stream: no blocking kernel.
    Samples out;
    for (int i = 0; i < count; ++i) {
      PROBE_CUDA(cudaEventRecord(events_[0], stream_));
      PROBE_CUDA(cudaMemcpyAsync(dst, src, bytes, dir, stream_));
      PROBE_CUDA(cudaEventRecord(events_[1], stream_));
      PROBE_CUDA(cudaEventSynchronize(events_[1]));
      float ms = 0;
      PROBE_CUDA(cudaEventElapsedTime(&ms, events_[0], events_[1]));
      out.push_back(static_cast<double>(ms) * 1e3);
    }
    return out;
  }

  Samples launch(LaunchKind kind, int count) override {
    select();
    switch (kind) {
      case LaunchKind::host_enqueue: {
        // Host time to enqueue a launch (no synchronisation inside the timed loop).
        Samples out;
        for (int i = 0; i < count; ++i) {
          const auto t0 = std::chrono::steady_clock::now();
          for (int j = 0; j < kLaunchBatch; ++j) empty_kernel<<<1, 1, 0, stream_>>>();
          const auto t1 = std::chrono::steady_clock::now();
          PROBE_CUDA(cudaGetLastError());
          PROBE_CUDA(cudaStreamSynchronize(stream_));
          out.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / kLaunchBatch);
        }
        return out;
      }
      case LaunchKind::device_gap:
        // Back-to-back dependent (same-stream) empty kernels, all queued before the first runs.
        return timed_samples(ctx_, count, nullptr, [this] {
          for (int j = 0; j < kLaunchBatch; ++j) empty_kernel<<<1, 1, 0, stream_>>>();
          PROBE_CUDA(cudaGetLastError());
        }, kLaunchBatch, 1);
      case LaunchKind::device_gap_graph: {
        build_graph();
        return timed_samples(ctx_, count, nullptr, [this] { PROBE_CUDA(cudaGraphLaunch(graph_exec_, stream_)); },
                             kLaunchBatch, 4);
      }
      case LaunchKind::cublaslt_min:
        return gemm().run(GemmShape{64, 64, 64, Precision::bf16}, count, ctx_, false);
      case LaunchKind::memcpy_min: {
        if (!pinned_ || pinned_bytes_ < 16) {
          if (pinned_) PROBE_CUDA(cudaFreeHost(pinned_));
          pinned_ = nullptr;
          pinned_bytes_ = 0;
          PROBE_CUDA(cudaHostAlloc(&pinned_, 4096, cudaHostAllocDefault));
          pinned_bytes_ = 4096;
        }
        mem_a_.ensure(16, device_);
        void* dst = mem_a_.get();
        void* src = pinned_;
        return timed_samples(ctx_, count, nullptr, [=, this] {
          PROBE_CUDA(cudaMemcpyAsync(dst, src, 4, cudaMemcpyHostToDevice, stream_));
        });
      }
      case LaunchKind::nccl_min:
        return nccl_->floor(count, ctx_);
    }
    return {};
  }

  Samples collective(CollectiveOp op, std::uint64_t bytes, int count) override {
    Samples s = nccl_->run(op, bytes, count);
    select();
    return s;
  }

  void release() override {
    select();
    cudaStreamSynchronize(stream_);
    mem_a_.reset();
    mem_b_.reset();
    mem_c_.reset();
    if (gemm_) gemm_->release();
    nccl_->release();
    if (pinned_) cudaFreeHost(pinned_);
    pinned_ = nullptr;
    pinned_bytes_ = 0;
    pageable_.clear();
    pageable_.shrink_to_fit();
  }

 private:
  void select() { PROBE_CUDA(cudaSetDevice(device_)); }

  GemmBench& gemm() {
    if (!gemm_) gemm_ = std::make_unique<GemmBench>(device_);
    return *gemm_;
  }

  void build_graph() {
    if (graph_exec_) return;
    cudaGraph_t graph = nullptr;
    PROBE_CUDA(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    for (int j = 0; j < kLaunchBatch; ++j) empty_kernel<<<1, 1, 0, stream_>>>();
    const cudaError_t launch = cudaGetLastError();
    const cudaError_t end = cudaStreamEndCapture(stream_, &graph);
    PROBE_CUDA(launch);
    PROBE_CUDA(end);
    const cudaError_t inst = cudaGraphInstantiate(&graph_exec_, graph, 0);
    cudaGraphDestroy(graph);
    PROBE_CUDA(inst);
    PROBE_CUDA(cudaGraphUpload(graph_exec_, stream_));
    PROBE_CUDA(cudaStreamSynchronize(stream_));
  }

  int device_;
  std::chrono::steady_clock::time_point start_;
  cudaDeviceProp prop_{};
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<Blocker> blocker_;
  L2Flusher flusher_;
  EventPool events_;
  TimingContext ctx_{};
  DeviceBuffer mem_a_, mem_b_, mem_c_, sink_;
  int stream_blocks_per_sm_ = 1;
  int l2_blocks_per_sm_ = 1;
  void* pinned_ = nullptr;
  std::size_t pinned_bytes_ = 0;
  std::vector<char> pageable_;
  cudaGraphExec_t graph_exec_ = nullptr;
  std::unique_ptr<GemmBench> gemm_;
  std::unique_ptr<NcclBench> nccl_;
};

}  // namespace
}  // namespace cuda

int cuda_device_count(std::string& error) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    std::ostringstream o;
    o << "cudaGetDeviceCount: " << cudaGetErrorString(e) << " (" << static_cast<int>(e) << ")";
    error = o.str();
    return -1;
  }
  if (n == 0) error = "cudaGetDeviceCount: 0 devices";
  return n;
}

std::unique_ptr<Backend> make_cuda_backend(int device) { return std::make_unique<cuda::CudaBackend>(device); }

}  // namespace mlsim::probe
