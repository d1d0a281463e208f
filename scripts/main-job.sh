#!/usr/bin/env bash
# main-job.sh [RUN_DIR] - the main job on the default corpus, the King James
# Bible from Debian's bible-kjv package:
#   build -> prepare (char tokens) -> train on 2 ranks (one epoch, about
#   4 minutes on 2 cores) -> inspect the weights and evaluate the test
#   split -> sample text.
# STEPS=N in the environment shortens the training (for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/kjv}
mkdir -p "$run"

scripts/build.sh build
engram=build/engram

if [ ! -s "$run/kjv.txt" ]; then
	command -v bible >/dev/null || { echo "main-job: 'bible' not found; run scripts/install-deps.sh" >&2; exit 1; }
	bible -l10000 Gen1:1-Rev22:21 > "$run/kjv.txt"
fi
echo "== prepare"
$engram prepare --force --tokenizer char -o "$run/kjv-char.h5" "$run/kjv.txt"

echo "== train on 2 ranks"
rm -f "$run/model/metrics.jsonl"
scripts/run-local.sh -n 2 train --data "$run/kjv-char.h5" --run-dir "$run/model" \
	--layers 2 --hidden 256 --embed 64 --batch 32 --bptt 64 \
	--optimizer adam --lr 3e-3 --clip 1 --epochs 1 --steps "${STEPS:-0}" --log-seconds 20

echo "== inspect"
$engram ckpt info "$run/model"
$engram ckpt verify "$run/model"
$engram eval --ckpt "$run/model" --data "$run/kjv-char.h5" --split test --batch 16 --bptt 64

echo "== sample"
$engram sample --ckpt "$run/model" --prime "And God said" --length 400 --temperature 0.7 --seed 1
