// Spec structs of the hardware and facility entries (accelerator, node, fabric, site, software),
// with the free functions that read them from a tree. Values are SI quantities; optional figures
// stay optional so a solver can say which figure it missed.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/units.hpp"
#include "core/shared_value.hpp"
#include "spec/calibrated.hpp"
#include "spec/operations_spec.hpp"
#include "spec/precision.hpp"
#include "spec/reader.hpp"

namespace mlsim::spec {

struct Efficiency {
  double compute = 1.0;      // achieved / dense peak for large GEMMs (the `other` entry of a per-precision map)
  std::array<double, kPrecisionCount> compute_at{};   // per precision; filled from `compute` for every precision
  double memory = 1.0;       // achieved / peak HBM bandwidth for streaming kernels
  double attention = 1.0;    // achieved / dense peak for fused attention kernels
  Seconds device_gap{0.0};   // gap between dependent kernels on one stream
  Seconds graph_gap{0.0};    // the same inside a CUDA graph
  std::optional<double> host_link;   // achieved / peak host-link bandwidth (pinned copies)
  // How much slower compute runs while a collective runs beside it on the same device (NCCL's
  // kernels take SMs and HBM bandwidth): 0.19 = compute takes 1.19x as long during the overlap.
  double overlap_slowdown = 0.0;
  // GEMM efficiency vs size: (FLOPs of one GEMM, fraction of the large-GEMM efficiency), ascending;
  // log-linear in between, the first fraction below the table and 1 above it. Empty: no size effect.
  std::vector<std::pair<double, double>> gemm_size;

  friend bool operator==(const Efficiency&, const Efficiency&) = default;
};

struct AcceleratorSpec {
  std::string id, name;
  std::array<std::optional<FlopsPerSecond>, kPrecisionCount> peak{};
  Bytes memory_capacity{0.0};
  BytesPerSecond memory_bandwidth{0.0};
  std::optional<Bytes> l2;
  std::optional<BytesPerSecond> scale_up_bandwidth;
  std::optional<BytesPerSecond> host_link_bandwidth;
  Watts tdp{0.0};
  Watts idle_power{0.0};
  std::optional<Usd> purchase_price;
  std::optional<UsdPerSecond> rental_price;
  Efficiency efficiency;
  // Measured curves (mlsim calibrate); the nominal figures stay as they are. Shared and immutable:
  // copies of the spec share them, and the roofline builds its lookup tables once per block.
  SharedValue<CalibratedAccelerator> calibrated;

  [[nodiscard]] std::optional<FlopsPerSecond> peak_at(Precision p) const { return peak[static_cast<std::size_t>(p)]; }

  friend bool operator==(const AcceleratorSpec&, const AcceleratorSpec&) = default;
};

struct NodeSpec {
  std::string id, name;
  std::string accelerator;     // zoo id of the accelerator it holds
  long long accelerators = 1;
  std::string scale_up_kind;
  std::optional<BytesPerSecond> scale_up_bandwidth;
  std::optional<Seconds> scale_up_latency;          // one transfer between two accelerators of the domain (link + switch)
  double scale_up_efficiency = 1.0;                 // achieved / nominal scale-up bandwidth of ring-style traffic
  bool in_switch_reduction = false;                 // the scale-up switch reduces in the network (NVLS, NVSwitch gen3+)
  double in_switch_efficiency = 1.0;                // achieved / nominal bandwidth of in-switch reduction (NVLS algbw)
  std::optional<Seconds> in_switch_latency;         // extra per-call latency of an in-switch reduction
  long long nic_count = 0;
  std::optional<BytesPerSecond> nic_bandwidth;
  std::optional<Seconds> nic_latency;               // one NIC end (HCA + PCIe) of an inter-node transfer
  double nic_efficiency = 1.0;                      // achieved / nominal NIC bandwidth of collective traffic
  std::optional<Seconds> collective_base_latency;   // fixed cost of one collective call (launch, protocol setup)
  std::optional<long long> cpu_cores;
  std::optional<Bytes> host_memory;
  std::optional<BytesPerSecond> host_memory_bandwidth;   // the node's DRAM, all sockets
  std::optional<BytesPerSecond> storage_bandwidth;
  Watts power_overhead{0.0};
  std::optional<CalibratedNode> calibrated;   // measured collective curves (mlsim calibrate)
  std::optional<NodeReliability> reliability;      // per-component failure rates (spec/operations_spec.hpp)

