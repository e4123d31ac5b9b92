// Tests of spec/scenario: zoo references and their defaults, inline entries, Hugging Face configs,
// `--set` overrides (of scenario keys, of keys inside resolved entries, of references), and errors.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "../support.hpp"
#include "spec/scenario.hpp"

namespace mlsim::spec {
namespace {

namespace fs = std::filesystem;
using test::scenario_from_text;

doctest::Approx rel(double v, double eps = 1e-12) { return mlsim::test::approx(v).epsilon(eps).scale(0.0); }

constexpr double kGiB = 1073741824.0;

const std::string kInference =
    "schema_version: 1\n"
    "kind: scenario\n"
    "name: decode test\n"
    "system: {accelerator: h100_sxm, count: 1}\n"
    "model: llama3_8b\n"
    "inference: {prompt_tokens: 128, output_tokens: 16, batch: 4}\n";

const std::string kTraining =
    "schema_version: 1\n"
    "kind: scenario\n"
    "name: training test\n"
    "system: {node: dgx_h100, count: 16}\n"
    "model: gpt2_124m\n"
    "training:\n"
    "  seq_len: 1024\n"
    "  global_batch: 64\n"
    "  micro_batch: 2\n"
    "  parallelism: {tp: 2, dp: 8}\n";

std::vector<Override> overrides(std::initializer_list<const char*> texts) {
  std::vector<Override> out;
  Diagnostics d;
  for (const char* t : texts) {
    auto o = parse_override(t, d);
    REQUIRE_MESSAGE(o.has_value(), t);
    out.push_back(*o);
  }
  return out;
}


using test::TempDir;

TEST_CASE("zoo references resolve, with the default site and the inference framework") {
  Diagnostics d;
  const auto s = scenario_from_text(kInference, d);
  INFO(d.format());
  REQUIRE(s.has_value());
  CHECK(d.all().empty());
  CHECK(s->name == "decode test");
  CHECK(s->file == "test.yaml");
  const AcceleratorSpec& a = s->system.accelerator;
  CHECK(a.id == "h100_sxm");
  CHECK(a.memory_capacity.si() == 80.0 * kGiB);
  CHECK(a.memory_bandwidth.si() == rel(3.35e12));
  REQUIRE(a.peak_at(Precision::kBf16).has_value());
  CHECK(a.peak_at(Precision::kBf16)->si() == rel(989.4e12));
  CHECK(a.tdp.si() == 700.0);
  REQUIRE(a.rental_price.has_value());
  CHECK(a.rental_price->si() == rel(2.99 / 3600.0));   // 2.99 USD/h
  CHECK(s->system.count == 1);
  CHECK_FALSE(s->system.node.has_value());
  CHECK_FALSE(s->system.fabric.has_value());
  // No site: us_average (366 gCO2/kWh, PUE 1.56, 0.0806 USD/kWh).
  CHECK(s->system.site.id == "us_average");
  CHECK(s->system.site.carbon_intensity.si() == rel(0.366 / 3.6e6));
  CHECK(s->system.site.pue == 1.56);
  CHECK(s->system.site.electricity.si() == rel(0.0806 / 3.6e6));
  // No software: vLLM for inference (2 GiB workspace).
  CHECK(s->software.id == "vllm");
  CHECK(s->software.workspace.si() == 2.0 * kGiB);
  CHECK(s->software.host_per_kernel.si() == rel(21e-6));
  CHECK(s->model.id == "llama3_8b");
  CHECK(s->model.layers == 32);
  CHECK(s->model.kv_heads == 8);
  REQUIRE(s->inference.has_value());
  CHECK_FALSE(s->training.has_value());
  CHECK(s->inference->prompt_tokens == 128);
  CHECK(s->inference->output_tokens == 16);
  CHECK(s->inference->batch == 4);
  CHECK(s->inference->precision.weights == Precision::kBf16);
  CHECK(s->inference->cuda_graphs);
  CHECK_FALSE(s->duration.has_value());
}

TEST_CASE("a node without an accelerator brings its own; training defaults to PyTorch eager") {
  Diagnostics d;
  const auto s = scenario_from_text(kTraining, d);
  INFO(d.format());
  REQUIRE(s.has_value());
  CHECK(s->system.accelerator.id == "h100_sxm");
  REQUIRE(s->system.node.has_value());
  CHECK(s->system.node->id == "dgx_h100");
  CHECK(s->system.node->accelerators == 8);
  CHECK(s->system.node->nic_count == 8);
  REQUIRE(s->system.node->nic_bandwidth.has_value());
  CHECK(s->system.node->nic_bandwidth->si() == 5e10);   // 400 Gb/s / 8
  CHECK(s->system.node->power_overhead.si() == rel(4600.0));
  CHECK(s->system.count == 16);
  CHECK(s->software.id == "pytorch_eager");
  CHECK(s->software.workspace.si() == kGiB);
  REQUIRE(s->training.has_value());
  const TrainingSpec& t = *s->training;
  CHECK(t.seq_len == 1024);
  CHECK(t.global_batch == 64);
  CHECK(t.micro_batch == 2);
  CHECK(t.precision == Precision::kBf16);
  CHECK(t.grad_precision == Precision::kFp32);
  CHECK(t.parallelism.tp == 2);
  CHECK(t.parallelism.dp == 8);
  CHECK(t.parallelism.pp == 1);
  CHECK(t.parallelism.sequence_parallel);   // defaults to tp > 1
  CHECK(t.parallelism.zero == 0);
  CHECK(t.parallelism.schedule == "1f1b");
  CHECK(t.recompute == Recompute::kNone);
  CHECK(s->model.layers == 12);
}

TEST_CASE("an inline accelerator mapping and an explicit site and software") {
  Diagnostics d;
  const auto s = scenario_from_text(
      "schema_version: 1\n"
      "kind: scenario\n"
      "system:\n"
      "  accelerator:\n"
      "    schema_version: 1\n"
      "    kind: accelerator\n"
      "    peak: {bf16: 100 TFLOPS}\n"
      "    memory: {capacity: 16 GiB, bandwidth: 1 TB/s}\n"
      "    power: {tdp: 300 W}\n"
      "    efficiency: {compute: 0.5, memory: 0.8, attention: 0.4, device_gap: 2 us, graph_gap: 1 us}\n"
      "  site: us_iowa\n"
      "software: megatron\n"
      "model: gpt2_124m\n"
      "inference: {prompt_tokens: 8, output_tokens: 8, batch: max}\n"
      "ops: {duration: 30 d}\n",
      d);
  INFO(d.format());
  REQUIRE(s.has_value());
  const AcceleratorSpec& a = s->system.accelerator;
  CHECK(a.id == "inline");
  CHECK(a.memory_capacity.si() == 16.0 * kGiB);
  CHECK(a.memory_bandwidth.si() == 1e12);
  CHECK(a.peak_at(Precision::kBf16)->si() == 1e14);
  CHECK_FALSE(a.peak_at(Precision::kFp8).has_value());
  CHECK(a.efficiency.compute == 0.5);
  CHECK(a.efficiency.device_gap.si() == rel(2e-6));
  CHECK(s->system.site.id == "us_iowa");
  CHECK(s->system.site.carbon_intensity.si() == rel(0.41272 / 3.6e6));   // 412.72 gCO2/kWh
  CHECK(s->software.id == "megatron");   // given, so not the inference default
  CHECK(s->inference->batch_max);
  CHECK_FALSE(s->inference->batch.has_value());
  REQUIRE(s->duration.has_value());
  CHECK(s->duration->si() == 2592000.0);   // 30 * 86400
}

TEST_CASE("an unknown zoo id gets a suggestion at its position") {
  Diagnostics d;
  std::string text = kInference;
  text.replace(text.find("h100_sxm"), 8, "h100_sxn");
  CHECK_FALSE(scenario_from_text(text, d).has_value());
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message ==
        "unknown accelerator \"h100_sxn\"; did you mean \"h100_sxm\"? (mlsim list accelerators shows the zoo)");
  CHECK(d.all()[0].origin.file == "test.yaml");
  CHECK(d.all()[0].origin.line == 4);
  CHECK(d.all()[0].origin.column == 23);   // "system: {accelerator: " is 22 characters
  Diagnostics d2;
  text = kInference;
  text.replace(text.find("llama3_8b"), 9, "no_such_model_anywhere");
  CHECK_FALSE(scenario_from_text(text, d2).has_value());
  REQUIRE(d2.all().size() == 1);
  CHECK(d2.all()[0].message == "unknown model \"no_such_model_anywhere\" (mlsim list models shows the zoo)");
}

TEST_CASE("exactly one of training or inference") {
  Diagnostics both;
  CHECK_FALSE(scenario_from_text(kInference + "training: {seq_len: 8, global_batch: 1}\n", both).has_value());
  REQUIRE(both.all().size() == 1);
  CHECK(both.all()[0].message == "a scenario has exactly one of training or inference, not both");
  CHECK(both.all()[0].origin.line == 6);   // at the inference mapping
  CHECK(both.all()[0].origin.column == 12);
  Diagnostics neither;
  std::string text = kInference;
  text.erase(text.find("inference:"));
  CHECK_FALSE(scenario_from_text(text, neither).has_value());
  REQUIRE(neither.all().size() == 1);
  CHECK(neither.all()[0].message == "a scenario needs one of training or inference");
}

TEST_CASE("parse_override splits key=value and trims both") {
  Diagnostics d;
  const auto o = parse_override(" system.accelerator.memory.bandwidth = 4.8 TB/s ", d);
  REQUIRE(o.has_value());
  CHECK(o->path == "system.accelerator.memory.bandwidth");
  CHECK(o->value == "4.8 TB/s");
  const auto eq = parse_override("ops.note=a=b", d);   // the first '=' splits
  REQUIRE(eq.has_value());
  CHECK(eq->path == "ops.note");
  CHECK(eq->value == "a=b");
  CHECK(d.all().empty());
}

TEST_CASE("a malformed override") {
  Diagnostics d;
  CHECK_FALSE(parse_override("noequals", d).has_value());
  CHECK_FALSE(parse_override("=4", d).has_value());
  REQUIRE(d.all().size() == 2);
  CHECK(d.all()[0].message == "expected key=value, e.g. --set training.parallelism.tp=4");
  CHECK(d.all()[0].origin.file == "--set noequals");
  CHECK(d.all()[0].origin.line == 0);
  CHECK(d.format(d.all()[1]) == "--set =4: error: expected key=value, e.g. --set training.parallelism.tp=4\n");
}

TEST_CASE("--set a scenario key") {
  Diagnostics d;
  const auto s = scenario_from_text(kTraining, d, overrides({"training.micro_batch=4", "training.parallelism.zero=1"}));
  INFO(d.format());
  REQUIRE(s.has_value());
  CHECK(s->training->micro_batch == 4);
  CHECK(s->training->parallelism.zero == 1);
  CHECK(s->training->parallelism.tp == 2);   // siblings untouched
  // The composed tree remembers where the value came from.
  const Node* mb = s->tree.find("training")->find("micro_batch");
  REQUIRE(mb != nullptr);
  CHECK(mb->scalar == "4");
  CHECK(mb->origin.file == "--set training.micro_batch=4");
  CHECK(mb->origin.line == 0);
  CHECK(s->tree.find("training")->find("seq_len")->origin.line == 7);
}

TEST_CASE("--set a key inside a resolved zoo entry") {
  Diagnostics d;
  const auto s = scenario_from_text(kInference, d, overrides({"system.accelerator.memory.bandwidth=4.8 TB/s"}));
  INFO(d.format());
  REQUIRE(s.has_value());
  CHECK(s->system.accelerator.id == "h100_sxm");
  CHECK(s->system.accelerator.memory_bandwidth.si() == rel(4.8e12));
  CHECK(s->system.accelerator.memory_capacity.si() == 80.0 * kGiB);   // the rest of the entry stays
  // The same through a node's accelerator, and a new key of an optional section.
  Diagnostics d2;
  const auto t = scenario_from_text(kTraining, d2, overrides({"system.accelerator.memory.bandwidth=4 TB/s",
                                                               "system.node.nics.bandwidth=200 Gb/s"}));
  INFO(d2.format());
  REQUIRE(t.has_value());
  CHECK(t->system.accelerator.memory_bandwidth.si() == 4e12);
  CHECK(t->system.node->nic_bandwidth->si() == 2.5e10);   // 200e9 / 8
}

TEST_CASE("--set replaces a reference") {
  Diagnostics d;
  const auto s = scenario_from_text(kInference, d, overrides({"system.accelerator=h200_sxm", "system.site=us_iowa"}));
  INFO(d.format());
  REQUIRE(s.has_value());
  CHECK(s->system.accelerator.id == "h200_sxm");
  CHECK(s->system.accelerator.memory_bandwidth.si() == rel(4.8e12));
  CHECK(s->system.accelerator.memory_capacity.si() == 141.0 * kGiB);
  CHECK(s->system.site.id == "us_iowa");
  // A replaced reference can be overridden inside in the same run.
  Diagnostics d2;
  const auto t = scenario_from_text(
      kInference, d2, overrides({"system.accelerator.memory.capacity=100 GiB", "system.accelerator=h200_sxm"}));
  INFO(d2.format());
  REQUIRE(t.has_value());
  CHECK(t->system.accelerator.id == "h200_sxm");
  CHECK(t->system.accelerator.memory_capacity.si() == 100.0 * kGiB);
}

TEST_CASE("errors from --set values point at the command line") {
  Diagnostics d;
  CHECK_FALSE(scenario_from_text(kTraining, d, overrides({"training.micro_bach=4"})).has_value());
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message == "unknown key \"micro_bach\" in training; did you mean \"micro_batch\"?");
  CHECK(d.all()[0].origin.file == "--set training.micro_bach=4");
  CHECK(d.all()[0].origin.line == 0);
  CHECK(d.format() ==
        "--set training.micro_bach=4: error: unknown key \"micro_bach\" in training; did you mean \"micro_batch\"?\n");

