#!/usr/bin/env bash
# bench-adaptive.sh [VOCAB...] - the adaptive softmax against the full one and
# against PyTorch's nn.AdaptiveLogSoftmaxWithLoss, on this machine, in one run.
#
# The model: a 2 x 1024 LSTM over a 512-wide embedding, batch 20, bptt 35, ids
# from a Zipf law of exponent 1.07, at the vocabularies of WikiText-2 (v33k),
# WikiText-103 (v268k) and One Billion Word (v793k) (default: all three); the
# adaptive softmax with the cutoffs of the wt2-adaptive and wt103-adaptive
# presets and, for v793k, 60000,100000,640000 (Baevski & Auli 2019), div 4.
# For each vocabulary and each of 1 rank x 1 thread, 1 rank x 2 threads and
# 2 ranks x 1 thread: engram (tests/bench/bench_model) with the adaptive and
# the full softmax, and the PyTorch peer (../shared/bench/torch_lstm_bench.py
# with --softmax adaptive|full --zipf 1.07; --threads 1, --threads 2,
# --world-size 2), alternating; training and eval tokens/s, engram's GFLOP/s
# and every peak RSS per rank.  The full softmax at v793k runs on 1 rank only
# (two copies of its 10 GB would not fit this machine's memory beside
# PyTorch's).
#
# ROUNDS (default 3) rounds; engram's figure is the median of REPS (default 5)
# windows after a warm-up, PyTorch's the mean of STEPS (default 5) timed steps
# after one warm-up step (FULL_STEPS, default 2, for the full softmax); the
# table gives the median over rounds [min-max].  OUT keeps the raw lines.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
rounds=${ROUNDS:-3}
reps=${REPS:-5}
steps=${STEPS:-5}
full_steps=${FULL_STEPS:-2}
peer=${TORCH_BENCH:-../shared/bench/torch_lstm_bench.py}
py=/usr/bin/python3
vocabs=("$@")
[ ${#vocabs[@]} -gt 0 ] || vocabs=(v33k v268k v793k)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
scripts/build.sh "$build" >/dev/null
bench=$(cd "$build" && pwd)/tests/bench_model
if [ -n "${OUT:-}" ]; then
	mkdir -p "$OUT"
	out=$OUT
else
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
raw=$out/raw.txt
: > "$raw"
torch=0
if [ -x "$py" ] && [ -f "$peer" ] && "$py" -c 'import torch' 2>/dev/null; then
	torch=1
fi

peer_args() { # VOCAB SOFTMAX -> the peer's flags
	local v c
	case $1 in
	v33k) v=33278 c=2000,10000 ;;
	v268k) v=267735 c=2800,20000,76000 ;;
	v793k) v=793471 c=60000,100000,640000 ;;
	*) echo "bench-adaptive: unknown vocabulary $1 (v33k, v268k, v793k)" >&2; exit 2 ;;
	esac
	echo "-V $v -E 512 -H 1024 -L 2 -B 20 -T 35 --zipf 1.07 --softmax $2" \
		"$([ "$2" = adaptive ] && echo "--cutoffs $c --steps $steps" || echo "--steps $full_steps")"
}

engram() { # VOCAB SOFTMAX NP THREADS
	local shape=$1 res
	[ "$2" = adaptive ] && shape=$1-adaptive
	if [ "$3" -gt 1 ]; then
		res=$(mpirun --bind-to none -np "$3" -x OPENBLAS_NUM_THREADS="$4" \
			"$bench" --threads "$4" --reps "$reps" "$shape" | grep '^RESULT') || true
	else
		res=$(OPENBLAS_NUM_THREADS=$4 "$bench" --threads "$4" --reps "$reps" "$shape" |
			grep '^RESULT') || true
	fi
	# RESULT model P NPxT train_tok_s med min max train_gflops g eval_tok_s med min max eval_gflops g rss_mib r
	if [ -n "$res" ]; then
		awk -v v="$1" -v s="$2" -v c="$3x$4" '{ print "engram", v, s, c, $6, $10, $12, $18 }' \
			<<<"$res" >> "$raw"
	else
		echo "bench-adaptive: engram $shape $3x$4 failed" >&2
	fi
}

peer() { # VOCAB SOFTMAX NP THREADS
	[ $torch = 1 ] || return 0
	local args log=$out/peer.log
	args=$(peer_args "$1" "$2")
	if [ "$3" -gt 1 ]; then args+=" --world-size $3"; else args+=" --threads $4"; fi
	# shellcheck disable=SC2086
	if /usr/bin/time -f 'MAXRSS %M' "$py" "$peer" --name "$1" $args --warmup 1 \
		--eval-warmup 1 --json > "$log" 2>&1; then
		"$py" - "$1" "$2" "$3x$4" "$log" >> "$raw" <<-'EOF'
			import json, sys
			v, sm, cfg, log = sys.argv[1:]
			lines = open(log).read().splitlines()
			j = json.loads(next(l for l in lines if l.startswith("JSON "))[5:])
			rss = float(next(l for l in lines if l.startswith("MAXRSS")).split()[1]) / 1024
			print("torch", v, sm, cfg, j["train_tok_s"], "-", j["eval_tok_s"], rss)
		EOF
	else
		echo "bench-adaptive: the PyTorch peer failed: $(tail -2 "$log")" >&2
	fi
}

