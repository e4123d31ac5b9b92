// Files mlsim writes (reports, calibrated entries) are written atomically: to a temporary file in
// the same directory, flushed, then renamed over the target. An existing file is kept unless the
// caller allows overwriting (`--force`).
#pragma once

#include <string>

namespace mlsim {

struct WriteResult {
  bool ok = false;
  std::string error;   // why not, for the user
};

WriteResult write_file_atomically(const std::string& path, const std::string& contents, bool overwrite);

}  // namespace mlsim
