// Checks the layering of DESIGN.md from the #include lines of every file under src/: a layer includes
// only itself and earlier layers, and each third-party library is included only by the layer that owns it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// core → spec → workload | system (peers) → solvers → analysis → report → cli; files directly in
// src/ (main.cpp) sit above cli.
const std::map<std::string, int>& layer_rank() {
  static const std::map<std::string, int> rank = {
      {"core", 0},     {"spec", 1},   {"workload", 2}, {"system", 2}, {"solvers", 3},
      {"analysis", 4}, {"report", 5}, {"cli", 6},      {"", 7},
  };
  return rank;
}

// The layer that owns each third-party library, by the prefix of its include path.
const std::vector<std::pair<std::string, std::string>>& library_owners() {
  static const std::vector<std::pair<std::string, std::string>> owners = {
      {"yaml-cpp/", "spec"},       {"nlohmann/", "report"},        {"CLI/", "cli"},
      {"Eigen/", "analysis"},      {"eigen3/", "analysis"},        {"unsupported/Eigen/", "analysis"},
      {"boost/graph/", "system"},
  };
  return owners;
}

struct Include {
  std::string path;
  bool quoted = false;   // "..." rather than <...>
  int line = 0;
};

std::vector<Include> includes_of(const std::string& text) {
  std::vector<Include> out;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line[i] != '#') continue;
    i = line.find_first_not_of(" \t", i + 1);
    if (i == std::string::npos || line.compare(i, 7, "include") != 0) continue;
    i = line.find_first_not_of(" \t", i + 7);
    if (i == std::string::npos || (line[i] != '"' && line[i] != '<')) continue;
    const char close = line[i] == '"' ? '"' : '>';
    const std::size_t end = line.find(close, i + 1);
    if (end == std::string::npos) continue;
    out.push_back({line.substr(i + 1, end - i - 1), close == '"', number});
  }
  return out;
}

// Every layering problem of one file of `layer` ("" for files directly in src/).
std::vector<std::string> problems_of(const std::string& name, const std::string& layer, const std::string& text) {
  std::vector<std::string> problems;
  const auto& rank = layer_rank();
  const auto own = rank.find(layer);
  if (own == rank.end()) {
    problems.push_back(name + ": folder \"" + layer + "\" is not a layer of DESIGN.md");
    return problems;
  }
  for (const Include& inc : includes_of(text)) {
    const std::string where = name + ":" + std::to_string(inc.line) + ": ";
    for (const auto& [prefix, owner] : library_owners()) {
      if (inc.path.rfind(prefix, 0) == 0 && layer != owner) {
        problems.push_back(where + inc.path + " belongs to src/" + owner);
      }
    }
    if (!inc.quoted) continue;
    const std::size_t slash = inc.path.find('/');
    if (slash == std::string::npos) continue;   // a file next to this one
    const std::string target = inc.path.substr(0, slash);
    const auto it = rank.find(target);
    if (it == rank.end() || target.empty()) {
      problems.push_back(where + inc.path + " names no layer");
    } else if (target != layer && it->second >= own->second) {
      problems.push_back(where + layer + " may not include " + inc.path);
    }
  }
  return problems;
}

TEST_CASE("include parsing") {
  const auto inc = includes_of(
      "// #include \"cli/app.hpp\" in a comment is ignored\n"
      "#include \"core/units.hpp\"\n"
      "  #  include <yaml-cpp/yaml.h>\n"
      "#include <vector>\n"
      "#define X 1\n");
  REQUIRE(inc.size() == 3);
  CHECK(inc[0].path == "core/units.hpp");
  CHECK(inc[0].quoted);
  CHECK(inc[0].line == 2);
  CHECK(inc[1].path == "yaml-cpp/yaml.h");
  CHECK_FALSE(inc[1].quoted);
  CHECK(inc[2].path == "vector");
}

TEST_CASE("the checker reports what it should") {
  CHECK(problems_of("spec/a.cpp", "spec", "#include \"core/units.hpp\"\n#include \"spec/tree.hpp\"\n").empty());
  CHECK(problems_of("core/a.cpp", "core", "#include \"spec/tree.hpp\"\n") ==
        std::vector<std::string>{"core/a.cpp:1: core may not include spec/tree.hpp"});
  // Peers do not include each other.
  CHECK(problems_of("workload/a.cpp", "workload", "#include \"system/cluster.hpp\"\n") ==
        std::vector<std::string>{"workload/a.cpp:1: workload may not include system/cluster.hpp"});
  CHECK(problems_of("solvers/a.cpp", "solvers", "#include \"workload/a.hpp\"\n#include \"system/b.hpp\"\n").empty());
  CHECK(problems_of("report/a.cpp", "report", "\n#include <yaml-cpp/yaml.h>\n") ==
        std::vector<std::string>{"report/a.cpp:2: yaml-cpp/yaml.h belongs to src/spec"});
  CHECK(problems_of("analysis/a.cpp", "analysis", "#include <boost/graph/adjacency_list.hpp>\n#include <Eigen/Dense>\n") ==
        std::vector<std::string>{"analysis/a.cpp:1: boost/graph/adjacency_list.hpp belongs to src/system"});
  CHECK(problems_of("cli/a.cpp", "cli", "#include \"misc/x.hpp\"\n") ==
        std::vector<std::string>{"cli/a.cpp:1: misc/x.hpp names no layer"});
  CHECK(problems_of("util/a.cpp", "util", "") ==
        std::vector<std::string>{"util/a.cpp: folder \"util\" is not a layer of DESIGN.md"});
  CHECK(problems_of("main.cpp", "", "#include \"cli/app.hpp\"\n").empty());
}

TEST_CASE("every file under src/ respects the layering") {
  const fs::path src = fs::path(MLSIM_SOURCE_DIR) / "src";
  REQUIRE(fs::is_directory(src));
  std::size_t files = 0;
  std::map<std::string, int> library_seen;   // owner layer -> files including its library
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".cpp" && ext != ".hpp" && ext != ".h" && ext != ".cc") continue;
    const fs::path rel = fs::relative(entry.path(), src);
    const std::string layer = std::distance(rel.begin(), rel.end()) > 1 ? rel.begin()->string() : "";
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    for (const auto& p : problems_of(rel.string(), layer, text)) FAIL_CHECK(p);
    for (const Include& inc : includes_of(text)) {
      for (const auto& [prefix, owner] : library_owners()) {
        if (inc.path.rfind(prefix, 0) == 0) ++library_seen[owner];
      }
    }
    ++files;
  }
  // The walk saw the tree: core, spec and the rest hold well over 40 files, and the libraries that
  // are in use today are found where they belong (so the include parsing works on real files).
  CHECK(files >= 40);
  CHECK(library_seen["spec"] >= 1);     // yaml-cpp in spec/tree.cpp
  CHECK(library_seen["report"] >= 1);   // nlohmann in report/json_report.cpp
  CHECK(library_seen["cli"] >= 1);      // CLI11 in cli/*_command.cpp
}

}  // namespace