for ((r = 1; r <= rounds; r++)); do
	echo "round $r of $rounds" >&2
	for th in 1 2; do
		for v in "${vocabs[@]}"; do
			OPENBLAS_NUM_THREADS=$th "$bench" --roof --threads "$th" --reps 3 \
				--square 0 "$v-adaptive" | awk -v v="$v" '/^RESULT roof/ { print "roof", v, "adaptive", $4, $6 }' >> "$raw"
		done
	done
	for v in "${vocabs[@]}"; do
		for cfg in 1:1 1:2 2:1; do
			IFS=: read -r np th <<<"$cfg"
			for sm in adaptive full; do
				[ "$v:$sm:$np" = v793k:full:2 ] && continue
				engram "$v" "$sm" "$np" "$th"
				peer "$v" "$sm" "$np" "$th"
			done
		done
	done
done

echo "# $(date -u '+%F %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "# scripts/bench-adaptive.sh ${vocabs[*]} (ROUNDS=$rounds REPS=$reps STEPS=$steps" \
	"FULL_STEPS=$full_steps); torch: $([ $torch = 1 ] &&
	"$py" -c 'import torch; print(torch.__version__)' || echo 'not installed')"
"$py" - "$raw" <<'EOF'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def vals(kind, v, sm, cfg, col):
    return [float(r[col]) for r in rows if r[0] == kind and r[1] == v and r[2] == sm and r[3] == cfg]
def med(x): return st.median(x) if x else float("nan")
def fmt(x):
    if not x: return "-"
    return f"{med(x):,.0f} [{min(x):,.0f}-{max(x):,.0f}]" if len(x) > 1 else f"{med(x):,.0f}"
def ratio(a, b): return f"{med(a) / med(b):.2f}x" if a and b else "-"
vocabs = list(dict.fromkeys(r[1] for r in rows if r[0] == "engram"))
print()
print("Training tokens/s over all ranks (median over rounds [min-max]); adaptive / full = engram's own"
      " speed-up; engram / torch at the same ranks x threads; GFLOP/s = engram's model FLOPs (the head"
      " and the clusters its targets reach; train 3x forward), % of the GEMM mix of the same window;"
      " RSS = peak per rank, MiB")
print("| vocab | ranks x threads | engram adaptive | GFLOP/s (% mix) | engram full | adaptive / full"
      " | torch adaptive | engram / torch | torch full | engram RSS ad. / full | torch RSS ad. / full |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for v in vocabs:
    for cfg in ("1x1", "1x2", "2x1"):
        ea, ef = vals("engram", v, "adaptive", cfg, 4), vals("engram", v, "full", cfg, 4)
        ta, tf = vals("torch", v, "adaptive", cfg, 4), vals("torch", v, "full", cfg, 4)
        g = vals("engram", v, "adaptive", cfg, 5)
        mix = med(vals("roof", v, "adaptive", "1x1" if cfg == "1x1" else "1x2", 4))
        gs = f"{med(g):.1f} ({100 * med(g) / mix:.0f}%)" if g else "-"
        er = f"{med(vals('engram', v, 'adaptive', cfg, 7)):,.0f} / {med(vals('engram', v, 'full', cfg, 7)):,.0f}"
        tr = f"{med(vals('torch', v, 'adaptive', cfg, 7)):,.0f} / {med(vals('torch', v, 'full', cfg, 7)):,.0f}"
        print(f"| {v} | {cfg} | {fmt(ea)} | {gs} | {fmt(ef)} | {ratio(ea, ef)} | {fmt(ta)} | {ratio(ea, ta)}"
              f" | {fmt(tf)} | {er} | {tr} |")
print()
print("Eval (forward only) tokens/s over all ranks")
print("| vocab | ranks x threads | engram adaptive | engram full | torch adaptive | engram / torch |")
print("|---|---|---|---|---|---|")
for v in vocabs:
    for cfg in ("1x1", "1x2", "2x1"):
        ea, ef = vals("engram", v, "adaptive", cfg, 6), vals("engram", v, "full", cfg, 6)
        ta = vals("torch", v, "adaptive", cfg, 6)
        print(f"| {v} | {cfg} | {fmt(ea)} | {fmt(ef)} | {fmt(ta)} | {ratio(ea, ta)} |")
EOF
