#!/usr/bin/env bash
# bench-ckpt.sh [OUT_DIR] - what a checkpoint costs the training ranks, with
# the write in the background (--ckpt-async on) and holding every rank
# (off), on 2 ranks x 1 thread:
#   1. zaremba-medium on Penn Treebank (2 x 650, vocab 10k, SGD: a 67 MB
#      file), a checkpoint every 10 steps;
#   2. a checkpoint of at least 700 MB: 2 x 650 with a full softmax over a
#      175,000-word Zipf corpus (scripts/zipf-corpus.py), batch 2, bptt 10
#      so that a step stays short, a checkpoint every 80 steps;
#   3. zaremba-medium's throughput with --ckpt-seconds 60 against none.
# Each checkpoint's stall_ms (the longest any rank was held, a wait for its
# write by the next checkpoint or the end included), copy_ms (rank 0's copy
# into the staging) and write_ms come from the runs' metrics.jsonl lines;
# the final checkpoint (which the end waits for) is left out.  The
# table gives medians; the target is a stall of at most the copy + 20 ms.
# Throughput: the tokens between the first and the last log line over the
# time the log lines account for (stalls included), ROUNDS (default 2)
# rounds alternating with and without.  Reads ../shared/data/ptb/; needs
# Debian's python3-numpy for the Zipf corpus.  About 30 minutes here.
#   scripts/bench-ckpt.sh runs/bench-ckpt
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/bench-ckpt}
rounds=${ROUNDS:-2}
ptb=${PTB:-../shared/data/ptb}
mkdir -p "$out"
scripts/build.sh build >/dev/null
engram=$PWD/build/engram
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
mpi=(mpirun -n 2)

[ -s "$out/ptb.h5" ] || $engram prepare --quiet --tokenizer word -o "$out/ptb.h5" \
	"$ptb/ptb.train.txt" "$ptb/ptb.valid.txt" "$ptb/ptb.test.txt"
# (small valid and test splits: the runs' final evaluation over a 175k
# softmax would otherwise take minutes)
if [ ! -s "$out/zipf175k.h5" ]; then
	/usr/bin/python3 scripts/zipf-corpus.py "$out/zipf175k.txt" 175000 400000
	tail -n 50 "$out/zipf175k.txt" > "$out/zipf175k.eval.txt"
	$engram prepare --quiet --tokenizer word -o "$out/zipf175k.h5" "$out/zipf175k.txt" \
		"$out/zipf175k.eval.txt" "$out/zipf175k.eval.txt"
	rm -f "$out/zipf175k.txt" "$out/zipf175k.eval.txt"
fi

# train NAME FLAGS...: a fresh run in OUT/NAME
train() {
	local name=$1
	shift
	rm -rf "${out:?}/$name"
	"${mpi[@]}" "$engram" train --run-dir "$out/$name" --threads 1 "$@" > "$out/$name.log" 2>&1 ||
		{ echo "bench-ckpt: $name failed: $(tail -2 "$out/$name.log")" >&2; exit 1; }
}

# the median of a column of numbers
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.3f\n", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# the checkpoint lines but the last: their count, then the medians of
# bytes, copy_ms, stall_ms, write_ms
ckpt_medians() {
	local rows
	rows=$(grep -F '"event":"checkpoint"' "$out/$1/metrics.jsonl" | sed '$d' |
		sed 's/.*"bytes":\([0-9]*\),"stall_ms":\([0-9.]*\),"write_ms":\([0-9.]*\),"copy_ms":\([0-9.]*\).*/\1 \4 \2 \3/')
	echo "$(wc -l <<< "$rows") $(for k in 1 2 3 4; do cut -d' ' -f$k <<< "$rows" | median; done | tr '\n' ' ')"
}

# tokens/s between the first and the last log line, stalls included
throughput() {
	grep -F '"ms_per_step"' "$out/$1/metrics.jsonl" |
		sed 's/.*"step":\([0-9]*\),.*"ms_per_step":\([0-9.]*\),.*"tokens":\([0-9]*\)}/\1 \2 \3/' |
		awk 'NR == 1 { s0 = $1; t0 = $3; prev = $1; next }
		     { ms += ($1 - prev) * $2; prev = $1; tok = $3 }
		     END { printf "%.1f\n", (tok - t0) / (ms / 1000) }'
}

medium=(--data "$out/ptb.h5" --preset zaremba-medium --batch 10 --log-every 10)
big=(--data "$out/zipf175k.h5" --layers 2 --hidden 650 --embed 650 --batch 1 --bptt 10
	--optimizer sgd --lr 0.1 --log-every 10)

printf "%-36s %5s %10s %9s %9s %10s  %s\n" model ckpts bytes copy_ms stall_ms write_ms "stall <= copy + 20 ms"
# stall NAME LABEL FLAGS...: one run with each --ckpt-async, a table row each
stall() {
	local name=$1 label=$2 a n b c s w
	shift 2
	for a in on off; do
		train "$name-$a" "$@" --ckpt-async "$a"
		read -r n b c s w <<< "$(ckpt_medians "$name-$a")"
		printf "%-36s %5d %10.0f %9.1f %9.1f %10.1f  %s\n" "$label, --ckpt-async $a" "$n" "$b" "$c" "$s" "$w" \
			"$(awk -v s="$s" -v c="$c" 'BEGIN { print (s <= c + 20) ? "yes" : "no" }')"
	done
}
# the last periodic checkpoint is the run's end, whose wait is left out
stall medium zaremba-medium "${medium[@]}" --steps 60 --ckpt-every 10
stall big "2x650, V 175k full" "${big[@]}" --steps 240 --ckpt-every 80

: > "$out/tput.txt"
for r in $(seq "$rounds"); do
	train tput-none "${medium[@]}" --steps 700 --log-every 20
	echo "none $(throughput tput-none)" >> "$out/tput.txt"
	train tput-60 "${medium[@]}" --steps 700 --log-every 20 --ckpt-seconds 60
	echo "s60 $(throughput tput-60) $(grep -c '"event":"checkpoint"' "$out/tput-60/metrics.jsonl")" >> "$out/tput.txt"
done
none=$(awk '$1 == "none" { print $2 }' "$out/tput.txt" | median)
s60=$(awk '$1 == "s60" { print $2 }' "$out/tput.txt" | median)
nck=$(awk '$1 == "s60" { print $3 - 1 }' "$out/tput.txt" | head -1)
echo
printf "zaremba-medium, 2 ranks: %.1f tok/s without checkpoints, %.1f with --ckpt-seconds 60 (%d during the run): %+.2f%% (target: within 1%%)\n" \
	"$none" "$s60" "$nck" "$(awk -v a="$s60" -v b="$none" 'BEGIN { print 100 * (a / b - 1) }')"
