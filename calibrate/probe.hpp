// The probe's command line and run: parse flags, build the plan, drive a Backend through the shared
// timing loop, and write the raw JSON (format mlsim.calibration.raw/1, docs/calibration_probe.md)
// atomically. Both executables (mlsim-probe, mlsim-probe-fake) are this code plus a backend.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend.hpp"
#include "sweeps.hpp"

namespace mlsim::probe {

inline constexpr const char* kFormat = "mlsim.calibration.raw/1";

// Exit codes of both executables.
inline constexpr int kExitOk = 0;
inline constexpr int kExitIo = 1;            // the output could not be written; internal failure
inline constexpr int kExitUsage = 2;         // bad arguments, bad shapes file, output exists, no CUDA device
inline constexpr int kExitMeasureFailed = 3; // JSON written, with an "errors" list
inline constexpr int kExitBudget = 4;        // JSON written with "complete": false (--max-seconds)

struct Options {
  Mode mode = Mode::quick;
  std::string shapes_file;
  std::vector<GemmShape> shapes;
  Blocks blocks;
  int device = 0;
  double max_seconds = 0;       // 0: no limit
  double soak_s = -1;           // < 0: the plan's default
  double max_noise = 0.01;
  int min_samples = 10;
  std::string out;
  bool force = false;
  bool quiet = false;
  // mlsim-probe-fake only
  std::string fake_device = "h100";
  std::uint64_t seed = 1;
  int fake_gpus = 8;
};

struct Flavor {
  std::string program;   // "mlsim-probe" or "mlsim-probe-fake"
  bool fake = false;
  // Creates the backend; on failure prints why to stderr, sets exit_code and returns nullptr.
  std::function<std::unique_ptr<Backend>(const Options&, int& exit_code)> create;
};

// Parses argv into `opts`; false with a message in `error` (or `exit_now` for --help/--version).
bool parse_args(int argc, const char* const* argv, const Flavor& flavor, Options& opts, std::string& error,
                bool& exit_now);

struct RunResult {
  std::string json;   // the complete document
  int exit_code = kExitOk;
};

// Measures everything the options ask for on `backend` and returns the raw JSON document.
RunResult run_probe(Backend& backend, const Options& opts, const std::string& program);

// The whole executable: arguments, output checks, backend creation, run, atomic write.
int probe_main(int argc, const char* const* argv, const Flavor& flavor);

}  // namespace mlsim::probe
