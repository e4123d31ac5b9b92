#include "spec/zoo.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/text.hpp"
#include "spec/embedded_zoo.hpp"

namespace mlsim::spec {

const std::vector<std::string>& Zoo::kinds() {
  static const std::vector<std::string> k = {"accelerator", "node", "fabric", "site", "software", "model", "scenario"};
  return k;
}

std::pair<std::string, std::string> peek_kind_and_id(const std::string& text) {
  std::string kind, id;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto value_of = [&](std::string_view key) -> std::string {
      std::string v(trim(std::string_view(line).substr(key.size())));
      if (const auto hash = v.find(" #"); hash != std::string::npos) v = std::string(trim(v.substr(0, hash)));
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
      return v;
    };
    if (line.rfind("kind:", 0) == 0) kind = value_of("kind:");
    if (line.rfind("id:", 0) == 0) id = value_of("id:");
  }
  return {kind, id};
}

void Zoo::add(ZooFile file) {
  auto key = std::make_pair(file.kind, file.id);
  files_[key] = std::move(file);
}

void Zoo::add_directory(const std::string& dir, Diagnostics& diags) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    diags.error(Origin{dir, 0, 0}, "zoo directory not found");
    return;
  }
  std::vector<fs::path> paths;
  for (fs::recursive_directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
    if (it->is_regular_file() && (it->path().extension() == ".yaml" || it->path().extension() == ".yml")) {
      paths.push_back(it->path());
    }
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    std::ifstream in(p);
    std::stringstream buf;
    buf << in.rdbuf();
    ZooFile f{p.string(), buf.str(), "", "", false};
    auto [kind, id] = peek_kind_and_id(f.text);
    if (kind.empty()) continue;   // not a zoo entry (e.g. a measurements file)
    f.kind = kind;
    f.id = id.empty() ? p.stem().string() : id;
    add(std::move(f));
  }
}

Zoo Zoo::load(const std::vector<std::string>& dirs, Diagnostics& diags) {
  Zoo zoo;
  for (const auto& e : embedded_zoo_files()) {
    if (e.path[0] == '\0') continue;
    ZooFile f{e.path, e.text, "", "", true};
    auto [kind, id] = peek_kind_and_id(f.text);
    if (kind.empty()) continue;
    f.kind = kind;
    f.id = id.empty() ? std::filesystem::path(e.path).stem().string() : id;
    zoo.add(std::move(f));
  }
  if (const char* env = std::getenv("MLSIM_ZOO"); env != nullptr && *env != '\0') {
    for (const auto& d : split(env, ':')) {
      if (!d.empty()) zoo.add_directory(d, diags);
    }
  }
  for (const auto& d : dirs) zoo.add_directory(d, diags);
  return zoo;
}

const ZooFile* Zoo::find(const std::string& kind, const std::string& id) const {
  const auto it = files_.find({kind, id});
  return it == files_.end() ? nullptr : &it->second;
}

std::vector<const ZooFile*> Zoo::list(const std::string& kind) const {
  std::vector<const ZooFile*> out;
  for (const auto& [key, f] : files_) {
    if (kind.empty() || key.first == kind) out.push_back(&f);
  }
  return out;
}

std::vector<const ZooFile*> Zoo::find_id(const std::string& id) const {
  std::vector<const ZooFile*> out;
  for (const auto& [key, f] : files_) {
    if (key.second == id) out.push_back(&f);
  }
  return out;
}

std::vector<std::string> Zoo::ids(const std::string& kind) const {
  std::vector<std::string> out;
  for (const auto* f : list(kind)) out.push_back(f->id);
  return out;
}

}  // namespace mlsim::spec