  Diagnostics bad_value;
  CHECK_FALSE(scenario_from_text(kInference, bad_value, overrides({"system.accelerator.memory.bandwidth=4.8"})).has_value());
  REQUIRE(bad_value.all().size() == 1);
  CHECK(bad_value.all()[0].message ==
        "accelerator.memory.bandwidth: missing unit: expected a bandwidth with a unit (e.g. \"3.35 TB/s\")");
  CHECK(bad_value.all()[0].origin.file == "--set system.accelerator.memory.bandwidth=4.8");

  Diagnostics into_scalar;
  CHECK_FALSE(scenario_from_text(kInference, into_scalar, overrides({"model.layers.count=3"})).has_value());
  REQUIRE(into_scalar.all().size() == 1);
  CHECK(into_scalar.all()[0].message == "\"model.layers\" is a single value, so it has no key \"count\"");

  Diagnostics empty_key;
  CHECK_FALSE(scenario_from_text(kTraining, empty_key, overrides({"training..micro_batch=4"})).has_value());
  REQUIRE(empty_key.all().size() == 1);
  CHECK(empty_key.all()[0].message == "empty key in the path \"training..micro_batch\"");

  Diagnostics bad_yaml;
  CHECK_FALSE(scenario_from_text(kTraining, bad_yaml, overrides({"training.micro_batch=[4"})).has_value());
  REQUIRE(bad_yaml.all().size() == 1);
  CHECK(bad_yaml.all()[0].message == "the value is not valid YAML");
  CHECK(bad_yaml.all()[0].origin.file == "--set training.micro_batch=[4");
}

