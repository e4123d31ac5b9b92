// `mlsim calibrate`: measure this machine with the GPU probe, or import measurements, fit them
// (analysis/calibration_fit) and write a calibrated zoo entry: the zoo entry's own figures plus a
// `calibrated:` block (docs/calibration.md).
//   mlsim calibrate --import FILE [--import FILE ...] (--accelerator ID | --node ID) -o OUT.yaml [--force] [--nranks N] [--op OP]
//   mlsim calibrate (--quick | --full | --shapes-of SCENARIO) [--accelerator ID] [--node ID] -o OUT.yaml
//                   [--probe PATH] [--raw-out RAW.json] [--dry-run] [--force]
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/calibration_fit.hpp"
#include "analysis/calibration_plan.hpp"
#include "cli/context.hpp"
#include "core/atomic_file.hpp"
#include "core/text.hpp"
#include "spec/calibration_raw.hpp"
#include "spec/hardware.hpp"
#include "spec/scenario.hpp"

extern char** environ;

namespace mlsim::cli {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::vector<std::string> import_files;   // one or more raw files of one device, merged in order
  std::string accelerator, node, output, op, probe, raw_out, shapes_of;
  long long nranks = 0;
  bool quick = false, full = false, dry_run = false, force = false;
};

// Reads FILE as a raw probe JSON or an nccl-tests log (text or JSON).
std::optional<spec::RawCalibration> read_one(const Options& o, const std::string& file, Diagnostics& d) {
  std::string text;
  if (!spec::read_text_file(file, text, d)) return std::nullopt;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    Diagnostics probe_diags;
    const spec::Node root = spec::load_yaml(text, file, probe_diags);
    if (probe_diags.has_errors()) {
      d = std::move(probe_diags);
      return std::nullopt;
    }
    if (root.is_map() && root.find("format") != nullptr) {
      auto raw = spec::read_raw_probe(root, d);
      if (d.has_errors()) return std::nullopt;
      return raw;
    }
  }
  auto raw = spec::read_nccl_tests(text, file, d, o.nranks > 0 ? std::optional<long long>(o.nranks) : std::nullopt, o.op);
  if (d.has_errors()) return std::nullopt;
  return raw;
}

// Every --import file, merged into one measurement of one device (spec::merge_raw).
std::optional<spec::RawCalibration> read_measurements(const Options& o, Diagnostics& d) {
  std::vector<spec::RawCalibration> parts;
  for (const auto& file : o.import_files) {
    auto raw = read_one(o, file, d);
    if (!raw) return std::nullopt;
    parts.push_back(std::move(*raw));
  }
  if (parts.size() == 1) return std::move(parts.front());
  auto merged = spec::merge_raw(std::move(parts), o.import_files, d);
  if (d.has_errors()) return std::nullopt;
  return merged;
}

// The raw files as the entry names them: their file names, joined.
std::string raw_names(const Options& o) {
  std::string out;
  for (const auto& f : o.import_files) out += (out.empty() ? "" : " + ") + fs::path(f).filename().string();
  return out;
}

spec::Node scalar(const std::string& s) { return spec::Node::make_scalar(s, Origin{}); }

// The zoo entry's tree with `calibrated` set and a source for it; the id stays, so that
// `--zoo DIR` holding this file overlays the zoo entry.
std::optional<spec::Node> overlay(const spec::Zoo& zoo, const std::string& kind, const std::string& id, spec::Node calibrated,
                                  const std::string& source, Diagnostics& d) {
  const spec::ZooFile* f = zoo.find(kind, id);
  if (f == nullptr) {
    d.error(Origin{"<command line>", 0, 0}, "no " + kind + " \"" + id + "\" in the zoo (mlsim list " + kind + "s)");
    return std::nullopt;
  }
  spec::Node entry = spec::load_yaml(f->text, f->path, d);
  if (d.has_errors()) return std::nullopt;
  entry.set("calibrated", std::move(calibrated), Origin{});
  spec::Node* sources = entry.find("sources");
  if (sources == nullptr) {
    spec::Node s;
    s.kind = spec::Node::Kind::kMap;
    sources = &entry.set("sources", s, Origin{});
  }
  sources->set("calibrated", scalar(source), Origin{});
  return entry;
}

