// Golden CLI tests: mlsim runs in-process; JSON is compared structurally with a numeric
// tolerance, bad input by its exact message and exit code.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../support.hpp"
#include "workload/params.hpp"

namespace {

using mlsim::test::run_cli;
using mlsim::test::source_path;
using nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Same keys and types everywhere; numbers within a relative 1e-9; mlsim_version ignored.
void compare_json(const json& expected, const json& actual, const std::string& path) {
  INFO("at ", path);
  REQUIRE(expected.type() == actual.type());
  if (expected.is_object()) {
    std::vector<std::string> ek, ak;
    for (auto it = expected.begin(); it != expected.end(); ++it) ek.push_back(it.key());
    for (auto it = actual.begin(); it != actual.end(); ++it) ak.push_back(it.key());
    CHECK(ek == ak);
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      if (it.key() == "mlsim_version" || !actual.contains(it.key())) continue;
      compare_json(it.value(), actual.at(it.key()), path + "." + it.key());
    }
  } else if (expected.is_array()) {
    REQUIRE(expected.size() == actual.size());
    for (std::size_t i = 0; i < expected.size(); ++i) compare_json(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
  } else if (expected.is_number()) {
    CHECK(actual.get<double>() == mlsim::test::approx(expected.get<double>()).epsilon(1e-9));
  } else {
    CHECK(expected == actual);
  }
}

// The time of the analyze report's operator `name` in `phase` (0 when there is none).
double operator_time(const json& report, const char* name, const char* phase) {
  for (const auto& op : report["operators"]) {
    if (op["name"] == name && op["phase"] == phase) return op["time_s"].get<double>();
  }
  return 0.0;
}

std::string temp_dir() {
  const auto dir = std::filesystem::temp_directory_path() / ("mlsim_cli_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("analyze of the quickstart matches its golden JSON") {
  const auto r = run_cli({"analyze", source_path("scenarios/quickstart.yaml"), "--format", "json"});
  REQUIRE(r.code == 0);
  compare_json(json::parse(read_file(source_path("tests/golden/quickstart.json"))), json::parse(r.out), "$");
}

TEST_CASE("analyze of a training scenario matches its golden JSON") {
  const auto r = run_cli({"analyze", source_path("scenarios/gpt2_training_a100.yaml"), "-f", "json"});
  REQUIRE(r.code == 0);
  compare_json(json::parse(read_file(source_path("tests/golden/gpt2_training_a100.json"))), json::parse(r.out), "$");
}

TEST_CASE("software.attention_speeds: uniform prices every attention pass at the accelerator's rate") {
  // GPT-2 small on one A100, seq 1024, head 64, causal: FlashAttention-2's pass speeds make the
  // forward 1 / (306 x 260/350 / 370) = 1.628x and the backward 1 / (238 x 260/350 / 370) = 2.093x
  // slower than the uniform rate; the golden holds the former, `uniform` gives the latter back.
  const auto fa2 = run_cli({"analyze", source_path("scenarios/gpt2_training_a100.yaml"), "-f", "json"});
  const auto uni = run_cli({"analyze", source_path("scenarios/gpt2_training_a100.yaml"), "-f", "json", "--set",
                            "software.attention_speeds=uniform"});
  REQUIRE(fa2.code == 0);
  REQUIRE(uni.code == 0);
  const auto attention = [](const json& j, const char* phase) { return operator_time(j, "attention", phase); };
  const json a = json::parse(fa2.out), u = json::parse(uni.out);
  const double causal = 260.0 / 350.0;
  CHECK(attention(a, "forward") == mlsim::test::approx(attention(u, "forward") * 370.0 / (306.0 * causal)).epsilon(1e-6));
  CHECK(attention(a, "backward") == mlsim::test::approx(attention(u, "backward") * 370.0 / (238.0 * causal)).epsilon(1e-6));
  CHECK(u["training"]["step_time_s"].get<double>() < a["training"]["step_time_s"].get<double>());

  const auto bad = run_cli({"analyze", source_path("scenarios/gpt2_training_a100.yaml"), "--set", "software.attention_speeds=fast"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("expected flash_attention_2 | uniform") != std::string::npos);
}

TEST_CASE("software.attention_kernel prices FlashAttention (v1) and Triton's kernel at half FlashAttention-2's speed") {
  // FlashAttention-2 is "around 2x" FlashAttention (v1) (Dao 2023, abstract), and the Triton kernel is
  // taken at v1's speed: each attention pass, compute-bound on GPT-2 small at 1k tokens, takes twice
  // as long; nothing else changes.
  const auto fa2 = run_cli({"analyze", source_path("scenarios/gpt2_training_a100.yaml"), "-f", "json"});
  REQUIRE(fa2.code == 0);
  const json a = json::parse(fa2.out);
  for (const char* kernel : {"flash_attention_1", "triton_flash_attention"}) {
    CAPTURE(kernel);
    const auto r = run_cli({"analyze", source_path("scenarios/gpt2_training_a100.yaml"), "-f", "json", "--set",
                            std::string("software.attention_kernel=") + kernel});
    REQUIRE(r.code == 0);
    const json v = json::parse(r.out);
    CHECK(operator_time(v, "attention", "forward") == mlsim::test::approx(2.0 * operator_time(a, "attention", "forward")).epsilon(1e-9));
    CHECK(operator_time(v, "attention", "backward") == mlsim::test::approx(2.0 * operator_time(a, "attention", "backward")).epsilon(1e-9));
    CHECK(operator_time(v, "mlp_up", "forward") == mlsim::test::approx(operator_time(a, "mlp_up", "forward")).epsilon(1e-12));
    CHECK(v["training"]["step_time_s"].get<double>() > a["training"]["step_time_s"].get<double>());
  }
  // Without fused attention the kernel has nothing to price: said, not silently dropped.
  const auto unfused = run_cli({"analyze", source_path("scenarios/gpt2_training_a100.yaml"), "-f", "json", "--set",
                                "software.attention_kernel=flash_attention_1", "--set", "software.flash_attention=false"});
  REQUIRE(unfused.code == 0);
  CHECK(json::parse(unfused.out)["warnings"].dump().find("software.attention_kernel") != std::string::npos);
  const auto bad = run_cli({"analyze", source_path("scenarios/gpt2_training_a100.yaml"), "--set", "software.attention_kernel=xformers"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("expected flash_attention_2 | flash_attention_1 | triton_flash_attention") != std::string::npos);
}

TEST_CASE("the JSON carries every key of the analyze contract") {
  const auto r = run_cli({"analyze", source_path("scenarios/quickstart.yaml"), "-f", "json"});
  const json j = json::parse(r.out);
  for (const char* k : {"schema_version", "mlsim_version", "scenario", "feasible", "infeasible_reason", "binding_wall", "walls",
                        "operators", "memory", "inference", "ops", "warnings"}) {
    CHECK_MESSAGE(j.contains(k), k);
  }
  CHECK_FALSE(j.contains("training"));   // sections that do not apply are absent
  for (const char* k : {"per_device_bytes", "capacity_bytes", "fits", "breakdown"}) CHECK(j["memory"].contains(k));
  for (const char* k : {"weights_bytes", "gradients_bytes", "optimizer_bytes", "activations_bytes", "kv_cache_bytes", "workspace_bytes"}) {
    CHECK(j["memory"]["breakdown"].contains(k));
  }
  for (const char* k : {"ttft_s", "tpot_s", "e2e_s", "throughput_tokens_per_s", "max_batch", "kv_cache_bytes_per_token", "percentiles", "goodput"}) {
    CHECK(j["inference"].contains(k));
  }
  for (const char* k : {"gpu_hours", "energy_j", "it_energy_j", "operational_carbon_kg", "embodied_carbon_kg", "carbon_kg", "water_l",
                        "cost_usd", "usd_per_million_tokens"}) {
    CHECK(j["ops"].contains(k));
  }
  for (const auto& w : j["walls"]) {
    for (const char* k : {"name", "time_s", "utilization", "binding", "note"}) CHECK(w.contains(k));
  }
  for (const auto& o : j["operators"]) {
    for (const char* k : {"name", "phase", "count", "flops", "bytes", "time_s", "bound"}) CHECK(o.contains(k));
  }
  // Exactly one binding wall, and it is the one named.
  int binding = 0;
  for (const auto& w : j["walls"]) binding += w["binding"].get<bool>() ? 1 : 0;
  CHECK(binding == 1);
  CHECK(j["binding_wall"] == "memory_bandwidth");
}

TEST_CASE("an unknown key and a missing unit: every error at once, file:line:col, exit 2") {
  const std::string file = source_path("tests/golden/bad_units.yaml");
  const auto r = run_cli({"analyze", file});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == file + ":12:3: error: unknown key \"precison\" in inference; did you mean \"precision\"?\n"
                        "    precison: bf16\n"
                        "    ^\n" +
                     file + ":13:17: error: ops.duration: missing unit: expected a time with a unit (e.g. \"30 d\")\n"
                            "  ops: {duration: 3}\n"
                            "                  ^\n"
                            "2 errors\n");
}

TEST_CASE("a wrong dimension is an error with the column of the value") {
  const std::string file = source_path("tests/golden/bad_dimension.yaml");
  const auto r = run_cli({"lint", file});
  CHECK(r.code == 2);
  CHECK(r.err == file + ":6:39: error: accelerator.memory.bandwidth: wrong dimension: \"3 TB\" is a size in bytes, expected a "
                        "bandwidth (e.g. \"3.35 TB/s\")\n"
                        "  memory: {capacity: 16 GiB, bandwidth: 3 TB}\n"
                        "                                        ^\n");
}

TEST_CASE("malformed YAML is an error with its position") {
  const std::string file = source_path("tests/golden/malformed.yaml");
  const auto r = run_cli({"analyze", file});
  CHECK(r.code == 2);
  CHECK(r.err.rfind(file + ":5:1: error: malformed YAML: end of sequence flow not found", 0) == 0);
}

TEST_CASE("--set reaches keys of resolved entries, and its errors name the override") {
  const std::string file = source_path("scenarios/quickstart.yaml");
  auto r = run_cli({"analyze", file, "-f", "json", "--set", "system.accelerator.memory.bandwidth=6.7 TB/s"});
  REQUIRE(r.code == 0);
  const double tpot_fast = json::parse(r.out)["inference"]["tpot_s"].get<double>();
  r = run_cli({"analyze", file, "-f", "json"});
  const double tpot = json::parse(r.out)["inference"]["tpot_s"].get<double>();
  // Doubling bandwidth halves the bandwidth-bound part of decode, not the launch gaps.
  CHECK(tpot_fast < 0.6 * tpot);
  CHECK(tpot_fast > 0.5 * tpot);
  r = run_cli({"analyze", file, "--set", "inference.batchh=3"});
  CHECK(r.code == 2);
  CHECK(r.err == "--set inference.batchh=3: error: unknown key \"batchh\" in inference; did you mean \"batch\"?\n");
  r = run_cli({"analyze", file, "--set", "system.accelerator=h100_sxn"});
  CHECK(r.code == 2);
  CHECK(r.err == "--set system.accelerator=h100_sxn: error: unknown accelerator \"h100_sxn\"; did you mean \"h100_sxm\"? "
                 "(mlsim list accelerators shows the zoo)\n");
}

TEST_CASE("an infeasible point exits 0 with feasible false and a reason") {
  const auto r = run_cli({"analyze", source_path("tests/golden/infeasible.yaml"), "-f", "json"});
  CHECK(r.code == 0);
  const json j = json::parse(r.out);
  CHECK(j["feasible"] == false);
  CHECK(j["binding_wall"] == "memory_capacity");
  CHECK(j["infeasible_reason"].get<std::string>().rfind("does not fit: needs ", 0) == 0);
  CHECK(j["memory"]["fits"] == false);
}

TEST_CASE("-o writes atomically and never overwrites without --force") {
  const std::string out = temp_dir() + "/report.json";
  std::filesystem::remove(out);
  const std::string file = source_path("scenarios/quickstart.yaml");
  auto r = run_cli({"analyze", file, "-f", "json", "-o", out});
  REQUIRE(r.code == 0);
  CHECK(r.out.empty());
  const std::string first = read_file(out);
  CHECK(json::parse(first)["binding_wall"] == "memory_bandwidth");
  {
    std::ofstream user(out);
    user << "my notes\n";
  }
  r = run_cli({"analyze", file, "-f", "json", "-o", out});
  CHECK(r.code == 2);
  CHECK(r.err == "mlsim: error: " + out + ": file exists; pass --force to overwrite it\n");
  CHECK(read_file(out) == "my notes\n");
  r = run_cli({"analyze", file, "-f", "json", "-o", out, "--force"});
  CHECK(r.code == 0);
  CHECK(read_file(out) == first);
  std::filesystem::remove_all(std::filesystem::path(out).parent_path());
}

TEST_CASE("csv and table formats carry the headline numbers and the operator table") {
  const std::string file = source_path("scenarios/quickstart.yaml");
  auto r = run_cli({"analyze", file, "-f", "csv"});
  REQUIRE(r.code == 0);
  CHECK(r.out.rfind("scenario,feasible,binding_wall,memory.per_device_bytes,memory.fits,inference.ttft_s,inference.tpot_s", 0) == 0);
  CHECK(r.out.find("\nname,phase,count,flops,bytes,time_s,bound\n") != std::string::npos);
  CHECK(r.out.find("\nqkv_proj,decode,32,") != std::string::npos);
  r = run_cli({"analyze", file});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("binding wall: memory_bandwidth") != std::string::npos);
  CHECK(r.out.find("* memory_bandwidth") != std::string::npos);
  CHECK(r.out.find("mlp_up              decode") != std::string::npos);
}

TEST_CASE("show prints each figure with where it was set and its source") {
  auto r = run_cli({"show", "h100_sxm"});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("memory.bandwidth = 3.35 TB/s\n    set at hardware_zoo/accelerators/h100_sxm.yaml:9:") != std::string::npos);
  CHECK(r.out.find("    source: NVIDIA H100 Tensor Core GPU datasheet (2023)") != std::string::npos);
  r = run_cli({"show", source_path("scenarios/quickstart.yaml"), "--set", "inference.batch=4"});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("inference.batch = 4\n    set at --set inference.batch=4\n") != std::string::npos);
  CHECK(r.out.find("system.accelerator.peak.bf16 = 989.4 TFLOPS") != std::string::npos);
  r = run_cli({"show", "no_such_thing"});
  CHECK(r.code == 2);
}

