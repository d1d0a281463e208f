#!/usr/bin/env bash
# time-to-ppl.sh [OUT_DIR] - wall-clock seconds until zaremba-small on Penn
# Treebank first reaches validation perplexity TARGET (default 125): engram on
# 2 ranks (scripts/run-local.sh: 2 ranks x 1 thread on 2 cores) against the
# PyTorch peer scripts/torch_ptb.py on the same recipe and the same data set
# file, in its best 2-core configuration (2 DDP processes x 1 thread; set
# TORCH_CONFIGS="2x1 1x1 1x2" for 1 process x 1 and x 2 threads too).  Each runs
# until a validation (after each epoch, training layout: 20 streams, bptt 20)
# is <= TARGET, at most EPOCHS epochs (default 13), then stops; one after the
# other, never together.  Prints a table: system, configuration, epochs to
# target, wall seconds to target, ratio to engram; OUT_DIR (default
# runs/time-to-ppl-DATE) gets the logs, metrics, the table and a plot.
#
# How the times are taken.  engram: the script notes the wall clock when it
# launches mpirun and watches RUN_DIR/metrics.jsonl (polled every 0.2 s; rank 0
# flushes each line as it writes it); the time to target is when the first
# epoch-end validation line with ppl <= TARGET appears (MPI start-up, data set
# opening, the checkpoints of earlier epochs and every validation included).
# Then the job is sent SIGTERM (it checkpoints and exits).  PyTorch:
# torch_ptb.py --target-ppl reports the seconds from its own start (before
# `import torch`) to the end of the validation that reached the target
# (imports, data loading, spawning the DDP processes included).
# Both read the same HDF5 data set (runs/ptb.h5, made as scripts/ptb-small.sh
# makes it).  Needs Debian's python3-torch and python3-h5py (checked first);
# python3-matplotlib for the plot.  Long (tens of minutes per system): run it
# in the background.  Rerunning with the same OUT_DIR keeps what has finished
# (engram's row, a PyTorch run whose log ends in its result) and runs the rest
# again from the start (the time of an interrupted run is not worth keeping).
#   scripts/time-to-ppl.sh > runs/time-to-ppl.out 2>&1 &
#   DATA=small.h5 TARGET=1200 EPOCHS=3 scripts/time-to-ppl.sh runs/smoke-ttp  # smoke test
# Env: TARGET, EPOCHS, TORCH_CONFIGS (PROCSxTHREADS list, default 2x1), DATA,
# PTB (text dir), PYTHON (default /usr/bin/python3), EXTRA (more engram train
# flags), TORCH_EXTRA (more torch_ptb.py flags).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${TARGET:-125}
epochs=${EPOCHS:-13}
out=${1:-runs/time-to-ppl-$(date +%Y%m%d-%H%M%S)}
data=${DATA:-runs/ptb.h5}
ptb=${PTB:-../shared/data/ptb}
py=${PYTHON:-/usr/bin/python3}

"$py" -c 'import torch, h5py' 2>/dev/null || {
	echo "time-to-ppl: $py cannot import torch and h5py;" \
		"install Debian's packages: apt-get install python3-torch python3-h5py" >&2
	exit 1
}
mkdir -p "$out"
scripts/build.sh build >/dev/null
engram=build/engram
[ -s "$data" ] || $engram prepare --tokenizer word --vocab-size 10000 -o "$data" \
	"$ptb/ptb.train.txt" "$ptb/ptb.valid.txt" "$ptb/ptb.test.txt"
echo "time to validation perplexity <= $target, zaremba-small, data $data, at most $epochs epochs; out $out"

