// mlsim's benchmark (not a test): evaluations per second of the single-accelerator solver on
// already parsed scenarios (prefill, decode, memory and operations; no I/O), and the wall time of
// `mlsim analyze` on the default scenario as a fresh process. Medians of repeated runs.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <vector>

#include "analysis/evaluate.hpp"
#include "analysis/plan.hpp"
#include "analysis/metrics.hpp"
#include "analysis/sensitivity.hpp"
#include "analysis/sweep.hpp"
#include "cli/app.hpp"
#include "solvers/scheduler_sim.hpp"
#include "solvers/traffic.hpp"
#include <sstream>
#include "spec/scenario.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

mlsim::spec::Scenario load(const mlsim::spec::Zoo& zoo, const std::string& rel) {
  mlsim::Diagnostics d;
  auto s = mlsim::spec::load_scenario_file(std::string(MLSIM_SOURCE_DIR) + "/" + rel, zoo, {}, d);
  if (!s) {
    std::fprintf(stderr, "%s", d.format().c_str());
    std::exit(1);
  }
  return *s;
}

// Evaluations per second of one scenario: repeated batches, median of the batch rates.
double evals_per_second(const mlsim::spec::Scenario& s) {
  mlsim::analysis::Evaluator evaluator;
  const mlsim::analysis::EvalOptions options{false};
  volatile double sink = 0.0;
  std::vector<double> rates;
  const int batch = 20000;
  for (int rep = 0; rep < 9; ++rep) {
    const auto t0 = Clock::now();
    for (int i = 0; i < batch; ++i) {
      const auto e = evaluator.evaluate(s, options);
      sink = sink + e.memory.per_device_bytes;
    }
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(batch / dt);
  }
  return median(rates);
}

double analyze_process_ms(const std::string& scenario) {
  std::vector<double> times;
  const std::string binary = MLSIM_BINARY;
  for (int rep = 0; rep < 21; ++rep) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> args = {binary, "analyze", scenario};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto t0 = Clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      std::fprintf(stderr, "cannot run %s\n", binary.c_str());
      std::exit(1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    posix_spawn_file_actions_destroy(&actions);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "mlsim analyze failed\n");
      std::exit(1);
    }
  }
  return median(times);
}