TEST_CASE("list shows the zoo by kind; lint --all passes; usage errors exit 2") {
  auto r = run_cli({"list", "accelerators"});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("  h100_sxm") != std::string::npos);
  CHECK(r.out.find("models:") == std::string::npos);
  r = run_cli({"lint", "--all"});
  CHECK(r.code == 0);
  CHECK(r.err.find("file(s) OK") != std::string::npos);
  r = run_cli({"analyze"});
  CHECK(r.code == 2);
  r = run_cli({"frobnicate"});
  CHECK(r.code == 2);
  r = run_cli({"analyze", source_path("scenarios/quickstart.yaml"), "--format", "xml"});
  CHECK(r.code == 2);
}

TEST_CASE("import-hf turns a config.json into a model entry that lints and counts the published parameters") {
  mlsim::test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "Meta-Llama-3-8B");
  // The figures of meta-llama/Meta-Llama-3-8B's config.json.
  const std::string config = dir.write(
      "Meta-Llama-3-8B/config.json",
      R"({"hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 14336, "max_position_embeddings": 8192,
          "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
          "tie_word_embeddings": false, "vocab_size": 128256})");
  const std::string out = dir.file("llama3.yaml");
  auto r = run_cli({"import-hf", config, "-o", out});
  REQUIRE(r.code == 0);
  CHECK(read_file(out).find("id: meta_llama_3_8b\n") != std::string::npos);
  r = run_cli({"lint", out});
  CHECK(r.code == 0);
  mlsim::Diagnostics d;
  const auto m = mlsim::spec::read_model(mlsim::spec::load_yaml(read_file(out), out, d), d);
  CHECK_FALSE(d.has_errors());
  // 8,030,261,248 parameters, as the safetensors checkpoint holds (models/llama3_8b.yaml).
  CHECK(mlsim::workload::count_params(m).total == 8'030'261'248.0);
  // A second import does not overwrite without --force; an unsupported model_type exits 2.
  CHECK(run_cli({"import-hf", config, "-o", out}).code == 2);
  const std::string odd = dir.write("odd.json", R"({"model_type": "t5", "d_model": 512})");
  r = run_cli({"import-hf", odd});
  CHECK(r.code == 2);
  CHECK(r.err.find("model_type \"t5\" is not supported by the importer") != std::string::npos);
}

