// `mlsim show ID|SCENARIO [--set ...]`: every figure of an entry (or of a scenario with the entries
// it resolves), with its value, where it was set (file:line:col or --set) and its source.
#include <CLI/CLI.hpp>
#include <filesystem>

#include "cli/context.hpp"
#include "core/text.hpp"
#include "spec/hardware.hpp"
#include "spec/lint.hpp"
#include "spec/scenario.hpp"

namespace mlsim::cli {
namespace {

void print_tree(const spec::Node& n, const std::string& path, const spec::Node* entry, const std::string& entry_path,
                std::ostream& out) {
  if (n.is_map()) {
    // An entry (it has a kind) brings its own sources for the figures below it.
    const spec::Node* here = n.find("kind") != nullptr ? &n : entry;
    const std::string base = n.find("kind") != nullptr ? path : entry_path;
    for (const auto& [key, value] : n.map) {
      if (key == "sources") continue;
      if (key == "calibrated" && n.find("kind") != nullptr) continue;   // summarised by print_calibration
      print_tree(value, path.empty() ? key : path + "." + key, here, base, out);
    }
    return;
  }
  std::string value;
  if (n.is_scalar()) {
    value = n.scalar;
  } else if (n.is_seq()) {
    for (const auto& item : n.seq) value += (value.empty() ? "[" : ", ") + item.scalar;
    value += "]";
  } else {
    value = "null";
  }
  out << path << " = " << value << "\n    set at " << n.origin.str();
  if (entry != nullptr) {
    const std::string rel = entry_path.empty() ? path : path.substr(std::min(path.size(), entry_path.size() + 1));
    if (auto src = spec::source_of(*entry, rel)) out << "\n    source: " << *src;
  }
  out << "\n";
}

std::string pct(double x) { return format_double(100.0 * x, 4) + "%"; }

// Which figures of an accelerator or node entry are calibrated (measured, used by the solver) and
// which stay nominal.
void print_calibration(const spec::ZooFile& f, std::ostream& out) {
  Diagnostics d;
  const spec::Node entry = spec::load_yaml(f.text, f.path, d);
  if (f.kind == "accelerator") {
    const auto a = spec::read_accelerator(entry, d);
    if (!a.calibrated) {
      out << "calibration: none; every figure above is nominal\n";
      return;
    }
    const auto& c = *a.calibrated;
    out << "calibration: measured on " << c.provenance.device << " (driver " << c.provenance.driver << ", " << c.provenance.date
        << ") by " << c.provenance.tool << "\n  calibrated (the solver uses these instead of the nominal figures):\n";
    for (const auto& g : c.gemm) {
      const auto peak = a.peak_at(g.precision);
      out << "    gemm." << precision_name(g.precision) << ": " << g.points.size() << " shapes, large-GEMM rate "
          << format_double(g.rate / 1e12, 4) << " TFLOPS" << (peak ? " (" + pct(g.rate / peak->si()) + " of peak)" : std::string(""))
          << ", fixed cost " << format_seconds(g.latency_s) << ", fit rms " << pct(g.quality.rms_rel) << ", " << g.quality.samples
          << " samples, spread " << pct(g.quality.spread) << "  [replaces efficiency.compute and efficiency.gemm_size]\n";
    }
    for (const auto& m : c.memory) {
      out << "    memory." << m.name << ": " << m.points.size() << " sizes, " << format_double(m.bandwidth / 1e9, 4) << " GB/s ("
          << pct(m.bandwidth / a.memory_bandwidth.si()) << " of nominal), fixed cost " << format_seconds(m.latency_s) << ", "
          << m.quality.samples << " samples" << (m.name == "copy" ? "  [replaces memory.bandwidth x efficiency.memory]" : "") << "\n";
    }
    for (const auto& h : c.host_link) {
      out << "    host_link." << h.name << ": " << h.points.size() << " sizes, " << format_double(h.bandwidth / 1e9, 4) << " GB/s, "
          << h.quality.samples << " samples" << (h.name == "h2d_pinned" ? "  [replaces host_link.bandwidth x efficiency.host_link]" : "")
          << "\n";
    }
    if (c.l2_bandwidth) out << "    l2: " << format_double(*c.l2_bandwidth / 1e9, 4) << " GB/s (reported, not used by the solver)\n";
    if (c.device_gap_s) out << "    launch.device_gap: " << format_seconds(*c.device_gap_s) << "  [replaces efficiency.device_gap]\n";
    if (c.graph_gap_s) out << "    launch.graph_gap: " << format_seconds(*c.graph_gap_s) << "  [replaces efficiency.graph_gap]\n";
    out << "  nominal: peak, memory.capacity, power, price, efficiency.attention, scale_up"
        << (c.gemm.empty() ? ", efficiency.compute" : "") << (c.memory_at("copy") == nullptr ? ", efficiency.memory" : "")
        << (c.device_gap_s ? "" : ", efficiency.device_gap") << "\n";
  } else if (f.kind == "node") {
    const auto n = spec::read_node(entry, d);
    if (!n.calibrated) {
      out << "calibration: none; every figure above is nominal\n";
      return;
    }
    const auto& c = *n.calibrated;
    out << "calibration: measured on " << (c.provenance.device.empty() ? "an unnamed device" : c.provenance.device)
        << (c.provenance.driver.empty() ? "" : " (driver " + c.provenance.driver + ")")
        << (c.provenance.date.empty() ? "" : " on " + c.provenance.date) << " by " << c.provenance.tool
        << "\n  calibrated (collectives of these group sizes use the measured curve):\n";
    for (const auto& k : c.collectives) {
      out << "    " << k.op << " on " << k.ranks << " ranks (" << k.nodes << " node" << (k.nodes > 1 ? "s" : "") << "): "
          << k.points.size() << " sizes, " << k.segments.size() << "-line envelope";
      for (const auto& sgm : k.segments) {
        out << " [" << format_seconds(sgm.latency_s) << ", busbw " << format_double(sgm.busbw / 1e9, 4) << " GB/s]";
      }
      out << ", max error " << pct(k.quality.max_rel) << " (" << k.source << ")\n";
    }
    out << "  nominal: every other collective (the latency-bandwidth model of scale_up and nics)\n";
  }
}

}  // namespace

void add_show_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string target;
    std::vector<std::string> sets;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("show", "every figure of a zoo entry or scenario, where it was set, and its source");
  sub->add_option("id", opts->target, "a zoo id (h100_sxm, llama3_8b, ...) or a scenario file")->required();
  sub->add_option("--set", opts->sets, "override keys of a scenario, as in analyze");
  sub->callback([opts, &ctx]() {
    Diagnostics diags;
    const spec::Zoo zoo = ctx.load_zoo(diags);
    if (ctx.report(diags)) return;
    std::error_code ec;
    const bool is_file = std::filesystem::is_regular_file(opts->target, ec);
    const auto matches = zoo.find_id(opts->target);
    if (is_file || (matches.size() == 1 && matches.front()->kind == "scenario")) {
      std::vector<spec::Override> overrides;
      for (const auto& s : opts->sets) {
        if (auto o = spec::parse_override(s, diags)) overrides.push_back(*o);
      }
      auto scenario = spec::load_scenario_file(opts->target, zoo, overrides, diags);
      if (ctx.report(diags) || !scenario) return;
      print_tree(scenario->tree, "", nullptr, "", ctx.out);
      return;
    }
    if (matches.empty()) {
      ctx.err << "mlsim: error: no zoo entry or file named \"" << opts->target << "\" (mlsim list shows the zoo)\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    for (const auto* f : matches) {
      const spec::Node entry = spec::load_yaml(f->text, f->path, diags);
      if (ctx.report(diags)) return;
      ctx.out << "# " << f->kind << " " << f->id << " (" << f->path << ")\n";
      print_tree(entry, "", &entry, "", ctx.out);
      print_calibration(*f, ctx.out);
    }
  });
}

}  // namespace mlsim::cli
