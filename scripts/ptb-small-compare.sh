#!/usr/bin/env bash
# ptb-small-compare.sh [PREFIX] - Zaremba "small" on Penn Treebank on 1 rank and
# on 2 ranks with the same global batch 20 (1 x 20 and 2 x 10 streams): runs
# scripts/ptb-small.sh for NP=1 and then NP=2 into PREFIX-np1 and PREFIX-np2
# (default runs/ptb-small-cmp; logs PREFIX-npN.log), then prints both runs'
# final perplexities - validation after the last epoch (training layout, from
# metrics.jsonl) and test scored as one stream (test-batch1.json) - and their
# relative differences, which should be within 1%.
# A run whose test-batch1.json exists is not run again; an interrupted one
# continues from its newest checkpoint (--resume auto), so rerunning finishes
# the job.  Two full runs: long, run it in the background.
#   scripts/ptb-small-compare.sh > runs/ptb-small-cmp.out 2>&1 &
#   STEPS=50 scripts/ptb-small-compare.sh runs/smoke-cmp   # smoke test: 50 steps each
# Env: STEPS (stop each run after N steps), EXTRA (more train flags), PTB (text dir).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-runs/ptb-small-cmp}

for np in 1 2; do
	run=$prefix-np$np
	if [ -s "$run/test-batch1.json" ]; then
		echo "== $run: finished already (remove $run/test-batch1.json to score it again)"
		continue
	fi
	echo "== $run: zaremba-small on $np rank(s), batch $((20 / np)) per rank (log $run.log)"
	mkdir -p "$(dirname "$run")"
	EXTRA="--resume auto ${STEPS:+--steps $STEPS} ${EXTRA:-}" \
		scripts/ptb-small.sh "$np" "$run" >>"$run.log" 2>&1 ||
		{ rc=$?; echo "ptb-small-compare: $run failed (exit $rc); see $run.log" >&2; exit "$rc"; }
	tail -n 3 "$run.log"
done

# The value of "key" in the last line of FILE that contains PATTERN.
field() {
	grep -F -- "$2" "$1" 2>/dev/null | tail -n 1 |
		sed -n "s/.*\"$3\":\\([-0-9.eE+naif]*\\).*/\\1/p"
}
v1=$(field "$prefix-np1/metrics.jsonl" '"split":"valid"' ppl)
v2=$(field "$prefix-np2/metrics.jsonl" '"split":"valid"' ppl)
e1=$(field "$prefix-np1/metrics.jsonl" '"split":"valid"' epoch)
e2=$(field "$prefix-np2/metrics.jsonl" '"split":"valid"' epoch)
t1=$(field "$prefix-np1/test-batch1.json" '"ppl"' ppl)
t2=$(field "$prefix-np2/test-batch1.json" '"ppl"' ppl)
awk -v p="$prefix" -v v1="$v1" -v v2="$v2" -v e1="$e1" -v e2="$e2" -v t1="$t1" -v t2="$t2" '
function rel(a, b) { return (a == "" || b == "" || a + 0 == 0) ? "n/a" : sprintf("%+.3f%%", 100 * (b - a) / a) }
function ok(a, b) { return (a == "" || b == "") ? 0 : ((b - a) / a <= 0.01 && (a - b) / a <= 0.01) }
BEGIN {
	printf "\n%-28s %6s %6s %12s %14s\n", "run", "ranks", "epoch", "valid ppl", "test ppl (b=1)"
	printf "%-28s %6d %6s %12s %14s\n", p "-np1", 1, e1, v1, t1
	printf "%-28s %6d %6s %12s %14s\n", p "-np2", 2, e2, v2, t2
	printf "%-28s %6s %6s %12s %14s\n", "relative difference", "", "", rel(v1, v2), rel(t1, t2)
	printf "%-28s %6s %6s %12s %14s\n", "paper (Zaremba et al.)", "", "13", "120.7", "114.5"
	agree = ok(v1, v2) && ok(t1, t2)
	printf "\n1 and 2 ranks agree within 1%%: %s\n", agree ? "yes" : "NO"
	exit agree ? 0 : 1
}'
