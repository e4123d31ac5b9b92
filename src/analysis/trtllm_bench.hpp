// trtllm-bench's batch settings: when a throughput run names neither --max_batch_size nor
// --max_num_tokens, trtllm-bench derives both from the dataset's mean lengths, the model and the
// GPUs (tensorrt_llm/bench/build/tuning.py: calc_engine_setting and finetune_setting, read at
// NVIDIA/TensorRT-LLM 04cba88), and without chunked prefill raises the token budget to hold the
// longest prompt beside a full batch (tensorrt_llm/bench/benchmark/utils/general.py get_settings). The accuracy harness
// gives TensorRT-LLM's published trtllm-bench runs the settings those runs had.
#pragma once

#include "spec/scenario.hpp"

namespace mlsim::analysis {

struct TrtllmBenchSettings {
  long long max_batch_size = 0;
  long long max_num_tokens = 0;
  double kv_max_requests = 0.0;   // requests of the dataset's length the KV-cache estimate holds
};

// For the scenario's inference lengths, precision (weights and KV cache), TP x PP and accelerator
// memory; `kv_fraction` is --kv_cache_free_gpu_mem_fraction. Without chunked prefill the token
// budget is at least the prompt plus the batch.
TrtllmBenchSettings trtllm_bench_settings(const spec::Scenario& s, double kv_fraction, bool chunked_prefill);

}  // namespace mlsim::analysis
