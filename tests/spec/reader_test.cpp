// Tests of spec/reader (MapReader) on in-memory YAML: each kind of bad value gets its exact message
// at the right file:line:col, unknown keys get suggestions, and nothing stops at the first error.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <string>

#include "spec/reader.hpp"
#include "spec/tree.hpp"

namespace mlsim::spec {
namespace {

// Loads YAML text named "r.yaml" and CHECKs that it parsed.
Node yaml(const std::string& text, Diagnostics& d) {
  Node n = load_yaml(text, "r.yaml", d);
  REQUIRE_FALSE(d.has_errors());
  return n;
}

void check_origin(const Diagnostic& diag, int line, int column) {
  CHECK(diag.origin.file == "r.yaml");
  CHECK(diag.origin.line == line);
  CHECK(diag.origin.column == column);
}

TEST_CASE("values of every type are read") {
  Diagnostics d;
  const Node n = yaml(
      "layers: 32\n"
      "ratio: 0.5\n"
      "big: 1e3\n"
      "flag: true\n"
      "flag2: False\n"
      "name: Llama\n"
      "act: swiglu\n"
      "bandwidth: 3.35 TB/s\n"
      "idle: 0 W\n"
      "window: null\n",
      d);
  MapReader r(&n, d, "model");
  CHECK(r.valid());
  CHECK(r.integer("layers", Need::kRequired, 1, 1000) == 32);
  CHECK(r.number("ratio", Need::kRequired, 0.0, 1.0) == 0.5);
  CHECK(r.integer("big") == 1000);   // 1e3 is a whole number
  CHECK(r.boolean("flag") == true);
  CHECK(r.boolean("flag2") == false);
  CHECK(r.string("name") == "Llama");
  CHECK(r.choice("act", {"gelu", "swiglu"}) == "swiglu");
  const auto bw = r.quantity<BytesPerSecond>("bandwidth", "3.35 TB/s");
  REQUIRE(bw.has_value());
  CHECK(bw->si() == mlsim::test::approx(3.35e12).epsilon(1e-12).scale(0.0));
  const auto idle = r.quantity<Watts>("idle", "90 W", Need::kOptional, true);
  REQUIRE(idle.has_value());
  CHECK(idle->si() == 0.0);
  // null counts as absent; absent optional keys give nullopt without a diagnostic.
  CHECK_FALSE(r.integer("window").has_value());
  CHECK_FALSE(r.integer("not_there").has_value());
  r.finish();
  CHECK(d.all().empty());
}

TEST_CASE("a missing required key is reported at its mapping") {
  Diagnostics d;
  const Node root = yaml(
      "model:\n"
      "  layers: 2\n"
      "  window: ~\n",
      d);
  MapReader r(root.find("model"), d, "model");
  CHECK_FALSE(r.integer("hidden", Need::kRequired).has_value());
  CHECK_FALSE(r.integer("window", Need::kRequired).has_value());   // null is missing too
  r.allow({"layers"});
  r.finish();
  REQUIRE(d.all().size() == 2);
  CHECK(d.all()[0].message == "missing required key \"hidden\" in model");
  check_origin(d.all()[0], 2, 3);   // the nested mapping starts at "layers"
  CHECK(d.all()[1].message == "missing required key \"window\" in model");
  CHECK(d.format(d.all()[0]) ==
        "r.yaml:2:3: error: missing required key \"hidden\" in model\n"
        "    layers: 2\n"
        "    ^\n");
}

TEST_CASE("unknown keys are reported at the key, with a suggestion when one is close") {
  Diagnostics d;
  const Node root = yaml(
      "model:\n"
      "  layers: 2\n"
      "  hiden: 4096\n"
      "  colour: blue\n",
      d);
  MapReader r(root.find("model"), d, "model");
  r.integer("layers");
  r.integer("hidden");
  r.finish();
  REQUIRE(d.error_count() == 2);
  CHECK(d.all()[0].message == "unknown key \"hiden\" in model; did you mean \"hidden\"?");
  check_origin(d.all()[0], 3, 3);
  CHECK(d.all()[1].message == "unknown key \"colour\" in model");
  check_origin(d.all()[1], 4, 3);
}

TEST_CASE("wrong types get the expected kind of value in the message") {
  Diagnostics d;
  const Node n = yaml(
      "hidden: [1, 2]\n"
      "layers: abc\n"
      "heads: 80 GiB\n"
      "ffn: \"5\"\n"
      "ratio: {a: 1}\n"
      "flag: yes\n"
      "tied: \"true\"\n"
      "name: {first: x}\n",
      d);
  MapReader r(&n, d, "model");
  CHECK_FALSE(r.integer("hidden").has_value());
  CHECK_FALSE(r.integer("layers").has_value());
  CHECK_FALSE(r.integer("heads").has_value());
  CHECK_FALSE(r.integer("ffn").has_value());
  CHECK_FALSE(r.number("ratio").has_value());
  CHECK_FALSE(r.boolean("flag").has_value());
  CHECK_FALSE(r.boolean("tied").has_value());
  CHECK_FALSE(r.string("name").has_value());
  r.finish();
  REQUIRE(d.all().size() == 8);
  CHECK(d.all()[0].message == "model.hidden: expected a whole number");
  check_origin(d.all()[0], 1, 9);   // the '['
  CHECK(d.all()[1].message == "model.layers: expected a number, got \"abc\"");
  check_origin(d.all()[1], 2, 9);
  CHECK(d.all()[2].message == "model.heads: expected a plain number without a unit, got \"80 GiB\"");
  check_origin(d.all()[2], 3, 8);
  CHECK(d.all()[3].message == "model.ffn: expected a number, got \"5\"");   // quoted: a string
  CHECK(d.all()[4].message == "model.ratio: expected a number");
  CHECK(d.all()[5].message == "model.flag: expected true or false, got \"yes\"");
  check_origin(d.all()[5], 6, 7);
  CHECK(d.all()[6].message == "model.tied: expected true or false, got \"true\"");
  CHECK(d.all()[7].message == "model.name: expected a string");
}

TEST_CASE("integer and number ranges") {
  Diagnostics d;
  const Node n = yaml(
      "a: 2.5\n"
      "b: 0\n"
      "c: 101\n"
      "d: -3\n"
      "e: 1.5\n"
      "f: 100\n",
      d);
  MapReader r(&n, d, "t");
  CHECK_FALSE(r.integer("a", Need::kOptional, 1, 100).has_value());
  CHECK_FALSE(r.integer("b", Need::kOptional, 1, 100).has_value());
  CHECK_FALSE(r.integer("c", Need::kOptional, 1, 100).has_value());
  CHECK_FALSE(r.integer("d").has_value());   // default range [0, 2^53]
  CHECK_FALSE(r.number("e", Need::kOptional, 0.0, 1.0).has_value());
  CHECK(r.integer("f", Need::kOptional, 1, 100) == 100);   // the bounds are inclusive
  r.finish();
  REQUIRE(d.all().size() == 5);
  CHECK(d.all()[0].message == "t.a: expected a whole number in [1, 100], got \"2.5\"");
  check_origin(d.all()[0], 1, 4);
  CHECK(d.all()[1].message == "t.b: expected a whole number in [1, 100], got \"0\"");
  CHECK(d.all()[2].message == "t.c: expected a whole number in [1, 100], got \"101\"");
  CHECK(d.all()[3].message == "t.d: expected a whole number in [0, 9007199254740992], got \"-3\"");
  CHECK(d.all()[4].message == "t.e: 1.5 is out of range [0, 1]");
  check_origin(d.all()[4], 5, 4);
}

TEST_CASE("a choice outside the list names the choices and suggests the closest") {
  Diagnostics d;
  const Node n = yaml(
      "activation: swiglo\n"
      "norm: tanh\n",
      d);
  MapReader r(&n, d, "model");
  CHECK_FALSE(r.choice("activation", {"gelu", "swiglu"}).has_value());
  CHECK_FALSE(r.choice("norm", {"layernorm", "rmsnorm"}).has_value());
  r.finish();
  REQUIRE(d.all().size() == 2);
  CHECK(d.all()[0].message == "model.activation: unknown value \"swiglo\"; expected gelu | swiglu (did you mean \"swiglu\"?)");
  check_origin(d.all()[0], 1, 13);
  CHECK(d.all()[1].message == "model.norm: unknown value \"tanh\"; expected layernorm | rmsnorm");
  check_origin(d.all()[1], 2, 7);
}

TEST_CASE("quantity errors point at the value, and at the unit when the unit is unknown") {
  Diagnostics d;
  const Node n = yaml(
      "bandwidth: 3 TB\n"
      "capacity: 80\n"
      "latency: 3 GBs\n"
      "quoted: \"3 GBs\"\n"
      "tdp: -700 W\n",
      d);
  MapReader r(&n, d, "link");
  CHECK_FALSE(r.quantity<BytesPerSecond>("bandwidth", "3.35 TB/s").has_value());
  CHECK_FALSE(r.quantity<Bytes>("capacity", "80 GiB").has_value());
  CHECK_FALSE(r.quantity<Bytes>("latency", "80 GiB").has_value());
  CHECK_FALSE(r.quantity<Bytes>("quoted", "80 GiB").has_value());
  CHECK_FALSE(r.quantity<Watts>("tdp", "700 W").has_value());
  r.finish();
  REQUIRE(d.all().size() == 5);
  CHECK(d.all()[0].message ==
        "link.bandwidth: wrong dimension: \"3 TB\" is a size in bytes, expected a bandwidth (e.g. \"3.35 TB/s\")");
  check_origin(d.all()[0], 1, 12);
  CHECK(d.all()[1].message == "link.capacity: missing unit: expected a size in bytes with a unit (e.g. \"80 GiB\")");
  check_origin(d.all()[1], 2, 11);
  // "latency: 3 GBs": the value starts at column 10, its unit two characters later.
  CHECK(d.all()[2].message == "link.latency: unknown unit \"GBs\"; did you mean \"GB\"?");
  check_origin(d.all()[2], 3, 12);
  // In a quoted scalar the text offsets do not map onto columns: the quote is shown.
  check_origin(d.all()[3], 4, 9);
  CHECK(d.all()[4].message == "link.tdp: must be positive, got \"-700 W\"");
  check_origin(d.all()[4], 5, 6);
}

TEST_CASE("a node that is not a mapping") {
  Diagnostics d;
  const Node root = yaml("peak: 989 TFLOPS\n", d);
  MapReader r(root.find("peak"), d, "accelerator.peak");
  CHECK_FALSE(r.valid());
  CHECK(r.node() == nullptr);
  // Reading from an invalid reader reports nothing more.
  CHECK_FALSE(r.integer("bf16", Need::kRequired).has_value());
  r.finish();
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message == "accelerator.peak must be a mapping of keys to values");
  check_origin(d.all()[0], 1, 7);
  // A null node pointer (an absent section) is simply invalid, without a diagnostic.
  Diagnostics quiet;
  MapReader absent(nullptr, quiet, "training.overlap");
  CHECK_FALSE(absent.valid());
  CHECK_FALSE(absent.boolean("dp_grad", Need::kRequired).has_value());
  absent.finish();
  CHECK(quiet.all().empty());
}

TEST_CASE("read_number outside a MapReader") {
  Diagnostics d;
  const Node root = yaml("a: 0.25\nb: [1]\nc: 5 /s\n", d);
  CHECK(read_number(*root.find("a"), d, "x.a") == 0.25);
  CHECK_FALSE(read_number(*root.find("b"), d, "x.b").has_value());
  CHECK_FALSE(read_number(*root.find("c"), d, "x.c").has_value());
  REQUIRE(d.all().size() == 2);
  CHECK(d.all()[0].message == "x.b: expected a number");
  CHECK(d.all()[1].message == "x.c: expected a plain number without a unit, got \"5 /s\"");
}

TEST_CASE("all problems of a mapping are collected in one pass") {
  Diagnostics d;
  const Node n = yaml(
      "layers: many\n"
      "heads: 0\n"
      "activaton: gelu\n",
      d);
  MapReader r(&n, d, "model");
  r.integer("layers", Need::kRequired, 1, 100);
  r.integer("heads", Need::kRequired, 1, 100);
  r.choice("activation", {"gelu", "swiglu"}, Need::kRequired);
  r.finish();
  CHECK(d.error_count() == 4);
  CHECK(d.format() ==
        "r.yaml:1:9: error: model.layers: expected a number, got \"many\"\n"
        "  layers: many\n"
        "          ^\n"
        "r.yaml:2:8: error: model.heads: expected a whole number in [1, 100], got \"0\"\n"
        "  heads: 0\n"
        "         ^\n"
        "r.yaml:1:1: error: missing required key \"activation\" in model\n"
        "  layers: many\n"
        "  ^\n"
        "r.yaml:3:1: error: unknown key \"activaton\" in model; did you mean \"activation\"?\n"
        "  activaton: gelu\n"
        "  ^\n");
}

}  // namespace
}  // namespace mlsim::spec
