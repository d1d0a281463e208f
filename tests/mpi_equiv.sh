#!/usr/bin/env bash
# mpi_equiv.sh ENGRAM MPIEXEC - data-parallel semantics: P ranks with batch
# B compute the update of 1 rank with batch B*P (P = 2, 3, 4, oversubscribed);
# the same P twice is bit-identical; overlap on/off, bucket sizes and
# gradient accumulation do not change the result; distributed evaluation
# equals 1-rank evaluation; a replica that differs at start stops the job.
set -u
engram=$1
mpiexec=$2
. "$(dirname "$0")/lib.sh"

awk 'BEGIN { x = 7; for (i = 0; i < 30000; i++) { x = (x * 1103515245 + 12345) % 2147483648;
	printf "%c", 97 + int(x / 65536) % 20; if (i % 60 == 59) printf "\n" } }' > "$dir/t.txt"
"$engram" prepare --quiet --tokenizer char -o "$dir/t.h5" "$dir/t.txt" || bad prepare

# run P B OUT [FLAGS...]: 8 steps, no dropout, fixed seed (DATA and MODEL
# replace the data set and the model's flags)
run() {
	local np=$1 b=$2 out=$3
	shift 3
	"$mpiexec" -n "$np" "$engram" train --data "${DATA:-$dir/t.h5}" --run-dir "$dir/$out" \
		${MODEL:---layers 2 --hidden 24 --embed 12 --bptt 10 --steps 8 --seed 5} \
		--batch "$b" --epochs 1 --optimizer adam --lr 0.01 --clip 1 --threads 1 --quiet "$@" \
		> "$dir/$out.log" 2>&1 || bad "run $np x $b $out: $(tail -3 "$dir/$out.log")"
}
same() { # A B [TOL]: weights equal (bit-exact without TOL)
	"$engram" ckpt diff ${3:+--tol $3} "$dir/$1" "$dir/$2" > "$dir/diff.log" 2>&1 &&
		ok || bad "$1 vs $2${3:+ (tol $3)}: $(grep -v ' 0 *0$' "$dir/diff.log" | head -4)"
}

run 1 12 p1
run 2 6 p2
run 3 4 p3
run 4 3 p4
same p1 p2 1e-5
same p1 p3 1e-5
same p1 p4 1e-5
grep -q 'global batch 12' "$dir/p3.log" && ok || bad "the global batch is not printed"

run 2 6 p2b
same p2 p2b
run 3 4 p3b
same p3 p3b

# on one host the default is one blocking allreduce; the bucketed,
# overlapped exchange must give the same parameters
run 2 6 p2-overlap --overlap on
same p2 p2-overlap
run 3 4 p3-overlap --overlap on
same p3 p3-overlap 1e-5
run 3 4 p3-tiny --overlap on --bucket-mb 0.000004
run 3 4 p3-huge --overlap on --bucket-mb 4096
same p3-tiny p3-huge 1e-5
same p3 p3-tiny 1e-5

# variable window lengths (--bptt-var): drawn from the seed and the token
# offset, so every rank cuts the same windows and P ranks still compute 1
# rank's update; a window's lr is scaled by its length
run 1 12 v1 --bptt 12 --bptt-var on --steps 12 --top-hidden 12 --tie
run 2 6 v2 --bptt 12 --bptt-var on --steps 12 --top-hidden 12 --tie
run 3 4 v3 --bptt 12 --bptt-var on --steps 12 --top-hidden 12 --tie --overlap on
same v1 v2 1e-5
same v1 v3 1e-5
# the same steps at fixed length end elsewhere: the lengths are in use
run 1 12 v1-fixed --bptt 12 --steps 12 --top-hidden 12 --tie
"$engram" ckpt diff "$dir/v1" "$dir/v1-fixed" > /dev/null 2>&1 &&
	bad "--bptt-var on trained what fixed windows train" || ok

run 2 6 p2-accum --accum 2
same p2 p2-accum 1e-5
run 1 12 p1-accum --accum 3
same p1 p1-accum 1e-5

# a word vocabulary of 400 types: a window reads a few dozen of them, so the
# embedding's gradient is summed over the union of rows the ranks read,
# packed (--sparse-emb on, the default), instead of whole
awk 'BEGIN { x = 11; for (i = 0; i < 6000; i++) { x = (x * 1103515245 + 12345) % 2147483648;
	u = (x / 2147483648); printf "w%d%s", int(400 * u * u * u), (i % 12 == 11) ? "\n" : " " } }' > "$dir/w.txt"
"$engram" prepare --quiet --tokenizer word -o "$dir/w.h5" "$dir/w.txt" || bad "prepare words"
run_w() { DATA=$dir/w.h5 MODEL="--layers 1 --hidden 16 --embed 10 --bptt 6 --steps 6 --seed 3" run "$@"; }
run_w 1 12 w1
run_w 2 6 w2
run_w 2 6 w2-dense --sparse-emb off
run_w 2 6 w2-overlap --overlap on
run_w 3 4 w3-overlap --overlap on --bucket-mb 0.001
run_w 3 4 w3-dense --sparse-emb off
same w2 w2-dense
same w2 w2-overlap
same w1 w2 1e-5
same w3-dense w3-overlap 1e-5
same w1 w3-overlap 1e-5
grep -q 'sparse' "$dir/w2.log" && ok || bad "the log does not say the embedding gradient goes sparse"

# distributed evaluation equals one rank with the same streams
e1=$("$engram" eval --ckpt "$dir/p1" --data "$dir/t.h5" --split valid --batch 4 --bptt 10 --json --threads 1)
e2=$("$mpiexec" -n 2 "$engram" eval --ckpt "$dir/p1" --data "$dir/t.h5" --split valid --batch 2 --bptt 10 --json --threads 1)
l1=$(grep -o '"loss":[0-9.]*' <<<"$e1" | cut -d: -f2)
l2=$(grep -o '"loss":[0-9.]*' <<<"$e2" | cut -d: -f2)
awk -v a="$l1" -v b="$l2" 'BEGIN { d = (a - b) / a; exit !(a > 0 && d < 1e-6 && d > -1e-6) }' &&
	ok || bad "eval: 1 rank $l1, 2 ranks $l2"

# a replica that differs from rank 0 at start stops every rank with a message
out=$(ENGRAM_FAULT=perturb-init:1 timeout 60 "$mpiexec" -n 2 "$engram" train --data "$dir/t.h5" \
	--run-dir "$dir/bad" --layers 1 --hidden 8 --embed 4 --bptt 10 --batch 2 --steps 3 2>&1)
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q 'initial parameters of rank 1 do not match rank 0' <<<"$out" &&
	ok || bad "perturbed replica: exit $rc, $(grep -m2 engram <<<"$out")"

echo "mpi_equiv: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
