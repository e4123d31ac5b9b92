#include "solvers/roofline.hpp"

namespace mlsim::solvers {

const char* bound_name(Bound b) { return b == Bound::kCompute ? "compute" : "memory_bandwidth"; }

Rates achieved_rates(const spec::AcceleratorSpec& a) {
  Rates r;
  // Elementwise math runs on the vector units; the widest peak among fp32/bf16/fp16 stands for them.
  double vector_peak = 0.0;
  for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kFp16}) {
    if (auto v = a.peak_at(p)) vector_peak = vector_peak > v->si() ? vector_peak : v->si();
  }
  for (std::size_t i = 0; i < kPrecisionCount; ++i) {
    const auto peak = a.peak[i];
    r.gemm[i] = peak ? peak->si() * a.efficiency.compute_at[i] : 0.0;
    r.attention[i] = peak ? peak->si() * a.efficiency.attention : 0.0;
    r.vector[i] = vector_peak * a.efficiency.compute;
  }
  // Weight-only formats (int4/fp4 without native math) are dequantized into the activations'
  // precision, so only the activations' precision needs a peak.
  r.memory_bandwidth = a.memory_bandwidth.si() * a.efficiency.memory;
  return r;
}

std::optional<OpTime> time_operator(const workload::Operator& op, const Rates& r) {
  const auto i = static_cast<std::size_t>(op.precision);
  double rate = 0.0;
  switch (op.op_class) {
    case workload::OpClass::kGemm: rate = r.gemm[i]; break;
    case workload::OpClass::kAttention: rate = r.attention[i]; break;
    case workload::OpClass::kElementwise:
    case workload::OpClass::kEmbedding:
    case workload::OpClass::kOptimizer: rate = r.vector[i]; break;
  }
  if (op.flops > 0.0 && rate <= 0.0) return std::nullopt;
  OpTime t;
  t.compute_s = op.flops > 0.0 ? op.flops / rate : 0.0;
  t.memory_s = r.memory_bandwidth > 0.0 ? op.bytes / r.memory_bandwidth : 0.0;
  return t;
}

}  // namespace mlsim::solvers
