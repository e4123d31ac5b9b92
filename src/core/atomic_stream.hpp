// A file written atomically while it streams: rows go to a temporary file in the target's
// directory, which is flushed and renamed into place only by commit(); abandoned (destroyed
// without commit) it is removed, so a failed or interrupted run never leaves a half file.
#pragma once

#include <string>
#include <string_view>

namespace mlsim {

class AtomicStreamFile {
 public:
  AtomicStreamFile() = default;
  AtomicStreamFile(const AtomicStreamFile&) = delete;
  AtomicStreamFile& operator=(const AtomicStreamFile&) = delete;
  ~AtomicStreamFile();

  // Creates the temporary file; an error message (empty when fine) otherwise. An existing target is
  // kept unless `overwrite`.
  std::string open(const std::string& path, bool overwrite);
  // Appends; returns false (and remembers why) on a write error.
  bool write(std::string_view text);
  // Flushes, closes and renames into place; an error message (empty when fine) otherwise.
  std::string commit();

 private:
  std::string path_, tmp_, error_;
  int fd_ = -1;
  bool overwrite_ = false;
};

}  // namespace mlsim
