// The design-space commands end to end: sweep's rows and order (1 vs 2 threads), shards merged
// equal the whole, infeasible rows, selection, expression errors with their column and exit 2;
// sensitivity, compare and synthesize JSON.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../support.hpp"

namespace {

using mlsim::test::run_cli;
using mlsim::test::source_path;
using nlohmann::json;

std::string temp_dir() {
  const auto dir = std::filesystem::temp_directory_path() / ("mlsim_dse_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

const std::string kDecode = source_path("scenarios/llama3_8b_decode_h100.yaml");

std::vector<std::string> sweep_args(const std::vector<std::string>& extra) {
  std::vector<std::string> a = {"sweep", kDecode, "--vary", "inference.batch=1:300:+7", "--vary", "system.accelerator=a100_sxm_80gb,h100_sxm,b200",
                                "--no-progress"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

}  // namespace

TEST_CASE("sweep: identical rows in grid order with 1 and 2 threads; infeasible rows keep knobs, empty cells") {
  const auto one = run_cli(sweep_args({"-j", "1"}));
  const auto two = run_cli(sweep_args({"-j", "2"}));
  REQUIRE(one.code == 0);
  CHECK(one.out == two.out);
  const auto rows = lines(one.out);
  REQUIRE(rows.size() == 1 + 43 * 3);   // batch 1, 8, ..., 295 (43 values) x 3 accelerators
  CHECK(rows[0] ==
        "point,inference.batch,system.accelerator,feasible,binding_wall,inference.ttft_s,inference.tpot_s,inference.e2e_s,"
        "inference.throughput_tokens_per_s,inference.max_batch,memory.per_device_bytes,memory.fits,infeasible_reason");
  CHECK(rows[1].rfind("0,1,a100_sxm_80gb,true,memory_bandwidth,", 0) == 0);
  CHECK(rows[3].rfind("2,1,b200,true,", 0) == 0);
  // Batch 295 of 4K-token contexts does not fit an 80 GB A100: feasible=false, metrics empty.
  const std::string& last_a100 = rows[1 + 42 * 3];
  CHECK(last_a100.rfind("126,295,a100_sxm_80gb,false,,,,,,,,,\"does not fit: ", 0) == 0);
  {
    const auto j = run_cli(sweep_args({"-f", "jsonl", "-j", "2"}));
    const auto jl = lines(j.out);
    REQUIRE(jl.size() == 43 * 3);
    const auto row = json::parse(jl[126]);
    CHECK(row["point"] == 126);
    CHECK(row["feasible"] == false);
    CHECK(row["inference.tpot_s"].is_null());
    CHECK(row["system.accelerator"] == "a100_sxm_80gb");
  }
}

TEST_CASE("sweep: --vary takes one value per occurrence, so the scenario may come last") {
  const auto r = run_cli({"sweep", "--vary", "inference.batch=1:2", "--vary", "system.accelerator=b200", kDecode});
  REQUIRE(r.code == 0);
  CHECK(lines(r.out).size() == 3);
}

TEST_CASE("sweep: a row equals analyze of the same point") {
  const auto r = run_cli({"sweep", kDecode, "--vary", "inference.batch=24", "--vary", "system.accelerator=h200_sxm", "-f", "jsonl"});
  REQUIRE(r.code == 0);
  const auto row = json::parse(r.out);
  const auto a = run_cli({"analyze", kDecode, "--set", "inference.batch=24", "--set", "system.accelerator=h200_sxm", "-f", "json"});
  REQUIRE(a.code == 0);
  const auto j = json::parse(a.out);
  CHECK(row["inference.tpot_s"].get<double>() == j["inference"]["tpot_s"].get<double>());
  CHECK(row["inference.ttft_s"].get<double>() == j["inference"]["ttft_s"].get<double>());
  CHECK(row["memory.per_device_bytes"].get<double>() == j["memory"]["per_device_bytes"].get<double>());
  CHECK(row["binding_wall"] == j["binding_wall"]);
}

TEST_CASE("sweep: shards merged equal the whole, also under a selection") {
  const std::string dir = temp_dir();
  const auto whole = run_cli(sweep_args({"-j", "2"}));
  std::vector<std::string> merge = {"sweep", "--merge"};
  for (int i = 1; i <= 3; ++i) {
    const std::string f = dir + "/shard" + std::to_string(i) + ".csv";
    std::filesystem::remove(f);
    const auto r = run_cli(sweep_args({"--shard", std::to_string(i) + "/3", "-o", f}));
    REQUIRE(r.code == 0);
    merge.push_back(f);
  }
  // Shards given in any order.
  std::swap(merge[2], merge[4]);
  const auto merged = run_cli(merge);
  REQUIRE(merged.code == 0);
  CHECK(merged.out == whole.out);
  // The top 5 by throughput under an SLA: the same from the whole grid and from merged shards.
  const std::vector<std::string> sel = {"--where", "tpot_s < 20ms", "--maximize", "throughput_tokens_per_s", "--top", "5"};
  const auto best = run_cli(sweep_args(sel));
  REQUIRE(best.code == 0);
  CHECK(lines(best.out).size() == 6);
  std::vector<std::string> parts;
  for (int i = 1; i <= 2; ++i) {
    const std::string f = dir + "/sel" + std::to_string(i) + ".csv";
    std::filesystem::remove(f);
    auto args = sweep_args(sel);
    args.insert(args.end(), {"--shard", std::to_string(i) + "/2", "-o", f});
    REQUIRE(run_cli(args).code == 0);
    parts.push_back(f);
  }
  const auto m2 = run_cli({"sweep", "--merge", parts[0], parts[1], "--maximize", "throughput_tokens_per_s", "--top", "5"});
  CHECK(m2.out == best.out);
  // Pareto rows: no row dominates another.
  const auto p = run_cli(sweep_args({"--pareto", "tpot_s,throughput_tokens_per_s", "-f", "jsonl"}));
  const auto pl = lines(p.out);
  REQUIRE(pl.size() >= 2);
  for (const auto& a : pl) {
    for (const auto& b : pl) {
      const auto ja = json::parse(a), jb = json::parse(b);
      const bool dom = ja["inference.tpot_s"].get<double>() <= jb["inference.tpot_s"].get<double>() &&
                       ja["inference.throughput_tokens_per_s"].get<double>() >= jb["inference.throughput_tokens_per_s"].get<double>() && a != b;
      CHECK_FALSE(dom);
    }
  }
  // JSON-lines shards merge the same way (the format is read from the files).
  const auto whole_jl = run_cli(sweep_args({"-f", "jsonl"}));
  std::vector<std::string> merge_jl = {"sweep", "--merge"};
  for (int i = 1; i <= 2; ++i) {
    const std::string f = dir + "/shard" + std::to_string(i) + ".jsonl";
    std::filesystem::remove(f);
    REQUIRE(run_cli(sweep_args({"-f", "jsonl", "--shard", std::to_string(i) + "/2", "-o", f})).code == 0);
    merge_jl.push_back(f);
  }
  CHECK(run_cli(merge_jl).out == whole_jl.out);
  // -o never overwrites without --force.
  const auto again = run_cli(sweep_args({"--shard", "1/3", "-o", dir + "/shard1.csv"}));
  CHECK(again.code == 2);
  CHECK(again.err.find("file exists; pass --force") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("sweep: bad input exits 2 with the position") {
  auto r = run_cli(sweep_args({"--where", "tpot_s < 50 GB"}));
  CHECK(r.code == 2);
  CHECK(r.err == "--where:1:8: error: cannot compare or add a time and a size in bytes\n  tpot_s < 50 GB\n         ^\n");
  CHECK(r.out.empty());
  r = run_cli(sweep_args({"--where", "tpot_s <"}));
  CHECK(r.code == 2);
  CHECK(r.err.rfind("--where:1:9: error: expected a value", 0) == 0);
  r = run_cli(sweep_args({"--minimize", "tpot"}));
  CHECK(r.code == 2);
  CHECK(r.err.rfind("mlsim: error: --minimize: unknown metric \"tpot\"", 0) == 0);
  r = run_cli({"sweep", kDecode, "--vary", "system.accelerator=h999"});
  CHECK(r.code == 2);
  CHECK(r.err.find("unknown accelerator \"h999\"") != std::string::npos);
  r = run_cli(sweep_args({"--shard", "4/3"}));
  CHECK(r.code == 2);
  r = run_cli(sweep_args({"--top", "3"}));
  CHECK(r.code == 2);
  CHECK(r.err == "mlsim: error: --top needs --minimize, --maximize or --pareto to rank by\n");
}

TEST_CASE("sensitivity, compare and synthesize as JSON") {
  auto r = run_cli({"sensitivity", kDecode, "-f", "json"});
  REQUIRE(r.code == 0);
  const auto s = json::parse(r.out);
  REQUIRE(s.is_array());
  CHECK(s[0]["knob"] == "system.accelerator.memory.bandwidth");
  CHECK(s[0]["set_path"] == "system.accelerator.memory.bandwidth");
  CHECK(s[0]["elasticity"].get<double>() < -0.9);
  r = run_cli({"compare", kDecode, "--a-set", "system.accelerator=a100_sxm_80gb", "--b-set", "system.accelerator=h100_sxm", "-f", "json"});
  REQUIRE(r.code == 0);
  const auto c = json::parse(r.out);
  double sum = 0;
  for (const auto& x : c["contributions"]) sum += x["shapley_ln"].get<double>();
  CHECK(sum == mlsim::test::approx(c["ln_speedup"].get<double>()).epsilon(1e-9));
  CHECK(c["binding_wall_a"] == "memory_bandwidth");
  CHECK(c["regime_shift"] == false);
  r = run_cli({"synthesize", kDecode, "--target", "tpot_s < 6ms", "-f", "json"});
  REQUIRE(r.code == 0);
  const auto y = json::parse(r.out);
  CHECK(y["resources"][1]["knob"] == "system.accelerator.memory.bandwidth");
  CHECK(y["resources"][1]["least"].get<double>() > 3.35e12);
  CHECK(y["zoo"][0]["meets"] == true);
  r = run_cli({"synthesize", kDecode, "--target", "tpot_s < "});
  CHECK(r.code == 2);
  CHECK(r.err.rfind("--target:1:10: error:", 0) == 0);
}
