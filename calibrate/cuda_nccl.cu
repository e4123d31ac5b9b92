// NCCL benchmarks (see cuda_nccl.cuh). Sizes and bandwidths follow nccl-tests: S is the all-reduce
// buffer, the full all-gather output, the full reduce-scatter input, the full all-to-all send buffer
// or the broadcast buffer; all_to_all is grouped ncclSend/ncclRecv pairs. Out-of-place, bf16, sum.
#include "cuda_nccl.cuh"

#include <algorithm>
#include <cmath>
#include <sstream>

#if MLSIM_PROBE_HAVE_NCCL
#include <nccl.h>
#endif

namespace mlsim::probe::cuda {

#if MLSIM_PROBE_HAVE_NCCL

namespace {

void check_nccl(ncclResult_t r, const char* expr, const char* file, int line) {
  if (r == ncclSuccess) return;
  std::ostringstream o;
  o << expr << ": " << ncclGetErrorString(r) << " (" << static_cast<int>(r) << ") at " << file << ":" << line;
  const char* last = ncclGetLastError(nullptr);
  if (last && *last) o << ": " << last;
  throw ProbeError(o.str(), r == ncclUnhandledCudaError || r == ncclSystemError || r == ncclRemoteError);
}
#define PROBE_NCCL(expr) check_nccl((expr), #expr, __FILE__, __LINE__)

}  // namespace

struct NcclBench::Rank {
  int device = 0;
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr;
  cudaEvent_t stop = nullptr;
  DeviceBuffer send;
  DeviceBuffer recv;
};

NcclBench::NcclBench(int device) : device_(device) {}

NcclBench::~NcclBench() {
  for (Rank* r : ranks_) {
    cudaSetDevice(r->device);
    if (r->comm) ncclCommDestroy(r->comm);
    if (r->start) cudaEventDestroy(r->start);
    if (r->stop) cudaEventDestroy(r->stop);
    if (r->stream) cudaStreamDestroy(r->stream);
    delete r;
  }
  if (floor_comm_) ncclCommDestroy(static_cast<ncclComm_t>(floor_comm_));
  cudaSetDevice(device_);
}

std::string NcclBench::version() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "unknown";
  std::ostringstream o;   // NCCL >= 2.9: major * 10000 + minor * 100 + patch
  o << v / 10000 << "." << (v / 100) % 100 << "." << v % 100;
  return o.str();
}

CollectiveSetup NcclBench::setup() {
  if (initialised_) return setup_;
  initialised_ = true;
  int n = 0;
  PROBE_CUDA(cudaGetDeviceCount(&n));
  std::vector<ncclComm_t> comms(static_cast<std::size_t>(n));
  std::vector<int> devs(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) devs[static_cast<std::size_t>(i)] = i;
  PROBE_NCCL(ncclCommInitAll(comms.data(), n, devs.data()));
  for (int i = 0; i < n; ++i) {
    auto* r = new Rank;
    ranks_.push_back(r);
    r->device = i;
    r->comm = comms[static_cast<std::size_t>(i)];
    PROBE_CUDA(cudaSetDevice(i));
    PROBE_CUDA(cudaStreamCreateWithFlags(&r->stream, cudaStreamNonBlocking));
    PROBE_CUDA(cudaEventCreate(&r->start));
    PROBE_CUDA(cudaEventCreate(&r->stop));
  }
  PROBE_CUDA(cudaSetDevice(device_));
  setup_.available = true;
  setup_.nranks = n;
  setup_.devices = devs;
  if (n == 1) {
    setup_.note = "single GPU: nranks = 1 measures only the NCCL call floor and a local copy (busbw is 0 by "
                  "definition; NCCL refuses two ranks on one GPU); collective curves need >= 2 GPUs or an "
                  "imported nccl-tests log";
  }
  return setup_;
}

void NcclBench::check_async() {
  for (Rank* r : ranks_) {
    ncclResult_t async = ncclSuccess;
    PROBE_NCCL(ncclCommGetAsyncError(r->comm, &async));
    if (async != ncclSuccess) {
      throw ProbeError(std::string("NCCL asynchronous error: ") + ncclGetErrorString(async), true);
    }
  }
}

