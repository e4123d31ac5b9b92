#include "spec/hardware.hpp"

#include <algorithm>

namespace mlsim::spec {

void read_header(MapReader& r, const std::string& kind, std::string& id, std::string& name) {
  if (!r.valid()) return;
  if (const auto v = r.integer("schema_version", Need::kRequired, 1, 1000); v && *v != 1) {
    r.error_at(*r.node()->find("schema_version"), "schema_version " + std::to_string(*v) +
                                                      " is not supported by this mlsim (it reads schema_version 1)");
  }
  if (const auto k = r.string("kind", Need::kRequired); k && *k != kind) {
    r.error_at(*r.node()->find("kind"), "expected an entry of kind \"" + kind + "\", got \"" + *k + "\"");
  }
  id = r.string("id").value_or("inline");
  name = r.string("name").value_or(id);
  if (const Node* s = r.get("sources"); s != nullptr) {
    if (!s->is_map()) {
      r.error_at(*s, "sources must map each figure's key to where it comes from");
    } else {
      for (const auto& [key, value] : s->map) {
        if (!value.is_scalar() || value.scalar.empty()) {
          r.error_at(value, "sources." + key + ": expected the source as text");
        }
      }
    }
  }
}

namespace {

// efficiency.gemm_size: a list of {flops, efficiency} points of square GEMMs measured with cuBLASLt;
// stored as fractions of the largest point's efficiency, so the per-precision `compute` stays the
// asymptote and the curve carries only the size effect (few tiles per SM, fixed kernel latency).
void read_gemm_size(const Node& curve, Diagnostics& d, Efficiency& e) {
  if (!curve.is_seq() || curve.seq.size() < 2) {
    d.error(curve.origin, "accelerator.efficiency.gemm_size: expected a list of at least two {flops, efficiency} points");
    return;
  }
  std::vector<std::pair<double, double>> points;
  for (const auto& item : curve.seq) {
    MapReader p(&item, d, "accelerator.efficiency.gemm_size[]");
    const auto flops = p.quantity<Flops>("flops", "2.15 GFLOP", Need::kRequired);
    const auto eff = p.number("efficiency", Need::kRequired, 0.001, 1.0);
    p.finish();
    if (flops && eff) points.emplace_back(flops->si(), *eff);
  }
  if (points.size() != curve.seq.size()) return;
  for (std::size_t i = 1; i < points.size(); ++i) {
    if (points[i].first <= points[i - 1].first) {
      d.error(curve.seq[i].origin, "accelerator.efficiency.gemm_size: points must have ascending flops");
      return;
    }
  }
  const double top = points.back().second;
  for (auto& [f, eff] : points) eff = std::min(1.0, eff / top);
  e.gemm_size = std::move(points);
}

}  // namespace

AcceleratorSpec read_accelerator(const Node& n, Diagnostics& d) {
  AcceleratorSpec a;
  MapReader r(&n, d, "accelerator");
  read_header(r, "accelerator", a.id, a.name);
  if (!r.valid()) return a;
  if (const Node* peak = r.get("peak", Need::kRequired)) {
    MapReader p(peak, d, "accelerator.peak");
    const std::size_t errors_before = d.error_count();
    bool any = false;
    for (const auto& name : precision_names()) {
      // int8/int4 peaks are quoted in TOPS, which parse as the same dimension as TFLOPS.
      if (auto v = p.quantity<FlopsPerSecond>(name, "989.4 TFLOPS")) {
        a.peak[static_cast<std::size_t>(*precision_from_name(name))] = *v;
        any = true;
      }
    }
    p.finish();
    if (!any && p.valid() && d.error_count() == errors_before) {
      r.error_at(*peak, "accelerator.peak: give at least one precision's dense peak");
    }
  }
  if (const Node* mem = r.get("memory", Need::kRequired)) {
    MapReader m(mem, d, "accelerator.memory");
    a.memory_capacity = m.quantity<Bytes>("capacity", "80 GiB", Need::kRequired).value_or(Bytes(0.0));
    a.memory_bandwidth = m.quantity<BytesPerSecond>("bandwidth", "3.35 TB/s", Need::kRequired).value_or(BytesPerSecond(0.0));
    m.finish();
  }
  a.l2 = r.quantity<Bytes>("l2", "50 MiB");
  if (const Node* su = r.get("scale_up")) {
    MapReader m(su, d, "accelerator.scale_up");
    a.scale_up_bandwidth = m.quantity<BytesPerSecond>("bandwidth", "450 GB/s", Need::kRequired);
    m.finish();
  }
  if (const Node* hl = r.get("host_link")) {
    MapReader m(hl, d, "accelerator.host_link");
    a.host_link_bandwidth = m.quantity<BytesPerSecond>("bandwidth", "64 GB/s", Need::kRequired);
    m.finish();
  }
  if (const Node* pw = r.get("power", Need::kRequired)) {
    MapReader m(pw, d, "accelerator.power");
    a.tdp = m.quantity<Watts>("tdp", "700 W", Need::kRequired).value_or(Watts(0.0));
    a.idle_power = m.quantity<Watts>("idle", "90 W", Need::kOptional, true).value_or(Watts(0.0));
    m.finish();
    if (a.idle_power > a.tdp && a.tdp.si() > 0.0) m.error_at(*pw, "accelerator.power: idle power exceeds the TDP");
  }
  if (const Node* pr = r.get("price")) {
    MapReader m(pr, d, "accelerator.price");
    a.purchase_price = m.quantity<Usd>("purchase", "25000 USD", Need::kOptional, true);
    a.rental_price = m.quantity<UsdPerSecond>("rental", "2.5 USD/h", Need::kOptional, true);
    m.finish();
  }
  if (const Node* ef = r.get("efficiency", Need::kRequired)) {
    MapReader m(ef, d, "accelerator.efficiency");
    // A number for every precision, or a map per precision with `other` for the rest (FP8 GEMMs
    // reach a smaller share of their peak than BF16 ones on Hopper: MAMF table, CALIBRATION.md 3.1).
    const Node* compute = m.get("compute", Need::kRequired);
    if (compute != nullptr && compute->is_map()) {
      MapReader c(compute, d, "accelerator.efficiency.compute");
      a.efficiency.compute = c.number("other", Need::kRequired, 0.01, 1.0).value_or(1.0);
      a.efficiency.compute_at.fill(a.efficiency.compute);
      for (const auto& name : precision_names()) {
        if (auto v = c.number(name, Need::kOptional, 0.01, 1.0)) {
          a.efficiency.compute_at[static_cast<std::size_t>(*precision_from_name(name))] = *v;
        }
      }
      c.finish();
    } else {
      a.efficiency.compute = m.number("compute", Need::kRequired, 0.01, 1.0).value_or(1.0);
      a.efficiency.compute_at.fill(a.efficiency.compute);
    }
    a.efficiency.memory = m.number("memory", Need::kRequired, 0.01, 1.0).value_or(1.0);
    a.efficiency.attention = m.number("attention", Need::kRequired, 0.01, 1.0).value_or(1.0);
    a.efficiency.device_gap = m.quantity<Seconds>("device_gap", "2.5 us", Need::kRequired, true).value_or(Seconds(0.0));
    a.efficiency.graph_gap = m.quantity<Seconds>("graph_gap", "1.4 us", Need::kRequired, true).value_or(Seconds(0.0));
    a.efficiency.host_link = m.number("host_link", Need::kOptional, 0.01, 1.0);
    a.efficiency.overlap_slowdown = m.number("overlap_slowdown", Need::kOptional, 0.0, 4.0).value_or(0.0);
    if (const Node* curve = m.get("gemm_size")) read_gemm_size(*curve, d, a.efficiency);
    m.finish();
  }
  if (const Node* cal = r.get("calibrated")) a.calibrated = read_calibrated_accelerator(*cal, d);
  r.finish();
  return a;
}

NodeSpec read_node(const Node& n, Diagnostics& d) {
  NodeSpec s;
  MapReader r(&n, d, "node");
  read_header(r, "node", s.id, s.name);
  if (!r.valid()) return s;
  s.accelerator = r.string("accelerator", Need::kRequired).value_or("");
  s.accelerators = r.integer("accelerators", Need::kRequired, 1, 1 << 20).value_or(1);
  if (const Node* su = r.get("scale_up")) {
    MapReader m(su, d, "node.scale_up");
    s.scale_up_kind = m.choice("kind", {"nvswitch", "nvlink_mesh", "infinity_fabric", "ici", "pcie", "none"}, Need::kRequired)
                          .value_or("");
    s.scale_up_bandwidth = m.quantity<BytesPerSecond>("bandwidth", "450 GB/s", Need::kRequired);
    s.scale_up_latency = m.quantity<Seconds>("latency", "1.9 us", Need::kOptional, true);
    s.scale_up_efficiency = m.number("efficiency", Need::kOptional, 0.01, 1.0).value_or(1.0);
    s.in_switch_reduction = m.boolean("in_switch_reduction").value_or(false);
    s.in_switch_efficiency = m.number("in_switch_efficiency", Need::kOptional, 0.01, 1.0).value_or(1.0);
    s.in_switch_latency = m.quantity<Seconds>("in_switch_latency", "25 us", Need::kOptional, true);
    m.finish();
  }
  if (const Node* nics = r.get("nics")) {
    MapReader m(nics, d, "node.nics");
    s.nic_count = m.integer("count", Need::kRequired, 0, 1024).value_or(0);
    s.nic_bandwidth = m.quantity<BytesPerSecond>("bandwidth", "400 Gb/s", Need::kRequired);
    s.nic_latency = m.quantity<Seconds>("latency", "1.9 us", Need::kOptional, true);
    s.nic_efficiency = m.number("efficiency", Need::kOptional, 0.01, 1.0).value_or(1.0);
    m.finish();
  }
  if (const Node* coll = r.get("collectives")) {
    MapReader m(coll, d, "node.collectives");
    s.collective_base_latency = m.quantity<Seconds>("base_latency", "8.4 us", Need::kOptional, true);
    m.finish();
  }
  if (const Node* host = r.get("host")) {
    MapReader m(host, d, "node.host");
    s.cpu_cores = m.integer("cpu_cores", Need::kOptional, 1, 1 << 20);
    s.host_memory = m.quantity<Bytes>("memory", "2 TiB");
    s.host_memory_bandwidth = m.quantity<BytesPerSecond>("memory_bandwidth", "409.6 GB/s");
    s.storage_bandwidth = m.quantity<BytesPerSecond>("storage_bandwidth", "25 GB/s");
    m.finish();
  }
  if (const Node* rel = r.get("reliability")) s.reliability = read_node_reliability(*rel, d);
  if (const Node* pw = r.get("power")) {
    MapReader m(pw, d, "node.power");
    s.power_overhead = m.quantity<Watts>("overhead", "3.7 kW", Need::kRequired, true).value_or(Watts(0.0));
    m.finish();
  }
  if (const Node* cal = r.get("calibrated")) s.calibrated = read_calibrated_node(*cal, d);
  r.finish();
  return s;
}

FabricSpec read_fabric(const Node& n, Diagnostics& d) {
  FabricSpec f;
  MapReader r(&n, d, "fabric");
  read_header(r, "fabric", f.id, f.name);
  if (!r.valid()) return f;
  f.topology = r.choice("topology", {"fat_tree", "rail_optimized", "clos", "torus", "ring"}, Need::kRequired).value_or("");
  if (const Node* link = r.get("link", Need::kRequired)) {
    MapReader m(link, d, "fabric.link");
    f.link_bandwidth = m.quantity<BytesPerSecond>("bandwidth", "400 Gb/s", Need::kRequired).value_or(BytesPerSecond(0.0));
    f.link_latency = m.quantity<Seconds>("latency", "1 us", Need::kRequired, true).value_or(Seconds(0.0));
    m.finish();
  }
  f.oversubscription = r.number("oversubscription", Need::kOptional, 1.0, 1000.0).value_or(1.0);
  f.switch_radix = r.integer("switch_radix", Need::kOptional, 2, 1 << 16);
  f.sharp = r.boolean("sharp").value_or(false);
  r.finish();
  return f;
}

SiteSpec read_site(const Node& n, Diagnostics& d) {
  SiteSpec s;
  MapReader r(&n, d, "site");
  read_header(r, "site", s.id, s.name);
  if (!r.valid()) return s;
  s.carbon_intensity = r.quantity<KilogramsPerJoule>("carbon_intensity", "400 gCO2/kWh", Need::kRequired, true)
                           .value_or(KilogramsPerJoule(0.0));
  s.pue = r.number("pue", Need::kRequired, 1.0, 5.0).value_or(1.0);
  s.wue = r.quantity<LitresPerJoule>("wue", "1.8 L/kWh", Need::kRequired, true).value_or(LitresPerJoule(0.0));
  s.electricity = r.quantity<UsdPerJoule>("electricity", "0.08 USD/kWh", Need::kRequired, true).value_or(UsdPerJoule(0.0));
  r.finish();
  return s;
}

SoftwareSpec read_software(const Node& n, Diagnostics& d) {
  SoftwareSpec s;
  MapReader r(&n, d, "software");
  read_header(r, "software", s.id, s.name);
  if (!r.valid()) return s;
  s.host_per_kernel = r.quantity<Seconds>("host_per_kernel", "21 us", Need::kRequired, true).value_or(Seconds(0.0));
  s.graph_launch = r.quantity<Seconds>("graph_launch", "30 us", Need::kRequired, true).value_or(Seconds(0.0));
  s.workspace = r.quantity<Bytes>("workspace", "1 GiB", Need::kRequired, true).value_or(Bytes(0.0));
  s.flash_attention = r.boolean("flash_attention").value_or(true);
  if (const auto as = r.choice("attention_speeds", {"flash_attention_2", "uniform"})) {
    s.flash_attention_2_speeds = *as == "flash_attention_2";
  }
  if (const auto ak = r.choice("attention_kernel", {"flash_attention_2", "flash_attention_1", "triton_flash_attention"})) {
    s.attention_kernel = *ak == "flash_attention_1"        ? SoftwareSpec::AttentionKernel::kFlashAttention1
                         : *ak == "triton_flash_attention" ? SoftwareSpec::AttentionKernel::kTritonFlashAttention
                                                           : SoftwareSpec::AttentionKernel::kFlashAttention2;
  }
  s.host_runs_ahead = r.boolean("host_runs_ahead").value_or(true);
  s.launch_blocking = r.boolean("launch_blocking").value_or(false);
  s.max_batched_tokens = r.integer("max_batched_tokens", Need::kOptional, 1, 1LL << 40);
  s.max_sequences = r.integer("max_sequences", Need::kOptional, 1, 1LL << 40);
  s.block_size = r.integer("block_size", Need::kOptional, 1, 1LL << 20);
  s.host_per_step = r.quantity<Seconds>("host_per_step", "2 ms", Need::kOptional, true).value_or(Seconds(0.0));
  s.host_per_sequence = r.quantity<Seconds>("host_per_sequence", "20 us", Need::kOptional, true).value_or(Seconds(0.0));
  s.kv_memory_fraction = r.number("kv_memory_fraction", Need::kOptional, 0.01, 1.0).value_or(1.0);
  if (const auto cs = r.choice("capacity_scheduler", {"guaranteed_no_evict", "max_utilization"})) {
    s.reserve_full_sequence = *cs == "guaranteed_no_evict";
  }
  s.sequence_parallel = r.boolean("sequence_parallel");
  if (const auto ga = r.choice("grad_accumulation", {"fused", "buffer", "autograd"})) {
    s.grad_accumulation = *ga == "fused"    ? SoftwareSpec::GradAccumulation::kFused
                          : *ga == "buffer" ? SoftwareSpec::GradAccumulation::kBuffer
                                            : SoftwareSpec::GradAccumulation::kAutograd;
  }
  if (const auto ce = r.choice("cross_entropy", {"fp32_softmax", "megatron", "torch_autocast", "fused"})) {
    s.cross_entropy = *ce == "megatron"         ? SoftwareSpec::CrossEntropy::kMegatron
                      : *ce == "torch_autocast" ? SoftwareSpec::CrossEntropy::kTorchAutocast
                      : *ce == "fused"          ? SoftwareSpec::CrossEntropy::kFused
                                                : SoftwareSpec::CrossEntropy::kFp32Softmax;
  }
  if (const auto zc = r.choice("zero_collectives", {"per_matrix", "per_layer", "per_stage"})) {
    s.zero_collectives = *zc == "per_matrix" ? SoftwareSpec::ZeroCollectives::kPerMatrix
                         : *zc == "per_layer"   ? SoftwareSpec::ZeroCollectives::kPerLayer
                                                : SoftwareSpec::ZeroCollectives::kPerStage;
  }
  if (const auto zr = r.choice("zero_grad_reduce", {"per_step", "per_micro_batch"})) {
    s.zero_reduce_per_micro_batch = *zr == "per_micro_batch";
  }
  s.zero_list_collectives = r.boolean("zero_list_collectives").value_or(false);
  if (const Node* ov = r.get("overlap")) {
    MapReader o(ov, d, "software.overlap");
    s.overlap_dp_grad = o.boolean("dp_grad");
    s.overlap_tp_comm = o.boolean("tp_comm");
    s.overlap_pp_p2p = o.boolean("pp_p2p");
    s.overlap_ep_a2a = o.boolean("ep_a2a");
    s.overlap_cp_ring = o.boolean("cp_ring");
    s.overlap_tp_backward = o.boolean("tp_backward");
    s.overlap_zero_prefetch = o.boolean("zero_prefetch");
    o.finish();
  }
  r.finish();
  return s;
}

}  // namespace mlsim::spec
