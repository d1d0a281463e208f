#!/usr/bin/env bash
# build.sh [DIR] [CMAKE ARGS...] - configure and build engram (Release,
# -O3 -march=native, warnings are errors) into DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DENGRAM_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)" >/dev/null
echo "built $dir/engram"
