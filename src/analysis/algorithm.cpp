#include "analysis/algorithm.hpp"

#include "solvers/scaling_laws.hpp"

namespace mlsim::analysis {

AlgorithmReport algorithm_walls(const spec::Scenario& s, const TrainingReport& tr, const MemoryReport& mem, double params) {
  const spec::AlgorithmSpec a = s.algorithm.value_or(spec::AlgorithmSpec{});
  const auto& t = *s.training;
  AlgorithmReport r;
  r.dp_sgd = a.dp_sgd == spec::DpSgd::kPerSample ? "per_sample" : (a.dp_sgd == spec::DpSgd::kGhost ? "ghost" : "none");
  r.dpsgd_step_time_s = tr.step_time_s;
  if (a.dp_sgd != spec::DpSgd::kNone) {
    const bool ghost = a.dp_sgd == spec::DpSgd::kGhost;
    r.dpsgd_flops_factor = solvers::dpsgd_flops_factor(ghost);
    // The training step, its memory and everything after (time to train, ops) already carry
    // DP-SGD (analysis/training.cpp); this repeats its share.
    r.dpsgd_step_time_s = tr.step_time_s;
    const double device_params = mem.weights_bytes / bytes_per_element(t.precision);
    r.dpsgd_extra_bytes =
        solvers::dpsgd_extra_bytes(ghost, static_cast<double>(t.micro_batch), device_params, bytes_per_element(t.grad_precision));
    r.dpsgd_fits = mem.fits;
  }
  const double bits = 8.0 * bytes_per_element(t.precision);
  r.dense_weight_bytes = params * bits / 8.0;
  r.compressed_weight_bytes = solvers::compressed_weight_bytes(params, a.sparsity, a.weight_bits.value_or(bits), a.index_bits);
  return r;
}

}  // namespace mlsim::analysis
