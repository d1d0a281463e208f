#!/usr/bin/env bash
# bench-score.sh [OUT_DIR] - engram score's tokens/s against engram eval's
# on the same model and text, 1 rank x 1 thread: zaremba-small's and
# zaremba-medium's shapes on Penn Treebank (untrained weights: one step,
# the speed does not depend on them), scoring the test split's 3,761
# sentences (82k tokens with their ends) each from a fresh state in
# batches of 64, and eval of the same split at batch 20, bptt 35.  ROUNDS
# (default 3) rounds alternating; prints each round and the medians.  The
# target: score at least half of eval's tokens/s.
#   scripts/bench-score.sh runs/bench-score
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/bench-score}
rounds=${ROUNDS:-3}
ptb=${PTB:-../shared/data/ptb}
mkdir -p "$out"
scripts/build.sh build >/dev/null
engram=$PWD/build/engram
export OPENBLAS_NUM_THREADS=1
[ -f "$out/ptb.h5" ] || "$engram" prepare --quiet --tokenizer word -o "$out/ptb.h5" \
	"$ptb/ptb.train.txt" "$ptb/ptb.valid.txt" "$ptb/ptb.test.txt"
toks=$(awk '{ n += NF + 1 } END { print n }' "$ptb/ptb.test.txt")
now() { date +%s.%N; }
for preset in zaremba-small zaremba-medium; do
	m="$out/$preset"
	[ -d "$m" ] || "$engram" train --data "$out/ptb.h5" --run-dir "$m" --preset "$preset" \
		--steps 1 --threads 1 --quiet > /dev/null
	ev=() sc=()
	for r in $(seq "$rounds"); do
		t0=$(now)
		"$engram" eval --ckpt "$m" --data "$out/ptb.h5" --split test --batch 20 --bptt 35 \
			--threads 1 --json > "$out/eval.json"
		t1=$(now)
		"$engram" score --ckpt "$m" --threads 1 "$ptb/ptb.test.txt" > "$out/score.txt"
		t2=$(now)
		e=$(awk -v a="$t0" -v b="$t1" -v n="$toks" 'BEGIN { printf "%.0f", n / (b - a) }')
		s=$(awk -v a="$t1" -v b="$t2" -v n="$toks" 'BEGIN { printf "%.0f", n / (b - a) }')
		echo "$preset round $r: eval $e tok/s, score $s tok/s (wall, start-up included)"
		ev+=("$e") sc+=("$s")
	done
	me=$(printf '%s\n' "${ev[@]}" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")
	ms=$(printf '%s\n' "${sc[@]}" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")
	awk -v p="$preset" -v e="$me" -v s="$ms" \
		'BEGIN { printf "%s: medians eval %d tok/s, score %d tok/s: score/eval %.2f (target >= 0.5)\n", p, e, s, s / e }'
done
