#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...] - build engram's fuzz harnesses with clang's
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer into build-fuzz/
# and run each TARGET for SECONDS (default 300; 0 = build only), one after
# another, at the lowest CPU priority.
#
#   targets  ds    the token data set reader (io/ds.c)         tests/fuzz/fuzz_ds.c
#            ckpt  the checkpoint and weights reader            tests/fuzz/fuzz_ckpt.c
#            cli   the command-line parser and run config       tests/fuzz/fuzz_cli.c
#            text  the tokenizers and the vocabulary table      tests/fuzz/fuzz_text.c
#            (default: all four)
#
# Seeds come from tests/fuzz/corpus/TARGET (read only) and the regression
# inputs tests/fuzz/regress/TARGET; inputs the fuzzer finds interesting go to
# build-fuzz/corpus/TARGET, crashes, leaks, timeouts and out-of-memory
# inputs to build-fuzz/artifacts/TARGET/, the log to build-fuzz/logs/, and
# a line per finding (where it happened: engram or libhdf5) to
# build-fuzz/triage-TARGET.txt.  Exit 1 when a finding is in engram's code.
# Limits: 2048 MB RSS, 1024 MB for one allocation, 10 s per input.
# Extra libFuzzer flags: FUZZ_FLAGS="-max_len=65536 ...".  Triage, minimize
# and keep a finding as a regression input: see tests/fuzz/README.md.
#
# Needs (Debian 12; installs nothing): clang-14 and libclang-rt-14-dev (the
# libFuzzer and sanitizer runtimes; `clang` may be any clang with
# -fsanitize=fuzzer, set CC), and what the build needs (cmake, Open MPI,
# libhdf5-dev, zlib1g-dev, libopenblas-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ds ckpt cli text)

cc=${CC:-}
if [ -z "$cc" ]; then
	for c in clang-14 clang; do
		command -v "$c" >/dev/null && { cc=$c; break; }
	done
fi
[ -n "$cc" ] || { echo "fuzz.sh: clang not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }

out=build-fuzz
mkdir -p "$out/logs"

# The harnesses link the project's own libraries (engram_cli, engram_core,
# engram_nn: tests/CMakeLists.txt, ENGRAM_FUZZ), built here by CMake with
# clang, coverage instrumentation and the sanitizers, so that no second
# list of sources can fall behind the build's.
san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CC=$cc cmake -S . -B "$out/cmake" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
	-DCMAKE_C_FLAGS="$san" -DENGRAM_NATIVE=OFF -DENGRAM_FUZZ=ON >/dev/null
for t in "${targets[@]}"; do
	case $t in
	ds | ckpt | cli | text) ;;
	*) echo "fuzz.sh: unknown target '$t' (ds, ckpt, cli, text)" >&2; exit 1 ;;
	esac
	nice -n 19 cmake --build "$out/cmake" -j "$(nproc)" --target "fuzz_$t" >/dev/null
	ln -sf "cmake/tests/fuzz_$t" "$out/fuzz_$t"
	echo "built $out/fuzz_$t"
done
[ "$secs" -gt 0 ] || exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:fast_unwind_on_malloc=0:malloc_context_size=20}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0}
export HDF5_USE_FILE_LOCKING=FALSE
# Where a finding happened: the first stack frame that is neither the
# sanitizers', libFuzzer's nor libc's.  "engram" when that frame is in this
# repository's code, "libhdf5" when it is in the HDF5 library.
triage() {
	local log kind frames where via
	log=$(timeout 60 nice -n 19 "$out/fuzz_$1" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
		-timeout=10 "$2" 2>&1 || true)
	kind=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [A-Za-z-]+|runtime error: [a-z -]+|fuzz: [^(]*' <<<"$log" | head -1)
	[ -n "$kind" ] || kind="no longer reproduces"
	frames=$(grep -E '^ +#[0-9]+ ' <<<"$log" |
		grep -vE 'libclang_rt|compiler-rt|sanitizer|fuzzer::|__interceptor|__asan|__lsan|__ubsan|libc\.so|/libc-|string/|csu/|_start|abort|raise|in (malloc|calloc|realloc|free|memcpy|memmove|memset|strlen) ' || true)
	# the first frame in libhdf5 or in this repository's sources
	where=$(grep -m1 -E 'libhdf5|(io|trainer|tests/fuzz)/[a-z0-9_]+\.c:[0-9]+' <<<"$frames" || true)
	via=$(grep -m1 -oE "(io|trainer|tests/fuzz)/[a-z0-9_]+\.[ch]:[0-9]+" <<<"$frames" || true)
	case $where in
	'') echo "?       | $kind" ;;
	*libhdf5*) echo "libhdf5 | $kind | $(grep -oE 'in H5[A-Za-z0-9_]+' <<<"$frames" | head -1 | sed 's/^in //') via ${via:-?}" ;;
	*) echo "engram  | $kind | ${via:-$where}" ;;
	esac
}

# libhdf5 1.10.8 has bugs of its own on malformed files (tests/fuzz/README.md);
# so that they do not stop the search for engram's, fuzzing runs in fork
# mode and keeps going after a crash (FUZZ_STOP=1: stop at the first one).
# Every finding is kept in artifacts/ and triaged below, none is dropped.
keep_going=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
[ "${FUZZ_STOP:-0}" = 1 ] && keep_going=()
status=0
for t in "${targets[@]}"; do
	mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
	seeds=()
	for d in tests/fuzz/corpus/"$t" tests/fuzz/regress/"$t"; do
		[ -d "$d" ] && seeds+=("$d")
	done
	dict=()
	[ -f tests/fuzz/"$t".dict ] && dict=(-dict=tests/fuzz/"$t".dict)
	echo "fuzzing $t for ${secs} s (log: $out/logs/$t.log)"
	# shellcheck disable=SC2086
	nice -n 19 "$out/fuzz_$t" "$out/corpus/$t" "${seeds[@]}" "${dict[@]}" "${keep_going[@]}" \
		-max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
		-artifact_prefix="$out/artifacts/$t/" -print_final_stats=1 ${FUZZ_FLAGS:-} \
		>"$out/logs/$t.log" 2>&1 || true
	grep -E '^#[0-9]+.*(DONE|INITED|cov:)' "$out/logs/$t.log" | tail -1 | sed 's/^/  last: /' || true
	grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb' \
		"$out/logs/$t.log" | sed 's/^/  /' || true
	: >"$out/triage-$t.txt"
	for a in "$out/artifacts/$t"/*; do
		[ -f "$a" ] || continue
		echo "$(basename "$a") | $(triage "$t" "$a")" >>"$out/triage-$t.txt"
	done
	if [ -s "$out/triage-$t.txt" ]; then
		echo "  findings ($out/triage-$t.txt):"
		sed 's/^/    /' "$out/triage-$t.txt"
		grep -q '| engram ' "$out/triage-$t.txt" && status=1
	fi
done
exit $status
