// Training across accelerators: the pipeline's fill and drain, ZeRO's memory, tensor and sequence
// parallelism's activation split, and the layouts that cannot run, each derived by hand.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <algorithm>
#include <string>

#include "../support.hpp"
#include "analysis/evaluate.hpp"
#include "solvers/collectives.hpp"
#include "system/cluster.hpp"
#include "workload/memory.hpp"
#include "workload/params.hpp"

namespace mlsim {
namespace {

// A GPT-style model of 32 layers on a DGX A100 cluster, with a software entry without host cost so
// that stages differ only by their embedding and head.
std::string scenario_yaml(const std::string& parallelism, const std::string& extra = "", long long count = 8,
                          long long vocab = 128) {
  return "schema_version: 1\nkind: scenario\nname: parallel\n"
         "system: {accelerator: a100_sxm_80gb, count: " + std::to_string(count) + ", node: dgx_a100" +
         (count > 8 ? ", fabric: ib_hdr200_fat_tree" : "") + "}\n"
         "software: {schema_version: 1, kind: software, host_per_kernel: 0 us, graph_launch: 0 us, workspace: 0 GiB}\n"
         "model: {schema_version: 1, kind: model, architecture: decoder, layers: 32, hidden: 4096, heads: 32, ffn: 16384,\n"
         "        activation: gelu, norm: layernorm, bias: true, positions: learned, max_seq_len: 2048, vocab: " +
         std::to_string(vocab) + ", tied_embeddings: true}\n"
         "training: {seq_len: 2048, global_batch: 64, micro_batch: 1, precision: fp16, recompute: full,\n"
         "           parallelism: " + parallelism + extra + "}\n";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// The cluster graph of a scenario's system, to price a collective by hand.
system::Cluster cluster_of(const std::string& yaml) {
  Diagnostics d;
  const auto s = test::scenario_from_text(yaml, d);
  INFO(d.format());
  REQUIRE(s.has_value());
  return system::Cluster::build(s->system);
}

analysis::Estimate run(const std::string& yaml) {
  Diagnostics d;
  const auto s = test::scenario_from_text(yaml, d);
  INFO(d.format());
  REQUIRE(s.has_value());
  analysis::Evaluator ev;
  return ev.evaluate(*s);
}

}  // namespace

TEST_CASE("1F1B: the bubble is (p - 1) / (m + p - 1) when the stages are alike") {
  // pp = 8 stages, dp = 1, 64 micro-batches. With a vocabulary of 128 the embedding and the head
  // are negligible, so every stage takes the same time t and the step is (m + p - 1) t: the idle
  // share is 7 / 71 = 0.0986 (Narayanan et al. 2021, eq. 1), plus the sends on the fill and drain.
  const auto e = run(scenario_yaml("{pp: 8, dp: 1}"));
  REQUIRE(e.feasible);
  REQUIRE(e.training.has_value());
  const auto& t = *e.training;
  CHECK(t.micro_batches == 64);
  const double expected = 7.0 / 71.0;
  // The bubble is measured against the step, which also holds the optimizer and exposed sends.
  CHECK(t.bubble_s / (t.step_time_s - t.optimizer_s - t.exposed_pp_s) == mlsim::test::approx(expected).epsilon(0.02));
  // The critical path is never shorter than the busiest stage's work.
  CHECK(t.step_time_s >= t.compute_s);
  // DP = 1: no gradient traffic.
  CHECK(t.exposed_dp_s == 0.0);
  // Fewer micro-batches, larger bubble: 8 micro-batches give 7 / 15.
  const auto few = run(replaced(scenario_yaml("{pp: 8, dp: 1}"), "global_batch: 64", "global_batch: 8"));
  REQUIRE(few.training.has_value());
  const auto& f = *few.training;
  CHECK(f.micro_batches == 8);
  CHECK(f.bubble_s / (f.step_time_s - f.optimizer_s - f.exposed_pp_s) == mlsim::test::approx(7.0 / 15.0).epsilon(0.02));
}

TEST_CASE("ZeRO shards the optimizer (1), the gradients (2) and the weights (3) over DP") {
  // 8 GPUs, dp = 8: per-rank state of P parameters is 2P (fp16 weights), 4P (fp32 gradients) and
  // 12P (fp32 master weights, Adam m and v); ZeRO-k divides the first k of (optimizer, gradients,
  // weights) by 8.
  Diagnostics d;
  const auto s0 = test::scenario_from_text(scenario_yaml("{dp: 8, zero: 0}"), d);
  REQUIRE(s0.has_value());
  const double P = workload::count_params(s0->model).total;
  for (int zero = 0; zero <= 3; ++zero) {
    CAPTURE(zero);
    const auto e = run(scenario_yaml("{dp: 8, zero: " + std::to_string(zero) + "}"));
    CHECK(e.memory.optimizer_bytes == mlsim::test::approx(12.0 * P / (zero >= 1 ? 8.0 : 1.0)).epsilon(1e-12));
    CHECK(e.memory.gradients_bytes == mlsim::test::approx(4.0 * P / (zero >= 2 ? 8.0 : 1.0)).epsilon(1e-12));
    CHECK(e.memory.weights_bytes == mlsim::test::approx(2.0 * P / (zero >= 3 ? 8.0 : 1.0)).epsilon(1e-12));
  }
}

TEST_CASE("fp8 training as Transformer Engine runs it: fp8 GEMM inputs, a bf16 stream, bf16 attention, and the casts") {
  // One H100, two layers of hidden 1024 (8 heads of 128, ffn 4096), one sequence of 1024 tokens.
  const auto yaml = [](const std::string& precision) {
    return "schema_version: 1\nkind: scenario\nname: fp8\nsystem: {accelerator: h100_sxm, count: 1}\n"
           "software: {schema_version: 1, kind: software, host_per_kernel: 0 us, graph_launch: 0 us, workspace: 0 GiB}\n"
           "model: {schema_version: 1, kind: model, architecture: decoder, layers: 2, hidden: 1024, heads: 8, ffn: 4096,\n"
           "        activation: gelu, norm: layernorm, bias: false, positions: rope, max_seq_len: 1024, vocab: 128,\n"
           "        tied_embeddings: false}\n"
           "training: {seq_len: 1024, global_batch: 1, micro_batch: 1, precision: " + precision + ", recompute: none}\n";
  };
  const auto fp8 = test::evaluate_text(yaml("fp8"));
  const auto bf16 = test::evaluate_text(yaml("bf16"));
  REQUIRE(fp8.feasible);
  REQUIRE(bf16.feasible);
  const auto rows = [](const analysis::Estimate& e, const std::string& name, const std::string& phase) {
    double bytes = 0.0, time = 0.0;
    for (const auto& r : e.operators) {
      if (r.name == name && r.phase == phase) {
        bytes += r.bytes * r.count;
        time += r.time_s * r.count;
      }
    }
    return std::pair{bytes, time};
  };
  // The QKV GEMM reads its fp8 weight (1024 x 3072) and fp8 input (1024 x 1024) and writes bf16:
  // 3145728 + 1024 x (1024 x 1 + 3072 x 2) = 10485760 bytes per layer.
  CHECK(rows(fp8, "qkv_proj", "forward").first == mlsim::test::approx(2.0 * 10485760.0));
  // The norms run on the bf16 stream in both: 2 x 1024 x 1024 elements x 2 bytes per layer.
  CHECK(rows(fp8, "attn_norm", "forward").first == mlsim::test::approx(2.0 * 4194304.0));
  CHECK(rows(fp8, "attn_norm", "forward").first == mlsim::test::approx(rows(bf16, "attn_norm", "forward").first));
  // The fused attention runs in bf16 in both (fp8 would halve its compute-bound time).
  CHECK(rows(fp8, "attention", "forward").second == mlsim::test::approx(rows(bf16, "attention", "forward").second).epsilon(0.01));
  // The forward casts: per layer the four GEMMs' inputs (1024 x (1024 + 1024 + 1024 + 4096)) and
  // weights (1024 x 3072 + 1024 x 1024 + 1024 x 4096 + 4096 x 1024), read in bf16 and written
  // twice in fp8 (4 bytes per element): 4 x 19 x 1048576 bytes; the backward casts the outputs'
  // gradients (1024 x (3072 + 1024 + 4096 + 1024)) the same way.
  CHECK(rows(fp8, "fp8_cast", "forward").first == mlsim::test::approx(2.0 * 4.0 * 19.0 * 1048576.0));
  CHECK(rows(fp8, "fp8_cast_grad", "backward").first == mlsim::test::approx(2.0 * 4.0 * 9.0 * 1048576.0));
  CHECK(rows(bf16, "fp8_cast", "forward").first == 0.0);
}

TEST_CASE("overlapped gradient all-reduce: the compute it hides under runs 1 + sigma slower, so C sigma / (1 + sigma) shows") {
  // dp 8, ZeRO-0, eight micro-batches: the all-reduce of the gradients (C, exposed whole without
  // overlap) is shorter than the last micro-batch's backward, so with overlap and a free overlap
  // nothing shows; at sigma = 0.189 (the A100 entry's, Lee et al. 2025) the backward advances only
  // C / 1.189 while the collective runs and C x 0.189 / 1.189 is left over.
  const std::string yaml = scenario_yaml("{dp: 8}");
  const auto serial = test::evaluate_text(scenario_yaml("{dp: 8}", ", overlap: {dp_grad: false}"));
  const auto free_overlap = test::evaluate_text(yaml, {{"system.accelerator.efficiency.overlap_slowdown", "0"}});
  const auto loaded = test::evaluate_text(yaml);
  REQUIRE(serial.training.has_value());
  REQUIRE(free_overlap.training.has_value());
  REQUIRE(loaded.training.has_value());
  const double c = serial.training->exposed_dp_s;
  REQUIRE(c > 0.0);
  CHECK(free_overlap.training->exposed_dp_s == 0.0);
  CHECK(loaded.training->exposed_dp_s == mlsim::test::approx(c * 0.189 / 1.189).epsilon(1e-9));
  CHECK(loaded.training->step_time_s - free_overlap.training->step_time_s == mlsim::test::approx(c * 0.189 / 1.189).epsilon(1e-6));
  // Never more than running the two one after the other.
  CHECK(loaded.training->step_time_s < serial.training->step_time_s);
}

TEST_CASE("ZeRO-3's weight gathers are exposed DP communication, and all of the step-time difference to ZeRO-1") {
  // ZeRO-1 and ZeRO-3 shard the optimizer alike; ZeRO-1 ends the step with a reduce-scatter of the
  // gradients and an all-gather of the updated weights, ZeRO-3 with the reduce-scatter alone, and
  // gathers the weights for forward and backward of every micro-batch instead. That extra time is
  // the whole step difference and shows in exposed DP time.
  // One collective for the stage's whole weights (zero_collectives: per_stage), as the ZeRO paper
  // counts the traffic.
  const auto stage_wide = [](std::string yaml) {
    return replaced(std::move(yaml), "workspace: 0 GiB}", "workspace: 0 GiB, zero_collectives: per_stage}");
  };
  const auto e1 = run(stage_wide(scenario_yaml("{dp: 8, zero: 1}")));
  const auto e3 = run(stage_wide(scenario_yaml("{dp: 8, zero: 3}")));
  REQUIRE(e1.training.has_value());
  REQUIRE(e3.training.has_value());
  const double extra = e3.training->exposed_dp_s - e1.training->exposed_dp_s;
  CHECK(extra > 0.0);
  CHECK(e3.training->step_time_s - e1.training->step_time_s == mlsim::test::approx(extra).epsilon(1e-9));

  // Without overlap, with m micro-batches: ZeRO-1 exposes RS + AG, ZeRO-3 RS + 2m·AG (ZeRO paper
  // section 7.2.2: 3Ψ per step against data parallelism's 2Ψ). So ZeRO-3 at m = 1 exposes one AG
  // more than ZeRO-1, and each further micro-batch adds two.
  const std::string serial = ", overlap: {dp_grad: false}";
  const auto exposed = [&](int zero, int micro_batches) {
    const auto e = run(replaced(stage_wide(scenario_yaml("{dp: 8, zero: " + std::to_string(zero) + "}", serial)), "global_batch: 64",
                                "global_batch: " + std::to_string(8 * micro_batches)));
    REQUIRE(e.training.has_value());
    REQUIRE(e.training->micro_batches == micro_batches);
    return e.training->exposed_dp_s;
  };
  const double all_gather = exposed(3, 1) - exposed(1, 1);
  CHECK(all_gather > 0.0);
  CHECK(exposed(3, 2) - exposed(3, 1) == mlsim::test::approx(2.0 * all_gather).epsilon(1e-9));
  CHECK(exposed(1, 2) == mlsim::test::approx(exposed(1, 1)).epsilon(1e-12));
}

TEST_CASE("ZeRO-3's collectives per layer and per weight matrix; DeepSpeed's list form copies per rank") {
  // dp = 8 in one DGX A100, one micro-batch, full recomputation, no overlap. ZeRO-3 gathers the
  // fp16 weights (2P bytes) for forward and backward and reduce-scatters the fp32 gradients (4P)
  // once. Split into n collectives of 1/n of the bytes each: per_layer, n = 32 layers; per_matrix,
  // n = 32 x 4 (QKV, output, MLP up and down), and DeepSpeed's forward hooks gather a third time
  // for the recomputed forward.
  const std::string layout = "{dp: 8, zero: 3}";
  const std::string serial = ", overlap: {dp_grad: false}";
  const auto with = [&](const std::string& keys) {
    return replaced(replaced(scenario_yaml(layout, serial), "workspace: 0 GiB}", "workspace: 0 GiB" + keys + "}"),
                    "global_batch: 64", "global_batch: 8");
  };
  Diagnostics d;
  const auto s = test::scenario_from_text(with(""), d);
  REQUIRE(s.has_value());
  const double P = workload::count_params(s->model).total;
  CHECK(workload::weight_matrices_per_layer(s->model) == 4.0);
  const auto cluster = system::Cluster::build(s->system);
  const auto path = cluster.place(8, 1);
  const auto split = [&](solvers::Collective c, double bytes, double n) { return n * solvers::collective(c, bytes / n, path).time_s; };
  const auto exposed = [&](const std::string& keys) {
    const auto e = run(with(keys));
    REQUIRE(e.training.has_value());
    REQUIRE(e.training->micro_batches == 1);
    return e.training->exposed_dp_s;
  };
  using solvers::Collective;
  CHECK(exposed("") == mlsim::test::approx(2.0 * split(Collective::kAllGather, 2.0 * P, 32.0) +
                                       split(Collective::kReduceScatter, 4.0 * P, 32.0)).epsilon(1e-9));
  const double per_matrix = 3.0 * split(Collective::kAllGather, 2.0 * P, 128.0) + split(Collective::kReduceScatter, 4.0 * P, 128.0);
  CHECK(exposed(", zero_collectives: per_matrix") == mlsim::test::approx(per_matrix).epsilon(1e-9));
  // More, smaller collectives pay the latency more often.
  CHECK(exposed(", zero_collectives: per_matrix") > exposed(", zero_collectives: per_stage"));
  // The list form: each of the 3 x 128 gathers and 128 reduce-scatters adds 8 copy kernels (one per
  // rank, 2.5 us apart on an A100: its device_gap) that move the buffer once (read and write).
  const double bw = s->system.accelerator.memory_bandwidth.si() * s->system.accelerator.efficiency.memory;
  const double copies = 4.0 * 128.0 * 8.0 * 2.5e-6 + (3.0 * 2.0 * (2.0 * P) + 2.0 * (4.0 * P)) / bw;
  CHECK(exposed(", zero_collectives: per_matrix, zero_list_collectives: true") == mlsim::test::approx(per_matrix + copies).epsilon(1e-9));
  // Under a host slower than the device gap, each rank's slice costs the host's per-op time (the
  // Python narrow that builds the list and the copy_ per rank): 21 us instead of 2.5 us.
  const auto host_bound = run(replaced(with(", zero_collectives: per_matrix, zero_list_collectives: true"), "host_per_kernel: 0 us",
                                       "host_per_kernel: 21 us"));
  REQUIRE(host_bound.training.has_value());
  CHECK(host_bound.training->exposed_dp_s ==
        mlsim::test::approx(per_matrix + copies + 4.0 * 128.0 * 8.0 * (21e-6 - 2.5e-6)).epsilon(1e-9));
}

TEST_CASE("ZeRO-3 prefetch: every gather but a pass's first runs beside the unit before it") {
  // dp = 8 in one DGX A100, one micro-batch, full recomputation, the gradients' reduce-scatter not
  // overlapped. Per layer (32 units), each pass's gathers take AG = 32 collectives of 2P/32 bytes.
  // With overlap.zero_prefetch the first unit's gather waits in full and the other 31 run beside
  // the compute of the unit before them, which here is longer (a layer's forward moves ~0.8 TFLOP
  // while its 400 MB gather takes ~2 ms), so only their overlap share sigma / (1 + sigma) shows
  // (sigma = 0.189, the A100 entry's). One unit for the stage (per_stage) has nothing to hide behind.
  const std::string layout = "{dp: 8, zero: 3}";
  const auto with = [&](const std::string& overlap, const std::string& keys) {
    return replaced(replaced(scenario_yaml(layout, ", overlap: {dp_grad: false" + overlap + "}"), "workspace: 0 GiB}",
                             "workspace: 0 GiB" + keys + "}"),
                    "global_batch: 64", "global_batch: 8");
  };
  Diagnostics d;
  const auto s = test::scenario_from_text(with("", ""), d);
  REQUIRE(s.has_value());
  const double P = workload::count_params(s->model).total;
  const auto path = system::Cluster::build(s->system).place(8, 1);
  const double ag = 32.0 * solvers::collective(solvers::Collective::kAllGather, 2.0 * P / 32.0, path).time_s;
  const double rs = 32.0 * solvers::collective(solvers::Collective::kReduceScatter, 4.0 * P / 32.0, path).time_s;
  const auto exposed = [&](const std::string& overlap, const std::string& keys) {
    const auto e = run(with(overlap, keys));
    REQUIRE(e.training.has_value());
    REQUIRE(e.training->micro_batches == 1);
    return e.training->exposed_dp_s;
  };
  const double share = 0.189 / 1.189;
  const double first = ag / 32.0;
  CHECK(exposed("", "") == mlsim::test::approx(2.0 * ag + rs).epsilon(1e-9));
  CHECK(exposed(", zero_prefetch: true", "") == mlsim::test::approx(2.0 * (first + (ag - first) * share) + rs).epsilon(1e-9));
  // The step shortens by what the prefetch hides.
  const auto serial = run(with("", "")), prefetch = run(with(", zero_prefetch: true", ""));
  REQUIRE(serial.training.has_value());
  REQUIRE(prefetch.training.has_value());
  CHECK(serial.training->step_time_s - prefetch.training->step_time_s ==
        mlsim::test::approx(2.0 * (ag - first) * (1.0 - share)).epsilon(1e-6));
  CHECK(prefetch.training->layer_forward_s < serial.training->layer_forward_s);
  const std::string one_unit = ", zero_collectives: per_stage";
  CHECK(exposed(", zero_prefetch: true", one_unit) == mlsim::test::approx(exposed("", one_unit)).epsilon(1e-12));
}

TEST_CASE("ZeRO-2/3 reducing in every micro-batch (DeepSpeed) exposes one reduce-scatter per micro-batch") {
  // dp = 8, ZeRO-2, no overlap, 4 micro-batches: the step reduce-scatters the fp32 gradients 4 times
  // and all-gathers the updated fp16 weights once; reducing once per step does each once.
  Diagnostics d;
  const std::string yaml = replaced(scenario_yaml("{dp: 8, zero: 2}", ", overlap: {dp_grad: false}"), "global_batch: 64", "global_batch: 32");
  const auto s = test::scenario_from_text(yaml, d);
  REQUIRE(s.has_value());
  const double P = workload::count_params(s->model).total;
  const auto path = system::Cluster::build(s->system).place(8, 1);
  const double rs = solvers::collective(solvers::Collective::kReduceScatter, 4.0 * P, path).time_s;
  const double ag = solvers::collective(solvers::Collective::kAllGather, 2.0 * P, path).time_s;
  const auto once = run(yaml);
  const auto every = run(replaced(yaml, "workspace: 0 GiB}", "workspace: 0 GiB, zero_grad_reduce: per_micro_batch}"));
  REQUIRE(once.training.has_value());
  REQUIRE(every.training.has_value());
  REQUIRE(every.training->micro_batches == 4);
  CHECK(once.training->exposed_dp_s == mlsim::test::approx(rs + ag).epsilon(1e-9));
  CHECK(every.training->exposed_dp_s == mlsim::test::approx(4.0 * rs + ag).epsilon(1e-9));
}

TEST_CASE("overlap defaults come from the software entry; the scenario's training.overlap wins") {
  // megatron_2021 all-reduced gradients after the backward pass and blocked on its pipeline sends;
  // pytorch_eager (DDP) overlaps its gradients.
  const std::string inline_software =
      "software: {schema_version: 1, kind: software, host_per_kernel: 0 us, graph_launch: 0 us, workspace: 0 GiB}";
  const std::string base = replaced(scenario_yaml("{dp: 8}"), inline_software, "software: megatron_2021");
  const std::string overlapped =
      replaced(scenario_yaml("{dp: 8}", ", overlap: {dp_grad: true}"), inline_software, "software: megatron_2021");
  Diagnostics d;
  auto s = test::scenario_from_text(base, d);
  REQUIRE(s.has_value());
  CHECK_FALSE(s->training->overlap_dp_grad);
  CHECK_FALSE(s->training->overlap_tp_comm);
  CHECK_FALSE(s->training->overlap_pp_p2p);   // blocking sends, torch.cuda.synchronize() after each
  CHECK_FALSE(s->training->overlap_tp_backward);   // the 2021 code's TP all-reduces were synchronous
  s = test::scenario_from_text(replaced(base, "software: megatron_2021", "software: pytorch_eager"), d);
  REQUIRE(s.has_value());
  CHECK(s->training->overlap_dp_grad);
  // Megatron-Core runs each input-gradient all-reduce beside the weight-gradient GEMM.
  s = test::scenario_from_text(replaced(base, "software: megatron_2021", "software: megatron"), d);
  REQUIRE(s.has_value());
  CHECK(s->training->overlap_tp_backward);
  s = test::scenario_from_text(overlapped, d);
  INFO(d.format());
  REQUIRE(s.has_value());
  CHECK(s->training->overlap_dp_grad);
  // Not overlapped, the whole gradient all-reduce is exposed; overlapped, at most what outlasts backward.
  const auto exposed = run(base);
  const auto hidden = run(overlapped);
  CHECK(exposed.training->exposed_dp_s > 0.0);
  CHECK(hidden.training->exposed_dp_s < exposed.training->exposed_dp_s);
}

TEST_CASE("tensor and sequence parallelism divide a layer's activations as Korthikanti et al. derive") {
  // GPT layer, s = 2048, b = 1, h = 4096, a = 32 heads, fp16, materialized attention with dropout:
  // without SP sbh(10 + 24/t + 5as/(ht)), with SP sbh(34/t + 5as/(ht)); t = 8.
  spec::ModelSpec m = test::tiny_model();
  m.hidden = 4096;
  m.heads = m.kv_heads = 32;
  m.head_dim = 128;
  m.ffn = 16384;
  m.activation = spec::Activation::kGelu;
  m.attention = spec::AttentionKind::kMha;
  m.dropout = 0.1;
  const double s = 2048, h = 4096, a = 32, t = 8;
  const double sbh = s * h;
  const double no_sp = workload::layer_activation_bytes_tp(m, s, Precision::kFp16, spec::Recompute::kNone, false, false, t, false);
  const double with_sp = workload::layer_activation_bytes_tp(m, s, Precision::kFp16, spec::Recompute::kNone, false, false, t, true);
  CHECK(no_sp == mlsim::test::approx(sbh * (10.0 + 24.0 / t + 5.0 * a * s / (h * t))).epsilon(1e-12));
  CHECK(with_sp == mlsim::test::approx(sbh * (34.0 / t + 5.0 * a * s / (h * t))).epsilon(1e-12));
  // Full recompute keeps the layer input, 2sbh, split along the sequence with SP.
  CHECK(workload::layer_activation_bytes_tp(m, s, Precision::kFp16, spec::Recompute::kFull, false, false, t, true) ==
        mlsim::test::approx(2.0 * sbh / t).epsilon(1e-12));
}

TEST_CASE("layouts that cannot run come back as data with the reason") {
  auto e = run(scenario_yaml("{tp: 16, dp: 1}", "", 16));
  CHECK_FALSE(e.feasible);
  CHECK(e.infeasible_reason ==
        "tp (16) is larger than a node (8 accelerators): tensor-parallel collectives would cross the scale-out fabric every layer");
  e = run(scenario_yaml("{tp: 2, dp: 2}"));
  CHECK_FALSE(e.feasible);
  CHECK(e.infeasible_reason == "system.count (8) is not tp x pp x dp x cp (4)");
  e = run(scenario_yaml("{pp: 8, virtual_stages: 3, schedule: interleaved}"));
  CHECK_FALSE(e.feasible);
  CHECK(e.infeasible_reason == "layers (32) are not divisible by pp x virtual_stages (24)");
  e = run(replaced(replaced(scenario_yaml("{tp: 8, dp: 1}"), "heads: 32", "heads: 36"), "hidden: 4096", "hidden: 4608"));
  CHECK_FALSE(e.feasible);
  CHECK(e.infeasible_reason == "heads (36) are not divisible by tp (8)");
}

TEST_CASE("more micro-batches shrink the bubble; interleaving shrinks it further") {
  const auto m8 = run(scenario_yaml("{pp: 4, dp: 2}"));
  REQUIRE(m8.training.has_value());
  // global 64 / (micro 1 x dp 2) = 32 micro-batches on 4 stages: 3 / 35 of the pipeline idles.
  CHECK(m8.training->micro_batches == 32);
  const auto inter = run(scenario_yaml("{pp: 4, dp: 2, schedule: interleaved, virtual_stages: 2}"));
  REQUIRE(inter.training.has_value());
  REQUIRE(inter.feasible);
  // Interleaving v = 2 halves the fill: (p - 1) t / v.
  CHECK(inter.training->bubble_s == mlsim::test::approx(m8.training->bubble_s / 2.0).epsilon(0.05));
}

TEST_CASE("full recompute: micro-batches in flight keep their layer inputs, one layer is recomputed at a time") {
  // pp = 8 on 32 layers: 4 layers per stage; 64 micro-batches, so 1F1B keeps 8 in flight on the
  // first stage. Each keeps its layers' inputs, s·h·2 B = 2048 x 4096 x 2 = 16,777,216 B per layer;
  // the layer being recomputed holds its whole set once, whatever the number in flight.
  const auto e = run(scenario_yaml("{pp: 8, dp: 1}"));
  REQUIRE(e.feasible);
  Diagnostics d;
  const auto s = test::scenario_from_text(scenario_yaml("{pp: 8, dp: 1}"), d);
  REQUIRE(s.has_value());
  const double working =
      workload::layer_activation_bytes_tp(s->model, 2048, Precision::kFp16, spec::Recompute::kNone, true, false, 1.0, false);
  CHECK(e.memory.activations_bytes == mlsim::test::approx(working + 8.0 * 4.0 * 16'777'216.0).epsilon(1e-12));
}

}  // namespace mlsim

namespace mlsim {

TEST_CASE("tensor parallel: four all-reduces per layer and micro-batch, six with full recomputation") {
  // tp = 8 inside one DGX A100, 64 micro-batches of one 2048-token sequence, 32 layers, fp16,
  // no sequence parallelism and no overlap: Megatron's g operators all-reduce the 2048 x 4096 x 2 B
  // = 16.8 MB activations after attention and after the MLP in forward, its f operators the input
  // gradients before them in backward (Shoeybi et al. 2019, figure 3); full recomputation
  // repeats the forward pair.
  const std::string layout = "{tp: 8, dp: 1, sequence_parallel: false}";
  const auto cluster = cluster_of(scenario_yaml(layout));
  const double one = solvers::collective(solvers::Collective::kAllReduce, 2048.0 * 4096.0 * 2.0, cluster.place(8, 1)).time_s;
  REQUIRE(one > 0.0);
  const auto full = run(scenario_yaml(layout));
  REQUIRE(full.training.has_value());
  CHECK(full.training->micro_batches == 64);
  CHECK(full.training->exposed_tp_s == mlsim::test::approx(64.0 * 32.0 * 6.0 * one).epsilon(1e-9));
  const auto none = run(replaced(scenario_yaml(layout), "recompute: full", "recompute: none"));
  REQUIRE(none.training.has_value());
  CHECK(none.training->exposed_tp_s == mlsim::test::approx(64.0 * 32.0 * 4.0 * one).epsilon(1e-9));
}

TEST_CASE("asynchronous TP backward: each input-gradient collective runs beside its weight-gradient GEMM") {
  // tp = 8 as above, no recomputation, with Megatron-LM's asynchronous all-reduce: forward keeps
  // its two all-reduces exposed; in backward the all-reduce of the QKV input gradient runs beside
  // the QKV weight-gradient GEMM (half of that linear's backward, W), the MLP-up one beside MLP-up's,
  // so each shows max(C - W, C sigma / (1 + sigma)) with the A100's sigma = 0.189.
  const double sigma = 0.189;
  const auto shown = [sigma](double c, double w) { return std::max(c - w, c * sigma / (1.0 + sigma)); };
  const auto half_backward = [](const analysis::Estimate& e, const std::string& name) {
    for (const auto& row : e.operators) {
      if (row.name == name && row.phase == "backward") return 0.5 * row.time_s;
    }
    FAIL("no backward row for " << name);
    return 0.0;
  };
  const auto cluster = cluster_of(scenario_yaml("{tp: 8, dp: 1}"));
  const double buffer = 2048.0 * 4096.0 * 2.0;
  const double ar = solvers::collective(solvers::Collective::kAllReduce, buffer, cluster.place(8, 1)).time_s;
  const double rs = solvers::collective(solvers::Collective::kReduceScatter, buffer, cluster.place(8, 1)).time_s;
  const double ag = solvers::collective(solvers::Collective::kAllGather, buffer, cluster.place(8, 1)).time_s;
  const auto yaml = [](const std::string& layout, bool async) {
    return replaced(scenario_yaml(layout, async ? ", overlap: {tp_backward: true}" : ""), "recompute: full", "recompute: none");
  };

  const auto plain = run(yaml("{tp: 8, dp: 1, sequence_parallel: false}", false));
  const auto async = run(yaml("{tp: 8, dp: 1, sequence_parallel: false}", true));
  REQUIRE(async.training.has_value());
  const double wq = half_backward(async, "qkv_proj"), wm = half_backward(async, "mlp_up");
  REQUIRE(wq > 0.0);
  CHECK(async.training->exposed_tp_s == mlsim::test::approx(64.0 * 32.0 * (2.0 * ar + shown(ar, wq) + shown(ar, wm))).epsilon(1e-9));
  CHECK(async.training->exposed_tp_s < plain.training->exposed_tp_s);

  // Sequence parallelism: the linear keeps only its shard of the input, so its backward gathers
  // it again beside the input-gradient GEMM (the other half) and reduce-scatters the input
  // gradient beside the weight-gradient one; the all-gathers conjugate to the forward's
  // reduce-scatters after the row-parallel linears stay exposed.
  const auto sp = run(yaml("{tp: 8, dp: 1, sequence_parallel: true}", true));
  REQUIRE(sp.training.has_value());
  const double sq = half_backward(sp, "qkv_proj"), sm = half_backward(sp, "mlp_up");
  const double block_q = ag + shown(ag, sq) + shown(rs, sq), block_m = ag + shown(ag, sm) + shown(rs, sm);
  CHECK(sp.training->exposed_tp_s == mlsim::test::approx(64.0 * 32.0 * (2.0 * (rs + ag) + block_q + block_m)).epsilon(1e-9));
}

TEST_CASE("pipeline sends: scattered over the TP ranks, gathered again on arrival unless sequence parallel") {
  // tp 2 x pp 4 on one DGX A100, overlapped sends: the fill and drain expose 2 (p - 1) = 6 transfers.
  // Each moves 2048 x 4096 x 2 B / tp between stages (Megatron's scatter/gather optimization);
  // without sequence parallelism the receiver all-gathers the whole 16.8 MB over its TP pair
  // (Narayanan et al. 2021, section 4.1); with it each rank keeps its sequence shard.
  const std::string layout = "{tp: 2, pp: 4, dp: 1, sequence_parallel: false}";
  const auto cluster = cluster_of(scenario_yaml(layout));
  const double full = 2048.0 * 4096.0 * 2.0;
  const double send = solvers::collective(solvers::Collective::kSendRecv, full / 2.0, cluster.place(2, 2)).time_s;
  const double gather = solvers::collective(solvers::Collective::kAllGather, full, cluster.place(2, 1)).time_s;
  REQUIRE(send > 0.0);
  REQUIRE(gather > 0.0);
  const auto plain = run(scenario_yaml(layout));
  REQUIRE(plain.training.has_value());
  CHECK(plain.training->exposed_pp_s == mlsim::test::approx(6.0 * (send + gather)).epsilon(1e-9));
  const auto sp = run(scenario_yaml("{tp: 2, pp: 4, dp: 1, sequence_parallel: true}"));
  REQUIRE(sp.training.has_value());
  CHECK(sp.training->exposed_pp_s == mlsim::test::approx(6.0 * send).epsilon(1e-9));
}

TEST_CASE("sequence parallelism defaults come from the software entry") {
  const std::string inline_software = "software: {schema_version: 1, kind: software, host_per_kernel: 0 us, graph_launch: 0 us, workspace: 0 GiB}";
  Diagnostics d;
  // No software default: on whenever tp > 1.
  const auto on = test::scenario_from_text(scenario_yaml("{tp: 8, dp: 1}"), d);
  REQUIRE(on.has_value());
  CHECK(on->training->parallelism.sequence_parallel);
  // Megatron 2021 had none.
  const auto off = test::scenario_from_text(replaced(scenario_yaml("{tp: 8, dp: 1}"), inline_software, "software: megatron_2021"), d);
  REQUIRE(off.has_value());
  CHECK_FALSE(off->training->parallelism.sequence_parallel);
  // The scenario wins over the software entry.
  const auto forced = test::scenario_from_text(
      replaced(scenario_yaml("{tp: 8, dp: 1, sequence_parallel: true}"), inline_software, "software: megatron_2021"), d);
  REQUIRE(forced.has_value());
  CHECK(forced->training->parallelism.sequence_parallel);
}

}  // namespace mlsim

namespace mlsim {

TEST_CASE("uneven layers_per_stage: the stage with the most layers paces the pipeline") {
  // pp = 4, 64 micro-batches, 32 layers: even stages of 8, or [4, 4, 4, 20]. The 20-layer stage
  // does 2.5x the work of an even one, so the steady state (64 micro-batches) takes ~2.5x as long.
  const auto even = run(scenario_yaml("{pp: 4, dp: 2}"));
  const auto uneven = run(scenario_yaml("{pp: 4, dp: 2, layers_per_stage: [4, 4, 4, 20]}"));
  REQUIRE(even.feasible);
  REQUIRE(uneven.feasible);
  const double ratio = (uneven.training->step_time_s - uneven.training->optimizer_s) /
                       (even.training->step_time_s - even.training->optimizer_s);
  CHECK(ratio > 2.2);
  CHECK(ratio < 2.6);
  // A list that does not add up to the layers is an infeasible layout, with the reason.
  const auto bad = run(scenario_yaml("{pp: 4, dp: 2, layers_per_stage: [4, 4, 4, 4]}"));
  CHECK_FALSE(bad.feasible);
  CHECK(bad.infeasible_reason.find("sums to 16") != std::string::npos);
}

TEST_CASE("zero-bubble and DualPipe schedules run on the task graph and beat 1F1B's bubble") {
  // pp = 8, 16 micro-batches (dp = 1 with a global batch of 16).
  const std::string base = replaced(scenario_yaml("{pp: 8, dp: 1, schedule: SCHED}"), "global_batch: 64", "global_batch: 16");
  const auto f1b = run(replaced(base, "SCHED", "1f1b"));
  const auto zb = run(replaced(base, "SCHED", "zero_bubble"));
  const auto dual = run(replaced(base, "SCHED", "dualpipe"));
  REQUIRE(f1b.feasible);
  REQUIRE(zb.feasible);
  REQUIRE(dual.feasible);
  // With full recomputation inside B, W is a smaller share of the backward than F = B = W of the
  // paper's 1/3 case, so the gain is smaller.
  CHECK(zb.training->bubble_s < 0.8 * f1b.training->bubble_s);
  CHECK(dual.training->step_time_s < f1b.training->step_time_s);
  // 1F1B's bubble here is (p - 1) / (m + p - 1) = 7 / 23 of the pipeline.
  const auto& t = *f1b.training;
  CHECK(t.bubble_s / (t.step_time_s - t.optimizer_s - t.exposed_pp_s) == mlsim::test::approx(7.0 / 23.0).epsilon(0.02));
}

}  // namespace mlsim

namespace mlsim {

TEST_CASE("placement order: TP placed outside DP crosses the nodes, and pays for it") {
  // 16 GPUs in two DGX A100, tp 4 x dp 4. Default order (TP innermost): each TP group is 4 GPUs of
  // one node. Order [dp, tp, cp, pp]: TP ranks sit 4 apart, so a group spans both nodes and its
  // all-reduces cross InfiniBand.
  const auto inside = run(scenario_yaml("{tp: 4, dp: 4}", "", 16));
  const auto across = run(scenario_yaml("{tp: 4, dp: 4, order: [dp, tp, cp, pp]}", "", 16));
  REQUIRE(inside.feasible);
  REQUIRE(across.feasible);
  CHECK(across.training->exposed_tp_s > 2.0 * inside.training->exposed_tp_s);
  Diagnostics d;
  const auto s = test::scenario_from_text(scenario_yaml("{tp: 4, dp: 4, order: [dp, tp, cp, pp]}", "", 16), d);
  REQUIRE(s.has_value());
  CHECK(s->training->parallelism.stride_of("tp") == 4);
  CHECK(s->training->parallelism.stride_of("dp") == 1);
  CHECK(s->training->parallelism.stride_of("pp") == 16);
  // Not a permutation of the four dimensions: an error at the key.
  Diagnostics bad;
  CHECK_FALSE(test::scenario_from_text(scenario_yaml("{tp: 4, dp: 4, order: [tp, ep, dp, pp]}", "", 16), bad).has_value());
  CHECK(bad.format().find("order: expected the four dimensions") != std::string::npos);
}

}  // namespace mlsim

namespace mlsim {
namespace {

const analysis::OperatorRow& row(const analysis::Estimate& e, const std::string& name, const std::string& phase) {
  for (const auto& r : e.operators) {
    if (r.name == name && r.phase == phase) return r;
  }
  FAIL("no operator " << name);
  return e.operators.front();
}

}  // namespace

TEST_CASE("the MLP activation runs on the column-parallel output: split by TP with or without SP") {
  // GeLU on s x ffn / t: read and write 2048 x 16384 / t fp16 elements = 134.2 MB / t per layer.
  const auto one = run(scenario_yaml("{tp: 1, pp: 1, dp: 8}"));
  const auto tp2 = run(scenario_yaml("{tp: 2, pp: 1, dp: 4, sequence_parallel: false}"));
  const auto tp2_sp = run(scenario_yaml("{tp: 2, pp: 1, dp: 4, sequence_parallel: true}"));
  const double full = 2.0 * 2048.0 * 16384.0 * 2.0;
  CHECK(row(one, "mlp_act", "forward").bytes == mlsim::test::approx(full).epsilon(1e-12));
  CHECK(row(tp2, "mlp_act", "forward").bytes == mlsim::test::approx(full / 2.0).epsilon(1e-12));
  CHECK(row(tp2_sp, "mlp_act", "forward").bytes == mlsim::test::approx(full / 2.0).epsilon(1e-12));
  // The norms on the hidden states stay replicated without SP (2048 x 4096 x 2 B read + written).
  CHECK(row(tp2, "attn_norm", "forward").bytes == mlsim::test::approx(2.0 * 2048.0 * 4096.0 * 2.0).epsilon(1e-12));
  CHECK(row(tp2_sp, "attn_norm", "forward").bytes == mlsim::test::approx(2048.0 * 4096.0 * 2.0).epsilon(1e-12));
}

TEST_CASE("gradient accumulation: a separate add per micro-batch unless fused into the weight-gradient GEMM") {
  // A GPT layer's parameters: 12h^2 + 13h = 201,379,840 for h = 4096 (QKV, projection, MLP weights
  // and biases, two LayerNorms). Per micro-batch the add reads the fp16 gradient (2 B) and reads
  // and writes the fp32 buffer (2 x 4 B): 10 B per parameter, 1 / tp of them per rank.
  const double layer = 12.0 * 4096.0 * 4096.0 + 13.0 * 4096.0;
  const auto with = [&](const std::string& mode, const std::string& par) {
    std::string y = scenario_yaml(par);
    y = replaced(y, "software: {schema_version: 1, kind: software, host_per_kernel: 0 us, graph_launch: 0 us, workspace: 0 GiB}\n", "");
    y = replaced(y, "recompute: full,", "recompute: full, grad_precision: fp32,");
    y += "software: {schema_version: 1, kind: software, host_per_kernel: 0 us, graph_launch: 0 us, workspace: 0 GiB, "
         "grad_accumulation: " + mode + "}\n";
    return run(y);
  };
  // 64 sequences over dp 8 at micro-batch 1: 8 micro-batches per step.
  const auto buf = with("buffer", "{tp: 1, pp: 1, dp: 8}");
  CHECK(row(buf, "grad_accumulate", "backward").bytes == mlsim::test::approx(layer * 10.0).epsilon(1e-12));
  CHECK(row(buf, "grad_accumulate", "backward").count == mlsim::test::approx(32.0 * 8.0).epsilon(1e-12));
  // PyTorch's AccumulateGrad assigns the first micro-batch's gradient: 7 adds in 8 micro-batches.
  const auto autograd = with("autograd", "{tp: 2, pp: 1, dp: 4}");
  CHECK(row(autograd, "grad_accumulate", "backward").bytes ==
        mlsim::test::approx(layer * 10.0 * (15.0 / 16.0) / 2.0).epsilon(1e-12));   // 16 micro-batches on dp 4
  const auto fused = with("fused", "{tp: 1, pp: 1, dp: 8}");
  for (const auto& r : fused.operators) CHECK(r.name != "grad_accumulate");
  CHECK(fused.training->step_time_s < buf.training->step_time_s);
}

}  // namespace mlsim

namespace mlsim {

TEST_CASE("batch-size ramp-up: each batch of the ramp takes an equal share of its samples at its own step time") {
  // 64 sequences of 2048 tokens per step on dp 8 at micro-batch 1 (8 micro-batches); the ramp starts
  // at 16 and grows by 16: batches 16, 32 and 48, each for 1/3 of the first 960 sequences. 64,000
  // sequences in all (131,072,000 tokens).
  const std::string base = scenario_yaml("{tp: 1, pp: 1, dp: 8}");
  const std::string ramped = replaced(base, "recompute: full,", "recompute: full, tokens: 131072000, "
                                                                 "batch_rampup: {start: 16, increment: 16, samples: 960},");
  const auto e = run(ramped);
  REQUIRE(e.training);
  REQUIRE(e.training->time_to_train_s);
  const auto step_at = [&](long long batch) {
    return run(replaced(base, "global_batch: 64", "global_batch: " + std::to_string(batch))).training->step_time_s;
  };
  const double g = 64.0, step_g = e.training->step_time_s;
  const double ramp = 320.0 / 16.0 * step_at(16) + 320.0 / 32.0 * step_at(32) + 320.0 / 48.0 * step_at(48);
  const double expected = ramp + (64000.0 - 960.0) / g * step_g;
  CHECK(*e.training->time_to_train_s == mlsim::test::approx(expected).epsilon(1e-9));
  CHECK(e.training->rampup_s == mlsim::test::approx(ramp - 960.0 / g * step_g).epsilon(1e-9));
  CHECK(e.training->rampup_s > 0.0);   // smaller batches amortize the optimizer step over fewer sequences

  // 31 batches (8 to 248 by 8 toward 256): 17 are evaluated, the others interpolated; without a
  // pipeline a step is nearly linear in its micro-batches, so the interpolation is within 0.1%.
  std::string wide = replaced(base, "global_batch: 64", "global_batch: 256");
  const auto w = run(replaced(wide, "recompute: full,", "recompute: full, tokens: 131072000, batch_rampup: {start: 8, increment: 8, samples: 3100},"));
  double sum = 0.0;
  for (long long b = 8; b < 256; b += 8) sum += 100.0 / static_cast<double>(b) * run(replaced(wide, "global_batch: 256", "global_batch: " + std::to_string(b))).training->step_time_s;
  CHECK(w.training->rampup_s == mlsim::test::approx(sum - 3100.0 / 256.0 * w.training->step_time_s).epsilon(1e-3));
}

TEST_CASE("batch-size ramp-up: a ramp that does not reach the batch in whole increments is an error; one off the micro-batch grid is infeasible") {
  const std::string base = scenario_yaml("{tp: 1, pp: 1, dp: 8}");
  Diagnostics d;
  const auto s = test::scenario_from_text(replaced(base, "recompute: full,", "recompute: full, batch_rampup: {start: 8, increment: 24, samples: 96},"), d);
  CHECK_FALSE(s.has_value());
  CHECK(d.format().find("reach it in whole increments of 24") != std::string::npos);
  const auto e = run(replaced(base, "recompute: full,", "recompute: full, batch_rampup: {start: 4, increment: 4, samples: 96},"));
  CHECK_FALSE(e.feasible);
  CHECK(e.infeasible_reason.find("must be multiples of micro_batch x dp (8)") != std::string::npos);
}

}  // namespace mlsim
