#!/usr/bin/env bash
# bench.sh [PRESET...] - engram's model against the GEMM roof and the
# PyTorch peer, on this machine, in one run.
#
# For each preset (default: all five) and each configuration 1 rank x 1
# thread, 1 rank x 2 threads, 2 ranks x 1 thread: engram's training and
# forward-only eval tokens/s, achieved GFLOP/s, peak RSS per rank
# (tests/bench/bench_model, under mpirun for 2 ranks), and when Debian's
# python3-torch is installed the PyTorch peer (../shared/bench/
# torch_lstm_bench.py) on the same shapes: --threads 1, --threads 2,
# --world-size 2 (DDP), peak RSS from /usr/bin/time (max over its
# processes).  The GEMM roof (cblas_sgemm at the shapes of one training
# window of each preset, and 2048^3) at 1 and 2 threads.
#
# ROUNDS (default 3) rounds, each running every measurement once, engram
# and PyTorch alternating; each engram measurement is the median of REPS
# (default 5) windows after a warm-up, each PyTorch one the mean of its
# timed steps after a warm-up step.  The table gives the median over the
# rounds and [min-max].  Nothing is installed; BUILD (default build) is
# (re)built with scripts/build.sh.  Raw lines are kept in $OUT (default: a
# temporary directory, removed) and the table goes to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
rounds=${ROUNDS:-3}
reps=${REPS:-5}
peer=${TORCH_BENCH:-../shared/bench/torch_lstm_bench.py}
py=/usr/bin/python3
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(keras-seed zaremba-small zaremba-medium char-rnn large)
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

shape() { # PRESET -> the peer's shape flags and steps per measurement
	case $1 in
	keras-seed) echo "-V 1000 -E 64 -H 64 -L 2 -B 32 -T 20 --steps 40" ;;
	zaremba-small) echo "-V 10000 -E 200 -H 200 -L 2 -B 20 -T 20 --steps 12" ;;
	zaremba-medium) echo "-V 10000 -E 650 -H 650 -L 2 -B 20 -T 35 --steps 4" ;;
	char-rnn) echo "-V 65 -E 128 -H 512 -L 2 -B 50 -T 50 --steps 5" ;;
	large) echo "-V 10000 -E 1024 -H 1024 -L 2 -B 64 -T 35 --steps 3" ;;
	*) echo "bench.sh: unknown preset $1" >&2; exit 2 ;;
	esac
}

engram() { # PRESET NP THREADS
	local res
	if [ "$2" -gt 1 ]; then
		res=$(mpirun --bind-to none -np "$2" -x OPENBLAS_NUM_THREADS="$3" \
			"$bench" --threads "$3" --reps "$reps" "$1" | grep '^RESULT') || true
	else
		res=$(OPENBLAS_NUM_THREADS=$3 "$bench" --threads "$3" --reps "$reps" "$1" |
			grep '^RESULT') || true
	fi
	# RESULT model P NPxT train_tok_s med min max train_gflops g eval_tok_s med min max eval_gflops g rss_mib r
	[ -n "$res" ] && awk -v p="$1" -v c="$2x$3" '{ print "engram", p, c, $6, $10, $12, $18 }' \
		<<<"$res" >> "$raw"
}

peer() { # PRESET NP THREADS
	[ $torch = 1 ] || return 0
	local args log=$out/peer.log
	args=$(shape "$1")
	if [ "$2" -gt 1 ]; then args+=" --world-size $2"; else args+=" --threads $3"; fi
	# shellcheck disable=SC2086
	if /usr/bin/time -f 'MAXRSS %M' "$py" "$peer" --name "$1" $args --warmup 1 \
		--eval-warmup 1 --json > "$log" 2>&1; then
		"$py" - "$1" "$2x$3" "$log" >> "$raw" <<-'EOF'
			import json, sys
			name, cfg, log = sys.argv[1:]
			lines = open(log).read().splitlines()
			j = json.loads(next(l for l in lines if l.startswith("JSON "))[5:])
			rss = float(next(l for l in lines if l.startswith("MAXRSS")).split()[1]) / 1024
			print("torch", name, cfg, j["train_tok_s"], j["train_gflops"], j["eval_tok_s"], rss)
		EOF
	else
		echo "bench.sh: the PyTorch peer failed: $(tail -2 "$log")" >&2
	fi
}