# ---- engram, 2 ranks ----
run=$out/engram-2x1
times=$out/engram-2x1.valid-times.txt	# epoch step ppl seconds
rows=$out/rows.txt	# system|config|epochs|seconds
engram_2x1() {
	echo "== engram: 2 ranks x 1 thread (log $run.log)"
	rm -rf "$run" "$times"
	start=$(date +%s.%N)
	scripts/run-local.sh -n 2 train --data "$data" --run-dir "$run" --preset zaremba-small \
		--batch 10 --epochs "$epochs" --log-seconds 60 ${EXTRA:-} >"$run.log" 2>&1 &
	job=$!
	trap 'kill -TERM "$job" 2>/dev/null || true' TERM INT
	seen=0 hit='' windows=''
	while kill -0 "$job" 2>/dev/null; do
		sleep 0.2
		[ -s "$run/metrics.jsonl" ] || continue
		n=$(grep -c -F '"split":"valid"' "$run/metrics.jsonl" || true)
		[ "$n" -gt "$seen" ] || continue
		now=$(date +%s.%N)
		[ -n "$windows" ] || windows=$(sed -n 's/.* \([0-9]*\) windows per epoch.*/\1/p' "$run.log" | head -n 1)
		grep -F '"split":"valid"' "$run/metrics.jsonl" | tail -n +$((seen + 1)) |
			sed -n 's/.*"step":\([0-9]*\),"epoch":\([0-9]*\),.*"ppl":\([0-9.]*\).*/\2 \1 \3/p' |
			awk -v s="$start" -v t="$now" '{ printf "%s %s %s %.1f\n", $1, $2, $3, t - s }' >>"$times"
		seen=$n
		tail -n 1 "$times" | awk '{ printf "engram: valid ppl %.2f after epoch %d (step %d), %.1f s\n", $3, $1, $2, $4 }'
		# the first epoch-end validation at or under the target (a run cut by
		# --steps also scores validation mid-epoch: not an epoch end)
		if [ -z "$hit" ]; then
			hit=$(awk -v x="$target" -v w="${windows:-0}" \
				'$3 <= x && w > 0 && $2 % w == 0 { print; exit }' "$times")
			if [ -n "$hit" ]; then
				echo "engram: target reached; stopping the job"
				kill -TERM "$job" 2>/dev/null || true
			fi
		fi
	done
	set +e
	wait "$job"
	rc=$?
	set -e
	trap - TERM INT
	if [ -z "$hit" ] && [ "$rc" -ne 0 ]; then
		echo "time-to-ppl: engram failed (exit $rc); see $run.log" >&2
		tail -n 5 "$run.log" >&2
	fi
	if [ -n "$hit" ]; then
		echo "$hit" | awk '{ printf "engram|2 ranks x 1 thread (MPI)|%d|%.1f\n", $1, $4 }' >"$rows"
	else
		echo "engram|2 ranks x 1 thread (MPI)|not reached|-" >"$rows"
	fi
}
if grep -q '^engram|.*|[0-9.]*$' "$rows" 2>/dev/null; then
	echo "== engram: finished already ($(head -n 1 "$rows"))"
	sed -i -n '1p' "$rows"
else
	engram_2x1
fi

# ---- PyTorch peer ----
read -r -a configs <<<"${TORCH_CONFIGS:-2x1}"
for cfg in "${configs[@]}"; do
	ws=${cfg%x*} th=${cfg#*x}
	case $ws$th in *[!0-9]*|'') echo "time-to-ppl: TORCH_CONFIGS wants PROCSxTHREADS, e.g. 2x1 (got $cfg)" >&2; exit 2 ;; esac
	name=torch-${ws}x$th
	case $ws in 1) desc="1 process x $th thread(s)" ;; *) desc="$ws processes x $th thread(s) (DDP, gloo)" ;; esac
	if grep -q '^{.*"wall_s_at_target"' "$out/$name.log" 2>/dev/null; then
		echo "== pytorch: $desc: finished already ($out/$name.log)"
		rc=0
	else
		echo "== pytorch: $desc (log $out/$name.log)"
		rm -rf "${out:?}/$name"
		mkdir -p "$out/$name"
		set +e
		"$py" scripts/torch_ptb.py --data "$data" --world-size "$ws" --threads "$th" \
			--epochs "$epochs" --target-ppl "$target" --log-every 500 --json \
			--metrics "$out/$name/metrics.jsonl" ${TORCH_EXTRA:-} >"$out/$name.log" 2>&1
		rc=$?
		set -e
	fi
	grep -E '^(valid|target)' "$out/$name.log" | sed 's/^/pytorch: /' || true
	json=$(grep '^{' "$out/$name.log" | tail -n 1 || true)
	if [ "$rc" -ne 0 ] || [ -z "$json" ]; then
		echo "time-to-ppl: $name failed (exit $rc); see $out/$name.log" >&2
		tail -n 5 "$out/$name.log" >&2
		echo "pytorch|$desc|failed|-" >>"$rows"
		continue
	fi
	echo "$json" | "$py" -c '
import json, sys
d = json.loads(sys.stdin.read())
e, s = d["epoch_at_target"], d["wall_s_at_target"]
print("pytorch|%s|%s|%s" % (sys.argv[1], e if e is not None else "not reached",
                              "%.1f" % s if s is not None else "-"))' "$desc" >>"$rows"
done

# ---- the table ----
awk -F'|' -v x="$target" '
NR == 1 { ref = ($4 == "-") ? 0 : $4 }
{ r[NR] = $0 }
END {
	printf "\nwall-clock time to validation perplexity <= %s (zaremba-small, PTB)\n", x
	printf "%-8s %-36s %16s %18s %8s\n", "system", "config", "epochs to target", "wall s to target", "ratio"
	for (i = 1; i <= NR; i++) {
		split(r[i], f, "|")
		ratio = (ref > 0 && f[4] != "-") ? sprintf("%.2f", f[4] / ref) : "-"
		printf "%-8s %-36s %16s %18s %8s\n", f[1], f[2], f[3], f[4], ratio
	}
}' "$rows" | tee "$out/table.txt"

if "$py" -c 'import matplotlib' 2>/dev/null; then
	plots=("$run")
	for cfg in "${configs[@]}"; do
		[ -s "$out/torch-$cfg/metrics.jsonl" ] && plots+=("$out/torch-$cfg")
	done
	"$py" scripts/plot-metrics.py "${plots[@]}" --hline "$target:target $target" \
		-o "$out/time-to-ppl.png" || echo "time-to-ppl: the plot failed" >&2
fi
