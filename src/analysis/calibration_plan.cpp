#include "analysis/calibration_plan.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include "workload/operator.hpp"
#include "workload/transformer.hpp"

namespace mlsim::analysis {

std::vector<GemmShape> gemm_shapes_of(const spec::Scenario& s) {
  std::vector<GemmShape> out;
  if (s.model.architecture == spec::Architecture::kCnn) return out;
  workload::OperatorList ops;
  double tp = 1.0;
  if (s.training) {
    const auto& t = *s.training;
    tp = static_cast<double>(std::max<long long>(1, t.parallelism.tp));
    workload::PassOptions o;
    o.activations = o.weights = t.precision;
    workload::append_transformer_pass(s.model, {static_cast<double>(t.micro_batch), static_cast<double>(t.seq_len), 0.0}, o, ops);
  } else if (s.inference) {
    const auto& inf = *s.inference;
    tp = static_cast<double>(std::max<long long>(1, inf.parallelism.tp));
    workload::PassOptions o;
    o.activations = inf.precision.activations;
    o.weights = inf.precision.weights;
    o.kv_cache = inf.precision.kv_cache;
    o.lm_head_all_tokens = false;
    const double batch = static_cast<double>(inf.batch.value_or(1));
    const double prompt = static_cast<double>(std::max<long long>(1, inf.prompt_tokens));
    o.phase = workload::Phase::kPrefill;
    workload::append_transformer_pass(s.model, {batch, prompt, 0.0}, o, ops);
    o.phase = workload::Phase::kDecode;
    workload::append_transformer_pass(s.model, {batch, 1.0, prompt}, o, ops);
  }
  for (const auto& op : ops) {
    if (op.op_class != workload::OpClass::kGemm || op.gemm_m < 1.0) continue;
    GemmShape g{op.gemm_m, std::max(1.0, std::round(op.gemm_n / tp)), op.gemm_k, op.precision};
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
  }
  return out;
}

std::string shapes_file_text(const std::vector<GemmShape>& shapes) {
  std::ostringstream out;
  out << "# m,n,k,precision (written by mlsim calibrate --shapes-of)\n";
  for (const auto& g : shapes) {
    out << static_cast<long long>(g.m) << "," << static_cast<long long>(g.n) << "," << static_cast<long long>(g.k) << ","
        << (g.precision == Precision::kFp8 ? "fp8_e4m3" : std::string(precision_name(g.precision))) << "\n";
  }
  return out.str();
}

double ProbePlan::total_s() const {
  double t = soak_s;
  for (const auto& l : lines) t += l.seconds;
  return t;
}

ProbePlan probe_plan(const std::string& mode, std::size_t shapes, long long gpus) {
  // Configuration counts follow the probe's sweeps (docs/calibration_probe.md). Per configuration:
  // 50 ms of warm-up plus at least 10 samples; about 0.1 s when quiet, the cap (1 s / 3 s) when
  // noisy. The estimate takes 0.15 s (quick, shapes) or 0.3 s (full) per configuration (assumption
  // between the two; the fake backend's quick sweep simulates 35 s of device activity).
  ProbePlan p;
  p.mode = mode;
  const bool full = mode == "full";
  const double per = full ? 0.3 : 0.15;
  p.soak_s = full ? 20.0 : 10.0;
  const auto add = [&](const std::string& block, long long n) { p.lines.push_back({block, n, static_cast<double>(n) * per}); };
  if (mode == "shapes") {
    add("gemm (the scenario's shapes)", static_cast<long long>(shapes));
    return p;
  }
  add("gemm", full ? 2 * (784 + 16) + 2 * 48 : 3 * 48 + 6);
  add("memory (copy, read, write, triad)", full ? 4 * 41 : 4 * 20);
  add("l2", full ? 48 : 16);
  add("host_link", full ? 4 * 19 : 2 * 19 + 17);
  add("launch", 6);
  const long long sizes = full ? 31 : 15;
  add(gpus >= 2 ? "collectives (5 ops, " + std::to_string(gpus) + " ranks)" : "collectives (one GPU: the single-rank floor only)",
      5 * sizes);
  return p;
}

std::optional<std::string> accelerator_for_device(const std::string& cuda_name) {
  std::string u;
  for (const char c : cuda_name) u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto has = [&](const char* s) { return u.find(s) != std::string::npos; };
  if (has("NVL")) return std::nullopt;
  if (has("H100")) return has("PCIE") ? "h100_pcie" : "h100_sxm";
  if (has("PCIE")) return std::nullopt;
  if (has("H200")) return "h200_sxm";
  if (has("H800")) return "h800_sxm";
  if (has("A100")) return has("40GB") ? "a100_sxm_40gb" : "a100_sxm_80gb";
  if (has("B200")) return "b200";
  return std::nullopt;
}

}  // namespace mlsim::analysis
