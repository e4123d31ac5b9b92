// Calibration end to end without a GPU: raw files and nccl-tests logs -> fitted curves -> a
// calibrated zoo entry that lint accepts and analyze uses; bad files give exit 2 with file:line:col.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support.hpp"
#include "analysis/calibration_fit.hpp"
#include "solvers/calibrated.hpp"
#include "spec/calibration_raw.hpp"
#include "spec/hardware.hpp"

using namespace mlsim;
namespace fs = std::filesystem;

namespace {

// A per-process scratch folder, removed when the test binary exits.
const fs::path& scratch_base() {
  struct Base {
    fs::path path = fs::temp_directory_path() / ("mlsim_cal_" + std::to_string(::getpid()));
    Base(const Base&) = delete;
    Base& operator=(const Base&) = delete;
    Base() = default;
    ~Base() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Base base;
  return base.path;
}

fs::path scratch(const std::string& name) {
  const fs::path dir = scratch_base() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

double json_at(const std::string& text, const std::string& section, const std::string& key) {
  const auto j = nlohmann::json::parse(text);
  return j.at(section).at(key).get<double>();
}

}  // namespace

TEST_CASE("calibrated block: YAML round trip through the writer and the strict reader") {
  spec::CalibratedAccelerator c;
  c.provenance = {"NVIDIA H100 80GB HBM3", "580.1", "2026-12-03T13:00:00Z", "mlsim-probe 0.1.0", "raw.json"};
  spec::GemmCurve g;
  g.precision = Precision::kFp8;
  g.latency_s = 4.5e-6;
  g.rate = 1385e12;
  g.bandwidth = 2.8e12;
  g.quality = {480, 0.002, 0.013, 0.04};
  g.points = {{1, 4096, 4096, 16.25e-6}, {8192, 8192, 8192, 0.8e-3}};
  c.gemm.push_back(g);
  c.memory.push_back({"copy", 2.4e-6, 3.01e12, {{8192, 2.5e-6}, {4294967296.0, 1.43e-3}}, {20, 0.004, 0.01, 0.03}});
  c.device_gap_s = 2.2e-6;
  c.launch_quality = {30, 0.004, 0, 0};
  const std::string text = spec::to_yaml(spec::calibrated_to_node(c));
  Diagnostics d;
  const spec::Node n = spec::load_yaml(text, "rt.yaml", d);
  const auto back = spec::read_calibrated_accelerator(n, d);
  REQUIRE_FALSE(d.has_errors());
  CHECK(back.provenance == c.provenance);
  REQUIRE(back.gemm.size() == 1);
  CHECK(back.gemm[0].precision == Precision::kFp8);
  CHECK(back.gemm[0].rate == mlsim::test::approx(1385e12));
  CHECK(back.gemm[0].latency_s == mlsim::test::approx(4.5e-6));
  CHECK(back.gemm[0].points[1].m == 8192);
  CHECK(back.gemm[0].points[0].time_s == mlsim::test::approx(16.25e-6));
  CHECK(back.gemm[0].quality.samples == 480);
  REQUIRE(back.memory.size() == 1);
  CHECK(back.memory[0].points[1].first == 4294967296.0);
  CHECK(back.memory[0].bandwidth == mlsim::test::approx(3.01e12));
  CHECK(*back.device_gap_s == mlsim::test::approx(2.2e-6));

  // Unknown keys and unit-less figures are errors at their line:col.
  Diagnostics bad;
  const spec::Node b = spec::load_yaml("device: x\ndriver: y\ndate: z\ntool: t\nlaunch: {device_gap: 2.2, samples: 1, spread: 0}\nbogus: 1\n",
                                       "bad.yaml", bad);
  spec::read_calibrated_accelerator(b, bad);
  CHECK(bad.error_count() == 2);
  CHECK(bad.format().find("bad.yaml:5:") != std::string::npos);
  CHECK(bad.format().find("bad.yaml:6:1") != std::string::npos);
}

TEST_CASE("nccl-tests import: the published 16-rank H100 all_reduce log") {
  const std::string file = test::source_path("tests/data/nccl_tests_all_reduce_h100_16rank.txt");
  Diagnostics d;
  const auto raw = spec::read_nccl_tests(slurp(file), file, d, std::nullopt);
  REQUIRE_FALSE(d.has_errors());
  REQUIRE(raw.collectives.size() == 31);
  // 16 Rank lines over two hosts (the header's nGpus 1 is per process).
  CHECK(raw.collectives[0].nranks == 16);
  CHECK(raw.collectives[0].nodes == 2);
  CHECK(raw.collectives[0].op == "all_reduce");
  CHECK(raw.device == "NVIDIA H100 80GB HBM3");
  CHECK(raw.collectives.back().bytes == 8589934592.0);
  CHECK(raw.collectives.back().stats.median_s == mlsim::test::approx(47535e-6));
  const auto node = analysis::fit_node(raw, "log.txt");
  REQUIRE(node.collectives.size() == 1);
  const auto& c = node.collectives[0];
  CHECK(c.ranks == 16);
  // Three lines fit the published curve within 3 % (one line: 74 %, CALIBRATION.md 4's point).
  CHECK(c.segments.size() == 3);
  CHECK(c.quality.max_rel < 0.03);
  CHECK(analysis::fit_envelope(c.points, 1).max_rel > 0.7);
  CHECK(c.quality.samples == 31 * 20);   // 31 sizes x "iters: 20"
  // Interpolation reproduces a measured point exactly (1 GiB: 6759.0 us).
  CHECK(*solvers::calibrated_collective_time(node, "all_reduce", 1073741824.0, 16, 2) == mlsim::test::approx(6759.0e-6));
  // The busbw of the largest segment is near the log's peak busbw (338.82 GB/s at 8 GiB).
  double top = 0.0;
  for (const auto& s : c.segments) top = std::max(top, s.busbw);
  CHECK(top / 1e9 == mlsim::test::approx(345.0).epsilon(0.1));

  // The same run in nccl-tests' -J layout: op from args[0], 16 ranks from config.devices.
  const std::string json = test::source_path("tests/data/nccl_tests_h100_16rank.json");
  Diagnostics dj;
  const auto rj = spec::read_nccl_tests(slurp(json), json, dj, std::nullopt);
  REQUIRE_MESSAGE(!dj.has_errors(), dj.format());
  REQUIRE(rj.collectives.size() == 31);
  CHECK(rj.collectives[0].op == "all_reduce");
  CHECK(rj.collectives[0].nranks == 16);
  CHECK(rj.collectives[0].nodes == 2);
  CHECK(rj.collectives[20].stats.median_s == raw.collectives[20].stats.median_s);

  // Without Rank and nGpus lines the ratio busbw / algbw gives the group size; with neither, --nranks.
  std::string rows;
  rows += "#       size         count      type   redop    root     time   algbw   busbw #wrong\n";
  rows += "  1073741824     268435456     float     sum      -1   6759.0  158.86  297.86      0\n";
  Diagnostics d2;
  CHECK(spec::read_nccl_tests(rows, "all_reduce_perf.log", d2, std::nullopt).collectives[0].nranks == 16);
  std::string flat = "  1073741824     268435456     float     sum      -1   6759.0  158.86  0.00      0\n";
  Diagnostics d3;
  spec::read_nccl_tests(flat, "all_reduce_perf.log", d3, std::nullopt);
  CHECK(d3.has_errors());
  CHECK(d3.format().find("--nranks") != std::string::npos);
  Diagnostics d4;
  CHECK(spec::read_nccl_tests(flat, "all_reduce_perf.log", d4, 4).collectives[0].nranks == 4);
  // A malformed row: file:line:col of the bad column.
  Diagnostics d5;
  spec::read_nccl_tests("  1024  256 float sum -1 abc 0.01 0.02 0\n", "all_gather.txt", d5, 8);
  CHECK(d5.format().find("all_gather.txt:1:26: error") != std::string::npos);
}

TEST_CASE("mlsim calibrate --import: nccl-tests log -> node entry that lint accepts; bad files exit 2") {
  const fs::path dir = scratch("nccl");
  const std::string log = test::source_path("tests/data/nccl_tests_all_reduce_h100_16rank.txt");
  const std::string out = (dir / "dgx_h100.yaml").string();
  auto r = test::run_cli({"calibrate", "--import", log, "--node", "dgx_h100", "-o", out});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const std::string text = slurp(out);
  CHECK(text.find("calibrated:") != std::string::npos);
  CHECK(text.find("source: nccl-tests") != std::string::npos);
  CHECK(text.find("nodes: 2") != std::string::npos);
  CHECK(test::run_cli({"calibrate", "--import", test::source_path("tests/data/nccl_tests_h100_16rank.json"), "--node", "dgx_h100", "-o",
                       (dir / "from_json.yaml").string()})
            .code == 0);
  r = test::run_cli({"lint", out});
  CHECK_MESSAGE(r.code == 0, r.err);
  // Never overwrite without --force.
  r = test::run_cli({"calibrate", "--import", log, "--node", "dgx_h100", "-o", out});
  CHECK(r.code == 2);
  CHECK(test::run_cli({"calibrate", "--import", log, "--node", "dgx_h100", "-o", out, "--force"}).code == 0);
  // An nccl-tests log is no accelerator measurement.
  r = test::run_cli({"calibrate", "--import", log, "--accelerator", "h100_sxm", "-o", (dir / "x.yaml").string()});
  CHECK(r.code == 2);
  // Bad raw probe files: wrong format, malformed JSON, a wrong value type; each with file:line:col.
  write(dir / "wrong.json", "{\n  \"format\": \"mlsim.calibration.raw/9\"\n}\n");
  r = test::run_cli({"calibrate", "--import", (dir / "wrong.json").string(), "--accelerator", "h100_sxm", "-o", (dir / "y.yaml").string()});
  CHECK(r.code == 2);
  CHECK(r.err.find("wrong.json:2:13: error: raw file: format") != std::string::npos);
  write(dir / "broken.json", "{\n  \"format\": \"mlsim.calibration.raw/1\",\n  \"gemm\": [\n");
  r = test::run_cli({"calibrate", "--import", (dir / "broken.json").string(), "--accelerator", "h100_sxm", "-o", (dir / "y.yaml").string()});
  CHECK(r.code == 2);
  CHECK(r.err.find("broken.json:") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "y.yaml"));
  // No probe on this machine (or a bogus path): a clear message and exit 2; --dry-run still plans.
  r = test::run_cli({"calibrate", "--quick", "--accelerator", "h100_sxm", "-o", (dir / "q.yaml").string(), "--probe", "/nonexistent/probe"});
  CHECK(r.code == 2);
  CHECK(r.err.find("no GPU probe found") != std::string::npos);
  r = test::run_cli({"calibrate", "--shapes-of", test::source_path("scenarios/prefill_vs_decode_h100.yaml"), "--accelerator", "h100_sxm",
                     "--dry-run", "--probe", "/nonexistent/probe"});
  REQUIRE(r.code == 0);
  // Llama 3 8B prefill of 4 x 4096 tokens: q_proj is 16384 x 4096 x 4096.
  CHECK(r.out.find("16384 x 4096 x 4096 bf16") != std::string::npos);
  CHECK(r.out.find("estimated time: about") != std::string::npos);
}

TEST_CASE("merge_raw: one device's files as one, a configuration measured twice taking the later file's") {
  const auto gemm = [](double m, double median_s) {
    spec::RawGemm g;
    g.precision = Precision::kFp8;
    g.m = m;
    g.n = 4096;
    g.k = 4096;
    g.stats.median_s = median_s;
    g.stats.samples = 10;
    return g;
  };
  spec::RawCalibration quick;
  quick.source = "probe";
  quick.device = "NVIDIA H200";
  quick.driver = "580.159.04";
  quick.mode = "quick";
  quick.tool = "mlsim-probe 0.1.0 (backend cuda, mode quick)";
  quick.gemm = {gemm(128, 11e-6), gemm(4096, 104e-6)};
  quick.memory["copy"] = {spec::RawSized{1e9, 0.0, spec::RawStats{250e-6, 10, 0.0}}};
  quick.device_gap = spec::RawStats{1.37e-6, 1000, 0.0};
  spec::RawCalibration shapes = quick;
  shapes.mode = "shapes";
  shapes.memory.clear();
  shapes.device_gap.reset();
  shapes.gemm = {gemm(128, 12e-6), gemm(1024, 30e-6)};

  Diagnostics d;
  const auto merged = spec::merge_raw({quick, shapes}, {"quick.json", "shapes.json"}, d);
  REQUIRE_FALSE(d.has_errors());
  REQUIRE(merged.gemm.size() == 3);   // 128 (measured in both), 4096, 1024
  CHECK(merged.gemm[0].m == 128);
  CHECK(merged.gemm[0].stats.median_s == 12e-6);   // the later file's
  CHECK(merged.gemm[1].stats.median_s == 104e-6);
  CHECK(merged.gemm[2].m == 1024);
  CHECK(merged.memory.at("copy").size() == 1);   // kept from the first file
  REQUIRE(merged.device_gap);
  CHECK(merged.device_gap->median_s == 1.37e-6);
  CHECK(merged.mode == "quick+shapes");
  CHECK(merged.tool == "mlsim-probe 0.1.0 (backend cuda, mode quick+shapes)");
  REQUIRE_FALSE(merged.notes.empty());
  CHECK(merged.notes.back() ==
        "merged 2 files (quick.json and shapes.json); 1 configurations measured again in a later file take its measurement");

  // Another device, or another kind of file: refused with the file's name.
  spec::RawCalibration h100 = shapes;
  h100.device = "NVIDIA H100 80GB HBM3";
  Diagnostics d2;
  spec::merge_raw({quick, h100}, {"quick.json", "h100.json"}, d2);
  REQUIRE(d2.has_errors());
  CHECK(d2.format().find("h100.json") != std::string::npos);
  CHECK(d2.format().find("one calibrated entry holds one device's measurements") != std::string::npos);
  spec::RawCalibration log;
  log.source = "nccl-tests";
  Diagnostics d3;
  spec::merge_raw({quick, log}, {"quick.json", "all_reduce.log"}, d3);
  CHECK(d3.format().find("all_reduce.log") != std::string::npos);
  CHECK(d3.format().find("cannot be merged") != std::string::npos);
}

TEST_CASE("mlsim calibrate --import A --import B: the committed H200 entry is what its two raw files give") {
  // calibrated/h200_sxm.yaml was written by this command from calibrated/measurements/ (the header
  // and the raw paths edited to point there); refitting must give the same curves.
  const fs::path dir = scratch("h200_refit");
  const std::string m = test::source_path("calibrated/measurements/h200_2026-12-04/");
  const auto r = test::run_cli({"calibrate", "--import", m + "h200_quick.raw.json", "--import", m + "h200_shapes.raw.json",
                                "--accelerator", "h200_sxm", "-o", (dir / "h200_sxm.yaml").string()});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.err.find("merged 2 files") != std::string::npos);
  const std::string refit = slurp(dir / "h200_sxm.yaml");
  const std::string committed = slurp(test::source_path("calibrated/h200_sxm.yaml"));
  const auto block = [](const std::string& text) { return text.substr(text.find("\n  gemm:")); };
  CHECK(block(refit) == block(committed));
  CHECK(refit.find("mode quick+shapes") != std::string::npos);
}

