// Validates one spec file of any kind: reads it with its kind's reader (every diagnostic at once)
// and checks that every figure of a zoo entry has a source. Scenarios are resolved against the zoo.
#pragma once

#include <optional>
#include <string>

#include "spec/tree.hpp"
#include "spec/zoo.hpp"

namespace mlsim::spec {

void lint_text(const std::string& text, const std::string& file, const Zoo& zoo, Diagnostics& diags);

// The source of a figure at `path` (dotted, relative to its entry), from the entry's `sources`.
std::optional<std::string> source_of(const Node& entry, const std::string& path);

// Reports every numeric figure of an entry that no key of `sources` covers.
void check_sources(const Node& entry, Diagnostics& diags);

}  // namespace mlsim::spec
