// cuBLASLt GEMM benchmark (see cuda_gemm.cuh). The problem D[m x n] = A[m x k] B[k x n] is issued the
// way nn.Linear issues y[m,n] = x[m,k] @ W[n,k]^T: cuBLASLt column-major "TN" with m' = n (W, stored
// k x m' and transposed), n' = m (x, stored k x n'), so the token count m never sets a leading dimension.
#include "cuda_gemm.cuh"

#include <chrono>
#include <sstream>

namespace mlsim::probe::cuda {
namespace {

constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;   // cuBLAS's recommendation on Hopper

void check_lt(cublasStatus_t s, const char* expr, const char* file, int line) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  std::ostringstream o;
  o << expr << ": " << cublasLtGetStatusString(s) << " (" << static_cast<int>(s) << ") at " << file << ":" << line;
  if (s == CUBLAS_STATUS_NOT_SUPPORTED || s == CUBLAS_STATUS_ALLOC_FAILED) throw ProbeUnsupported(o.str());
  throw ProbeError(o.str(), s == CUBLAS_STATUS_EXECUTION_FAILED);
}
#define PROBE_LT(expr) check_lt((expr), #expr, __FILE__, __LINE__)

struct Types {
  cudaDataType_t ab;
  cudaDataType_t cd;
  cublasComputeType_t compute;
  FillType fill;
};

Types types_for(Precision p) {
  switch (p) {
    case Precision::bf16: return {CUDA_R_16BF, CUDA_R_16BF, CUBLAS_COMPUTE_32F, FillType::bf16};
    case Precision::fp16: return {CUDA_R_16F, CUDA_R_16F, CUBLAS_COMPUTE_32F, FillType::f16};
    case Precision::tf32: return {CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32, FillType::f32};
    case Precision::fp8_e4m3: return {CUDA_R_8F_E4M3, CUDA_R_16BF, CUBLAS_COMPUTE_32F, FillType::fp8_e4m3};
  }
  return {CUDA_R_16BF, CUDA_R_16BF, CUBLAS_COMPUTE_32F, FillType::bf16};
}

bool same(const GemmShape& a, const GemmShape& b) {
  return a.m == b.m && a.n == b.n && a.k == b.k && a.precision == b.precision;
}

}  // namespace

GemmBench::GemmBench(int device) : device_(device) {
  PROBE_LT(cublasLtCreate(&handle_));
  workspace_.ensure(kWorkspaceBytes, device_);
}

GemmBench::~GemmBench() {
  destroy_descriptors();
  if (handle_) cublasLtDestroy(handle_);
}

std::string GemmBench::version() {
  const std::size_t v = cublasLtGetVersion();   // major * 10000 + minor * 100 + patch
  std::ostringstream o;
  o << v / 10000 << "." << (v / 100) % 100 << "." << v % 100;
  return o.str();
}

void GemmBench::destroy_descriptors() {
  if (a_layout_) cublasLtMatrixLayoutDestroy(a_layout_);
  if (b_layout_) cublasLtMatrixLayoutDestroy(b_layout_);
  if (c_layout_) cublasLtMatrixLayoutDestroy(c_layout_);
  if (desc_) cublasLtMatmulDescDestroy(desc_);
  a_layout_ = b_layout_ = c_layout_ = nullptr;
  desc_ = nullptr;
  have_shape_ = false;
}

void GemmBench::release() {
  destroy_descriptors();
  a_.reset();
  b_.reset();
  d_.reset();
}

