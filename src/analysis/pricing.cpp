#include "analysis/pricing.hpp"

namespace mlsim::analysis {

Priced price_ops(const workload::OperatorList& ops, std::size_t first, std::size_t last, const solvers::Rates& rates,
                 std::vector<OperatorRow>* rows, const solvers::LaunchModel* launch) {
  Priced p;
  for (std::size_t i = first; i < last; ++i) {
    const auto& op = ops[i];
    const auto t = solvers::time_operator(op, rates);
    if (!t) {
      p.unsupported = true;
      p.unsupported_precision = op.precision;
      continue;
    }
    const double total = t->time_s() * op.count;
    p.gpu_s += total;
    if (launch != nullptr) p.serial_s += solvers::serialized_time(t->time_s(), op.kernels, *launch) * op.count;
    (t->bound() == solvers::Bound::kCompute ? p.compute_bound_s : p.memory_bound_s) += total;
    p.kernels += op.kernels * op.count;
    p.flops += op.flops * op.count;
    p.bytes += op.bytes * op.count;
    if (rows != nullptr) {
      rows->push_back({op.name, workload::phase_name(op.phase), solvers::bound_name(t->bound()), op.count, op.flops, op.bytes,
                       t->time_s(), op.kernels});
    }
  }
  return p;
}

Priced& Priced::operator+=(const Priced& o) {
  gpu_s += o.gpu_s;
  compute_bound_s += o.compute_bound_s;
  memory_bound_s += o.memory_bound_s;
  kernels += o.kernels;
  flops += o.flops;
  bytes += o.bytes;
  serial_s += o.serial_s;
  if (o.unsupported) {
    unsupported = true;
    unsupported_precision = o.unsupported_precision;
  }
  return *this;
}

Priced Priced::scaled(double f) const {
  Priced p = *this;
  p.gpu_s *= f;
  p.compute_bound_s *= f;
  p.memory_bound_s *= f;
  p.kernels *= f;
  p.flops *= f;
  p.bytes *= f;
  p.serial_s *= f;
  return p;
}

void choose_binding_wall(Estimate& e) {
  Wall* best = nullptr;
  for (auto& w : e.walls) {
    w.binding = false;
    if (w.name == "memory_capacity") {
      if (!e.memory.fits) best = &w;
      continue;
    }
    if (best != nullptr && best->name == "memory_capacity") continue;
    // The input pipeline prefetches alongside the step: it binds only when it is the longer one.
    if (w.name == "data_pipeline" && w.utilization < 1.0) continue;
    if (best == nullptr || w.time_s > best->time_s) best = &w;
  }
  if (best != nullptr) {
    best->binding = true;
    e.binding_wall = best->name;
  }
}

}  // namespace mlsim::analysis
