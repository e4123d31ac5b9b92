// Command line, plan execution and raw-JSON output of the probe (see probe.hpp).
#include "probe.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <optional>
#include <system_error>
#include <variant>

#include "json_writer.hpp"
#include "timing.hpp"

#ifndef MLSIM_PROBE_VERSION
#define MLSIM_PROBE_VERSION "0.1.0"
#endif

namespace mlsim::probe {
namespace {

// ---------------------------------------------------------------------------------------------
// Command line

std::string usage(const Flavor& flavor) {
  std::ostringstream o;
  o << "usage: " << flavor.program << " [--quick|--full|--shapes FILE] [--device N] [--max-seconds S] -o OUT.json\n"
    << "  --quick              quick sweep, a few minutes on one GPU (default)\n"
    << "  --full               full sweep (about 20-30 minutes)\n"
    << "  --shapes FILE        only the GEMMs listed in FILE, one 'm,n,k,precision' per line\n"
    << "  --only LIST          blocks to run: gemm,memory,l2,host_link,launch,collectives\n"
    << "  --device N           CUDA device for the single-GPU blocks (default 0)\n"
    << "  --max-seconds S      stop after S seconds and write what was measured (exit 4)\n"
    << "  --soak-seconds S     large-GEMM soak before measuring (default 10 quick, 20 full)\n"
    << "  --max-noise X        stop sampling a configuration once MAD/median < X (default 0.01)\n"
    << "  --min-samples N      samples per configuration at least (default 10)\n"
    << "  -o, --output OUT     raw JSON output (written to OUT.tmp, then renamed)\n"
    << "  --force              overwrite OUT if it exists\n"
    << "  --quiet              no progress on stderr\n";
  if (flavor.fake) {
    o << "  --fake-device NAME   h100 or a100 (default h100)\n"
      << "  --seed N             noise seed (default 1)\n"
      << "  --fake-gpus N        ranks of the simulated node for collectives (default 8)\n";
  }
  o << "  --help, --version\n"
    << "exit codes: 0 ok, 1 output not written, 2 bad arguments or no CUDA device, 3 some measurement failed,\n"
    << "            4 --max-seconds reached (partial output)\n";
  return o.str();
}

template <typename T>
bool parse_number(const std::string& text, T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(v)) return false;
    out = static_cast<T>(v);
    return true;
  } else {
    const auto res = std::from_chars(text.data(), text.data() + text.size(), out);
    return res.ec == std::errc() && res.ptr == text.data() + text.size();
  }
}

}  // namespace

