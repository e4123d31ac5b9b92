#!/usr/bin/env bash
# README command 2: install what is missing, build with warnings as errors, run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci
