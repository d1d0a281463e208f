#!/usr/bin/env bash
# test.sh - build engram twice (optimized, and with AddressSanitizer +
# UndefinedBehaviorSanitizer) and run the whole CTest suite on both.
# Multi-rank tests start their own mpiexec; nothing to set by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/build.sh build
(cd build && ctest --output-on-failure -j "$jobs")

# The sanitizer build: leaks inside Open MPI's and HDF5's own start-up are
# theirs, not ours, so leak checking stays off; memory errors and UB abort.
# -O1, not Debug's -O0: the same checks (asserts stay on), at a third of the
# time (train_e2e 347 s -> 126 s, test_model 110 s -> 41 s here), which
# keeps the whole suite in its 10 minutes on 2 cores
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-O1 -g" \
	-DENGRAM_SANITIZE=ON -DENGRAM_NATIVE=OFF
# The fault suite (label faults) is about timing and processes, not memory,
# the PyTorch converter's test (label torch) about a Python script and the
# Slurm test (label slurm) about the launcher: they run in the optimized
# build only, to keep the whole suite in budget.
(cd build-asan &&
 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --output-on-failure -j "$jobs" -LE 'faults|torch|slurm')
