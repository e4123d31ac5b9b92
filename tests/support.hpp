// Helpers shared by the tests: the embedded zoo, scenarios from text, and running the CLI in-process.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "analysis/evaluate.hpp"
#include "cli/app.hpp"
#include "core/diagnostics.hpp"
#include "spec/model.hpp"
#include "spec/scenario.hpp"
#include "spec/zoo.hpp"

namespace mlsim::test {

inline const spec::Zoo& zoo() {
  static const spec::Zoo z = [] {
    Diagnostics d;
    return spec::Zoo::load({}, d);
  }();
  return z;
}

// Loads a scenario from YAML text; CHECKs nothing, returns nullopt with diags on error.
inline std::optional<spec::Scenario> scenario_from_text(const std::string& text, Diagnostics& diags,
                                                        const std::vector<spec::Override>& overrides = {}) {
  return spec::load_scenario_text(text, "test.yaml", zoo(), overrides, diags);
}

// A scenario from text that must load: the test stops with the text and every diagnostic if not.
inline spec::Scenario require_scenario(const std::string& yaml, const std::vector<spec::Override>& overrides = {}) {
  Diagnostics d;
  auto s = scenario_from_text(yaml, d, overrides);
  std::string problems;
  for (const auto& x : d.all()) problems += x.origin.str() + ": " + x.message + "\n";
  REQUIRE_MESSAGE(s.has_value(), std::string(yaml + problems));
  return *s;
}

// The estimate of a scenario given as text (which must load).
inline analysis::Estimate evaluate_text(const std::string& yaml, const std::vector<spec::Override>& overrides = {}) {
  analysis::Evaluator ev;
  return ev.evaluate(require_scenario(yaml, overrides));
}

// Loads a zoo entry and reads it with `read` (read_accelerator, read_model, ...).
template <class Read>
auto zoo_entry(const std::string& kind, const std::string& id, Read read) {
  Diagnostics d;
  const spec::Node n = spec::load_entry(zoo(), kind, id, Origin{"test", 0, 0}, d);
  return read(n, d);
}

struct CliResult {
  int code = 0;
  std::string out, err;
};

inline CliResult run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "mlsim");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  CliResult r;
  r.code = cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

inline std::string source_path(const std::string& rel) { return std::string(MLSIM_SOURCE_DIR) + "/" + rel; }

inline spec::ModelSpec zoo_model(const std::string& id) { return zoo_entry("model", id, spec::read_model); }

// A Llama-style model small enough to count by hand: 2 layers, hidden 64, 4 query heads and 2 KV
// heads of 16, SwiGLU ffn 128, RMSNorm, RoPE, vocabulary 100, untied, no biases, no dropout.
inline spec::ModelSpec tiny_model() {
  spec::ModelSpec m;
  m.id = m.name = "tiny";
  m.architecture = spec::Architecture::kDecoder;
  m.layers = 2;
  m.hidden = 64;
  m.heads = 4;
  m.kv_heads = 2;
  m.head_dim = 16;
  m.ffn = 128;
  m.activation = spec::Activation::kSwiglu;
  m.norm = spec::NormKind::kRmsNorm;
  m.positions = spec::Positions::kRope;
  m.max_seq_len = 1024;
  m.vocab = 100;
  m.attention = spec::AttentionKind::kGqa;
  return m;
}

// A fresh, empty directory under the system temp dir, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path() /
            ("mlsim_test_" + std::to_string(::getpid()) + "_" + std::to_string(stamp) + "_" + std::to_string(++counter));
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `text` to a file of the directory and returns its path.
  [[nodiscard]] std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

}  // namespace mlsim::test