// Validates the written text with the kind's own reader (what lint does).
bool validate(const std::string& text, const std::string& kind, const std::string& name, Diagnostics& d) {
  const spec::Node n = spec::load_yaml(text, name, d);
  if (d.has_errors()) return false;
  if (kind == "accelerator") spec::read_accelerator(n, d);
  else spec::read_node(n, d);
  return !d.has_errors();
}

std::string provenance_line(const spec::CalibrationProvenance& p) {
  return "measured by " + p.tool + " on " + (p.device.empty() ? std::string("an unnamed device") : p.device) + " (driver " +
         (p.driver.empty() ? std::string("unknown") : p.driver) + ", " + (p.date.empty() ? std::string("undated") : p.date) +
         "); raw file " + p.raw + "; fitted by mlsim calibrate (docs/calibration.md)";
}

void import_and_write(const Options& o, Context& ctx) {
  Diagnostics d;
  const spec::Zoo zoo = ctx.load_zoo(d);
  if (ctx.report(d)) return;
  auto raw = read_measurements(o, d);
  if (ctx.report(d) || !raw) return;
  const std::string raw_name = raw_names(o);
  const std::string what = o.import_files.size() == 1 ? o.import_files.front() : raw_name;
  std::string command = "mlsim calibrate";
  for (const auto& f : o.import_files) command += " --import " + fs::path(f).filename().string();
  std::string text;
  std::string kind;
  if (!o.accelerator.empty()) {   // exactly one of accelerator / node is set here
    kind = "accelerator";
    if (raw->source != "probe") {
      ctx.err << "mlsim: error: " << what << ": an nccl-tests log holds collective curves only; import it with --node ID\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    spec::CalibratedAccelerator c = analysis::fit_accelerator(*raw, raw_name);
    if (c.gemm.empty() && c.memory.empty() && c.host_link.empty() && !c.device_gap_s && !c.l2_bandwidth) {
      ctx.err << "mlsim: error: " << what << ": no accelerator measurement (gemm, memory, l2, host_link, launch) to fit\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    const std::string source = provenance_line(c.provenance);
    auto entry = overlay(zoo, kind, o.accelerator, spec::calibrated_to_node(c), source, d);
    if (ctx.report(d) || !entry) return;
    text = "# " + o.accelerator + " with measured curves (" + command + ").\n" +
           "# The nominal figures above `calibrated:` are the zoo entry's; the solver uses the calibrated block where it has a curve.\n" +
           spec::to_yaml(*entry);
  }
  if (o.accelerator.empty() && !o.node.empty()) {
    kind = "node";
    spec::CalibratedNode c = analysis::fit_node(*raw, raw_name);
    if (c.collectives.empty()) {
      ctx.err << "mlsim: error: " << what
              << ": no collective measured on 2 or more ranks to fit (a one-GPU probe run measures only the single-rank floor)\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    auto entry = overlay(zoo, kind, o.node, spec::calibrated_to_node(c), provenance_line(c.provenance), d);
    if (ctx.report(d) || !entry) return;
    text = "# " + o.node + " with measured collective curves (" + command + ").\n" + spec::to_yaml(*entry);
  }
  for (const auto& note : raw->notes) ctx.err << "mlsim: note: " << note << "\n";
  if (!validate(text, kind, o.output, d)) {
    ctx.err << "mlsim: internal error: the calibrated entry does not read back:\n";
    ctx.err << d.format();
    ctx.exit_code = kExitInternal;
    return;
  }
  ctx.emit(text, o.output, o.force);
  if (ctx.exit_code == kExitOk && o.output != "-") ctx.err << "mlsim: wrote " << o.output << "\n";
}

// The probe: --probe PATH, else mlsim-probe next to this executable (or in the build tree's
// calibrate/ beside src/), else on PATH.
std::optional<std::string> find_probe(const std::string& explicit_path) {
  std::error_code ec;
  if (!explicit_path.empty()) return fs::exists(explicit_path, ec) ? std::optional<std::string>(explicit_path) : std::nullopt;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& c : {self.parent_path() / "mlsim-probe", self.parent_path().parent_path() / "calibrate" / "mlsim-probe"}) {
      if (fs::exists(c, ec)) return c.string();
    }
  }
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      const fs::path c = fs::path(dir) / "mlsim-probe";
      if (!dir.empty() && fs::exists(c, ec)) return c.string();
    }
  }
  return std::nullopt;
}