void NcclBench::enqueue(CollectiveOp op, std::uint64_t bytes) {
  const auto n = static_cast<std::size_t>(ranks_.size());
  const std::size_t count = static_cast<std::size_t>(bytes / 2);   // bf16 elements in S
  const std::size_t chunk = count / n;                              // per-rank (per-peer) elements
  PROBE_NCCL(ncclGroupStart());
  for (std::size_t i = 0; i < n; ++i) {
    Rank* r = ranks_[i];
    void* s = r->send.get();
    void* d = r->recv.get();
    switch (op) {
      case CollectiveOp::all_reduce:
        PROBE_NCCL(ncclAllReduce(s, d, count, ncclBfloat16, ncclSum, r->comm, r->stream));
        break;
      case CollectiveOp::all_gather:
        PROBE_NCCL(ncclAllGather(s, d, chunk, ncclBfloat16, r->comm, r->stream));
        break;
      case CollectiveOp::reduce_scatter:
        PROBE_NCCL(ncclReduceScatter(s, d, chunk, ncclBfloat16, ncclSum, r->comm, r->stream));
        break;
      case CollectiveOp::broadcast:
        PROBE_NCCL(ncclBroadcast(s, d, count, ncclBfloat16, 0, r->comm, r->stream));
        break;
      case CollectiveOp::all_to_all:
        for (std::size_t p = 0; p < n; ++p) {
          PROBE_NCCL(ncclSend(static_cast<char*>(s) + p * chunk * 2, chunk, ncclBfloat16, static_cast<int>(p), r->comm,
                              r->stream));
          PROBE_NCCL(ncclRecv(static_cast<char*>(d) + p * chunk * 2, chunk, ncclBfloat16, static_cast<int>(p), r->comm,
                              r->stream));
        }
        break;
    }
  }
  PROBE_NCCL(ncclGroupEnd());
}

Samples NcclBench::run(CollectiveOp op, std::uint64_t bytes, int count) {
  if (!setup().available) throw ProbeUnsupported("NCCL unavailable");
  for (Rank* r : ranks_) {
    if (r->send.ensure(bytes, r->device)) {
      PROBE_CUDA(cudaSetDevice(r->device));
      fill_uniform(r->send.get(), bytes / 2, FillType::bf16, 0x5eed + static_cast<std::uint64_t>(r->device), r->stream);
    }
    r->recv.ensure(bytes, r->device);
  }
  // Iterations per sample: enough for ~0.5 ms per sample, measured once per configuration.
  const auto key = std::make_pair(static_cast<int>(op), bytes);
  int iters = 1;
  if (auto it = iters_.find(key); it != iters_.end()) iters = it->second;

  auto one_sample = [&](int k) {
    for (Rank* r : ranks_) {
      PROBE_CUDA(cudaSetDevice(r->device));
      PROBE_CUDA(cudaEventRecord(r->start, r->stream));
    }
    for (int i = 0; i < k; ++i) enqueue(op, bytes);
    for (Rank* r : ranks_) {
      PROBE_CUDA(cudaSetDevice(r->device));
      PROBE_CUDA(cudaEventRecord(r->stop, r->stream));
    }
    double slowest_ms = 0;
    for (Rank* r : ranks_) {
      PROBE_CUDA(cudaSetDevice(r->device));
      PROBE_CUDA(cudaEventSynchronize(r->stop));
      float ms = 0;
      PROBE_CUDA(cudaEventElapsedTime(&ms, r->start, r->stop));
      slowest_ms = std::max(slowest_ms, static_cast<double>(ms));
    }
    check_async();
    PROBE_CUDA(cudaSetDevice(device_));
    return slowest_ms * 1e3 / k;   // microseconds per operation
  };

  if (iters_.find(key) == iters_.end()) {
    const double t = one_sample(1);
    iters = static_cast<int>(std::clamp(std::ceil(500.0 / std::max(t, 1.0)), 1.0, 50.0));
    iters_[key] = iters;
  }
  Samples out;
  for (int i = 0; i < count; ++i) out.push_back(one_sample(iters));
  return out;
}

Samples NcclBench::floor(int count, TimingContext& ctx) {
  if (!floor_comm_) {
    ncclComm_t c = nullptr;
    int dev = device_;
    PROBE_NCCL(ncclCommInitAll(&c, 1, &dev));
    floor_comm_ = c;
    floor_buf_.ensure(64, device_);
    PROBE_CUDA(cudaMemset(floor_buf_.get(), 0, 64));
  }
  auto comm = static_cast<ncclComm_t>(floor_comm_);
  void* buf = floor_buf_.get();
  return timed_samples(ctx, count, nullptr, [&] {
    PROBE_NCCL(ncclAllReduce(buf, static_cast<char*>(buf) + 32, 4, ncclBfloat16, ncclSum, comm, ctx.stream));
  });
}

void NcclBench::release() {
  for (Rank* r : ranks_) {
    r->send.reset();
    r->recv.reset();
  }
}

#else  // built without NCCL

struct NcclBench::Rank {};
NcclBench::NcclBench(int device) : device_(device) {}
NcclBench::~NcclBench() = default;
std::string NcclBench::version() { return "unavailable"; }
CollectiveSetup NcclBench::setup() {
  CollectiveSetup s;
  s.note = "mlsim-probe was built without NCCL (nccl.h or libnccl not found at configure time)";
  return s;
}
Samples NcclBench::run(CollectiveOp, std::uint64_t, int) { throw ProbeUnsupported("built without NCCL"); }
Samples NcclBench::floor(int, TimingContext&) { throw ProbeUnsupported("built without NCCL"); }
void NcclBench::release() {}
void NcclBench::check_async() {}
void NcclBench::enqueue(CollectiveOp, std::uint64_t) {}

#endif

}  // namespace mlsim::probe::cuda
