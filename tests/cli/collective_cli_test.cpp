// `mlsim collective`: the ring all-reduce on one DGX H100 by hand (2(p-1)/p·n/B + call + 2(p-1)·α),
// NCCL's pick (NVLS inside the node), the across-nodes group equal to the solver on the same placed
// group, the size range, and bad input (exit 2 with a message).
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <nlohmann/json.hpp>

#include "analysis/collective_sweep.hpp"
#include "system/cluster.hpp"
#include "../support.hpp"

namespace {

using mlsim::test::run_cli;
using mlsim::test::source_path;
using nlohmann::json;

}  // namespace

TEST_CASE("collective: ring all-reduce of 1 GiB on one DGX H100 by hand; the tuner picks NVLS") {
  const auto r = run_cli({"collective", "dgx_h100", "--op", "all_reduce", "--ranks", "8", "--algorithm", "ring", "--sizes", "1GiB", "-f", "json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const json j = json::parse(r.out);
  REQUIRE(j["rows"].size() == 1);
  const json& row = j["rows"][0];
  // dgx_h100: NVLink 450 GB/s per direction x scale_up.efficiency 0.822; latency 1.9 us per step;
  // call 8.4 us. Ring: 2·7/8 · 2^30 B / 369.9 GB/s + 8.4 us + 14 x 1.9 us = 5.0797 ms + 35 us.
  const double bytes = 1073741824.0;
  const double expect = 1.75 * bytes / (450e9 * 0.822) + 8.4e-6 + 14 * 1.9e-6;
  CHECK(row["time_s"].get<double>() == mlsim::test::approx(expect).epsilon(1e-9));
  CHECK(row["algbw_Bps"].get<double>() == mlsim::test::approx(bytes / expect).epsilon(1e-9));
  CHECK(row["busbw_Bps"].get<double>() == mlsim::test::approx(1.75 * bytes / expect).epsilon(1e-9));
  CHECK(row["algorithm"] == "ring");
  // What NCCL would do: the zoo's DGX H100 carries its published nccl-tests all-reduce sweep
  // (Azure ND H100 v5: busbw 466.35 GB/s at 1 GiB, NVLS), so the pick is that measured curve:
  // 2·7/8 · 2^30 B / 466.35 GB/s = 4.029 ms (the nominal NVLS model would say 3.939 ms).
  CHECK(row["tuner_algorithm"] == "measured");
  CHECK(row["tuner_time_s"].get<double>() == mlsim::test::approx(1.75 * bytes / 466.35e9).epsilon(1e-3));
  CHECK(j["group"]["nodes"] == 1);
  // The fixed part of the ring is 35 us of 5.11 ms.
  CHECK(row["latency_share"].get<double>() == mlsim::test::approx((8.4e-6 + 14 * 1.9e-6 + 1.75 / (450e9 * 0.822)) / expect).epsilon(1e-6));
}

TEST_CASE("collective: 16 ranks across two DGX H100 on NDR InfiniBand equal the solver on the placed group") {
  const auto r = run_cli({"collective", "dgx_h100", "--op", "all_reduce", "--ranks", "16", "--fabric", "ib_ndr400_fat_tree", "--sizes",
                          "1KiB:1GiB:*1024", "-f", "json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const json j = json::parse(r.out);
  REQUIRE(j["rows"].size() == 3);   // 1 KiB, 1 MiB, 1 GiB
  CHECK(j["group"]["nodes"] == 2);
  CHECK(j["group"]["ranks_per_node"] == 8);
  mlsim::spec::SystemSpec s;
  s.accelerator = mlsim::test::zoo_entry("accelerator", "h100_sxm", mlsim::spec::read_accelerator);
  s.node = mlsim::test::zoo_entry("node", "dgx_h100", mlsim::spec::read_node);
  s.fabric = mlsim::test::zoo_entry("fabric", "ib_ndr400_fat_tree", mlsim::spec::read_fabric);
  s.count = 16;
  const auto g = mlsim::system::Cluster::build(s).place(16, 1);
  for (std::size_t i = 0; i < 3; ++i) {
    const double bytes = std::pow(1024.0, static_cast<double>(i + 1));
    CHECK(j["rows"][i]["bytes"].get<double>() == bytes);
    const auto c = mlsim::solvers::collective(mlsim::solvers::Collective::kAllReduce, bytes, g);
    CHECK(j["rows"][i]["time_s"].get<double>() == mlsim::test::approx(c.time_s).epsilon(1e-12));
    CHECK(j["rows"][i]["algorithm"] == mlsim::solvers::algorithm_name(c.algorithm));
  }
  // Small messages are latency-bound, large ones bandwidth-bound.
  CHECK(j["rows"][0]["latency_share"].get<double>() > 0.9);
  CHECK(j["rows"][2]["latency_share"].get<double>() < 0.1);
  // Across nodes the 1 GiB all-reduce is slower than inside one node.
  const auto one = json::parse(run_cli({"collective", "dgx_h100", "--op", "all_reduce", "--ranks", "8", "--sizes", "1GiB", "-f", "json"}).out);
  CHECK(j["rows"][2]["time_s"].get<double>() > one["rows"][0]["time_s"].get<double>());
}

TEST_CASE("collective: a scenario's system, CSV and table output") {
  const std::string scen = source_path("scenarios/tp_inside_vs_across_nodes_llama3_70b_h100.yaml");
  const auto csv = run_cli({"collective", scen, "--op", "all_gather", "--ranks", "8", "--sizes", "1MiB,4MiB", "-f", "csv"});
  REQUIRE_MESSAGE(csv.code == 0, csv.err);
  CHECK(csv.out.rfind("op,ranks,nodes,bytes,time_s,algbw_Bps,busbw_Bps,algorithm,tuner_algorithm,tuner_time_s,latency_share\n"
                      "all_gather,8,1,1048576,",
                      0) == 0);
  // All-gather ring: 7/8 · 1 MiB / 369.9 GB/s + 8.4 us + 7 x 1.9 us.
  const auto j = json::parse(run_cli({"collective", scen, "--op", "all_gather", "--ranks", "8", "--sizes", "1MiB", "-f", "json"}).out);
  CHECK(j["rows"][0]["time_s"].get<double>() == mlsim::test::approx(0.875 * 1048576.0 / (450e9 * 0.822) + 8.4e-6 + 7 * 1.9e-6).epsilon(1e-9));
  const auto t = run_cli({"collective", scen, "--op", "all_to_all", "--ranks", "64", "--sizes", "1GiB"});
  REQUIRE_MESSAGE(t.code == 0, t.err);
  CHECK(t.out.find("all_to_all on 64 ranks on 8 nodes (8 per node)") != std::string::npos);
  CHECK(t.out.find("direct") != std::string::npos);
}

TEST_CASE("collective: size ranges") {
  std::string err;
  const auto s = mlsim::analysis::parse_size_range("1KiB:1GiB:*4", err);
  REQUIRE(s);
  CHECK(s->size() == 11);   // 2^10, 2^12, ..., 2^30
  CHECK(s->front() == 1024.0);
  CHECK(s->back() == 1073741824.0);
  CHECK_FALSE(mlsim::analysis::parse_size_range("1KiB:1GiB:4", err));
  CHECK(err.find("FROM:TO:*FACTOR") != std::string::npos);
  CHECK_FALSE(mlsim::analysis::parse_size_range("1GiB:1KiB:*2", err));
  CHECK_FALSE(mlsim::analysis::parse_size_range("1KiB:1GiB:*1", err));
  CHECK_FALSE(mlsim::analysis::parse_size_range("1 GB/s", err));
  CHECK_FALSE(mlsim::analysis::parse_size_range("1B:1TiB:*1.01", err));   // too many sizes
}

TEST_CASE("collective: bad input exits 2 with a message") {
  const auto op = run_cli({"collective", "dgx_h100", "--op", "allreduce", "--ranks", "8"});
  CHECK(op.code == 2);
  CHECK(op.err.find("--op \"allreduce\": expected all_reduce") != std::string::npos);
  const auto alg = run_cli({"collective", "dgx_h100", "--op", "all_reduce", "--ranks", "8", "--algorithm", "butterfly"});
  CHECK(alg.code == 2);
  CHECK(alg.err.find("--algorithm \"butterfly\"") != std::string::npos);
  const auto sizes = run_cli({"collective", "dgx_h100", "--op", "all_reduce", "--ranks", "8", "--sizes", "1KiB:8GiB"});
  CHECK(sizes.code == 2);
  CHECK(sizes.err.find("--sizes:") != std::string::npos);
  const auto ranks = run_cli({"collective", "dgx_h100", "--op", "all_reduce", "--ranks", "1"});
  CHECK(ranks.code == 2);
  const auto too_many = run_cli({"collective", source_path("scenarios/llama3_8b_decode_h100.yaml"), "--op", "all_reduce", "--ranks", "8"});
  CHECK(too_many.code == 2);
  CHECK(too_many.err.find("the system has 1") != std::string::npos);
  const auto target = run_cli({"collective", "no_such_node", "--op", "all_reduce", "--ranks", "8"});
  CHECK(target.code == 2);
  CHECK(target.err.find("neither a scenario file nor a node or accelerator id") != std::string::npos);
  const auto pair = run_cli({"collective", "dgx_h100", "--op", "send_recv", "--ranks", "4"});
  CHECK(pair.code == 2);
  CHECK(pair.err.find("--ranks 2") != std::string::npos);
}
