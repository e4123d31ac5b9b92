// `mlsim sweep SCENARIO --vary key=values ... [--where EXPR] [--minimize|--maximize M] [--top K]
// [--pareto m1,m2] [-f csv|jsonl] [-j N] [--shard i/N] [-o FILE]` and `mlsim sweep --merge FILES`:
// the cartesian grid of the varied knobs, one row per point, streamed in grid order.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <queue>
#include <thread>
#include <unistd.h>

#include "analysis/expression.hpp"
#include "analysis/metrics.hpp"
#include "analysis/sweep.hpp"
#include "cli/context.hpp"
#include "cli/dse_common.hpp"
#include "core/atomic_stream.hpp"
#include "core/text.hpp"
#include "report/sweep_rows.hpp"
#include "spec/scenario.hpp"

namespace mlsim::cli {
namespace {

struct SweepOptions {
  std::string scenario, format = "csv", output, where, minimize, maximize, pareto, shard, metrics;
  std::vector<std::string> sets, vary, merge;
  std::size_t top = 0;
  unsigned threads = 0;
  bool force = false, progress = false, no_progress = false;
};

// One row kept by a selection (--minimize/--maximize/--top/--pareto): its sort keys and its text.
struct Kept {
  std::uint64_t point = 0;
  std::vector<double> keys;
  std::string text;
};

struct Chunk {
  std::string text;
  std::vector<Kept> rows;
};

// How rows are selected: an objective (minimized; a maximized metric is negated), a Pareto front.
struct Selection {
  std::optional<std::size_t> objective;   // metric index
  bool maximize = false;
  std::vector<std::size_t> pareto;        // metric indices
  std::vector<bool> pareto_max;
  std::size_t top = 0;                    // 0: all
  [[nodiscard]] bool active() const { return objective || !pareto.empty() || top > 0; }
  [[nodiscard]] std::size_t key_count() const { return (objective ? 1 : 0) + pareto.size(); }
};

// Keeps the selected rows as they stream in point order; result() sorts them.
class Selector {
 public:
  explicit Selector(const Selection& s) : s_(s) {}
  void offer(Kept&& k) {
    for (double v : k.keys) {
      if (std::isnan(v)) return;
    }
    if (!s_.pareto.empty()) {
      std::vector<double> pk(k.keys.end() - static_cast<std::ptrdiff_t>(s_.pareto.size()), k.keys.end());
      if (!front_.offer(k.point, pk)) return;
      texts_[k.point] = std::move(k);
      if (texts_.size() > 2 * front_.items().size() + 64) purge();
      return;
    }
    if (s_.objective && s_.top > 0) {
      heap_.push(std::move(k));
      if (heap_.size() > s_.top) heap_.pop();
      return;
    }
    all_.push_back(std::move(k));
  }
  std::vector<Kept> result() {
    std::vector<Kept> out;
    if (!s_.pareto.empty()) {
      purge();
      for (auto& [p, k] : texts_) out.push_back(std::move(k));
    } else if (!heap_.empty()) {
      while (!heap_.empty()) {
        out.push_back(heap_.top());
        heap_.pop();
      }
    } else {
      out = std::move(all_);
    }
    std::sort(out.begin(), out.end(), Less{});
    if (s_.top > 0 && out.size() > s_.top) out.resize(s_.top);
    return out;
  }

