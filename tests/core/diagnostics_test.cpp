// Tests of core/diagnostics: `file:line:col: severity: message`, the source line with a caret under
// the column, collecting several problems, and origins on the command line (line 0).
#include <doctest/doctest.h>

#include <string>

#include "core/diagnostics.hpp"

namespace mlsim {
namespace {

const std::string kSource =
    "schema_version: 1\n"
    "kind: acelerator\n"
    "memory: {capacity: 80 GiB}\n";

TEST_CASE("an error prints file:line:col, the source line and a caret under the column") {
  Diagnostics d;
  d.add_source("h100.yaml", kSource);
  d.error(Origin{"h100.yaml", 2, 7}, "unknown kind");
  REQUIRE(d.all().size() == 1);
  // Column 7 is the 'a' of "acelerator": two spaces of indent, then six spaces, then the caret.
  CHECK(d.format() ==
        "h100.yaml:2:7: error: unknown kind\n"
        "  kind: acelerator\n"
        "        ^\n");
  CHECK(d.format(d.all()[0]) == d.format());
}

TEST_CASE("column 1 puts the caret under the first character") {
  Diagnostics d;
  d.add_source("f.yaml", kSource);
  d.error(Origin{"f.yaml", 1, 1}, "m");
  CHECK(d.format() == "f.yaml:1:1: error: m\n  schema_version: 1\n  ^\n");
}

TEST_CASE("tabs in the source line are kept in the caret line so that the caret lines up") {
  Diagnostics d;
  d.add_source("t.yaml", "a:\n\tb: x\n");
  d.error(Origin{"t.yaml", 2, 5}, "bad");
  // Characters 1..4 of "\tb: x" are '\t', 'b', ':', ' ' -> '\t' then three spaces.
  CHECK(d.format() == "t.yaml:2:5: error: bad\n  \tb: x\n  \t   ^\n");
}

TEST_CASE("several problems are collected in order, errors counted apart from warnings and notes") {
  Diagnostics d;
  d.add_source("s.yaml", kSource);
  d.error(Origin{"s.yaml", 2, 7}, "first");
  d.warning(Origin{"s.yaml", 3, 9}, "second");
  d.note(Origin{"s.yaml", 1, 1}, "third");
  d.error(Origin{"s.yaml", 3, 20}, "fourth");
  CHECK(d.has_errors());
  CHECK(d.error_count() == 2);
  REQUIRE(d.all().size() == 4);
  CHECK(d.all()[0].severity == Severity::kError);
  CHECK(d.all()[1].severity == Severity::kWarning);
  CHECK(d.all()[2].severity == Severity::kNote);
  CHECK(d.all()[3].message == "fourth");
  CHECK(d.all()[3].origin.line == 3);
  CHECK(d.all()[3].origin.column == 20);
  CHECK(d.format() ==
        "s.yaml:2:7: error: first\n"
        "  kind: acelerator\n"
        "        ^\n"
        "s.yaml:3:9: warning: second\n"
        "  memory: {capacity: 80 GiB}\n"
        "          ^\n"
        "s.yaml:1:1: note: third\n"
        "  schema_version: 1\n"
        "  ^\n"
        "s.yaml:3:20: error: fourth\n"
        "  memory: {capacity: 80 GiB}\n"
        "                     ^\n");
  d.clear();
  CHECK_FALSE(d.has_errors());
  CHECK(d.error_count() == 0);
  CHECK(d.all().empty());
  CHECK(d.format().empty());
}

TEST_CASE("warnings and notes alone are not errors") {
  Diagnostics d;
  d.warning(Origin{"w.yaml", 4, 2}, "a figure is an assumption");
  d.note(Origin{"w.yaml", 5, 1}, "see sources");
  CHECK_FALSE(d.has_errors());
  CHECK(d.error_count() == 0);
  // No source text registered for w.yaml: only the header lines.
  CHECK(d.format() == "w.yaml:4:2: warning: a figure is an assumption\nw.yaml:5:1: note: see sources\n");
}

TEST_CASE("origins on the command line have no line and print no source") {
  const Origin cmd{"--set training.micro_batch=4", 0, 0};
  CHECK(cmd.str() == "--set training.micro_batch=4");
  CHECK(Origin{"<command line>", 0, 0}.str() == "<command line>");
  CHECK(Origin{"a.yaml", 12, 3}.str() == "a.yaml:12:3");
  Diagnostics d;
  d.add_source("--set training.micro_batch=4", "4");
  d.error(cmd, "unknown key");
  CHECK(d.format() == "--set training.micro_batch=4: error: unknown key\n");
}

TEST_CASE("a line past the end of the source prints no source line") {
  Diagnostics d;
  d.add_source("short.yaml", "a: 1\nb: 2");   // two lines, no final newline
  d.error(Origin{"short.yaml", 5, 1}, "past the end");
  CHECK(d.format() == "short.yaml:5:1: error: past the end\n");
  // The last line itself, without its newline, is still shown.
  Diagnostics last;
  last.add_source("short.yaml", "a: 1\nb: 2");
  last.error(Origin{"short.yaml", 2, 4}, "here");
  CHECK(last.format() == "short.yaml:2:4: error: here\n  b: 2\n     ^\n");
}

TEST_CASE("a broken invariant throws InternalError naming the expression") {
  const int two = 2;
  CHECK_NOTHROW(MLSIM_CHECK(two == 2));
  try {
    MLSIM_CHECK(two == 3);
    FAIL("MLSIM_CHECK did not throw");
  } catch (const InternalError& e) {
    const std::string what = e.what();
    CHECK(what.rfind("internal error: invariant `two == 3` failed at ", 0) == 0);
    CHECK(what.find("diagnostics_test.cpp:") != std::string::npos);
  }
}

}  // namespace
}  // namespace mlsim