TEST_CASE("a Hugging Face config.json as the model") {
  TempDir dir;
  const std::string config = dir.write("config.json", R"({
  "model_type": "llama",
  "num_hidden_layers": 4,
  "hidden_size": 256,
  "num_attention_heads": 8,
  "num_key_value_heads": 2,
  "intermediate_size": 688,
  "max_position_embeddings": 2048,
  "vocab_size": 32000,
  "tie_word_embeddings": false
}
)");
  const auto check_model = [](const ModelSpec& m) {
    CHECK(m.layers == 4);
    CHECK(m.hidden == 256);
    CHECK(m.heads == 8);
    CHECK(m.kv_heads == 2);
    CHECK(m.head_dim == 32);   // 256 / 8
    CHECK(m.ffn == 688);
    CHECK(m.activation == Activation::kSwiglu);
    CHECK(m.norm == NormKind::kRmsNorm);
    CHECK_FALSE(m.bias_linear);
    CHECK(m.positions == Positions::kRope);
    CHECK(m.max_seq_len == 2048);
    CHECK(m.vocab == 32000);
    CHECK_FALSE(m.tied_embeddings);
    CHECK(m.attention == AttentionKind::kGqa);
  };
  SUBCASE("by absolute path") {
    std::string text = kInference;
    text.replace(text.find("llama3_8b"), 9, config);
    Diagnostics d;
    const auto s = scenario_from_text(text, d);
    INFO(d.format());
    REQUIRE(s.has_value());
    check_model(s->model);
  }
  SUBCASE("relative to the scenario file") {
    std::string text = kInference;
    text.replace(text.find("llama3_8b"), 9, "config.json");
    const std::string scenario = dir.write("scenario.yaml", text);
    Diagnostics d;
    const auto s = load_scenario_file(scenario, test::zoo(), {}, d);
    INFO(d.format());
    REQUIRE(s.has_value());
    CHECK(s->file == scenario);
    check_model(s->model);
  }
}