void GemmBench::prepare(const GemmShape& s, cudaStream_t stream) {
  if (have_shape_ && same(s, shape_)) return;
  destroy_descriptors();
  const Types t = types_for(s.precision);
  const auto mp = static_cast<std::uint64_t>(s.n);   // cuBLASLt m'
  const auto np = static_cast<std::uint64_t>(s.m);   // cuBLASLt n'
  const auto k = static_cast<std::uint64_t>(s.k);
  const auto in = static_cast<std::size_t>(input_element_bytes(s.precision));
  const auto out = static_cast<std::size_t>(output_element_bytes(s.precision));
  const std::size_t a_count = static_cast<std::size_t>(k * mp);
  const std::size_t b_count = static_cast<std::size_t>(k * np);
  const std::size_t d_count = static_cast<std::size_t>(mp * np);
  // New shapes get fresh random operands (also when the buffer did not grow: the type may differ).
  a_.ensure(a_count * in, device_);
  b_.ensure(b_count * in, device_);
  d_.ensure(d_count * out, device_);
  fill_uniform(a_.get(), a_count, t.fill, 0xa11ce ^ static_cast<std::uint64_t>(s.k), stream);
  fill_uniform(b_.get(), b_count, t.fill, 0xb0b ^ static_cast<std::uint64_t>(s.m), stream);

  PROBE_LT(cublasLtMatmulDescCreate(&desc_, t.compute, CUDA_R_32F));
  const cublasOperation_t op_t = CUBLAS_OP_T;
  const cublasOperation_t op_n = CUBLAS_OP_N;
  PROBE_LT(cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof op_t));
  PROBE_LT(cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_TRANSB, &op_n, sizeof op_n));
  // Stored shapes (before the op): A' is k x m' (transposed), B' is k x n', C = D is m' x n'.
  PROBE_LT(cublasLtMatrixLayoutCreate(&a_layout_, t.ab, k, mp, static_cast<std::int64_t>(k)));
  PROBE_LT(cublasLtMatrixLayoutCreate(&b_layout_, t.ab, k, np, static_cast<std::int64_t>(k)));
  PROBE_LT(cublasLtMatrixLayoutCreate(&c_layout_, t.cd, mp, np, static_cast<std::int64_t>(mp)));

  cublasLtMatmulPreference_t pref = nullptr;
  PROBE_LT(cublasLtMatmulPreferenceCreate(&pref));
  const std::uint64_t ws = kWorkspaceBytes;
  cublasLtMatmulHeuristicResult_t result{};
  int returned = 0;
  cublasStatus_t st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
  if (st == CUBLAS_STATUS_SUCCESS) {
    st = cublasLtMatmulAlgoGetHeuristic(handle_, desc_, a_layout_, b_layout_, c_layout_, c_layout_, pref, 1, &result,
                                        &returned);
  }
  cublasLtMatmulPreferenceDestroy(pref);
  if (st == CUBLAS_STATUS_NOT_SUPPORTED || (st == CUBLAS_STATUS_SUCCESS && returned == 0)) {
    destroy_descriptors();
    throw ProbeUnsupported("cuBLASLt has no algorithm for this shape and precision");
  }
  PROBE_LT(st);
  algo_ = result.algo;
  shape_ = s;
  have_shape_ = true;
  PROBE_CUDA(cudaStreamSynchronize(stream));
}

void GemmBench::enqueue(cudaStream_t stream) {
  const float alpha = 1.0f;
  const float beta = 0.0f;
  PROBE_LT(cublasLtMatmul(handle_, desc_, &alpha, a_.get(), a_layout_, b_.get(), b_layout_, &beta, d_.get(), c_layout_,
                          d_.get(), c_layout_, &algo_, workspace_.get(), kWorkspaceBytes, stream));
}

Samples GemmBench::run(const GemmShape& shape, int count, TimingContext& ctx, bool cold) {
  prepare(shape, ctx.stream);
  std::function<void()> pre;
  if (cold) pre = [&] { ctx.flusher->flush(ctx.stream); };
  return timed_samples(ctx, count, pre, [&] { enqueue(ctx.stream); });
}

void GemmBench::soak(double seconds, TimingContext& ctx) {
  prepare(GemmShape{8192, 8192, 8192, Precision::bf16}, ctx.stream);
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    for (int i = 0; i < 20; ++i) enqueue(ctx.stream);   // ~30 ms on an H100
    PROBE_CUDA(cudaStreamSynchronize(ctx.stream));
  }
}

}  // namespace mlsim::probe::cuda
