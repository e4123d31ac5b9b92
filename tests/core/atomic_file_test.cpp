// Tests of core/atomic_file: writes land whole in a fresh directory, an existing file is kept unless
// overwriting is allowed, no temporary files are left behind, and failures come back as messages.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "../support.hpp"
#include "core/atomic_file.hpp"

namespace mlsim {
namespace {

namespace fs = std::filesystem;


std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

using test::TempDir;

TEST_CASE("writes a new file with exactly the contents, and nothing else") {
  TempDir dir;
  const std::string target = dir.file("report.json");
  const std::string contents = std::string("{\"a\": 1}\n") + std::string(1, '\0') + "binary tail";
  const WriteResult r = write_file_atomically(target, contents, false);
  CHECK(r.ok);
  CHECK(r.error.empty());
  CHECK(read_all(target) == contents);
  CHECK(names_in(dir.path()) == std::vector<std::string>{"report.json"});
}

TEST_CASE("an empty file is a valid write") {
  TempDir dir;
  const WriteResult r = write_file_atomically(dir.file("empty.txt"), "", false);
  CHECK(r.ok);
  CHECK(fs::file_size(dir.file("empty.txt")) == 0);
}

TEST_CASE("an existing file is kept byte-identical without overwrite") {
  TempDir dir;
  const std::string target = dir.file("out.yaml");
  {
    std::ofstream out(target, std::ios::binary);
    out << "original\n";
  }
  const WriteResult r = write_file_atomically(target, "replacement\n", false);
  CHECK_FALSE(r.ok);
  CHECK(r.error == target + ": file exists; pass --force to overwrite it");
  CHECK(read_all(target) == "original\n");
  CHECK(names_in(dir.path()) == std::vector<std::string>{"out.yaml"});
}

TEST_CASE("overwrite replaces an existing file and leaves no temporary behind") {
  TempDir dir;
  const std::string target = dir.file("out.yaml");
  REQUIRE(write_file_atomically(target, "first version, longer than the second\n", false).ok);
  const WriteResult r = write_file_atomically(target, "second\n", true);
  CHECK(r.ok);
  CHECK(r.error.empty());
  CHECK(read_all(target) == "second\n");
  CHECK(names_in(dir.path()) == std::vector<std::string>{"out.yaml"});
  // The written file is readable by others (0644), not mkstemp's 0600.
  const fs::perms p = fs::status(target).permissions();
  CHECK((p & fs::perms::owner_read) != fs::perms::none);
  CHECK((p & fs::perms::group_read) != fs::perms::none);
  CHECK((p & fs::perms::others_read) != fs::perms::none);
}

TEST_CASE("overwrite also creates a file that does not exist yet") {
  TempDir dir;
  const std::string target = dir.file("new.csv");
  CHECK(write_file_atomically(target, "a,b\n1,2\n", true).ok);
  CHECK(read_all(target) == "a,b\n1,2\n");
}

TEST_CASE("overwriting a directory fails and removes its temporary file") {
  TempDir dir;
  fs::create_directory(dir.path() / "taken");
  const std::string target = dir.file("taken");
  const WriteResult r = write_file_atomically(target, "x", true);
  CHECK_FALSE(r.ok);
  CHECK(r.error == target + ": cannot rename into place: Is a directory");
  CHECK(fs::is_directory(target));
  CHECK(names_in(dir.path()) == std::vector<std::string>{"taken"});
}

TEST_CASE("a directory that does not exist is reported, nothing is created") {
  TempDir dir;
  const std::string target = dir.file("missing/out.json");
  const WriteResult r = write_file_atomically(target, "x", true);
  CHECK_FALSE(r.ok);
  CHECK(r.error == target + ": cannot create a temporary file: No such file or directory");
  CHECK(names_in(dir.path()).empty());
}

TEST_CASE("a parent that is a file, not a directory, is reported and left alone") {
  // Directory permissions do not stop root (these tests may run as root), a regular file as the
  // parent stops everyone.
  TempDir dir;
  const std::string blocker = dir.file("blocker");
  {
    std::ofstream out(blocker, std::ios::binary);
    out << "keep";
  }
  const std::string target = blocker + "/out.json";
  const WriteResult r = write_file_atomically(target, "x", true);
  CHECK_FALSE(r.ok);
  CHECK(r.error == target + ": cannot create a temporary file: Not a directory");
  CHECK(read_all(blocker) == "keep");
  CHECK(names_in(dir.path()) == std::vector<std::string>{"blocker"});
}

}  // namespace
}  // namespace mlsim