 private:
  struct Less {
    bool operator()(const Kept& a, const Kept& b) const {
      if (a.keys != b.keys) return a.keys < b.keys;
      return a.point < b.point;
    }
  };
  void purge() {
    std::map<std::uint64_t, Kept> keep;
    for (const auto& it : front_.items()) {
      if (auto f = texts_.find(it.id); f != texts_.end()) keep[it.id] = std::move(f->second);
    }
    texts_ = std::move(keep);
  }
  const Selection& s_;
  analysis::ParetoFront front_;
  std::map<std::uint64_t, Kept> texts_;
  std::priority_queue<Kept, std::vector<Kept>, Less> heap_;   // the worst kept row on top
  std::vector<Kept> all_;
};

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_shard(const std::string& s) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const auto i = parse_number(s.substr(0, slash)), n = parse_number(s.substr(slash + 1));
  if (!i || !n || *n < 1 || *i < 1 || *i > *n || std::floor(*i) != *i || std::floor(*n) != *n) return std::nullopt;
  return std::pair{static_cast<std::uint64_t>(*i), static_cast<std::uint64_t>(*n)};
}

// Resolves --minimize/--maximize/--pareto into metric indices; adds them to the columns.
bool build_selection(const SweepOptions& o, Selection& sel, std::vector<std::size_t>& columns, Context& ctx) {
  std::string err;
  const auto add_column = [&](std::size_t m) {
    if (std::find(columns.begin(), columns.end(), m) == columns.end()) columns.push_back(m);
  };
  if (!o.minimize.empty() || !o.maximize.empty()) {
    if (!o.minimize.empty() && !o.maximize.empty()) return fail_input(ctx, "give --minimize or --maximize, not both");
    const auto m = analysis::resolve_metric(o.minimize.empty() ? o.maximize : o.minimize, err);
    if (!m) return fail_input(ctx, (o.minimize.empty() ? "--maximize: " : "--minimize: ") + err);
    sel.objective = *m;
    sel.maximize = o.minimize.empty();
    add_column(*m);
  }
  if (!o.pareto.empty()) {
    for (const auto& raw : split(o.pareto, ',')) {
      std::string name(trim(raw));
      std::optional<bool> dir;
      if (name.rfind("max:", 0) == 0) dir = true, name = name.substr(4);
      else if (name.rfind("min:", 0) == 0) dir = false, name = name.substr(4);
      const auto m = analysis::resolve_metric(name, err);
      if (!m) return fail_input(ctx, "--pareto: " + err);
      sel.pareto.push_back(*m);
      sel.pareto_max.push_back(dir.value_or(analysis::metric_table()[*m].higher_is_better));
      add_column(*m);
    }
    if (sel.pareto.size() < 2) return fail_input(ctx, "--pareto needs two or more metrics: --pareto tpot_s,max:throughput_tokens_per_s");
  }
  sel.top = o.top;
  if (sel.top > 0 && !sel.objective && sel.pareto.empty()) {
    return fail_input(ctx, "--top needs --minimize, --maximize or --pareto to rank by");
  }
  return true;
}

// The keys of a row: the objective first, then the Pareto metrics, all as "smaller is better".
std::vector<double> keys_of(const Selection& sel, const std::function<std::optional<double>(std::size_t)>& value) {
  std::vector<double> keys;
  const auto get = [&](std::size_t m, bool max) {
    const auto v = value(m);
    const double x = v ? *v : std::nan("");
    return max ? -x : x;
  };
  if (sel.objective) keys.push_back(get(*sel.objective, sel.maximize));
  for (std::size_t i = 0; i < sel.pareto.size(); ++i) keys.push_back(get(sel.pareto[i], sel.pareto_max[i]));
  return keys;
}

class Output {
 public:
  Output(Context& ctx, const SweepOptions& o) : ctx_(ctx), o_(o) {}
  bool open() {
    if (o_.output.empty() || o_.output == "-") return true;
    file_ = std::make_unique<AtomicStreamFile>();
    if (auto e = file_->open(o_.output, o_.force); !e.empty()) return fail_input(ctx_, e);
    return true;
  }
  void write(std::string_view s) {
    if (file_) {
      if (!file_->write(s)) failed_ = true;
    } else {
      ctx_.out << s;
    }
  }
  bool commit() {
    if (!file_) {
      ctx_.out.flush();
      return true;
    }
    if (auto e = file_->commit(); !e.empty()) return fail_input(ctx_, e);
    return true;
  }

