#!/usr/bin/env bash
# zipf-scale.sh [VOCAB] [OUT_DIR] - `engram train` end to end at a vocabulary
# of WikiText-103's size (default 267735) or One Billion Word's (793471),
# without their text: a Zipf corpus (scripts/zipf-corpus.py, exponent 1.07,
# TOKENS words, default 2,000,000), `engram prepare --tokenizer word`, then
# the wt103-adaptive preset (2 x 1024 LSTM over a 512-wide embedding, batch
# 32 x bptt 70 per rank, Adam) for STEPS steps (default 20) on NP ranks x 1
# thread (default 2), and with FULL_STEPS > 0 (default 0: on one core the
# full softmax at 268k words takes about 50 s a step) the same model with
# the full softmax.  Per run it prints the tokens/s of the last log line,
# the peak RSS of each rank, and the final checkpoint's size and seconds.
# CUTOFFS overrides the preset's 2800,20000,76000 (for 793471, Baevski and
# Auli's 60000,100000,640000).  Needs Debian's python3-numpy.
#   scripts/zipf-scale.sh 267735 runs/zipf268k
#   NP=1 CUTOFFS=60000,100000,640000 scripts/zipf-scale.sh 793471 runs/zipf793k
set -euo pipefail
cd "$(dirname "$0")/.."
V=${1:-267735}
out=${2:-runs/zipf-v$V}
np=${NP:-2}
steps=${STEPS:-20}
engram=build/engram
mkdir -p "$out"
scripts/build.sh build >/dev/null
if [ ! -s "$out/data.h5" ]; then
	/usr/bin/python3 scripts/zipf-corpus.py "$out/corpus.txt" "$V" "${TOKENS:-2000000}"
	$engram prepare --tokenizer word -o "$out/data.h5" "$out/corpus.txt" > "$out/prepare.log"
	rm -f "$out/corpus.txt"
fi

# one NAME STEPS [FLAGS...]: a fresh run, its figures on one line
one() {
	local name=$1 n=$2 run=$out/$1 ck
	shift 2
	rm -rf "$run"
	OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
		mpirun --bind-to none -np "$np" -x OPENBLAS_NUM_THREADS=1 \
		/usr/bin/time -f 'peak RSS %M KiB' $engram train --data "$out/data.h5" \
		--run-dir "$run" --preset wt103-adaptive --warmup 0 --threads 1 --steps "$n" \
		--log-every 1 "$@" > "$out/$name.log" 2>&1 ||
		{ echo "zipf-scale: the $name run failed: $(tail -3 "$out/$name.log")" >&2; return 1; }
	ck=$(ls "$run"/ckpt-s*.h5 | tail -1)
	printf '%-9s V %d, %d ranks: %s tok/s (last step), peak RSS per rank %s MiB, checkpoint %s MB in %s s\n' \
		"$name" "$V" "$np" \
		"$(grep '^step ' "$out/$name.log" | tail -1 | sed 's/.* \([0-9]*\) tok\/s.*/\1/')" \
		"$(sed -n 's/^peak RSS \([0-9]*\) KiB/\1/p' "$out/$name.log" | awk '{ printf "%s%.0f", s, $1 / 1024; s = " / " }')" \
		"$(du -m "$ck" | cut -f1)" \
		"$(grep '^checkpoint ' "$out/$name.log" | tail -1 | sed 's/.* in \([0-9.]*\) s$/\1/')" |
		tee -a "$out/summary.txt"
}

one adaptive "$steps" ${CUTOFFS:+--cutoffs $CUTOFFS}
[ "${FULL_STEPS:-0}" -gt 0 ] && one full "$FULL_STEPS" --softmax full
exit 0