for ((r = 1; r <= rounds; r++)); do
	echo "round $r of $rounds" >&2
	for th in 1 2; do
		OPENBLAS_NUM_THREADS=$th "$bench" --roof --threads "$th" --reps 3 "${presets[@]}" |
			awk '/^RESULT roof/ { print "roof", $3, $4, $6 }' >> "$raw"
	done
	for p in "${presets[@]}"; do
		for cfg in 1:1 1:2 2:1; do
			IFS=: read -r np th <<<"$cfg"
			engram "$p" "$np" "$th"
			peer "$p" "$np" "$th"
		done
	done
done

echo "# $(date -u '+%F %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "# scripts/bench.sh ${presets[*]} (ROUNDS=$rounds REPS=$reps); torch: $([ $torch = 1 ] &&
	"$py" -c 'import torch; print(torch.__version__)' || echo 'not installed')"
"$py" - "$raw" <<'EOF'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def vals(kind, preset, cfg, col):
    return [float(r[col]) for r in rows if r[0] == kind and r[1] == preset and r[2] == cfg]
def med(v): return st.median(v) if v else float("nan")
def fmt(v, unit=""):
    if not v: return "-"
    m = med(v)
    return f"{m:,.0f}{unit} [{min(v):,.0f}-{max(v):,.0f}]" if len(v) > 1 else f"{m:,.0f}{unit}"
def ratio(a, b):
    return f"{med(a) / med(b):.2f}x" if a and b else "-"
presets = list(dict.fromkeys(r[1] for r in rows if r[0] == "engram"))
print()
print("GEMM roof, GFLOP/s (median over rounds [min-max]): cblas_sgemm at the GEMM shapes of one training window, and 2048^3")
print("| sgemm | 1 thread | 2 threads |")
print("|---|---|---|")
for p in presets + ["square2048"]:
    print(f"| {p} | {fmt(vals('roof', p, '1x1', 3))} | {fmt(vals('roof', p, '1x2', 3))} |")
print()
print("Training and eval (forward only), tokens/s over all ranks; GFLOP/s = model FLOPs (train 3x forward);"
      " % roof = of the same-thread-count 2048^3 sgemm / of the preset's own GEMM mix; RSS = peak per rank, MiB")
print("| preset | ranks x threads | engram train tok/s | GFLOP/s | % roof (sq / mix) | torch train tok/s | engram / torch"
      " | engram eval tok/s | torch eval tok/s | engram / torch | engram RSS | torch RSS |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for p in presets:
    best = {}
    for cfg in ("1x1", "1x2", "2x1"):
        et, tt = vals("engram", p, cfg, 3), vals("torch", p, cfg, 3)
        g = vals("engram", p, cfg, 4)
        ee, te = vals("engram", p, cfg, 5), vals("torch", p, cfg, 5)
        er, tr = vals("engram", p, cfg, 6), vals("torch", p, cfg, 6)
        th = "1x1" if cfg == "1x1" else "1x2"
        sq, mix = med(vals("roof", "square2048", th, 3)), med(vals("roof", p, th, 3))
        pct = f"{100 * med(g) / sq:.0f}% / {100 * med(g) / mix:.0f}%" if g else "-"
        print(f"| {p} | {cfg} | {fmt(et)} | {med(g):.1f} | {pct} | {fmt(tt)} | {ratio(et, tt)}"
              f" | {fmt(ee)} | {fmt(te)} | {ratio(ee, te)} | {fmt(er)} | {fmt(tr)} |")
        if cfg != "1x1":
            for k, v in (("e", et), ("t", tt)):
                if v and med(v) > best.get(k, (0, None))[0]:
                    best[k] = (med(v), cfg)
    if "e" in best and "t" in best:
        print(f"| {p} | best 2-core | {best['e'][0]:,.0f} ({best['e'][1]}) | | | {best['t'][0]:,.0f} ({best['t'][1]})"
              f" | {best['e'][0] / best['t'][0]:.2f}x | | | | | |")
EOF
