#include "solvers/roofline.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

namespace mlsim::solvers {

const char* bound_name(Bound b) { return b == Bound::kCompute ? "compute" : "memory_bandwidth"; }

namespace {

// The lookup tables of a calibrated block, built once per block (every copy of a spec shares its
// block, and an evaluation asks for its rates each time: a sweep over a calibrated accelerator
// built the tables of ~600 measured GEMMs per design point, 12x the nominal evaluation).
// Keyed by the block's owner (control block), so a freed block's key never matches a new one.
std::shared_ptr<const Rates::Calibrated> calibrated_tables(const std::shared_ptr<const spec::CalibratedAccelerator>& block) {
  static std::mutex mutex;
  static std::map<std::weak_ptr<const spec::CalibratedAccelerator>, std::shared_ptr<const Rates::Calibrated>, std::owner_less<>> cache;
  const std::lock_guard lock(mutex);
  if (const auto it = cache.find(block); it != cache.end()) return it->second;
  if (cache.size() >= 16) std::erase_if(cache, [](const auto& entry) { return entry.first.expired(); });
  auto c = std::make_shared<Rates::Calibrated>();
  for (const auto& g : block->gemm) c->gemm[static_cast<std::size_t>(g.precision)].emplace(g);
  if (const auto* copy = block->memory_at("copy")) c->memory = *copy;
  c->kernel_fixed_s = block->device_gap_s.value_or(0.0);
  cache.emplace(block, c);
  return c;
}

}  // namespace

Rates achieved_rates(const spec::AcceleratorSpec& a) {
  Rates r;
  // Elementwise math runs on the vector units, not the tensor cores: the fp32 peak stands for them
  // (a chip that lists no fp32 peak falls back to its bf16 one).
  double vector_peak = 0.0;
  if (auto v = a.peak_at(Precision::kFp32)) {
    vector_peak = v->si();
  } else if (auto b = a.peak_at(Precision::kBf16)) {
    vector_peak = b->si();
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
  for (const auto& [flops, fraction] : a.efficiency.gemm_size) r.gemm_size.emplace_back(std::log(flops), fraction);
  if (a.calibrated) r.calibrated = calibrated_tables(a.calibrated.ptr());
  return r;
}

double gemm_size_factor(const Rates& r, double flops) {
  const auto& c = r.gemm_size;
  if (c.empty() || flops <= 0.0) return 1.0;
  const double x = std::log(flops);
  if (x <= c.front().first) return c.front().second;
  if (x >= c.back().first) return c.back().second;
  std::size_t i = 1;
  while (c[i].first < x) ++i;
  const double w = (x - c[i - 1].first) / (c[i].first - c[i - 1].first);
  return c[i - 1].second + w * (c[i].second - c[i - 1].second);
}

namespace {

// A calibrated GEMM: the measured time of its shape (an equal-FLOP cube when the workload gave
// none), scaled by its FLOPs over that shape's (backward passes are two GEMMs of the forward's size).
std::optional<double> calibrated_gemm_s(const workload::Operator& op, const Rates& r) {
  if (!r.calibrated || op.op_class != workload::OpClass::kGemm || op.flops <= 0.0) return std::nullopt;
  const auto& table = r.calibrated->gemm[static_cast<std::size_t>(op.precision)];
  if (!table) return std::nullopt;
  double m = op.gemm_m, n = op.gemm_n, k = op.gemm_k;
  if (m < 1.0 || n < 1.0 || k < 1.0) m = n = k = std::max(1.0, std::cbrt(op.flops / 2.0));
  return std::max(0.0, table->time(m, n, k) - r.calibrated->kernel_fixed_s) * op.flops / (2.0 * m * n * k);
}

}  // namespace

namespace {

// Weight-only quantization: the conversion of the weight tiles runs on the vector units beside
// the tensor-core math; it overlaps the weight loads (memory-bound decode keeps its speedup, as
// Marlin measures up to batch 16-32) and adds to the math once the GEMM is compute-bound.
double dequant_s(const workload::Operator& op, const Rates& r) {
  if (op.dequant_ops <= 0.0) return 0.0;
  const double v = r.vector[static_cast<std::size_t>(op.precision)];
  return v > 0.0 ? op.dequant_ops / v : 0.0;
}

}  // namespace

std::optional<OpTime> time_operator(const workload::Operator& op, const Rates& r) {
  const auto i = static_cast<std::size_t>(op.precision);
  if (r.calibrated) {
    OpTime t;
    const auto g = calibrated_gemm_s(op, r);
    if (g) {
      t.compute_s = *g;
    } else {
      const auto nominal = time_operator(op, Rates{r.gemm, r.attention, r.vector, r.memory_bandwidth, r.gemm_size, nullptr});
      if (!nominal) return std::nullopt;
      t.compute_s = nominal->compute_s;
      t.memory_s = nominal->memory_s;
    }
    t.compute_s += dequant_s(op, r);
    if (r.calibrated->memory) {
      t.memory_s = op.bytes > 0.0 ? std::max(0.0, size_curve_time(*r.calibrated->memory, op.bytes) - r.calibrated->kernel_fixed_s) : 0.0;
    } else if (g) {
      t.memory_s = r.memory_bandwidth > 0.0 ? op.bytes / r.memory_bandwidth : 0.0;
    }
    return t;
  }
  double rate = 0.0;
  switch (op.op_class) {
    case workload::OpClass::kGemm: rate = r.gemm[i] * gemm_size_factor(r, op.flops); break;
    case workload::OpClass::kAttention: rate = r.attention[i] * op.rate_scale; break;
    case workload::OpClass::kElementwise:
    case workload::OpClass::kEmbedding:
    case workload::OpClass::kOptimizer: rate = r.vector[i]; break;
  }
  if (op.flops > 0.0 && rate <= 0.0) return std::nullopt;
  OpTime t;
  t.compute_s = op.flops > 0.0 ? op.flops / rate : 0.0;
  t.compute_s += dequant_s(op, r);
  t.memory_s = r.memory_bandwidth > 0.0 ? op.bytes / r.memory_bandwidth : 0.0;
  return t;
}

}  // namespace mlsim::solvers