TEST_CASE("an unsupported or missing config.json") {
  TempDir dir;
  const std::string config = dir.write("config.json", "{\"model_type\": \"bert\", \"num_hidden_layers\": 12}\n");
  std::string text = kInference;
  text.replace(text.find("llama3_8b"), 9, config);
  Diagnostics d;
  CHECK_FALSE(scenario_from_text(text, d).has_value());
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message ==
        "config.json: model_type \"bert\" is not supported by the importer (supported: llama, mistral, mixtral, "
        "qwen2, gpt2); write a model YAML instead");
  CHECK(d.all()[0].origin.file == config);
  CHECK(d.all()[0].origin.line == 1);

  text = kInference;
  text.replace(text.find("llama3_8b"), 9, "missing/config.json");
  Diagnostics missing;
  CHECK_FALSE(scenario_from_text(text, missing).has_value());
  REQUIRE(missing.all().size() == 1);
  // test.yaml has no directory, so the path is taken as given.
  CHECK(missing.all()[0].message ==
        "model file \"missing/config.json\" cannot be read (looked for missing/config.json)");
  CHECK(missing.all()[0].origin.line == 5);
  CHECK(missing.all()[0].origin.column == 8);
}

TEST_CASE("a scenario of the zoo loads by id") {
  Diagnostics d;
  const auto s = load_scenario_file("quickstart", test::zoo(), {}, d);
  INFO(d.format());
  REQUIRE(s.has_value());
  CHECK(s->system.accelerator.id == "h100_sxm");
  CHECK(s->model.id == "llama3_8b");
  CHECK(s->inference->batch == 16);
  REQUIRE(s->duration.has_value());
  CHECK(s->duration->si() == 3600.0);
  Diagnostics none;
  CHECK_FALSE(load_scenario_file("no_such_scenario", test::zoo(), {}, none).has_value());
  REQUIRE(none.all().size() == 1);
  CHECK(none.all()[0].message == "no such file, and no zoo scenario of that id (mlsim list scenarios shows the zoo)");
  CHECK(none.all()[0].origin.file == "no_such_scenario");
}