 private:
  Context& ctx_;
  const SweepOptions& o_;
  std::unique_ptr<AtomicStreamFile> file_;
  bool failed_ = false;
};

class Progress {
 public:
  Progress(bool on, std::uint64_t total, std::ostream& err) : on_(on), total_(total), err_(err), start_(clock::now()), last_(start_) {}
  void operator()(std::uint64_t done) {
    if (!on_) return;
    const auto now = clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double s = std::chrono::duration<double>(now - start_).count();
    const double rate = s > 0 ? static_cast<double>(done) / s : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
    char line[160];
    std::snprintf(line, sizeof line, "\r%5.1f%% %llu/%llu points  %s/s  ETA %s   ", 100.0 * static_cast<double>(done) / static_cast<double>(total_),
                  static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), format_si(rate, "").c_str(),
                  format_seconds(eta).c_str());
    err_ << line << std::flush;
    if (done >= total_) err_ << "\n";
  }

 private:
  using clock = std::chrono::steady_clock;
  bool on_;
  std::uint64_t total_;
  std::ostream& err_;
  clock::time_point start_, last_;
};

bool stderr_is_terminal(const Context& ctx) { return &ctx.err == &std::cerr && ::isatty(2) == 1; }

void run_merge(SweepOptions o, Context& ctx) {
  // The format is the shards' own: JSON lines start with '{'.
  if (std::ifstream first(o.merge.front()); first && first.peek() == '{') o.format = "jsonl";
  const bool jsonl = o.format == "jsonl";
  struct Source {
    std::ifstream in;
    std::string line;
    std::uint64_t point = 0;
    bool live = false;
    std::string name;
  };
  std::vector<std::unique_ptr<Source>> sources;
  std::string header;
  std::vector<std::string> header_cells;
  const auto advance = [&](Source& s) {
    while (std::getline(s.in, s.line)) {
      if (s.line.empty()) continue;
      const auto p = report::row_point(s.line, jsonl);
      if (!p) {
        ctx.err << s.name << ": error: not a row of mlsim sweep -f " << o.format << ": " << s.line.substr(0, 80) << "\n";
        ctx.exit_code = kExitBadInput;
        s.live = false;
        return;
      }
      s.point = *p;
      s.live = true;
      return;
    }
    s.live = false;
  };
  for (const auto& f : o.merge) {
    auto s = std::make_unique<Source>();
    s->name = f;
    s->in.open(f);
    if (!s->in) return (void)fail_input(ctx, f + ": cannot open the file");
    if (!jsonl) {
      std::string h;
      if (!std::getline(s->in, h) || h.rfind("point,", 0) != 0) return (void)fail_input(ctx, f + ": not a CSV of mlsim sweep (no header line starting with point,)");
      if (header.empty()) {
        header = h;
        header_cells = report::split_csv_line(h);
      } else if (h != header) {
        return (void)fail_input(ctx, f + ": its columns differ from " + o.merge.front() + "'s; shards of one sweep have the same header");
      }
    }
    advance(*s);
    if (ctx.exit_code != kExitOk) return;
    sources.push_back(std::move(s));
  }
  Selection sel;
  std::vector<std::size_t> unused;
  if (!build_selection(o, sel, unused, ctx)) return;
  Output out(ctx, o);
  if (!out.open()) return;
  if (!jsonl) out.write(header + "\n");
  Selector selector(sel);
  std::optional<std::uint64_t> last;
  for (;;) {
    Source* best = nullptr;
    for (auto& s : sources) {
      if (s->live && (best == nullptr || s->point < best->point)) best = s.get();
    }
    if (best == nullptr) break;
    if (last && best->point == *last) return (void)fail_input(ctx, best->name + ": point " + std::to_string(best->point) + " appears twice; were the shards of one sweep merged?");
    last = best->point;
    if (sel.active()) {
      Kept k;
      k.point = best->point;
      k.keys = keys_of(sel, [&](std::size_t m) {
        return report::row_number(best->line, header_cells, analysis::metric_table()[m].path, jsonl);
      });
      k.text = best->line + "\n";
      selector.offer(std::move(k));
    } else {
      out.write(best->line);
      out.write("\n");
    }
    advance(*best);
    if (ctx.exit_code != kExitOk) return;
  }
  if (sel.active()) {
    for (const auto& k : selector.result()) out.write(k.text);
  }
  out.commit();
}

