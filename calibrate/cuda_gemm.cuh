// GEMM through cuBLASLt: descriptors for one shape at a time, the heuristic's top algorithm, a 32 MiB
// workspace, seeded random operands, cold (L2-flushed) samples (CALIBRATION.md 5.2.1).
#pragma once

#include <cublasLt.h>

#include <string>

#include "cuda_common.cuh"

namespace mlsim::probe::cuda {

class GemmBench {
 public:
  explicit GemmBench(int device);
  GemmBench(const GemmBench&) = delete;
  GemmBench& operator=(const GemmBench&) = delete;
  ~GemmBench();

  // `cold`: flush L2 before each sample (benchmark); otherwise back-to-back (call floor).
  Samples run(const GemmShape& shape, int count, TimingContext& ctx, bool cold);
  // Large bf16 GEMMs for `seconds` of wall time.
  void soak(double seconds, TimingContext& ctx);
  void release();
  static std::string version();

 private:
  void prepare(const GemmShape& shape, cudaStream_t stream);
  void destroy_descriptors();
  void enqueue(cudaStream_t stream);

  int device_;
  cublasLtHandle_t handle_ = nullptr;
  DeviceBuffer a_, b_, d_, workspace_;
  bool have_shape_ = false;
  GemmShape shape_{};
  cublasLtMatmulDesc_t desc_ = nullptr;
  cublasLtMatrixLayout_t a_layout_ = nullptr, b_layout_ = nullptr, c_layout_ = nullptr;
  cublasLtMatmulAlgo_t algo_{};
};

}  // namespace mlsim::probe::cuda
