// Diagnostics for bad input: `file:line:col: error: message`, then the source line and a caret,
// as ninja and compilers print them. A Diagnostics object collects every problem of a run, so a
// file's problems are reported all at once; the library never prints or exits by itself.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlsim {

// Where a value came from: a file position (1-based), or the command line.
struct Origin {
  std::string file;   // "<command line>" for --set
  int line = 0;       // 0 when unknown
  int column = 0;
  [[nodiscard]] std::string str() const;
};

enum class Severity { kError, kWarning, kNote };

struct Diagnostic {
  Severity severity = Severity::kError;
  Origin origin;
  std::string message;
};

class Diagnostics {
 public:
  void error(const Origin& where, std::string message);
  void warning(const Origin& where, std::string message);
  void note(const Origin& where, std::string message);

  // The text of a file, kept so that messages can show the offending line.
  void add_source(const std::string& file, std::string text);

  [[nodiscard]] bool has_errors() const { return errors_ > 0; }
  [[nodiscard]] std::size_t error_count() const { return errors_; }
  [[nodiscard]] const std::vector<Diagnostic>& all() const { return items_; }
  // Every diagnostic, formatted, one after another.
  [[nodiscard]] std::string format() const;
  [[nodiscard]] std::string format(const Diagnostic& d) const;
  void clear();

 private:
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
  std::map<std::string, std::string> sources_;
};

// Thrown where bad input makes it impossible to go on (the diagnostics are already recorded).
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A broken invariant inside mlsim: stays on in release builds; the CLI maps it to exit code 1.
[[noreturn]] void invariant_failed(const char* expr, const char* file, int line);
#define MLSIM_CHECK(cond) ((cond) ? static_cast<void>(0) : ::mlsim::invariant_failed(#cond, __FILE__, __LINE__))

struct InternalError : std::logic_error {
  using std::logic_error::logic_error;
};

}  // namespace mlsim
