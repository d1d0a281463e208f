#!/usr/bin/env bash
# wt2-adaptive.sh [NP] [OUT_DIR] - the adaptive softmax against the full one on
# WikiText-2 (33,278 words): the same model and update (--preset wt2-adaptive:
# 2 x 650, dropout 0.5, SGD lr 1, 6 epochs, lr halved per epoch after epoch 3),
# once with the adaptive softmax (cutoffs 2000,10000) into OUT_DIR/adaptive and
# once with the full softmax into OUT_DIR/full, one after the other on NP ranks
# (default 2) with the global batch 20.  About 1.3 hours for the adaptive run
# and 5 for the full one on 2 cores.  Resumable like ptb-medium.sh: SIGTERM (or
# Ctrl-C) stops at a checkpoint with exit 75, the same command continues.  When
# both are done: each one's test perplexity as one stream (RUN/test-batch1.json),
# its wall seconds per epoch (from the log lines' step times, which include
# the validation and the checkpoints each window waited for) into
# RUN/epoch-seconds.txt, the comparison in OUT_DIR/summary.txt and the
# curves in OUT_DIR/curves.png.  Reads ../shared/data/wikitext-2/.
#   nohup scripts/wt2-adaptive.sh 2 > runs/wt2-adaptive.log 2>&1 &
#   STEPS=20 scripts/wt2-adaptive.sh 2 runs/smoke-wt2           # smoke test
# 2 x 200 (zaremba-small's model, with 100- and 50-wide clusters) takes 1.7 hours:
#   EXTRA="--hidden 200 --embed 200 --dropout 0 --init-scale 0.1" AD_EXTRA="--div-value 2" \
#     nohup scripts/wt2-adaptive.sh 2 runs/wt2-small-np2 > runs/wt2-small.log 2>&1 &
# Env: STEPS (stop each run after N steps), CKPT_EVERY (default 250), EXTRA (more
# train flags for both), AD_EXTRA (for the adaptive run only), WT2 (text dir),
# DATA (data set, default runs/wt2.h5).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/resumable.sh
np=${1:-2}
out=${2:-runs/wt2-adaptive-np$np}
wt2=${WT2:-../shared/data/wikitext-2}
data=${DATA:-runs/wt2.h5}
[ $((20 % np)) -eq 0 ] || { echo "wt2-adaptive: NP must divide the global batch 20 (got $np)" >&2; exit 2; }
mkdir -p "$out/adaptive" "$out/full"
scripts/build.sh build >/dev/null
engram=build/engram
[ -s "$data" ] || $engram prepare --tokenizer word -o "$data" \
	"$wt2/train.txt" "$wt2/valid.txt" "$wt2/test.txt"

# run NAME [FLAGS...]: one of the two, resumable; returns when it is done
run() {
	local name=$1 rc=0
	shift
	resumable_train "$out/$name" -n "$np" train --data "$data" --run-dir "$out/$name" \
		--preset wt2-adaptive --batch $((20 / np)) --resume auto \
		--ckpt-every "${CKPT_EVERY:-250}" --log-seconds 60 ${STEPS:+--steps $STEPS} \
		"$@" ${EXTRA:-} || rc=$?
	resumable_done "$rc"
}

# wall seconds per epoch, from the log lines (each line's mean step time
# times the steps since the line before; a line's window includes the
# validation and checkpoints written since the line before)
epoch_seconds() {
	grep -F '"ms_per_step"' "$1/metrics.jsonl" |
		sed -n 's/.*"step":\([0-9]*\),"epoch":\([0-9]*\),.*"ms_per_step":\([0-9.]*\).*/\1 \2 \3/p' |
		awk '{ t[$2] += ($1 - prev) * $3 / 1000; prev = $1 }
		     END { for (e in t) printf "%d %.1f\n", e, t[e] }' | sort -n
}

summary() { # NAME: valid ppl of the last epoch, test ppl, median seconds per epoch
	local r=$out/$1 v t s
	v=$(grep -F '"split":"valid"' "$r/metrics.jsonl" | tail -1 | sed 's/.*"ppl":\([0-9.]*\).*/\1/')
	t=$(sed 's/.*"ppl":\([0-9.]*\).*/\1/' "$r/test-batch1.json")
	s=$(awk '{ print $2 }' "$r/epoch-seconds.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	printf "%-9s valid %8.2f  test %8.2f  %8.0f s per epoch\n" "$1" "$v" "$t" "$s"
}

run adaptive ${AD_EXTRA:-}
run full --softmax full
for name in adaptive full; do
	$engram eval --ckpt "$out/$name" --data "$data" --split test --batch 1 --bptt 35 --json \
		> "$out/$name/test-batch1.json"
	epoch_seconds "$out/$name" > "$out/$name/epoch-seconds.txt"
done
{ summary adaptive; summary full; } | tee "$out/summary.txt"
awk 'NR == 1 { va = $3; sa = $6 } NR == 2 { printf "adaptive / full: validation %+.2f%%, %.2fx less time per epoch\n",
	100 * (va / $3 - 1), $6 / sa }' "$out/summary.txt" | tee -a "$out/summary.txt"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	/usr/bin/python3 scripts/plot-metrics.py "$out/adaptive" "$out/full" \
		--labels "adaptive softmax,full softmax" -o "$out/curves.png" ||
		echo "wt2-adaptive: the plot failed" >&2
fi
