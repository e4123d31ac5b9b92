// mlsim's entry point: everything lives in the library; see src/cli/app.cpp.
#include <iostream>

#include "cli/app.hpp"

int main(int argc, char** argv) { return mlsim::cli::run(argc, argv, std::cout, std::cerr); }