TEST_CASE("accuracy --scenario prints the scenario of a point, and analyze of it reproduces the prediction") {
  const std::string published = source_path("validation/published.yaml");
  auto r = run_cli({"accuracy", published, "-f", "json"});
  REQUIRE(r.code == 0);
  double predicted_kwh = 0.0;
  const json report = json::parse(r.out);
  for (const auto& p : report["points"]) {
    if (p["id"] == "D-BLOOM-176B-ENERGY-CO2") predicted_kwh = p["predicted"].get<double>();
  }
  REQUIRE(predicted_kwh > 0.0);
  r = run_cli({"accuracy", published, "--scenario", "D-BLOOM-176B-ENERGY-CO2"});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("software: megatron_2021") != std::string::npos);
  CHECK(r.out.find("# and, as --set: system.node.nics.count=4\n") != std::string::npos);
  const std::string file = temp_dir() + "/bloom.yaml";
  std::ofstream(file) << r.out;
  CHECK(r.out.find("# and, as --set: software.launch_blocking=true\n") != std::string::npos);
  r = run_cli({"analyze", file, "-f", "json", "--set", "software.launch_blocking=true", "--set", "system.node.nics.count=4", "--set",
               "system.node.nics.bandwidth=100 Gb/s"});
  REQUIRE(r.code == 0);
  // The point compares GPU-hours x 400 W (the paper's energy) in kWh.
  CHECK(json::parse(r.out)["ops"]["gpu_hours"].get<double>() * 0.4 == mlsim::test::approx(predicted_kwh).epsilon(1e-9));
  r = run_cli({"accuracy", published, "--scenario", "NO-SUCH-POINT"});
  CHECK(r.code == 2);
  CHECK(r.err == "mlsim: error: no point with id 'NO-SUCH-POINT' in the inputs\n");
  r = run_cli({"accuracy", published, "--scenario", "C-HBM-H100-80GB-AZURE"});
  CHECK(r.code == 2);
  CHECK(r.err.rfind("mlsim: error: point C-HBM-H100-80GB-AZURE has no scenario: a microbenchmark", 0) == 0);
}