TEST_CASE("duplicate keys are errors") {
  Diagnostics d;
  CHECK_FALSE(scenario_from_text(kInference + "model: llama3_70b\n", d).has_value());
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message == "duplicate key \"model\"");
  CHECK(d.all()[0].origin.line == 7);
  CHECK(d.all()[0].origin.column == 1);
}

TEST_CASE("malformed YAML is reported with its line and column") {
  Diagnostics d;
  const std::string text =
      "schema_version: 1\n"
      "kind: scenario\n"
      "system: {accelerator: h100_sxm, count: 1\n"
      "model: llama3_8b\n";
  CHECK_FALSE(scenario_from_text(text, d).has_value());
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message == "malformed YAML: end of map flow not found");
  CHECK(d.all()[0].origin.file == "test.yaml");
  // yaml-cpp notices the unclosed '{' of line 3 at the ':' of "model:" on line 4 (column 6).
  CHECK(d.all()[0].origin.line == 4);
  CHECK(d.all()[0].origin.column == 6);
  CHECK(d.format() ==
        "test.yaml:4:6: error: malformed YAML: end of map flow not found\n"
        "  model: llama3_8b\n"
        "       ^\n");
}

TEST_CASE("a scenario that is not a mapping") {
  Diagnostics d;
  CHECK_FALSE(scenario_from_text("- a\n- b\n", d).has_value());
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message == "a scenario must be a mapping (schema_version, kind, system, model, ...)");
}

TEST_CASE("every problem of a scenario is reported at once") {
  Diagnostics d;
  const auto s = scenario_from_text(
      "schema_version: 1\n"
      "kind: scenario\n"
      "system: {accelerator: h100_sxm, count: 0}\n"
      "model: llama3_8b\n"
      "inference: {prompt_tokens: 128, output_tokens: 16, batch: 4, precision: bf61, cuda_graph: true}\n",
      d);
  CHECK_FALSE(s.has_value());
  REQUIRE(d.all().size() == 3);
  CHECK(d.all()[0].message == "system.count: expected a whole number in [1, 1073741824], got \"0\"");
  CHECK(d.all()[1].message ==
        "inference.precision: unknown value \"bf61\"; expected fp64 | fp32 | tf32 | bf16 | fp16 | fp8 | int8 | fp4 | "
        "int4");
  CHECK(d.all()[2].message == "unknown key \"cuda_graph\" in inference; did you mean \"cuda_graphs\"?");
}

}  // namespace
}  // namespace mlsim::spec