int run_process(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void measure(Options o, Context& ctx) {
  const std::string mode = o.full ? "full" : (!o.shapes_of.empty() ? "shapes" : "quick");
  Diagnostics d;
  const spec::Zoo zoo = ctx.load_zoo(d);
  if (ctx.report(d)) return;
  std::vector<analysis::GemmShape> shapes;
  if (!o.shapes_of.empty()) {
    auto scenario = spec::load_scenario_file(o.shapes_of, zoo, {}, d);
    if (ctx.report(d) || !scenario) return;
    shapes = analysis::gemm_shapes_of(*scenario);
    if (shapes.empty()) {
      ctx.err << "mlsim: error: " << o.shapes_of << ": the scenario has no GEMM with a known shape (CNNs carry none)\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
  }
  const auto probe = find_probe(o.probe);
  const analysis::ProbePlan plan = analysis::probe_plan(mode, shapes.size(), 1);
  if (o.dry_run) {
    ctx.out << "calibration plan (" << mode << ")\n";
    ctx.out << "  probe: " << (probe ? *probe : std::string("not found (mlsim-probe is built only where CUDA compiles; --probe PATH)")) << "\n";
    ctx.out << "  soak: " << format_seconds(plan.soak_s) << "\n";
    for (const auto& l : plan.lines) {
      ctx.out << "  " << l.block << ": " << l.configurations << " configurations, about " << format_seconds(l.seconds) << "\n";
    }
    for (const auto& g : shapes) {
      ctx.out << "    " << static_cast<long long>(g.m) << " x " << static_cast<long long>(g.n) << " x " << static_cast<long long>(g.k)
              << " " << precision_name(g.precision) << "\n";
    }
    ctx.out << "  estimated time: about " << format_seconds(plan.total_s())
            << " on one GPU (collectives: every visible GPU, one rank each)\n";
    ctx.out << "  then: fit, and write " << (o.output.empty() ? std::string("OUT.yaml") : o.output) << " (overlay of accelerator "
            << (o.accelerator.empty() ? std::string("guessed from the measured device's name") : o.accelerator)
            << (o.node.empty() ? std::string("") : ", node " + o.node) << ")\n";
    return;
  }
  if (o.output.empty()) {
    ctx.err << "mlsim: error: -o OUT.yaml is required\n";
    ctx.exit_code = kExitBadInput;
    return;
  }
  if (!probe) {
    ctx.err << "mlsim: error: no GPU probe found: mlsim-probe is built only where CUDA compiles, and was not found next to mlsim "
               "or on PATH (give it with --probe PATH); nothing was measured\n";
    ctx.exit_code = kExitBadInput;
    return;
  }
  std::error_code ec;
  if (!o.force && fs::exists(o.output, ec)) {
    ctx.err << "mlsim: error: " << o.output << " exists (use --force to overwrite)\n";
    ctx.exit_code = kExitBadInput;
    return;
  }
  const std::string raw = o.raw_out.empty() ? o.output + ".raw.json" : o.raw_out;
  std::vector<std::string> args = {*probe, "-o", raw};
  if (mode == "shapes") {
    const std::string shapes_path = o.output + ".shapes.csv";
    const WriteResult w = write_file_atomically(shapes_path, analysis::shapes_file_text(shapes), true);
    if (!w.ok) {
      ctx.err << "mlsim: error: " << w.error << "\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    args.insert(args.end(), {"--shapes", shapes_path, "--only", "gemm"});
  } else {
    args.push_back("--" + mode);
  }
  if (o.force) args.push_back("--force");
  ctx.err << "mlsim: running " << *probe << " (" << mode << ", about " << format_seconds(plan.total_s()) << ")\n";
  const int rc = run_process(args);
  if (rc == 2) {
    ctx.err << "mlsim: error: the probe could not measure (no CUDA device, or bad arguments: its message is above); nothing was written\n";
    ctx.exit_code = kExitBadInput;
    return;
  }
  if (rc != 0 && rc != 3 && rc != 4) {
    ctx.err << "mlsim: error: the probe failed (exit " << rc << ")\n";
    ctx.exit_code = kExitInternal;
    return;
  }
  if (rc != 0) ctx.err << "mlsim: warning: the probe exited " << rc << " (3: some measurements failed; 4: stopped early); fitting what it wrote\n";
  o.import_files = {raw};
  if (o.accelerator.empty()) {
    Diagnostics rd;
    const auto measured = read_measurements(o, rd);
    if (ctx.report(rd) || !measured) return;
    const auto guess = analysis::accelerator_for_device(measured->device);
    if (!guess) {
      ctx.err << "mlsim: error: no zoo accelerator matches the measured device \"" << measured->device
              << "\"; the raw file is kept: mlsim calibrate --import " << raw << " --accelerator ID -o " << o.output << "\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    ctx.err << "mlsim: note: " << measured->device << " is the zoo's " << *guess << " (--accelerator overrides)\n";
    o.accelerator = *guess;
  }
  Options acc = o;
  acc.node.clear();
  import_and_write(acc, ctx);
  if (!o.node.empty() && ctx.exit_code == kExitOk) {
    Options node = o;
    node.accelerator.clear();
    node.output = (fs::path(o.output).parent_path() / (fs::path(o.output).stem().string() + "_" + o.node + ".yaml")).string();
    import_and_write(node, ctx);
  }
}

}  // namespace

void add_calibrate_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("calibrate", "measure this machine's GPU with the probe, or import measurements, and write a calibrated entry");
  auto* imp = sub->add_option("--import", o->import_files,
                              "a raw probe JSON file, or an nccl-tests log (text or -J JSON); several (repeat, or list) are merged as one "
                              "device's measurements, a configuration measured twice taking the later file's");
  auto* quick = sub->add_flag("--quick", o->quick, "run the probe's quick sweep (about 5 minutes)");
  auto* full = sub->add_flag("--full", o->full, "run the probe's full sweep");
  auto* shapes = sub->add_option("--shapes-of", o->shapes_of, "measure exactly the GEMM shapes of this scenario");
  imp->excludes(quick)->excludes(full)->excludes(shapes);
  quick->excludes(full)->excludes(shapes);
  full->excludes(shapes);
  sub->add_option("--accelerator", o->accelerator, "the accelerator entry to overlay with GEMM, memory, host-link and launch curves (measuring: default from the device name)");
  sub->add_option("--node", o->node, "the node entry to overlay with collective curves");
  sub->add_option("-o,--output", o->output, "the calibrated entry to write (YAML, atomically)");
  sub->add_flag("--force", o->force, "overwrite the output if it exists");
  sub->add_option("--nranks", o->nranks, "group size of an nccl-tests log that states none")->check(CLI::Range(2LL, 1LL << 24));
  sub->add_option("--op", o->op, "the collective of an nccl-tests log that names none (all_reduce, all_gather, ...)")
      ->check(CLI::IsMember(spec::collective_op_names()));
  sub->add_option("--probe", o->probe, "the probe binary (default: mlsim-probe next to mlsim, or on PATH)");
  sub->add_option("--raw-out", o->raw_out, "where the probe writes its raw JSON (default: OUT.yaml.raw.json)");
  sub->add_flag("--dry-run", o->dry_run, "print the plan and its estimated time; measure nothing");
  sub->callback([o, &ctx]() {
    if (!o->import_files.empty()) {
      if (o->accelerator.empty() == o->node.empty()) {
        ctx.err << "mlsim: error: --import needs exactly one of --accelerator ID or --node ID\n";
        ctx.exit_code = kExitBadInput;
        return;
      }
      if (o->output.empty()) {
        ctx.err << "mlsim: error: -o OUT.yaml is required\n";
        ctx.exit_code = kExitBadInput;
        return;
      }
      import_and_write(*o, ctx);
      return;
    }
    if (!o->quick && !o->full && o->shapes_of.empty()) {
      ctx.err << "mlsim: error: give --import FILE, or one of --quick, --full, --shapes-of SCENARIO (run mlsim calibrate --help)\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    measure(*o, ctx);
  });
}

}  // namespace mlsim::cli
