#include "core/atomic_stream.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mlsim {

AtomicStreamFile::~AtomicStreamFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

std::string AtomicStreamFile::open(const std::string& path, bool overwrite) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!overwrite && fs::exists(path, ec)) return path + ": file exists; pass --force to overwrite it";
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string name(".");
  name += target.filename().string();
  name += ".tmp.XXXXXX";
  tmp_ = (dir / name).string();
  fd_ = ::mkstemp(tmp_.data());
  if (fd_ < 0) return path + ": cannot create a temporary file: " + std::strerror(errno);
  path_ = path;
  overwrite_ = overwrite;
  return "";
}

bool AtomicStreamFile::write(std::string_view text) {
  if (fd_ < 0 || !error_.empty()) return false;
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = path_ + ": write failed: " + std::strerror(errno);
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  return true;
}

std::string AtomicStreamFile::commit() {
  if (fd_ < 0) return path_ + ": not open";
  if (!error_.empty()) return error_;
  const int fd = fd_;
  fd_ = -1;
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp_.c_str());
    return path_ + ": cannot flush: " + std::strerror(errno);
  }
  ::chmod(tmp_.c_str(), 0644);
  if (!overwrite_) {
    // link() fails if the target appeared meanwhile, so a user's file is never replaced.
    if (::link(tmp_.c_str(), path_.c_str()) != 0) {
      const std::string why = std::strerror(errno);
      ::unlink(tmp_.c_str());
      return path_ + ": " + why + (errno == EEXIST ? "; pass --force to overwrite it" : "");
    }
    ::unlink(tmp_.c_str());
    return "";
  }
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp_.c_str());
    return path_ + ": cannot rename into place: " + why;
  }
  return "";
}

}  // namespace mlsim
