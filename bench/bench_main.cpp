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
  return 0;
}
