#!/usr/bin/env bash
# README command 1: install what is missing, build mlsim (release), and analyze the default scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
./build/release/src/mlsim analyze scenarios/quickstart.yaml