void run_sweep(const SweepOptions& o, Context& ctx) {
  Diagnostics diags;
  const spec::Zoo zoo = ctx.load_zoo(diags);
  std::vector<spec::Override> overrides;
  for (const auto& s : o.sets) {
    if (auto ov = spec::parse_override(s, diags)) overrides.push_back(*ov);
  }
  if (ctx.report(diags)) return;
  std::vector<analysis::SweepAxis> axes;
  for (const auto& v : o.vary) {
    std::string err;
    auto a = analysis::parse_vary(v, zoo, err);
    if (!a) return (void)fail_input(ctx, err);
    axes.push_back(std::move(*a));
  }
  auto grid = analysis::SweepGrid::make(o.scenario, zoo, overrides, axes, diags);
  if (ctx.report(diags) || !grid) {
    ctx.exit_code = kExitBadInput;
    return;
  }
  // Columns: the metrics asked for (or the job's headline ones), then those ranked on.
  std::vector<std::size_t> columns;
  if (!o.metrics.empty()) {
    for (const auto& raw : split(o.metrics, ',')) {
      std::string err;
      const auto m = analysis::resolve_metric(trim(raw), err);
      if (!m) return (void)fail_input(ctx, "--metrics: " + err);
      columns.push_back(*m);
    }
  } else {
    columns = analysis::default_metrics(grid->base().training.has_value());
  }
  Selection sel;
  if (!build_selection(o, sel, columns, ctx)) return;
  // --where: names are the varied knobs first, then metrics, then binding_wall.
  const std::size_t n_axes = grid->axes().size();
  const std::size_t n_metrics = analysis::metric_table().size();
  const std::size_t wall_var = n_axes + n_metrics;
  std::optional<analysis::Expression> where;
  if (!o.where.empty()) {
    analysis::ExprError err;
    where = analysis::parse_point_expression(o.where, grid->axes(), err);
    if (!where) return (void)fail_expression(ctx, "--where", o.where, err);
  }
  std::uint64_t begin = 0, end = grid->size();
  if (!o.shard.empty()) {
    const auto sh = parse_shard(o.shard);
    if (!sh) return (void)fail_input(ctx, "--shard " + o.shard + ": expected i/N with 1 <= i <= N (e.g. --shard 3/8)");
    const auto [i, n] = *sh;
    const std::uint64_t size = grid->size(), base = size / n, rem = size % n;
    begin = (i - 1) * base + std::min(i - 1, rem);
    end = begin + base + (i - 1 < rem ? 1 : 0);
  }
  report::SweepColumns cols;
  cols.jsonl = o.format == "jsonl";
  for (const auto& a : grid->axes()) cols.axes.push_back(a.path);
  for (std::size_t m : columns) {
    cols.metrics.push_back(m);
    cols.metric_paths.push_back(analysis::metric_table()[m].path);
  }
  Output out(ctx, o);
  if (!out.open()) return;
  out.write(report::sweep_header(cols));
  unsigned threads = o.threads > 0 ? o.threads : std::max(1U, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<analysis::PointEvaluator>> evaluators;
  for (unsigned t = 0; t < threads; ++t) evaluators.push_back(std::make_unique<analysis::PointEvaluator>(grid));
  const auto work = [&](unsigned w, std::uint64_t a, std::uint64_t b, Chunk& chunk) {
    auto& pe = *evaluators[w];
    std::vector<report::AxisCell> cells(n_axes);
    std::vector<analysis::ExprValue> vars;
    if (where) vars.resize(wall_var + 1);
    std::string row;
    for (std::uint64_t p = a; p < b; ++p) {
      const analysis::Estimate& e = pe.evaluate(p);
      const auto& c = pe.coords();
      for (std::size_t i = 0; i < n_axes; ++i) {
        const auto& ax = grid->axes()[i];
        cells[i].text = &ax.texts[c[i]];
        cells[i].numeric = !ax.values.empty();
        cells[i].value = cells[i].numeric ? ax.values[c[i]] : 0.0;
      }
      if (where) {
        for (std::size_t id : where->variables()) analysis::fill_point_variable(vars, id, grid->axes(), c, e);
        if (!where->test(vars)) continue;
      }
      if (sel.active()) {
        Kept k;
        k.point = p;
        k.keys = keys_of(sel, [&](std::size_t m) -> std::optional<double> {
          return e.feasible ? analysis::metric_table()[m].get(e) : std::nullopt;
        });
        report::append_sweep_row(k.text, cols, p, cells, e);
        chunk.rows.push_back(std::move(k));
      } else {
        report::append_sweep_row(chunk.text, cols, p, cells, e);
      }
    }
  };
  Selector selector(sel);
  const auto sink = [&](Chunk& c) {
    if (!sel.active()) {
      out.write(c.text);
      return;
    }
    for (auto& k : c.rows) selector.offer(std::move(k));
  };
  Progress progress(!o.no_progress && (o.progress || stderr_is_terminal(ctx)), std::max<std::uint64_t>(1, end - begin), ctx.err);
  const std::uint64_t chunk = std::clamp<std::uint64_t>((end - begin) / (static_cast<std::uint64_t>(threads) * 16) + 1, 16, 4096);
  analysis::run_ordered<Chunk>(begin, end, threads, chunk, work, sink, [&](std::uint64_t d) { progress(d); });
  if (sel.active()) {
    for (const auto& k : selector.result()) out.write(k.text);
  }
  out.commit();
}

}  // namespace