bool parse_args(int argc, const char* const* argv, const Flavor& flavor, Options& opts, std::string& error,
                bool& exit_now) {
  exit_now = false;
  int modes = 0;
  bool have_only = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string inline_value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      if (const auto eq = arg.find('='); eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg.resize(eq);
        has_inline = true;
      }
    }
    auto next = [&](std::string& v) {
      if (has_inline) {
        v = inline_value;
        return true;
      }
      if (i + 1 >= argc) {
        error = arg + " needs a value";
        return false;
      }
      v = argv[++i];
      return true;
    };
    auto bad_value = [&](const std::string& v, const std::string& what) {
      error = "bad value '" + v + "' for " + arg + " (" + what + ")";
      return false;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::cout << usage(flavor);
      exit_now = true;
      return true;
    } else if (arg == "--version") {
      std::cout << flavor.program << " " << MLSIM_PROBE_VERSION << " (" << kFormat << ")\n";
      exit_now = true;
      return true;
    } else if (arg == "--quick") {
      opts.mode = Mode::quick;
      ++modes;
    } else if (arg == "--full") {
      opts.mode = Mode::full;
      ++modes;
    } else if (arg == "--shapes") {
      if (!next(v)) return false;
      opts.mode = Mode::shapes;
      opts.shapes_file = v;
      ++modes;
    } else if (arg == "--only") {
      if (!next(only)) return false;
      have_only = true;
    } else if (arg == "--device") {
      if (!next(v)) return false;
      if (!parse_number(v, opts.device) || opts.device < 0) return bad_value(v, "a device ordinal >= 0");
    } else if (arg == "--max-seconds") {
      if (!next(v)) return false;
      if (!parse_number(v, opts.max_seconds) || opts.max_seconds <= 0) return bad_value(v, "seconds > 0");
    } else if (arg == "--soak-seconds") {
      if (!next(v)) return false;
      if (!parse_number(v, opts.soak_s) || opts.soak_s < 0) return bad_value(v, "seconds >= 0");
    } else if (arg == "--max-noise") {
      if (!next(v)) return false;
      if (!parse_number(v, opts.max_noise) || opts.max_noise <= 0 || opts.max_noise >= 1) {
        return bad_value(v, "a fraction in (0, 1)");
      }
    } else if (arg == "--min-samples") {
      if (!next(v)) return false;
      if (!parse_number(v, opts.min_samples) || opts.min_samples < 3 || opts.min_samples > 1000) {
        return bad_value(v, "an integer in [3, 1000]");
      }
    } else if (arg == "-o" || arg == "--output") {
      if (!next(opts.out)) return false;
    } else if (arg == "--force") {
      opts.force = true;
    } else if (arg == "--quiet") {
      opts.quiet = true;
    } else if (flavor.fake && arg == "--fake-device") {
      if (!next(v)) return false;
      if (v != "h100" && v != "a100") return bad_value(v, "h100 or a100");
      opts.fake_device = v;
    } else if (flavor.fake && arg == "--seed") {
      if (!next(v)) return false;
      if (!parse_number(v, opts.seed)) return bad_value(v, "an unsigned integer");
    } else if (flavor.fake && arg == "--fake-gpus") {
      if (!next(v)) return false;
      if (!parse_number(v, opts.fake_gpus) || opts.fake_gpus < 1 || opts.fake_gpus > 64) {
        return bad_value(v, "an integer in [1, 64]");
      }
    } else {
      error = "unknown argument '" + std::string(argv[i]) + "'";
      return false;
    }
  }
  if (modes > 1) {
    error = "--quick, --full and --shapes are mutually exclusive";
    return false;
  }
  if (have_only) {
    const auto b = parse_blocks(only, error);
    if (!b) return false;
    opts.blocks = *b;
  }
  if (opts.out.empty()) {
    error = "missing -o OUT.json";
    return false;
  }
  if (opts.mode == Mode::shapes) {
    std::ifstream in(opts.shapes_file);
    if (!in) {
      error = "cannot read shapes file '" + opts.shapes_file + "'";
      return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    const auto shapes = parse_shapes(ss.str(), opts.shapes_file, error);
    if (!shapes) return false;
    opts.shapes = *shapes;
  }
  return true;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Results of a run

struct GemmRow { GemmShape shape; Measured m; };
struct MemoryRow { MemoryPattern pattern; std::uint64_t array_bytes; std::uint64_t bytes; Measured m; };
struct L2Row { std::uint64_t working_set; std::uint64_t traffic; Measured m; };
struct HostRow { HostLinkKind kind; std::uint64_t bytes; Measured m; };
struct LaunchRow { LaunchKind kind; Measured m; };
struct CollectiveRow { CollectiveOp op; int nranks; std::uint64_t bytes; Measured m; };
struct Problem { std::string block; std::string config; std::string message; };

struct Results {
  std::vector<GemmRow> gemm;
  std::vector<MemoryRow> memory;
  std::vector<L2Row> l2;
  std::vector<HostRow> host;
  std::vector<LaunchRow> launch;
  bool launch_planned = false;
  std::vector<CollectiveRow> collectives;
  CollectiveSetup setup;
  bool collectives_planned = false;
  std::vector<std::string> skipped_precisions;
  std::vector<Problem> skipped;
  std::vector<Problem> errors;
  std::vector<std::string> notes;
  double soak_s = 0;
  bool stopped_by_budget = false;
  bool stopped_by_fatal = false;
  double elapsed_s = 0;
};

std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string human_bytes(std::uint64_t b) {
  std::ostringstream o;
  if (b >= (1ull << 30) && b % (1ull << 30) == 0) o << (b >> 30) << " GiB";
  else if (b >= (1ull << 20) && b % (1ull << 20) == 0) o << (b >> 20) << " MiB";
  else if (b >= 1024 && b % 1024 == 0) o << (b >> 10) << " KiB";
  else o << b << " B";
  return o.str();
}

std::string describe(const GemmShape& s) {
  return std::string(to_string(s.precision)) + " m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
         " k=" + std::to_string(s.k);
}

// The run loop with its bookkeeping: budget, fatal errors, progress.
class Runner {
 public:
  Runner(Backend& backend, const Options& opts, Results& results, std::string program)
      : backend_(backend), opts_(opts), r_(results), program_(std::move(program)), start_(backend.now_s()) {}

  bool stopped() const { return r_.stopped_by_budget || r_.stopped_by_fatal; }

  bool check_budget() {
    if (r_.stopped_by_fatal) return false;
    if (opts_.max_seconds > 0 && backend_.now_s() - start_ > opts_.max_seconds) {
      if (!r_.stopped_by_budget) {
        r_.stopped_by_budget = true;
        r_.notes.push_back("stopped by --max-seconds " + json_number(opts_.max_seconds) +
                           " before the plan finished");
        progress("time budget reached; writing a partial result");
      }
      return false;
    }
    return true;
  }

  // Runs one configuration; returns the measurement or nullopt after recording why not.
  template <typename Take>
  std::optional<Measured> run(const std::string& block, const std::string& config, const TimingPolicy& policy,
                              Take take) {
    if (!check_budget()) return std::nullopt;
    try {
      return measure([&](int n) { return take(n); }, [&] { return backend_.now_s(); }, policy);
    } catch (const ProbeUnsupported& e) {
      r_.skipped.push_back({block, config, e.what()});
    } catch (const ProbeError& e) {
      r_.errors.push_back({block, config, e.what()});
      progress("error: " + block + " " + config + ": " + e.what());
      if (e.fatal()) {
        r_.stopped_by_fatal = true;
        r_.notes.push_back("stopped after a fatal device error");
      }
    } catch (const std::exception& e) {   // e.g. std::bad_alloc for a host buffer
      r_.errors.push_back({block, config, e.what()});
      progress("error: " + block + " " + config + ": " + e.what());
    }
    return std::nullopt;
  }

  void release(const std::string& block) {
    try {
      backend_.release();
    } catch (const ProbeError& e) {
      r_.errors.push_back({block, "release", e.what()});
      if (e.fatal()) r_.stopped_by_fatal = true;
    }
  }

  void progress(const std::string& line) const {
    if (!opts_.quiet) std::cerr << program_ << ": " << line << "\n";
  }

  double elapsed() { return backend_.now_s() - start_; }

 private:
  Backend& backend_;
  const Options& opts_;
  Results& r_;
  std::string program_;
  double start_;
};

void write_summary(JsonWriter& w, const Measured& m) {
  w.field("median_us", m.summary.median)
      .field("p10_us", m.summary.p10)
      .field("p90_us", m.summary.p90)
      .field("min_us", m.summary.min)
      .field("mean_us", m.summary.mean)
      .field("samples", m.summary.n)
      .field("rel_spread", m.summary.rel_spread)
      .field("timed_out", m.timed_out);
}

void write_condition(JsonWriter& w, const Condition& c) {
  w.key(c.key);
  std::visit([&](const auto& v) { w.value(v); }, c.value);
}

void write_env(JsonWriter& w, const char* name) {
  const char* v = std::getenv(name);
  if (v) w.field(name, v);
  else w.null_field(name);
}

std::string failure_document(const std::string& program, const Options& opts, const std::string& message) {
  JsonWriter w;
  w.begin_object();
  w.field("format", kFormat).field("complete", false);
  w.key("provenance").begin_object();
  w.field("tool", program).field("version", MLSIM_PROBE_VERSION).field("timestamp", utc_timestamp());
  w.field("mode", to_string(opts.mode)).null_field("backend").null_field("device");
  w.end_object();
  w.key("gemm").begin_array().end_array();
  w.key("errors").begin_array();
  w.begin_object(true).field("block", "setup").field("config", "device " + std::to_string(opts.device));
  w.field("message", message).end_object();
  w.end_array();
  w.end_object();
  return w.str();
}

}  // namespace

