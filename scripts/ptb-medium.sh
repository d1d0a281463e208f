#!/usr/bin/env bash
# ptb-medium.sh [NP] [RUN_DIR] - Zaremba et al. 2014 "medium" on Penn Treebank
# (2 x 650, dropout 0.5 on the non-recurrent connections, init 0.05, batch 20,
# bptt 35, SGD lr 1, clip 5, 39 epochs, lr / 1.2 per epoch after epoch 6; paper:
# valid 86.2, test 82.7) on NP ranks (default 2) with the same global batch 20.
# About 5 hours on 2 ranks on 2 cores (about 2,000 tokens/s), so it is
# resumable: it checkpoints at each epoch end and every CKPT_EVERY steps
# (default 250, about a fifth of an epoch), and
# rerunning the same command continues from the newest checkpoint (--resume
# auto).  To stop it cleanly, send SIGTERM (or Ctrl-C) to this script: every
# rank finishes its step, rank 0 writes a checkpoint, and the script exits 75.
# When all epochs are done it scores the test split as one stream (batch 1,
# state carried through the whole split), as in the paper's code, into
# RUN_DIR/test-batch1.json, and draws the curves into RUN_DIR/curves.png
# (with Debian's python3-matplotlib).  Reads ../shared/data/ptb/.
#   nohup scripts/ptb-medium.sh 2 > runs/ptb-medium-np2.log 2>&1 &
#   STEPS=20 scripts/ptb-medium.sh 2 runs/smoke-medium     # smoke test
# PRESET=medium-reg runs the same model tied and with AWD-LSTM's regularizers
# (README: Results; target test <= 75, Inan et al. 2016: valid 77.1, test 73.9)
# into runs/ptb-medium-reg-np$NP by default; PRESET=awd-ptb the AWD-LSTM of
# Merity et al. 2017 (3 x 1150/400, 500 epochs: valid 60.0, test 57.3; about
# 20 minutes an epoch here) into runs/ptb-awd-np$NP, EPOCHS=N to stop sooner.
# Env: STEPS (stop after N steps in total), CKPT_EVERY, EXTRA (more train flags),
# PTB (text dir), DATA (data set, default runs/ptb.h5), PRESET.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/resumable.sh
np=${1:-2}
preset=${PRESET:-zaremba-medium}
case $preset in
zaremba-medium) run=${2:-runs/ptb-medium-np$np} ref_valid=86.2 ref="paper (Zaremba et al. 2014, medium): valid 86.2, test 82.7" ;;
medium-reg) run=${2:-runs/ptb-medium-reg-np$np} ref_valid=77.1 ref="Inan et al. 2016 (VD-LSTM+RE, 650 units): valid 77.1, test 73.9; target test <= 75" ;;
awd-ptb) run=${2:-runs/ptb-awd-np$np} ref_valid=60.0 ref="Merity et al. 2017 (AWD-LSTM, 500 epochs, before finetuning): valid 60.0, test 57.3" ;;
*) echo "ptb-medium: PRESET must be zaremba-medium, medium-reg or awd-ptb (got $preset)" >&2; exit 2 ;;
esac
bptt=35 extra=()
# awd-ptb: validation in 10 streams in all (--eval-batch is per rank), bptt 70
[ "$preset" = awd-ptb ] && bptt=70 extra=(--eval-batch $((10 / np > 0 ? 10 / np : 1)))
ptb=${PTB:-../shared/data/ptb}
data=${DATA:-runs/ptb.h5}
[ $((20 % np)) -eq 0 ] || { echo "ptb-medium: NP must divide the global batch 20 (got $np)" >&2; exit 2; }
mkdir -p "$run"
scripts/build.sh build >/dev/null
engram=build/engram
[ -s "$data" ] || $engram prepare --tokenizer word --vocab-size 10000 -o "$data" \
	"$ptb/ptb.train.txt" "$ptb/ptb.valid.txt" "$ptb/ptb.test.txt"

# validation perplexity per epoch so far (training layout)
progress() {
	grep -F '"split":"valid"' "$run/metrics.jsonl" 2>/dev/null |
		sed -n 's/.*"step":\([0-9]*\),"epoch":\([0-9]*\),.*"ppl":\([0-9.]*\).*/\2 \1 \3/p' |
		awk 'BEGIN { print "epoch   step  valid ppl" } { printf "%5d %6d %10.2f\n", $1, $2, $3 }' || true
}

rc=0
resumable_train "$run" -n "$np" train --data "$data" --run-dir "$run" \
	--preset "$preset" --batch $((20 / np)) "${extra[@]}" ${EPOCHS:+--epochs $EPOCHS} --resume auto \
	--ckpt-every "${CKPT_EVERY:-250}" --log-seconds 60 ${STEPS:+--steps $STEPS} ${EXTRA:-} || rc=$?
progress
resumable_done "$rc"
$engram eval --ckpt "$run" --data "$data" --split test --batch 1 --bptt "$bptt" --json \
	| tee "$run/test-batch1.json"
echo "$ref"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	/usr/bin/python3 scripts/plot-metrics.py "$run" --hline "$ref_valid":"paper valid" \
		-o "$run/curves.png" || echo "ptb-medium: the plot failed" >&2
fi