// Design-space exploration (docs/dse.md): sweep points per second per core (a knob set in place
// on a composed scenario, then one evaluation), a 1,000,000-point sweep written as CSV by
// `mlsim sweep -j 2` in-process, and sensitivity over every knob. Medians.
double sweep_points_per_second(const mlsim::spec::Zoo& zoo, const std::string& rel, const std::string& vary) {
  mlsim::Diagnostics d;
  std::string err;
  std::vector<mlsim::analysis::SweepAxis> axes{*mlsim::analysis::parse_vary(vary, zoo, err)};
  auto grid = mlsim::analysis::SweepGrid::make(std::string(MLSIM_SOURCE_DIR) + "/" + rel, zoo, {}, axes, d);
  if (!grid) {
    std::fprintf(stderr, "%s%s\n", d.format().c_str(), err.c_str());
    std::exit(1);
  }
  mlsim::analysis::PointEvaluator pe(grid);
  volatile double sink = 0.0;
  std::vector<double> rates;
  for (int rep = 0; rep < 7; ++rep) {
    const auto t0 = Clock::now();
    std::uint64_t n = 0;
    while (std::chrono::duration<double>(Clock::now() - t0).count() < 0.3) {
      for (std::uint64_t p = 0; p < grid->size(); ++p, ++n) sink = sink + pe.evaluate(p).memory.per_device_bytes;
    }
    rates.push_back(static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return median(rates);
}

void dse_benchmarks(const mlsim::spec::Zoo& zoo) {
  std::printf("design-space exploration\n");
  std::printf("  %-46s %10.0f points/s per core\n", "sweep, Llama 3 8B serving on H100 (batch)",
              sweep_points_per_second(zoo, "scenarios/quickstart.yaml", "inference.batch=1:64"));
  std::printf("  %-46s %10.0f points/s per core\n", "sweep, GPT-3 175B on 1024 A100 (global batch)",
              sweep_points_per_second(zoo, "scenarios/gpt3_175b_1024_a100.yaml", "training.global_batch=1536,3072"));
  {
    const std::string out = "/tmp/mlsim_bench_sweep_" + std::to_string(::getpid()) + ".csv";
    const std::string scenario = std::string(MLSIM_SOURCE_DIR) + "/scenarios/quickstart.yaml";
    std::vector<double> times;
    for (int rep = 0; rep < 3; ++rep) {
      const std::vector<std::string> args = {"mlsim", "sweep", scenario, "--vary", "inference.batch=1:1000", "--vary",
                                             "system.accelerator.memory.bandwidth=1TB/s:100.9TB/s:+0.1TB/s", "-j", "2",
                                             "--no-progress", "-o", out, "--force"};
      std::vector<const char*> argv;
      for (const auto& a : args) argv.push_back(a.c_str());
      std::ostringstream o, e;
      const auto t0 = Clock::now();
      const int rc = mlsim::cli::run(static_cast<int>(argv.size()), argv.data(), o, e);
      times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      if (rc != 0) {
        std::fprintf(stderr, "sweep failed: %s\n", e.str().c_str());
        std::exit(1);
      }
    }
    std::remove(out.c_str());
    std::printf("  %-46s %10.2f s (target < 5 s on 2 cores)\n", "sweep of 1,000,000 points to CSV, -j 2", median(times));
  }
  const struct {
    const char* label;
    const char* file;
  } sens[] = {
      {"sensitivity, Llama 3 8B serving (all knobs)", "scenarios/quickstart.yaml"},
      {"sensitivity, Llama 3 70B FP8 on H200", "scenarios/llama3_70b_fp8_serving_h200.yaml"},
      {"sensitivity, GPT-3 175B on 1024 A100", "scenarios/gpt3_175b_1024_a100.yaml"},
  };
  for (const auto& c : sens) {
    const auto s = load(zoo, c.file);
    const std::size_t metric = mlsim::analysis::default_sensitivity_metric(s);
    std::vector<double> times;
    std::size_t knobs = 0;
    for (int rep = 0; rep < 11; ++rep) {
      std::string err;
      const auto t0 = Clock::now();
      knobs = mlsim::analysis::elasticities(s, metric, 0.01, err).size();
      times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::printf("  %-46s %10.2f ms (%zu knobs; target < 100 ms)\n", c.label, median(times), knobs);
  }
}

// The serving scheduler simulation (docs/serving.md): 100,000 Poisson requests with lognormal
// lengths through continuous batching on a roofline step cost (target: under a second).
void scheduler_benchmark() {
  mlsim::solvers::SchedulerConfig c;
  c.max_sequences = 256;
  mlsim::solvers::LengthDistribution p, o;
  p.kind = o.kind = mlsim::solvers::LengthDistribution::Kind::kLognormal;
  p.mean = 512;
  o.mean = 128;
  p.max = o.max = 8192;
  const auto reqs = mlsim::solvers::generate_requests(100000, mlsim::solvers::Arrival::kPoisson, 200.0, p, o, 1);
  const auto step = [](long long /*seqs*/, long long tokens, long long /*decodes*/) {
    return 20e-6 + std::max(16e9 / 3e12, static_cast<double>(tokens) * 16e9 / 800e12);
  };
  std::vector<double> times;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    const auto r = mlsim::solvers::simulate_scheduler(reqs, c, step);
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    if (r.stalled) std::exit(1);
  }
  std::printf("serving\n  %-46s %10.3f s (target < 1 s)\n", "scheduler simulation, 100,000 requests", median(times));
}

}  // namespace

int main() {
  mlsim::Diagnostics d;
  const auto zoo = mlsim::spec::Zoo::load({}, d);
  std::printf("mlsim benchmark (one thread; medians)\n");
  const struct {
    const char* label;
    const char* file;
  } cases[] = {
      {"inference, Llama 3 8B on H100 (quickstart)", "scenarios/quickstart.yaml"},
      {"inference, int4 Llama 3 8B on H100", "scenarios/quantization_llama3_8b_h100.yaml"},
      {"inference, ResNet-50 on A100", "scenarios/resnet50_a100_roofline.yaml"},
      {"training, GPT-2 small on A100", "scenarios/gpt2_training_a100.yaml"},
      {"training, GPT-3 175B on 1024 A100 (tp8 pp16 dp8)", "scenarios/gpt3_175b_1024_a100.yaml"},
      {"training, Llama 3 405B, 1F1B 8 stages x 64 mb", "scenarios/llama3_405b_2048_h100_1f1b.yaml"},
  };
  for (const auto& c : cases) {
    const auto s = load(zoo, c.file);
    std::printf("  %-46s %10.0f evaluations/s\n", c.label, evals_per_second(s));
  }
  {
    // The same serving evaluation with the measured H200 entry (calibrated/): its GEMM tables are
    // built once per entry, so a calibrated evaluation costs about what a nominal one does.
    mlsim::Diagnostics dc;
    const auto calibrated = mlsim::spec::Zoo::load({std::string(MLSIM_SOURCE_DIR) + "/calibrated"}, dc);
    const char* file = "scenarios/llama3_8b_decode_h200.yaml";
    std::printf("  %-46s %10.0f evaluations/s\n", "inference, Llama 3 8B on H200 (nominal)", evals_per_second(load(zoo, file)));
    std::printf("  %-46s %10.0f evaluations/s\n", "inference, Llama 3 8B on H200 (calibrated)",
                evals_per_second(load(calibrated, file)));
  }
  {
    // mlsim plan over the whole layout space of Llama 3 405B on 16,384 H100s (target: < 2 s).
    const auto s = load(zoo, "scenarios/llama3_405b_16384_h100.yaml");
    std::vector<double> times;
    std::size_t evaluated = 0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = Clock::now();
      const auto r = mlsim::analysis::plan_training(s, {});
      times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      evaluated = r.evaluated;
    }
    std::printf("  %-46s %10.3f s (%zu layouts)\n", "plan, Llama 3 405B on 16384 H100", median(times), evaluated);
  }
  const std::string quickstart = std::string(MLSIM_SOURCE_DIR) + "/scenarios/quickstart.yaml";
  std::printf("  %-46s %10.2f ms\n", "mlsim analyze quickstart (whole process)", analyze_process_ms(quickstart));
  dse_benchmarks(zoo);
  scheduler_benchmark();
  return 0;
}