  friend bool operator==(const NodeSpec&, const NodeSpec&) = default;
};

struct FabricSpec {
  std::string id, name, topology;
  BytesPerSecond link_bandwidth{0.0};
  Seconds link_latency{0.0};
  double oversubscription = 1.0;
  std::optional<long long> switch_radix;   // ports per leaf/spine switch (leaf: down + up ports)
  bool sharp = false;                      // in-network reduction (InfiniBand SHARP) usable by collectives

  friend bool operator==(const FabricSpec&, const FabricSpec&) = default;
};

struct SiteSpec {
  std::string id, name;
  KilogramsPerJoule carbon_intensity{0.0};
  double pue = 1.0;
  LitresPerJoule wue{0.0};
  UsdPerJoule electricity{0.0};

  friend bool operator==(const SiteSpec&, const SiteSpec&) = default;
};

struct SoftwareSpec {
  std::string id, name;
  Seconds host_per_kernel{0.0};
  Seconds graph_launch{0.0};
  Bytes workspace{0.0};
  bool flash_attention = true;
  // Training's fused attention: true, each pass at FlashAttention-2's measured speed for it (causal,
  // forward or backward, sequence length, head dimension; workload/flash_attention_speed.hpp);
  // false (`attention_speeds: uniform`), every pass at the accelerator's efficiency.attention, for
  // kernels whose per-pass speeds are not published (cuDNN's fused attention).
  bool flash_attention_2_speeds = true;
  // Training's fused-attention kernel, priced as FlashAttention-2 times its speed relative to it
  // (workload::attention_kernel_speed): FlashAttention-2; FlashAttention (v1), which FlashAttention-2
  // runs about 2x faster (Dao 2023, abstract); the Triton FlashAttention of 2022-2023
  // (flash_attn_triton.py, which llm-foundry's attn_impl: triton vendors), whose author puts its
  // forward plus backward slightly slower than FlashAttention (v1)'s CUDA kernels (its docstring).
  enum class AttentionKernel { kFlashAttention2, kFlashAttention1, kTritonFlashAttention };
  AttentionKernel attention_kernel = AttentionKernel::kFlashAttention2;
  bool host_runs_ahead = true;   // false: each kernel costs max(device, host time) (solvers::LaunchModel)
  bool launch_blocking = false;  // CUDA_LAUNCH_BLOCKING=1: each kernel costs device + host time
  std::optional<long long> max_batched_tokens;   // serving: token budget of one forward pass (chunked prefill)
  std::optional<long long> max_sequences;        // serving: most sequences the scheduler runs at once
  std::optional<long long> block_size;           // serving: tokens per KV-cache block (paged attention)
  Seconds host_per_step{0.0};                    // serving: scheduler, sampler and input preparation per step
  // serving: host work per running sequence per step (its bookkeeping, sampling and response) that
  // the engine does between steps, not overlapped with the device
  Seconds host_per_sequence{0.0};
  // serving: the share of the memory left after weights and workspace that the KV cache may take
  // (TensorRT-LLM's free_gpu_memory_fraction); 1 when the engine sizes it otherwise
  double kv_memory_fraction = 1.0;
  // serving: a request starts only when its whole sequence's KV blocks can be reserved, so none is
  // preempted (TensorRT-LLM's GUARANTEED_NO_EVICT); false: blocks on demand, preempting when full
  bool reserve_full_sequence = false;
  // Training overlaps the framework performs by default (training.overlap overrides each).
  std::optional<bool> overlap_dp_grad, overlap_tp_comm, overlap_pp_p2p, overlap_ep_a2a, overlap_cp_ring;
  // Each column-parallel linear's input-gradient all-reduce (reduce-scatter under SP) runs beside
  // its weight-gradient GEMM (Megatron-LM's asynchronous TP all-reduce).
  std::optional<bool> overlap_tp_backward;
  // ZeRO-3 / FSDP: each unit's weight all-gather issued ahead, beside the previous unit's compute
  // (FSDP's backward prefetch and run-ahead unshard; DeepSpeed's parameter prefetch).
  std::optional<bool> overlap_zero_prefetch;
  // Whether tensor parallelism splits norms, dropout and residuals along the sequence by default
  // (Korthikanti et al. 2022); unset: on whenever tp > 1.
  std::optional<bool> sequence_parallel;
  // How a micro-batch's weight gradients join the step's gradients: kFused, the weight-gradient GEMM
  // accumulates into the buffer (Megatron-LM --gradient-accumulation-fusion); kBuffer, a separate add
  // into a zeroed buffer every micro-batch (Megatron-LM 2021's main_grad); kAutograd, PyTorch's
  // AccumulateGrad, which adds from the second micro-batch on.
  enum class GradAccumulation { kFused, kBuffer, kAutograd };
  GradAccumulation grad_accumulation = GradAccumulation::kAutograd;
  // The training loss's kernels over the logits (workload/transformer.cpp counts each one's passes):
  // kFp32Softmax, the default, reads the 16-bit logits and writes and reads an fp32 softmax;
  // kMegatron, Megatron-LM's vocabulary-parallel loss on the logits cast to fp32
  // (megatron/mpu/cross_entropy.py); kTorchAutocast, PyTorch's cross_entropy under autocast (a cast
  // to fp32, log_softmax, nll_loss); kFused, one kernel that reads the logits forward and overwrites
  // them with their gradient backward (apex's xentropy, llm.c's fused classifier).
  enum class CrossEntropy { kFp32Softmax, kMegatron, kTorchAutocast, kFused };
  CrossEntropy cross_entropy = CrossEntropy::kFp32Softmax;
  // How ZeRO-3 / FSDP splits its weight all-gathers and gradient reduce-scatters into collectives:
  // one per weight matrix (DeepSpeed ZeRO-3's module hooks), one per layer (an FSDP unit per block,
  // the default), or one for the stage's whole weights.
  enum class ZeroCollectives { kPerMatrix, kPerLayer, kPerStage };
  ZeroCollectives zero_collectives = ZeroCollectives::kPerLayer;
  // Whether ZeRO-2/3 reduce-scatter the gradients once per step, after the last micro-batch
  // (no_sync, as a PyTorch FSDP loop that uses it and Megatron do), or in every micro-batch's
  // backward and accumulate the shard (DeepSpeed's ZeRO-2/3 backward hooks, Composer's FSDP).
  bool zero_reduce_per_micro_batch = false;
  // Whether those ZeRO collectives go through torch.distributed's list form (all_gather into and
  // reduce_scatter from one tensor per rank), for which PyTorch's ProcessGroupNCCL copies each
  // rank's slice out of (or into) a flat buffer: one copy kernel per rank per collective.
  bool zero_list_collectives = false;
};

// Reads the common header (schema_version, kind, id, name, sources) and checks the kind.
void read_header(MapReader& r, const std::string& kind, std::string& id, std::string& name);

AcceleratorSpec read_accelerator(const Node& n, Diagnostics& d);
NodeSpec read_node(const Node& n, Diagnostics& d);
FabricSpec read_fabric(const Node& n, Diagnostics& d);
SiteSpec read_site(const Node& n, Diagnostics& d);
SoftwareSpec read_software(const Node& n, Diagnostics& d);

}  // namespace mlsim::spec
