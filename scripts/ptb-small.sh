#!/usr/bin/env bash
# ptb-small.sh [NP] [RUN_DIR] - Zaremba et al. 2014 "small" on Penn Treebank
# (2 x 200, no dropout, init 0.1, batch 20, bptt 20, SGD lr 1, clip 5,
# 13 epochs, lr x 0.5 per epoch after epoch 4), on NP ranks (default 2)
# with the same global batch 20.  Validation each epoch uses the training
# layout; the test perplexity at the end is scored as in the paper's code:
# one stream (batch 1), state carried through the whole split.
# Reads ../shared/data/ptb/.  Long: run it in the background.
set -euo pipefail
cd "$(dirname "$0")/.."
np=${1:-2}
run=${2:-runs/ptb-small-np$np}
ptb=${PTB:-../shared/data/ptb}
mkdir -p "$run"
scripts/build.sh build >/dev/null
engram=build/engram
[ -s runs/ptb.h5 ] || $engram prepare --tokenizer word --vocab-size 10000 -o runs/ptb.h5 \
	"$ptb/ptb.train.txt" "$ptb/ptb.valid.txt" "$ptb/ptb.test.txt"
start=$(date +%s)
scripts/run-local.sh -n "$np" train --data runs/ptb.h5 --run-dir "$run" \
	--preset zaremba-small --batch $((20 / np)) --log-seconds 60 ${EXTRA:-}
$engram eval --ckpt "$run" --data runs/ptb.h5 --split test --batch 1 --bptt 20 --json \
	| tee "$run/test-batch1.json"
echo "wall seconds: $(( $(date +%s) - start ))" | tee "$run/wall.txt"
