#include "core/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mlsim {

WriteResult write_file_atomically(const std::string& path, const std::string& contents, bool overwrite) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!overwrite && fs::exists(path, ec)) {
    return {false, path + ": file exists; pass --force to overwrite it"};
  }
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  // Built by appending: GCC 12 warns falsely on "literal" + std::string&& (GCC bug 105329).
  std::string name(".");
  name += target.filename().string();
  name += ".tmp.XXXXXX";
  std::string tmpl = (dir / name).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return {false, path + ": cannot create a temporary file: " + std::strerror(errno)};
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmpl.c_str());
      return {false, path + ": write failed: " + why};
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    return {false, path + ": cannot flush: " + std::strerror(errno)};
  }
  ::chmod(tmpl.c_str(), 0644);
  if (!overwrite) {
    // link() fails if the target appeared meanwhile, so a user's file is never replaced.
    if (::link(tmpl.c_str(), path.c_str()) != 0) {
      const std::string why = std::strerror(errno);
      ::unlink(tmpl.c_str());
      return {false, path + ": " + why + (errno == EEXIST ? "; pass --force to overwrite it" : "")};
    }
    ::unlink(tmpl.c_str());
    return {true, ""};
  }
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmpl.c_str());
    return {false, path + ": cannot rename into place: " + why};
  }
  return {true, ""};
}

}  // namespace mlsim