RunResult run_probe(Backend& backend, const Options& opts, const std::string& program) {
  Results r;
  Runner run(backend, opts, r, program);
  const DeviceInfo dev = backend.device();
  const SoftwareInfo sw = backend.software();
  Plan plan = make_plan(opts.mode, opts.blocks, dev.l2_bytes, dev.mem_bytes, opts.shapes);
  r.notes.insert(r.notes.end(), plan.notes.begin(), plan.notes.end());

  // Precisions this device lacks (fp8 below compute capability 8.9).
  {
    std::vector<GemmShape> kept;
    for (const auto& s : plan.gemm) {
      if (backend.supports(s.precision)) {
        kept.push_back(s);
      } else {
        const std::string name(to_string(s.precision));
        if (std::find(r.skipped_precisions.begin(), r.skipped_precisions.end(), name) == r.skipped_precisions.end())
          r.skipped_precisions.push_back(name);
      }
    }
    plan.gemm = std::move(kept);
  }

  TimingPolicy policy;
  policy.min_samples = opts.min_samples;
  policy.max_noise = opts.max_noise;
  policy.config_cap_s = plan.config_cap_s;

  run.progress("device " + std::to_string(dev.index) + ": " + dev.name + ", mode " + std::string(to_string(opts.mode)));

  // Soak: sustained clocks before the first measurement (CALIBRATION.md 5.3 step 2).
  r.soak_s = opts.soak_s >= 0 ? opts.soak_s : plan.soak_s;
  if (r.soak_s > 0 && (!plan.gemm.empty() || !plan.memory_array_bytes.empty() || plan.launch)) {
    run.progress("soak " + json_number(r.soak_s) + " s");
    try {
      backend.soak(r.soak_s);
    } catch (const ProbeError& e) {
      r.errors.push_back({"soak", "bf16 gemm", e.what()});
      if (e.fatal()) r.stopped_by_fatal = true;
    } catch (const ProbeUnsupported& e) {
      r.notes.push_back(std::string("soak skipped: ") + e.what());
    }
  }

  // Launch and call overheads.
  if (plan.launch && !run.stopped()) {
    r.launch_planned = true;
    run.progress("launch overheads");
    for (LaunchKind k : {LaunchKind::host_enqueue, LaunchKind::device_gap, LaunchKind::device_gap_graph,
                         LaunchKind::cublaslt_min, LaunchKind::memcpy_min, LaunchKind::nccl_min}) {
      auto m = run.run("launch", std::string(to_string(k)), policy, [&](int n) { return backend.launch(k, n); });
      if (m) r.launch.push_back({k, *m});
    }
    run.release("launch");
  }

  // HBM: four patterns over array sizes, cold.
  if (!plan.memory_array_bytes.empty() && !run.stopped()) {
    run.progress("memory: " + std::to_string(plan.memory_patterns.size() * plan.memory_array_bytes.size()) +
                 " configurations");
    for (MemoryPattern p : plan.memory_patterns) {
      for (std::uint64_t a : plan.memory_array_bytes) {
        const std::string cfg = std::string(to_string(p)) + " " + human_bytes(a) + " per array";
        auto m = run.run("memory", cfg, policy, [&](int n) { return backend.memory(p, a, n); });
        if (m) r.memory.push_back({p, a, a * static_cast<std::uint64_t>(memory_streams(p)), *m});
      }
    }
    run.release("memory");
  }

  // L2: read bandwidth over working sets, hot.
  if (!plan.l2_working_sets.empty() && !run.stopped()) {
    run.progress("l2: " + std::to_string(plan.l2_working_sets.size()) + " working sets");
    for (std::uint64_t ws : plan.l2_working_sets) {
      const std::uint64_t traffic = l2_traffic_bytes(ws);
      auto m = run.run("l2", "working set " + human_bytes(ws), policy,
                       [&](int n) { return backend.l2_read(ws, traffic, n); });
      if (m) r.l2.push_back({ws, traffic, *m});
    }
    run.release("l2");
  }

  // Host <-> device copies.
  if (!plan.host_kinds.empty() && !run.stopped()) {
    run.progress("host link");
    for (HostLinkKind k : plan.host_kinds) {
      const bool pageable = k == HostLinkKind::h2d_pageable || k == HostLinkKind::d2h_pageable;
      for (std::uint64_t b : pageable ? plan.host_bytes_pageable : plan.host_bytes) {
        auto m = run.run("host_link", std::string(to_string(k)) + " " + human_bytes(b), policy,
                         [&](int n) { return backend.host_link(k, b, n); });
        if (m) r.host.push_back({k, b, *m});
      }
    }
    run.release("host_link");
  }

  // GEMM through cuBLASLt.
  if (!plan.gemm.empty() && !run.stopped()) {
    run.progress("gemm: " + std::to_string(plan.gemm.size()) + " shapes");
    std::size_t done = 0;
    for (const auto& s : plan.gemm) {
      auto m = run.run("gemm", describe(s), policy, [&](int n) { return backend.gemm(s, n); });
      if (m) r.gemm.push_back({s, *m});
      if (++done % 50 == 0) run.progress("gemm: " + std::to_string(done) + "/" + std::to_string(plan.gemm.size()));
    }
    run.release("gemm");
  }

  // Collectives: one rank per visible GPU.
  if (!plan.collective_ops.empty() && !run.stopped()) {
    r.collectives_planned = true;
    try {
      r.setup = backend.collectives();
    } catch (const ProbeError& e) {
      r.errors.push_back({"collectives", "init", e.what()});
      if (e.fatal()) r.stopped_by_fatal = true;
    } catch (const ProbeUnsupported& e) {
      r.setup.available = false;
      r.setup.note = e.what();
    }
    if (r.setup.available) {
      run.progress("collectives: " + std::to_string(r.setup.nranks) + " rank(s)");
      for (CollectiveOp op : plan.collective_ops) {
        std::uint64_t last = 0;
        for (std::uint64_t want : plan.collective_bytes) {
          const std::uint64_t s = collective_bytes_aligned(op, r.setup.nranks, 2, want);   // bf16
          if (s == 0 || s == last) continue;
          last = s;
          auto m = run.run("collectives", std::string(to_string(op)) + " " + human_bytes(s), policy,
                           [&](int n) { return backend.collective(op, s, n); });
          if (m) r.collectives.push_back({op, r.setup.nranks, s, *m});
        }
      }
      run.release("collectives");
    }
  }
  run.check_budget();
  r.elapsed_s = run.elapsed();

  // ---------------------------------------------------------------------------------------------
  // The document (docs/calibration_probe.md)
  JsonWriter w;
  w.begin_object();
  w.field("format", kFormat);
  w.field("complete", !r.stopped_by_budget && !r.stopped_by_fatal);

  w.key("provenance").begin_object();
  w.field("tool", program).field("version", MLSIM_PROBE_VERSION).field("timestamp", utc_timestamp());
  w.field("mode", to_string(opts.mode)).field("backend", backend.kind());
  if (opts.mode == Mode::shapes) w.field("shapes_file", opts.shapes_file);
  w.key("device").begin_object();
  w.field("name", dev.name)
      .field("cc", std::to_string(dev.cc_major) + "." + std::to_string(dev.cc_minor))
      .field("sm_count", dev.sm_count)
      .field("l2_bytes", dev.l2_bytes)
      .field("mem_bytes", dev.mem_bytes);
  if (dev.uuid_sha256) w.field("uuid_sha256", *dev.uuid_sha256);
  else w.null_field("uuid_sha256");
  w.field("index", dev.index);
  if (dev.pci_bus_id.empty()) w.null_field("pci_bus_id");
  else w.field("pci_bus_id", dev.pci_bus_id);
  w.end_object();
  w.key("software").begin_object();
  w.field("driver", sw.driver).field("cuda_runtime", sw.cuda_runtime).field("cublaslt", sw.cublaslt).field("nccl", sw.nccl);
  w.end_object();
  w.key("conditions").begin_object();
  w.field("soak_s", r.soak_s).field("clocks_modified", false).field("numa_bound", false).field("node_loaded", false);
  w.field("elapsed_s", r.elapsed_s);
  if (opts.max_seconds > 0) w.field("max_seconds", opts.max_seconds);
  else w.null_field("max_seconds");
  write_env(w, "CUDA_VISIBLE_DEVICES");
  write_env(w, "NCCL_ALGO");
  write_env(w, "NCCL_PROTO");
  for (const auto& c : backend.conditions()) write_condition(w, c);
  w.end_object();
  w.end_object();

  w.key("timing").begin_object();
  w.field("method", backend.kind() == "fake" ? "synthetic_roofline" : "cuda_events");
  w.field("statistic", "median");
  w.field("min_samples", policy.min_samples).field("max_samples", policy.max_samples);
  w.field("max_noise", policy.max_noise).field("spread", "mad_over_median");
  w.field("warmup_min_launches", policy.warmup_min_launches).field("warmup_s", policy.warmup_s);
  w.field("config_cap_s", policy.config_cap_s);
  w.field("l2_flush", "read of a scratch buffer of max(3 x L2, 32 MiB) before each cold sample (gemm, memory)");
  w.field("data", "uniform_random_seeded");
  w.field("units", "bytes, microseconds, GB/s = 1e9 bytes/s, TFLOP/s = 1e12 flop/s");
  w.end_object();

  w.key("gemm_info").begin_object();
  w.field("library", "cublaslt").field("layout", "TN").field("algo", "heuristic_top1");
  w.field("workspace_bytes", std::uint64_t{32} << 20).field("cache", "cold");
  w.field("flops", "2*m*n*k");
  w.field("mapping", "D[m x n] = A[m x k] * B[k x n] issued column-major as m'=n, n'=m (x @ W^T)");
  w.key("skipped_precisions").begin_array(true);
  for (const auto& p : r.skipped_precisions) w.value(p);
  w.end_array();
  w.end_object();

  w.key("gemm").begin_array();
  for (const auto& g : r.gemm) {
    w.begin_object(true);
    w.field("precision", to_string(g.shape.precision)).field("m", g.shape.m).field("n", g.shape.n).field("k", g.shape.k);
    write_summary(w, g.m);
    w.field("tflops", g.m.summary.median > 0 ? gemm_flops(g.shape) / (g.m.summary.median * 1e-6) / 1e12 : 0.0);
    w.end_object();
  }
  w.end_array();

  w.key("memory").begin_object();
  w.field("convention", "read_plus_write_bytes").field("cache", "cold");
  for (MemoryPattern p : {MemoryPattern::copy, MemoryPattern::read, MemoryPattern::write, MemoryPattern::triad}) {
    w.key(to_string(p)).begin_array();
    for (const auto& m : r.memory) {
      if (m.pattern != p) continue;
      w.begin_object(true);
      w.field("bytes", m.bytes).field("array_bytes", m.array_bytes);
      write_summary(w, m.m);
      w.field("gbs", algbw_gbs(m.bytes, m.m.summary.median));
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();

  w.key("l2").begin_array();
  for (const auto& l : r.l2) {
    w.begin_object(true);
    w.field("working_set_bytes", l.working_set).field("bytes", l.traffic);
    write_summary(w, l.m);
    w.field("gbs", algbw_gbs(l.traffic, l.m.summary.median));
    w.end_object();
  }
  w.end_array();

  w.key("host_link").begin_object();
  for (HostLinkKind k : {HostLinkKind::h2d_pinned, HostLinkKind::d2h_pinned, HostLinkKind::h2d_pageable,
                         HostLinkKind::d2h_pageable}) {
    w.key(to_string(k)).begin_array();
    for (const auto& h : r.host) {
      if (h.kind != k) continue;
      w.begin_object(true);
      w.field("bytes", h.bytes);
      write_summary(w, h.m);
      w.field("gbs", algbw_gbs(h.bytes, h.m.summary.median));
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();

  if (!r.launch_planned) {
    w.null_field("launch");
  } else {
    w.key("launch").begin_object();
    for (LaunchKind k : {LaunchKind::host_enqueue, LaunchKind::device_gap, LaunchKind::device_gap_graph,
                         LaunchKind::cublaslt_min, LaunchKind::memcpy_min, LaunchKind::nccl_min}) {
      const std::string name = std::string(to_string(k)) + "_us";
      const auto it = std::find_if(r.launch.begin(), r.launch.end(), [&](const LaunchRow& l) { return l.kind == k; });
      if (it == r.launch.end()) w.null_field(name);
      else w.field(name, it->m.summary.median);
    }
    w.key("detail").begin_object();
    for (const auto& l : r.launch) {
      w.key(to_string(l.kind)).begin_object(true);
      write_summary(w, l.m);
      w.end_object();
    }
    w.end_object();
    w.end_object();
  }

  w.key("collectives_info").begin_object();
  w.field("measured", r.collectives_planned && r.setup.available);
  w.field("nranks", r.setup.nranks);
  w.key("devices").begin_array(true);
  for (int d : r.setup.devices) w.value(d);
  w.end_array();
  w.field("dtype", "bf16").field("placement", "out_of_place").field("process_model", "one process, one rank per GPU (ncclCommInitAll)");
  w.field("single_rank_floor_only", r.setup.available && r.setup.nranks == 1);
  if (r.setup.note.empty()) w.null_field("note");
  else w.field("note", r.setup.note);
  w.end_object();

  w.key("collectives").begin_array();
  for (const auto& c : r.collectives) {
    const double algbw = algbw_gbs(c.bytes, c.m.summary.median);
    w.begin_object(true);
    w.field("op", to_string(c.op)).field("nranks", c.nranks).field("dtype", "bf16").field("bytes", c.bytes);
    write_summary(w, c.m);
    w.field("algbw_gbs", algbw).field("busbw_gbs", algbw * busbw_factor(c.op, c.nranks));
    w.end_object();
  }
  w.end_array();

  auto write_problems = [&](const char* key, const std::vector<Problem>& list, const char* what) {
    w.key(key).begin_array();
    for (const auto& p : list) {
      w.begin_object(true);
      w.field("block", p.block).field("config", p.config).field(what, p.message);
      w.end_object();
    }
    w.end_array();
  };
  write_problems("skipped", r.skipped, "reason");
  write_problems("errors", r.errors, "message");
  w.key("notes").begin_array();
  for (const auto& n : r.notes) w.value(n);
  w.end_array();
  w.end_object();

  RunResult result;
  result.json = w.str() + "\n";
  if (!r.errors.empty()) result.exit_code = kExitMeasureFailed;
  else if (r.stopped_by_budget) result.exit_code = kExitBudget;
  run.progress("done in " + json_number(std::round(r.elapsed_s * 10) / 10) + " s: " + std::to_string(r.gemm.size()) +
               " gemm, " + std::to_string(r.memory.size()) + " memory, " + std::to_string(r.l2.size()) + " l2, " +
               std::to_string(r.host.size()) + " host, " + std::to_string(r.collectives.size()) + " collective points, " +
               std::to_string(r.errors.size()) + " errors");
  return result;
}

int probe_main(int argc, const char* const* argv, const Flavor& flavor) {
  Options opts;
  std::string error;
  bool exit_now = false;
  if (!parse_args(argc, argv, flavor, opts, error, exit_now)) {
    std::cerr << flavor.program << ": " << error << "\n" << usage(flavor);
    return kExitUsage;
  }
  if (exit_now) return kExitOk;

  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(opts.out, ec) && !opts.force) {
    std::cerr << flavor.program << ": " << opts.out << " exists; use --force to overwrite it\n";
    return kExitUsage;
  }

  int exit_code = kExitOk;
  std::unique_ptr<Backend> backend;
  RunResult result;
  try {
    backend = flavor.create(opts, exit_code);
    if (!backend) return exit_code == kExitOk ? kExitUsage : exit_code;
  } catch (const std::exception& e) {
    // The device could not be set up: the output still says so, as an error object.
    std::cerr << flavor.program << ": " << e.what() << "\n";
    result.json = failure_document(flavor.program, opts, e.what()) + "\n";
    result.exit_code = kExitMeasureFailed;
  }
  if (backend) {
    try {
      result = run_probe(*backend, opts, flavor.program);
    } catch (const std::exception& e) {
      std::cerr << flavor.program << ": internal error: " << e.what() << "\n";
      return kExitIo;
    }
    backend.reset();   // free the device before writing
  }

  const std::string tmp = opts.out + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << result.json;
    out.flush();
    if (!out) {
      std::cerr << flavor.program << ": cannot write " << tmp << "\n";
      fs::remove(tmp, ec);
      return kExitIo;
    }
  }
  if (fs::exists(opts.out, ec) && !opts.force) {
    std::cerr << flavor.program << ": " << opts.out << " appeared during the run; result left in " << tmp << "\n";
    return kExitIo;
  }
  fs::rename(tmp, opts.out, ec);
  if (ec) {
    std::cerr << flavor.program << ": cannot rename " << tmp << " to " << opts.out << ": " << ec.message() << "\n";
    return kExitIo;
  }
  if (!opts.quiet) std::cerr << flavor.program << ": wrote " << opts.out << "\n";
  return result.exit_code;
}

}  // namespace mlsim::probe