void add_sweep_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SweepOptions>();
  CLI::App* sub = app.add_subcommand("sweep", "evaluate the cartesian grid of --vary knobs: one CSV or JSON-lines row per design point");
  sub->add_option("scenario", o->scenario, "a scenario file or zoo id (not with --merge)");
  sub->add_option("--set", o->sets, "override keys of the scenario first, as in analyze")->allow_extra_args(false);
  sub->add_option("--vary", o->vary, "KNOB=v1,v2 | KNOB=lo:hi:+step | KNOB=lo:hi:*factor | KNOB=* (every zoo entry; globs too); repeatable")
      ->allow_extra_args(false);
  sub->add_option("--metrics", o->metrics, "the metric columns, comma-separated JSON paths or unique leaves (default: the job's headline metrics)");
  sub->add_option("--where", o->where, "keep the rows where EXPR holds, e.g. \"memory.fits && tpot_s < 50ms\" (docs/dse.md)");
  sub->add_option("--minimize", o->minimize, "sort the rows by METRIC, smallest first");
  sub->add_option("--maximize", o->maximize, "sort the rows by METRIC, largest first");
  sub->add_option("--top", o->top, "keep the K best rows (with --minimize, --maximize or --pareto)")->check(CLI::Range(1, 100000000));
  sub->add_option("--pareto", o->pareto, "keep the Pareto front of m1,m2,... (prefix max: or min: to choose a direction)");
  sub->add_option("--format,-f", o->format, "csv | jsonl")->check(CLI::IsMember({"csv", "jsonl"}));
  sub->add_option("-j,--threads", o->threads, "worker threads (default: all cores)")->check(CLI::Range(1, 4096));
  sub->add_option("--shard", o->shard, "evaluate only the i-th of N equal contiguous parts of the grid (1-based: 1/4 .. 4/4)");
  sub->add_option("--merge", o->merge, "join shard outputs (same format) in point order instead of sweeping")->expected(1, -1);
  sub->add_option("-o,--output", o->output, "write the rows to FILE (atomically, when the sweep ends)");
  sub->add_flag("--force", o->force, "overwrite FILE if it exists");
  sub->add_flag("--progress", o->progress, "show progress on stderr even when it is not a terminal");
  sub->add_flag("--no-progress", o->no_progress, "never show progress");
  sub->callback([o, &ctx]() {
    if (!o->merge.empty()) {
      if (!o->scenario.empty() || !o->vary.empty()) return (void)fail_input(ctx, "--merge joins finished shards; give no scenario or --vary with it");
      return run_merge(*o, ctx);
    }
    if (o->scenario.empty()) return (void)fail_input(ctx, "sweep needs a scenario (or --merge FILES)");
    run_sweep(*o, ctx);
  });
}

}  // namespace mlsim::cli
