#!/usr/bin/env bash
# main-job.sh [RUN_DIR] - the main job on the default corpus, the King James
# Bible from Debian's bible-kjv package: build engram, turn the text into a
# token data set, and describe it.  (Training, checkpoints, inspection and
# sampling join this script as they land.)
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
$engram prepare --force --tokenizer char -o "$run/kjv-char.h5" "$run/kjv.txt"
$engram data --verify "$run/kjv-char.h5"
