#!/usr/bin/env bash
# Installs what mlsim needs to build and test from Debian's archive, only what is missing.
set -euo pipefail
packages=(cmake g++ ninja-build libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libeigen3-dev libboost-graph-dev doctest-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
fi
