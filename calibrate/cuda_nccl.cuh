// NCCL collectives with one rank per visible GPU in this process (ncclCommInitAll, like
// `nccl-tests -g N`), and the single-rank call floor. Built without NCCL, every method reports the
// collectives as unavailable.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cuda_common.cuh"

namespace mlsim::probe::cuda {

class NcclBench {
 public:
  explicit NcclBench(int device);
  NcclBench(const NcclBench&) = delete;
  NcclBench& operator=(const NcclBench&) = delete;
  ~NcclBench();

  CollectiveSetup setup();   // initialises the communicators on first call
  Samples run(CollectiveOp op, std::uint64_t bytes, int count);
  Samples floor(int count, TimingContext& ctx);   // 8-byte all-reduce on a 1-rank communicator
  void release();
  static std::string version();

 private:
  struct Rank;
  void enqueue(CollectiveOp op, std::uint64_t bytes);
  void check_async();

  int device_;
  bool initialised_ = false;
  CollectiveSetup setup_;
  std::vector<Rank*> ranks_;
  void* floor_comm_ = nullptr;     // ncclComm_t, kept opaque so this header needs no nccl.h
  DeviceBuffer floor_buf_;
  std::map<std::pair<int, std::uint64_t>, int> iters_;   // (op, bytes) -> iterations per sample
};

}  // namespace mlsim::probe::cuda
