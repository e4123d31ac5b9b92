#include "analysis/trtllm_bench.hpp"

#include <algorithm>
#include <cmath>

#include "workload/params.hpp"

namespace mlsim::analysis {

namespace {

// finetune_setting: a slightly optimistic batch and token budget, rounded up to steps that grow
// with the value; at least 64 sequences and 2048 tokens.
TrtllmBenchSettings finetune(double kv_max_requests, double isl, double osl, double pp) {
  TrtllmBenchSettings out;
  out.kv_max_requests = kv_max_requests;
  const double raw_bs = std::min(kv_max_requests, 4096.0) / pp;
  const double raw_tokens = std::min(raw_bs * (1.0 + isl / osl), 32768.0);
  const auto up = [](double v, double step) { return static_cast<long long>(step * std::ceil(v / step)); };
  if (raw_bs < 256.0) {
    out.max_batch_size = std::max<long long>(64, up(raw_bs, 32.0));
  } else if (raw_bs < 1024.0) {
    out.max_batch_size = up(raw_bs, 128.0);
  } else {
    out.max_batch_size = up(raw_bs, 256.0);
  }
  if (raw_tokens < 4096.0) {
    out.max_num_tokens = std::max<long long>(2048, up(raw_tokens, 256.0));
  } else if (raw_tokens < 8192.0) {
    out.max_num_tokens = up(raw_tokens, 512.0);
  } else {
    out.max_num_tokens = up(raw_tokens, 1024.0);
  }
  return out;
}

}  // namespace

TrtllmBenchSettings trtllm_bench_settings(const spec::Scenario& s, double kv_fraction, bool chunked_prefill) {
  if (!s.inference) return {};
  const spec::InferenceSpec& inf = *s.inference;
  const double tp = static_cast<double>(std::max<long long>(1, inf.parallelism.tp));
  const double pp = static_cast<double>(std::max<long long>(1, inf.parallelism.pp));
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  // calc_engine_setting: the engine is the parameter count at the checkpoint's bytes per weight;
  // every TP rank holds at least one KV head; the KV cache gets kv_fraction of what the weights
  // leave of the GPUs' memory (NVML's total; the zoo's capacity here).
  const double engine_gib = workload::count_params(s.model).total * bytes_per_element(inf.precision.weights) / kGiB;
  const double kv_heads = std::max(tp, static_cast<double>(s.model.kv_heads));
  const double gib_per_token = 2.0 * static_cast<double>(s.model.layers) * kv_heads * static_cast<double>(s.model.head_dim) *
                               bytes_per_element(inf.precision.kv_cache) / kGiB;
  const double memory_gib = s.system.accelerator.memory_capacity.si() / kGiB * tp * pp;
  const double cache_gib = std::max(0.0, memory_gib - engine_gib) * kv_fraction;
  const double isl = static_cast<double>(inf.prompt_tokens), osl = static_cast<double>(std::max<long long>(1, inf.output_tokens));
  const double requests = gib_per_token > 0.0 ? cache_gib / (gib_per_token * (isl + osl)) : 0.0;
  TrtllmBenchSettings out = finetune(requests, isl, osl, pp);
  // get_settings: without chunked prefill the budget holds the longest prompt beside a full batch of
  // decodes (max_num_tokens = max(max_num_tokens, max_isl + max_batch_size)).
  if (!chunked_prefill) out.max_num_tokens = std::max(out.max_num_tokens, inf.prompt_tokens + out.max_batch_size);
  return out;
}

}  // namespace mlsim::analysis
