#!/usr/bin/env bash
# bench-scaling.sh [PRESET...] - data-parallel scaling on this machine:
# aggregate training tokens/s of 1 rank x 1 thread, 1 rank x 2 threads and
# 2 ranks x 1 thread (overlap on, and off; and overlap on with the
# embedding's gradient sent whole, --sparse-emb off, to show what sending
# only its rows read saves), with the share of step time spent in exposed
# communication, for each preset (default zaremba-small
# zaremba-medium).  Synthetic word data with the preset's vocabulary.
# Each configuration runs STEPS steps (default 24), logs every 4; the first
# log line is warm-up, the median of the rest is reported.  REPS=N repeats
# the whole set of configurations alternately (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh build >/dev/null
engram=$PWD/build/engram
steps=${STEPS:-24}
reps=${REPS:-1}
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(zaremba-small zaremba-medium)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# 1.2M tokens of 9999 word types (uniform) + <eos>: vocabulary 10000.
awk 'BEGIN { srand(11); for (l = 0; l < 60000; l++) { for (i = 0; i < 19; i++)
	printf "w%d ", int(rand() * 9999); printf "\n" } }' > "$work/words.txt"
# tiny valid/test splits: the final evaluation of each run stays short
$engram prepare --quiet --tokenizer word --vocab-size 10000 --split 0.996,0.002,0.002 \
	-o "$work/words.h5" "$work/words.txt"

# median of the tok_per_s (and comm_share) of the log lines after the first
stat() { # FILE KEY
	grep '"tok_per_s"' "$1" | sed 1d | grep -o "\"$2\":[0-9.e+-]*" | cut -d: -f2 |
		sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print v[int((NR + 1) / 2)] }'
}

run() { # NAME NP THREADS PRESET [FLAGS]
	local name=$1 np=$2 th=$3 preset=$4
	shift 4
	local dir="$work/$preset-$name"
	rm -rf "$dir"
	mpirun --bind-to none -np "$np" -x OPENBLAS_NUM_THREADS="$th" "$engram" train \
		--data "$work/words.h5" --run-dir "$dir" --preset "$preset" --dropout 0 \
		--steps "$steps" --log-every 4 --threads "$th" --quiet "$@" >/dev/null 2>&1
	echo "$(stat "$dir/metrics.jsonl" tok_per_s) $(stat "$dir/metrics.jsonl" comm_share)"
}

echo "# $(date -u +%F) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; steps $steps, reps $reps"
printf "%-16s %-22s %12s %10s %12s\n" preset config "tok/s" speedup "exposed comm"
for preset in "${presets[@]}"; do
	declare -A tps=() comm=()
	for ((r = 0; r < reps; r++)); do
		for cfg in "1x1:1:1:" "1x2:1:2:" "2x1:2:1:--overlap=on" "2x1-no-overlap:2:1:--overlap=off" \
			"2x1-dense-emb:2:1:--overlap=on --sparse-emb=off"; do
			IFS=: read -r name np th flags <<<"$cfg"
			read -r t c < <(run "$name" "$np" "$th" "$preset" $flags)
			tps[$name]+="$t "
			comm[$name]+="$c "
		done
	done
	med() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	base=$(med <<<"${tps[1x1]}")
	for name in 1x1 1x2 2x1 2x1-no-overlap 2x1-dense-emb; do
		t=$(med <<<"${tps[$name]}")
		c=$(med <<<"${comm[$name]}")
		printf "%-16s %-22s %12.0f %9.2fx %11.1f%%\n" "$preset" "$name (ranks x threads)" "$t" \
			"$(awk -v a="$t" -v b="$base" 'BEGIN { print a / b }')" "$(awk -v c="$c" 'BEGIN { print 100 * c }')"
	done
	unset tps comm
done
