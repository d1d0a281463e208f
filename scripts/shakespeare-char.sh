#!/usr/bin/env bash
# shakespeare-char.sh [NP] [RUN_DIR] - character-level Tiny Shakespeare with
# --preset char-rnn (Karpathy's 2 x 512 LSTM, embed 128, dropout 0.2, batch 50,
# bptt 50, Adam 2e-3, clip 5, 20 epochs, lr halved when validation stops
# improving) on NP ranks (default 2) with the same global batch 50.
# The text (../shared/data/tinyshakespeare/input.txt) is split 90/5/5 at line
# ends; tokens are Unicode code points (65 of them).  Resumable: checkpoints at
# each epoch end and every CKPT_EVERY steps (default 100, a quarter of an
# epoch); rerunning the same command continues (--resume auto); SIGTERM or
# Ctrl-C to this script stops it cleanly at a checkpoint (exit 75).
# At the end it reports the validation loss in nats per character (and bits):
# after the last epoch and the best epoch in the training layout, and the best
# checkpoint's score with the split read as one stream (RUN_DIR/valid-batch1.json,
# test-batch1.json), and writes a 500-character sample from the best checkpoint
# to RUN_DIR/sample.txt, and the curves to RUN_DIR/curves.png (with Debian's
# python3-matplotlib).  About an hour on 2 cores: run it in the background.
#   nohup scripts/shakespeare-char.sh 2 > runs/shakespeare-char-np2.log 2>&1 &
#   STEPS=20 scripts/shakespeare-char.sh 2 runs/smoke-shakespeare   # smoke test
# Env: STEPS (stop after N steps in total), CKPT_EVERY, EXTRA (more train flags),
# TEXT (input file), DATA (data set, default runs/shakespeare.h5), TEMPERATURE
# (of the sample, default 0.8), SEED (of the sample, default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/resumable.sh
np=${1:-2}
run=${2:-runs/shakespeare-char-np$np}
text=${TEXT:-../shared/data/tinyshakespeare/input.txt}
data=${DATA:-runs/shakespeare.h5}
[ $((50 % np)) -eq 0 ] || { echo "shakespeare-char: NP must divide the global batch 50 (got $np)" >&2; exit 2; }
mkdir -p "$run"
scripts/build.sh build >/dev/null
engram=build/engram
[ -s "$data" ] || $engram prepare --tokenizer char --split 0.9,0.05,0.05 -o "$data" "$text"

rc=0
resumable_train "$run" -n "$np" train --data "$data" --run-dir "$run" \
	--preset char-rnn --batch $((50 / np)) --resume auto \
	--ckpt-every "${CKPT_EVERY:-100}" --log-seconds 60 ${STEPS:+--steps $STEPS} ${EXTRA:-} || rc=$?
resumable_done "$rc"

ckpt=$run/best.h5	# the best validation; the newest checkpoint when there is none
[ -e "$ckpt" ] || ckpt=$run
for split in valid test; do
	$engram eval --ckpt "$ckpt" --data "$data" --split $split --batch 1 --bptt 50 --json \
		>"$run/$split-batch1.json"
done
$engram sample --ckpt "$ckpt" --length 500 --temperature "${TEMPERATURE:-0.8}" \
	--seed "${SEED:-1}" >"$run/sample.txt"

# validation in the training layout, per epoch: the last one and the best one
grep -F '"split":"valid"' "$run/metrics.jsonl" |
	sed -n 's/.*"epoch":\([0-9]*\),"loss":\([0-9.]*\).*/\1 \2/p' |
	awk -v b1="$(sed -n 's/.*"loss":\([0-9.]*\).*/\1/p' "$run/valid-batch1.json")" \
	    -v t1="$(sed -n 's/.*"loss":\([0-9.]*\).*/\1/p' "$run/test-batch1.json")" -v ck="$ckpt" '
	function line(what, x) { printf "%-46s %.4f nats/char  %.4f bits/char\n", what, x, x / log(2) }
	{ last = $2; le = $1; if (best == "" || $2 < best) { best = $2; be = $1 } }
	END {
		if (le != "") {
			line("validation, last epoch (" le ", training layout)", last)
			line("validation, best epoch (" be ", training layout)", best)
		}
		line("validation, " ck ", one stream", b1)
		line("test, " ck ", one stream", t1)
	}'
echo "sample (500 characters, temperature ${TEMPERATURE:-0.8}) in $run/sample.txt:"
cat "$run/sample.txt"

# the curves, where Debian's matplotlib is installed
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	/usr/bin/python3 scripts/plot-metrics.py "$run" --train loss \
		--hline "1.47:nanoGPT char Transformer (its 10% val split)" \
		-o "$run/curves.png" || echo "shakespeare-char: the plot failed" >&2
fi
