// Tests of the zoo (spec/zoo) and the linter (spec/lint): every embedded file lints clean, the ids
// DESIGN.md promises for the first wave exist, every entry cites sources, and source lookups work.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

#include "../support.hpp"
#include "spec/lint.hpp"

namespace mlsim::spec {
namespace {

using test::zoo;

Node yaml(const std::string& text) {
  Diagnostics d;
  Node n = load_yaml(text, "z.yaml", d);
  REQUIRE(d.all().empty());
  return n;
}

TEST_CASE("every embedded zoo file passes the linter with no diagnostics") {
  const auto files = zoo().list("");
  // 10 accelerators + 8 nodes + 8 fabrics + 12 sites + 14 models of the first wave, at least.
  REQUIRE(files.size() >= 52);
  std::size_t embedded = 0;
  for (const ZooFile* f : files) {
    Diagnostics d;
    lint_text(f->text, f->path, zoo(), d);
    CHECK_MESSAGE(d.all().empty(), f->path << ":\n" << d.format());
    if (f->embedded) ++embedded;
  }
  CHECK(embedded >= 52);
}

TEST_CASE("the ids of the first wave of DESIGN.md exist") {
  // DESIGN.md, "The first wave of work needs: ..."
  const std::map<std::string, std::vector<std::string>> first_wave = {
      {"accelerator",
       {"a100_sxm_40gb", "a100_sxm_80gb", "h100_sxm", "h100_pcie", "h800_sxm", "h200_sxm", "b200", "mi250x_gcd", "mi300x",
        "tpu_v4"}},
      {"node",
       {"dgx_a100", "dgx_h100", "dgx_h200", "hgx_h800", "dgx_b200", "mi250x_platform", "mi300x_platform", "tpu_v4_slice"}},
      {"fabric",
       {"eth_100g", "roce_200g_clos", "roce_400g_clos", "ib_hdr200_fat_tree", "ib_ndr400_fat_tree",
        "ib_ndr400_rail_optimized", "opa100_fat_tree", "tpu_dcn"}},
      {"model",
       {"gpt2_124m", "gpt2_1_5b", "gpt3_175b", "llama2_7b", "llama2_13b", "llama2_70b", "llama3_8b", "llama3_70b",
        "llama3_405b", "mistral_7b", "mixtral_8x7b", "deepseek_v3", "qwen2_5_7b", "resnet50"}},
      {"site",
       {"us_average", "us_iowa", "us_virginia", "us_california", "us_texas", "quebec", "norway", "france", "germany",
        "poland", "india", "singapore"}},
      // The defaults a scenario falls back to.
      {"software", {"vllm", "pytorch_eager"}},
  };
  std::size_t count = 0;
  for (const auto& [kind, ids] : first_wave) {
    for (const auto& id : ids) {
      const ZooFile* f = zoo().find(kind, id);
      CHECK_MESSAGE(f != nullptr, kind << " " << id);
      if (f != nullptr) {
        CHECK(f->kind == kind);
        CHECK(f->id == id);
      }
      ++count;
    }
  }
  CHECK(count == 54);   // 10 + 8 + 8 + 14 + 12 + 2
}

TEST_CASE("every hardware, site and model entry has a sources map") {
  std::size_t checked = 0;
  for (const std::string kind : {"accelerator", "node", "fabric", "site", "model"}) {
    for (const ZooFile* f : zoo().list(kind)) {
      Diagnostics d;
      const Node n = load_yaml(f->text, f->path, d);
      REQUIRE_MESSAGE(n.is_map(), f->path);
      const Node* s = n.find("sources");
      CHECK_MESSAGE(s != nullptr, f->path);
      if (s != nullptr) {
        CHECK_MESSAGE(s->is_map(), f->path);
        CHECK_MESSAGE(!s->map.empty(), f->path);
      }
      ++checked;
    }
  }
  CHECK(checked >= 52);
}

TEST_CASE("ids are lower case with underscores") {
  for (const ZooFile* f : zoo().list("")) {
    bool ok = !f->id.empty();
    for (const char c : f->id) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    CHECK_MESSAGE(ok, f->path << ": \"" << f->id << "\"");
  }
}

TEST_CASE("source_of finds a dotted path and falls back to the parent key") {
  const Node acc = yaml(
      "kind: accelerator\n"
      "sources:\n"
      "  peak: datasheet\n"
      "  efficiency.compute: MAMF table\n"
      "  power.tdp: spec sheet\n");
  CHECK(source_of(acc, "efficiency.compute") == "MAMF table");
  CHECK(source_of(acc, "peak") == "datasheet");
  CHECK(source_of(acc, "peak.bf16") == "datasheet");   // parent key
  CHECK(source_of(acc, "power.tdp") == "spec sheet");
  CHECK_FALSE(source_of(acc, "power.idle").has_value());        // a sibling is not a parent
  CHECK_FALSE(source_of(acc, "efficiency.memory").has_value());
  CHECK_FALSE(source_of(acc, "efficiency").has_value());         // a child does not cover its parent
  CHECK_FALSE(source_of(yaml("kind: accelerator\n"), "peak").has_value());

  // A model's architecture source covers its shape figures, but not its published count.
  const Node model = yaml(
      "kind: model\n"
      "sources:\n"
      "  architecture: config.json\n");
  CHECK(source_of(model, "layers") == "config.json");
  CHECK(source_of(model, "moe.experts") == "config.json");
  CHECK_FALSE(source_of(model, "published_params").has_value());
}

TEST_CASE("source_of on zoo entries") {
  Diagnostics d;
  const Node h100 = load_entry(zoo(), "accelerator", "h100_sxm", Origin{"test", 0, 0}, d);
  const auto peak = source_of(h100, "peak.bf16");
  REQUIRE(peak.has_value());
  CHECK(peak->rfind("NVIDIA H100 Tensor Core GPU datasheet (2023)", 0) == 0);
  const auto tdp = source_of(h100, "power.tdp");
  REQUIRE(tdp.has_value());
  CHECK(*tdp == "NVIDIA H100 datasheet (2023): max TDP up to 700 W (configurable)");
}

TEST_CASE("check_sources reports every figure without a source") {
  Diagnostics d;
  const Node entry = yaml(
      "schema_version: 1\n"
      "kind: fabric\n"
      "id: f\n"
      "topology: fat_tree\n"
      "link: {bandwidth: 400 Gb/s, latency: 1 us}\n"
      "oversubscription: 1\n"
      "curve: [1 us, 2 us]\n"
      "sources: {link.bandwidth: spec sheet}\n");
  check_sources(entry, d);
  REQUIRE(d.all().size() == 3);
  CHECK(d.all()[0].message == "figure \"link.latency\" has no source: add sources.link (or sources.link.latency)");
  CHECK(d.all()[0].origin.line == 5);
  CHECK(d.all()[0].origin.column == 38);
  CHECK(d.all()[1].message == "figure \"oversubscription\" has no source: add sources.oversubscription");
  CHECK(d.all()[1].origin.line == 6);
  CHECK(d.all()[2].message == "figure \"curve\" has no source: add sources.curve");
  CHECK(d.all()[2].origin.line == 7);
  // Words (topology) and the header are not figures; a parent source covers its children.
  Diagnostics clean;
  check_sources(yaml("kind: fabric\ntopology: fat_tree\nlink: {bandwidth: 400 Gb/s}\nsources: {link: x}\n"), clean);
  CHECK(clean.all().empty());
}

TEST_CASE("lint_text reports reader errors and missing sources together") {
  Diagnostics d;
  lint_text(
      "schema_version: 1\n"
      "kind: site\n"
      "id: s\n"
      "carbon_intensity: 400 gCO2/kWh\n"
      "pue: 1.1\n"
      "wue: 1.8 L\n"
      "electricity: 0.08 USD/kWh\n"
      "sources: {carbon_intensity: grid operator, wue: survey, electricity: tariff}\n",
      "site.yaml", zoo(), d);
  REQUIRE(d.all().size() == 2);
  CHECK(d.all()[0].message ==
        "site.wue: wrong dimension: \"1.8 L\" is a volume, expected a water use per energy (e.g. \"1.8 L/kWh\")");
  CHECK(d.all()[0].origin.line == 6);
  CHECK(d.all()[1].message == "figure \"pue\" has no source: add sources.pue");
  CHECK(d.all()[1].origin.line == 5);
  CHECK(d.all()[1].origin.column == 6);
}

TEST_CASE("lint_text on files that are not entries") {
  Diagnostics no_kind;
  lint_text("schema_version: 1\nid: x\n", "a.yaml", zoo(), no_kind);
  REQUIRE(no_kind.all().size() == 1);
  CHECK(no_kind.all()[0].message ==
        "missing required key \"kind\" (one of accelerator, node, fabric, site, software, model, scenario)");
  Diagnostics bad_kind;
  lint_text("schema_version: 1\nkind: gpu\n", "b.yaml", zoo(), bad_kind);
  REQUIRE(bad_kind.all().size() == 1);
  CHECK(bad_kind.all()[0].message ==
        "unknown kind \"gpu\"; expected accelerator, node, fabric, site, software, model or scenario");
  CHECK(bad_kind.all()[0].origin.line == 2);
  CHECK(bad_kind.all()[0].origin.column == 7);
  Diagnostics list;
  lint_text("- 1\n- 2\n", "c.yaml", zoo(), list);
  REQUIRE(list.all().size() == 1);
  CHECK(list.all()[0].message == "expected a mapping with schema_version and kind");
}

TEST_CASE("a zoo directory adds entries and overrides embedded ones") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("mlsim_zoo_test_" + std::to_string(::getpid()) + "_" +
                        std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(dir / "sub");
  const auto write = [&](const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
  };
  write(dir / "sub" / "h100_sxm.yaml", "schema_version: 1\nkind: accelerator\nid: h100_sxm\nname: mine\n");
  write(dir / "my_site.yml", "schema_version: 1\nkind: site\n");                 // no id: the file name
  write(dir / "notes.yaml", "measurements: [1, 2]\n");                            // no kind: not an entry
  write(dir / "readme.txt", "kind: model\nid: ignored\n");                        // not YAML by extension
  Zoo z = zoo();
  Diagnostics d;
  z.add_directory(dir.string(), d);
  z.add_directory((dir / "absent").string(), d);
  const ZooFile* h100 = z.find("accelerator", "h100_sxm");
  REQUIRE(h100 != nullptr);
  CHECK_FALSE(h100->embedded);
  CHECK(h100->path == (dir / "sub" / "h100_sxm.yaml").string());
  CHECK(h100->text.find("name: mine") != std::string::npos);
  const ZooFile* site = z.find("site", "my_site");
  REQUIRE(site != nullptr);
  CHECK(site->kind == "site");
  CHECK(z.find("model", "ignored") == nullptr);
  CHECK(z.list("").size() == zoo().list("").size() + 1);   // one new entry, one replaced
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message == "zoo directory not found");
  CHECK(d.all()[0].origin.file == (dir / "absent").string());
  // The shared zoo is untouched.
  REQUIRE(zoo().find("accelerator", "h100_sxm") != nullptr);
  CHECK(zoo().find("accelerator", "h100_sxm")->embedded);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("zoo lookups by kind and by id") {
  CHECK(zoo().find("model", "h100_sxm") == nullptr);   // the kind is part of the key
  const auto by_id = zoo().find_id("h100_sxm");
  REQUIRE(by_id.size() == 1);
  CHECK(by_id[0]->kind == "accelerator");
  const auto sites = zoo().ids("site");
  CHECK(sites.size() == zoo().list("site").size());
  CHECK(std::find(sites.begin(), sites.end(), "us_average") != sites.end());
  CHECK(Zoo::kinds() ==
        std::vector<std::string>{"accelerator", "node", "fabric", "site", "software", "model", "scenario"});
}

TEST_CASE("peek_kind_and_id reads top-level lines without parsing") {
  CHECK(peek_kind_and_id("schema_version: 1\nkind: node   # a node\nid: \"dgx_x\"\n  id: nested\n") ==
        std::pair<std::string, std::string>{"node", "dgx_x"});
  CHECK(peek_kind_and_id("name: x\n") == std::pair<std::string, std::string>{"", ""});
}

}  // namespace
}  // namespace mlsim::spec