#ifdef MLSIM_PROBE_FAKE
TEST_CASE("end to end: fake probe -> raw JSON -> calibrate -> lint -> analyze moves the prediction the measured way") {
  const fs::path dir = scratch("e2e");
  // A slower measured device (the fake A100's GEMM and HBM curves) overlaid on the H100 entry: every
  // prefill GEMM of the compute-bound prefill must get slower, and so must TTFT.
  // No --accelerator: the fake's "NVIDIA H100 80GB HBM3 (fake)" is the zoo's h100_sxm.
  auto r = test::run_cli({"calibrate", "--quick", "--node", "dgx_h100", "-o", (dir / "h100_sxm.yaml").string(), "--probe", MLSIM_PROBE_FAKE});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.err.find("is the zoo's h100_sxm") != std::string::npos);
  CHECK(fs::exists(dir / "h100_sxm.yaml.raw.json"));
  CHECK(fs::exists(dir / "h100_sxm_dgx_h100.yaml"));
  r = test::run_cli({"lint", (dir / "h100_sxm.yaml").string(), (dir / "h100_sxm_dgx_h100.yaml").string()});
  CHECK_MESSAGE(r.code == 0, r.err);
  r = test::run_cli({"show", "h100_sxm", "--zoo", dir.string()});
  CHECK(r.out.find("calibrated (the solver uses these") != std::string::npos);
  CHECK(r.out.find("gemm.bf16: 47 shapes") != std::string::npos);
  r = test::run_cli({"show", "h100_sxm"});
  CHECK(r.out.find("calibration: none; every figure above is nominal") != std::string::npos);

  const std::string scenario = test::source_path("scenarios/prefill_vs_decode_h100.yaml");
  const auto nominal = test::run_cli({"analyze", scenario, "--format", "json"});
  REQUIRE(nominal.code == 0);
  const auto fake_h100 = test::run_cli({"--zoo", dir.string(), "analyze", scenario, "--format", "json"});
  REQUIRE_MESSAGE(fake_h100.code == 0, fake_h100.err);
  const double ttft_nominal = json_at(nominal.out, "inference", "ttft_s");
  const double ttft_h100 = json_at(fake_h100.out, "inference", "ttft_s");
  CHECK(ttft_h100 != ttft_nominal);
  // The fake H100 is built near the published figures (bf16 80 % of 989 TFLOPS): within 20 %.
  CHECK(ttft_h100 == mlsim::test::approx(ttft_nominal).epsilon(0.2));

  // The node overlay alone: Llama 3 70B's TP=8 all-reduces inside a DGX H100 take the measured
  // curve (the fake's 8-GPU all-reduce, CALIBRATION.md 4's envelope of Azure's published table).
  const fs::path node_only = scratch("e2e_node");
  fs::copy_file(dir / "h100_sxm_dgx_h100.yaml", node_only / "dgx_h100.yaml");
  const std::string training = test::source_path("scenarios/llama3_70b_scaling_h100.yaml");
  const auto train_nominal = test::run_cli({"analyze", training, "--format", "json"});
  const auto train_node = test::run_cli({"--zoo", node_only.string(), "analyze", training, "--format", "json"});
  REQUIRE(train_nominal.code == 0);
  REQUIRE_MESSAGE(train_node.code == 0, train_node.err);
  const double step_nominal = json_at(train_nominal.out, "training", "step_time_s");
  const double step_node = json_at(train_node.out, "training", "step_time_s");
  CHECK(step_node != step_nominal);
  CHECK(step_node == mlsim::test::approx(step_nominal).epsilon(0.1));

  // The fake A100 measured onto the H100 entry: GEMMs at ~265 instead of ~795 TFLOPS.
  const fs::path slow = scratch("e2e_slow");
  const std::string raw = (slow / "a100_raw.json").string();
  REQUIRE(std::system((std::string(MLSIM_PROBE_FAKE) + " --quick --fake-device a100 --fake-gpus 1 --quiet -o " + raw).c_str()) == 0);
  r = test::run_cli({"calibrate", "--import", raw, "--accelerator", "h100_sxm", "-o", (slow / "h100_sxm.yaml").string()});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  // One GPU: no collective to fit, and --node says so with exit 2.
  r = test::run_cli({"calibrate", "--import", raw, "--node", "dgx_h100", "-o", (slow / "node.yaml").string()});
  CHECK(r.code == 2);
  CHECK(r.err.find("single-rank floor") != std::string::npos);
  const auto slow_run = test::run_cli({"--zoo", slow.string(), "analyze", scenario, "--format", "json"});
  REQUIRE_MESSAGE(slow_run.code == 0, slow_run.err);
  const double ttft_slow = json_at(slow_run.out, "inference", "ttft_s");
  // Prefill is compute-bound: about 3x slower GEMMs (989 x 0.80 / (312 x 0.85) = 2.98).
  CHECK(ttft_slow > 2.0 * ttft_nominal);
  CHECK(ttft_slow < 4.0 * ttft_nominal);
}
#endif
