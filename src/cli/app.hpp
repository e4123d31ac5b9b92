// The command line: one function that runs mlsim with its arguments and streams, so tests can
// drive every subcommand in-process. Exit codes: 0 ok, 1 internal error, 2 bad input.
#pragma once

#include <iosfwd>

namespace mlsim::cli {

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace mlsim::cli
