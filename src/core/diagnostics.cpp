#include "core/diagnostics.hpp"

#include <sstream>

namespace mlsim {

std::string Origin::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

void Diagnostics::error(const Origin& where, std::string message) {
  items_.push_back({Severity::kError, where, std::move(message)});
  ++errors_;
}
void Diagnostics::warning(const Origin& where, std::string message) {
  items_.push_back({Severity::kWarning, where, std::move(message)});
}
void Diagnostics::note(const Origin& where, std::string message) {
  items_.push_back({Severity::kNote, where, std::move(message)});
}
void Diagnostics::add_source(const std::string& file, std::string text) { sources_[file] = std::move(text); }
void Diagnostics::clear() {
  items_.clear();
  errors_ = 0;
}

std::string Diagnostics::format(const Diagnostic& d) const {
  static const char* names[] = {"error", "warning", "note"};
  std::ostringstream out;
  out << d.origin.str() << ": " << names[static_cast<int>(d.severity)] << ": " << d.message << "\n";
  const auto it = sources_.find(d.origin.file);
  if (it == sources_.end() || d.origin.line <= 0) return out.str();
  std::istringstream lines(it->second);
  std::string text;
  int read = 0;
  while (read < d.origin.line && std::getline(lines, text)) ++read;
  if (read < d.origin.line) return out.str();   // past the end: no line to show
  out << "  " << text << "\n  ";
  for (int i = 1; i < d.origin.column && static_cast<std::size_t>(i) <= text.size(); ++i) {
    out << (text[static_cast<std::size_t>(i - 1)] == '\t' ? '\t' : ' ');
  }
  out << "^\n";
  return out.str();
}

std::string Diagnostics::format() const {
  std::string s;
  for (const auto& d : items_) s += format(d);
  return s;
}

void invariant_failed(const char* expr, const char* file, int line) {
  throw InternalError(std::string("internal error: invariant `") + expr + "` failed at " + file + ":" + std::to_string(line));
}

}  // namespace mlsim
