// The zoo: every known entry (accelerators, nodes, fabrics, sites, software, models, scenarios),
// from the copy embedded in the binary, overlaid by `--zoo DIR` and MLSIM_ZOO directories.
// Entries are indexed by kind and id without being parsed; each is parsed when first used.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/diagnostics.hpp"

namespace mlsim::spec {

struct ZooFile {
  std::string path;     // "hardware_zoo/accelerators/h100_sxm.yaml" or a file system path
  std::string text;
  std::string kind;
  std::string id;
  bool embedded = true;
};

class Zoo {
 public:
  // The embedded zoo, then each directory of MLSIM_ZOO (colon-separated) and of `dirs`.
  static Zoo load(const std::vector<std::string>& dirs, Diagnostics& diags);

  void add(ZooFile file);
  // Adds every *.yaml below `dir`; later additions override entries of the same kind and id.
  void add_directory(const std::string& dir, Diagnostics& diags);

  [[nodiscard]] const ZooFile* find(const std::string& kind, const std::string& id) const;
  [[nodiscard]] std::vector<const ZooFile*> list(const std::string& kind) const;
  [[nodiscard]] std::vector<const ZooFile*> find_id(const std::string& id) const;
  [[nodiscard]] std::vector<std::string> ids(const std::string& kind) const;
  [[nodiscard]] static const std::vector<std::string>& kinds();

 private:
  std::map<std::pair<std::string, std::string>, ZooFile> files_;
};

// The `kind:` and `id:` of a YAML text, read from its top-level lines without parsing it.
std::pair<std::string, std::string> peek_kind_and_id(const std::string& text);

}  // namespace mlsim::spec
