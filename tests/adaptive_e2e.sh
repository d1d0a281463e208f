#!/usr/bin/env bash
# adaptive_e2e.sh ENGRAM MPIEXEC - the adaptive softmax through the command
# line: it learns a Zipf-distributed word corpus; bad flags and shapes that
# cannot resume are refused before step 1 with one line; its checkpoints
# hold the documented tensors and attributes, pass verify, export and diff;
# a stopped and resumed run equals the straight one to the bit; 1 rank
# equals 2 and 3 ranks; eval is distributed; sample draws from the whole
# distribution; ids not sorted by frequency get one warning.
set -u
engram=$1
mpiexec=$2
. "$(dirname "$0")/lib.sh"

# 30000 words of a 600-type Zipf-like law (word k drawn with weight about
# 1/k), 15 words a line: engram prepare numbers them by count.
awk 'BEGIN { x = 17; for (i = 0; i < 30000; i++) { x = (x * 1103515245 + 12345) % 2147483648;
	u = x / 2147483648; printf "w%d%s", int(exp(u * log(601))) - 1, (i % 15 == 14) ? "\n" : " " } }' \
	> "$dir/z.txt"
"$engram" prepare --quiet --tokenizer word -o "$dir/z.h5" "$dir/z.txt" || bad "prepare"
V=$(h5dump -a vocab_size "$dir/z.h5" | awk '/\(0\)/ { print $2 }')

ad=(--softmax adaptive --cutoffs 20,100 --div-value 2)
train() { # NP OUT [FLAGS...]
	local np=$1 out=$2
	shift 2
	"$mpiexec" -n "$np" "$engram" train --data "$dir/z.h5" --run-dir "$dir/$out" --layers 1 \
		--hidden 16 --embed 8 --bptt 8 --optimizer adam --lr 0.01 --clip 1 --seed 3 \
		--threads 1 --log-every 20 --quiet "$@" > "$dir/$out.log" 2>&1
}

# it learns: validation far below the log of the vocabulary, and near the
# full softmax's on the same model and steps
train 1 a --batch 8 --epochs 2 "${ad[@]}" || bad "train: $(tail -3 "$dir/a.log")"
train 1 f --batch 8 --epochs 2 || bad "train full: $(tail -3 "$dir/f.log")"
va=$(grep '"split":"valid"' "$dir/a/metrics.jsonl" | tail -1 | sed 's/.*"loss":\([0-9.e+-]*\).*/\1/')
vf=$(grep '"split":"valid"' "$dir/f/metrics.jsonl" | tail -1 | sed 's/.*"loss":\([0-9.e+-]*\).*/\1/')
awk -v a="$va" -v f="$vf" -v V="$V" 'BEGIN { exit !(a < 0.9 * log(V) && a < f + 0.15) }' &&
	ok || bad "adaptive validation loss $va (full $vf, log V $(awk -v V="$V" 'BEGIN{print log(V)}'))"
grep -q 'adaptive softmax, head of 20 words + 2 clusters: \[20, 100) through 8 units, \[100, ' "$dir/a.log" &&
	ok || bad "the start lines do not describe the clusters: $(grep output "$dir/a.log")"
grep -q 'not sorted by frequency' "$dir/a.log" && bad "a frequency-sorted data set got the warning" || ok

# the checkpoint: tensors by name and shape, /config attributes
c=$(ls "$dir"/a/ckpt-s*.h5 | tail -1)
info=$("$engram" ckpt info "$c")
for t in "out.head.W  *(22, 16)" "out.tail.1.proj  *(8, 16)" "out.tail.1.W  *(80, 8)" \
	"out.tail.2.proj  *(4, 16)" "out.tail.2.W  *($((V - 100)), 4)"; do
	grep -q "$t" <<<"$info" && ok || bad "ckpt info lacks $t"
done
grep -q 'out.head.b\|out.W ' <<<"$info" && bad "a head bias or out.W in a --head-bias off model" || ok
h5dump -A -g config "$c" > "$dir/config.txt"
for a in softmax cutoffs div_value head_bias; do
	grep -q "ATTRIBUTE \"$a\"" "$dir/config.txt" && ok || bad "/config has no attribute $a"
done
"$engram" ckpt verify "$c" > /dev/null && ok || bad "ckpt verify"
"$engram" ckpt export "$c" --weights-only -o "$dir/w.h5" > /dev/null && ok || bad "export"
# (the export has no Adam moments: diff says so, and nothing else differs)
"$engram" ckpt diff "$c" "$dir/w.h5" > "$dir/xd.log"
grep -q 'optim/m *only in' "$dir/xd.log" && ! grep -vqE ' 0 +0$|only in|^tensor|^DIFFERENT' "$dir/xd.log" &&
	ok || bad "the exported weights differ: $(head -5 "$dir/xd.log")"
"$engram" ckpt diff "$c" "$(ls "$dir"/f/ckpt-s*.h5 | tail -1)" > "$dir/d.log" 2>&1
grep -q 'models of different shapes' "$dir/d.log" && ok || bad "diff of adaptive vs full: $(cat "$dir/d.log")"

# eval: the training layout reproduces the last validation, and 2 ranks
# give what 1 rank gives
e1=$("$engram" eval --ckpt "$dir/a" --data "$dir/z.h5" --split valid --batch 8 --bptt 8 --json --threads 1)
l1=$(grep -o '"loss":[0-9.]*' <<<"$e1" | cut -d: -f2)
e2=$("$mpiexec" -n 2 "$engram" eval --ckpt "$dir/a" --data "$dir/z.h5" --split valid --batch 4 --bptt 8 --json --threads 1)
l2=$(grep -o '"loss":[0-9.]*' <<<"$e2" | cut -d: -f2)
awk -v a="$l1" -v b="$l2" -v v="$va" 'BEGIN { d = (a - b) / a; t = a - v;
	exit !(a > 0 && d < 1e-6 && d > -1e-6 && t < 1e-4 && t > -1e-4) }' &&
	ok || bad "eval: 1 rank $l1, 2 ranks $l2, training said $va"

# eval --bands: the loss by id band, from each token's log-probability,
# adds up to the loss of the split and its tokens to the split's tokens
for run in a f; do
	j=$("$engram" eval --ckpt "$dir/$run" --data "$dir/z.h5" --split valid --batch 4 --bptt 8 \
		--bands 20,100 --json --threads 1)
	awk -v j="$j" 'BEGIN {
		match(j, /"loss":[0-9.]*/); loss = substr(j, RSTART + 7, RLENGTH - 7)
		match(j, /"tokens":[0-9]*/); tok = substr(j, RSTART + 9, RLENGTH - 9)
		n = split(j, parts, /"adds":/); s = 0
		for (i = 2; i <= n; i++) s += parts[i] + 0
		m = split(j, tp, /"tokens":/); t = 0
		for (i = 3; i <= m; i++) t += tp[i] + 0
		exit !(n == 4 && s - loss < 1e-4 && loss - s < 1e-4 && t == tok) }' &&
		ok || bad "eval --bands ($run): $j"
done

# sample: words of the vocabulary, greedy independent of the seed
s=$("$engram" sample --ckpt "$dir/a" --length 60 --temperature 0.8 --seed 2)
n=$(tr ' ' '\n' <<<"$s" | grep -c '^w[0-9]*$')
[ "$n" -ge 40 ] && ok || bad "sample: $n vocabulary words in '$s'"
g1=$("$engram" sample --ckpt "$dir/a" --length 30 --temperature 0 --seed 1)
g2=$("$engram" sample --ckpt "$dir/a" --length 30 --temperature 0 --seed 9)
[ "$g1" = "$g2" ] && ok || bad "greedy sampling depends on the seed"

# stop and resume: the same parameters, Adam moments and losses, bit for bit
train 1 straight --batch 4 --steps 60 --ckpt-every 25 "${ad[@]}" || bad "straight"
train 1 split --batch 4 --steps 35 --ckpt-every 25 "${ad[@]}" || bad "first half"
train 1 split --batch 4 --steps 60 --ckpt-every 25 --resume auto "${ad[@]}" || bad "resume: $(tail -2 "$dir/split.log")"
"$engram" ckpt diff "$dir/straight" "$dir/split" > "$dir/rd.log" && ok ||
	bad "resumed adaptive run differs: $(grep -v ' 0 *0$' "$dir/rd.log" | head -4)"
grep -q 'optim/v/out.tail.2.W' "$dir/rd.log" && ok || bad "diff did not compare the tail's Adam moments"
# on another number of ranks: parameters and moments carry over, the layout
# is mapped
mkdir "$dir/to2"
train 2 to2 --batch 2 --steps 50 --ckpt-every 25 "${ad[@]}" \
	--resume "$dir/split/ckpt-s0000000035.h5" || bad "1 -> 2 ranks: $(tail -2 "$dir/to2.log")"
grep -q "layout changed" "$dir/to2.log" && [ -s "$dir/to2/ckpt-s0000000050.h5" ] &&
	ok || bad "1 -> 2 ranks: no layout message or no checkpoint"

# shapes that cannot resume: refused before step 1, naming the flag
for args in "--cutoffs 20,200 --softmax adaptive --div-value 2" "--cutoffs 20,100 --softmax adaptive --div-value 4" \
	"--cutoffs 20,100 --softmax adaptive --div-value 2 --head-bias on" ""; do
	out=$("$engram" train --data "$dir/z.h5" --run-dir "$dir/split" --layers 1 --hidden 16 --embed 8 \
		--bptt 8 --batch 4 --steps 80 --threads 1 --quiet --resume auto $args 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q 'cannot change on resume' <<<"$out" &&
		ok || bad "resume with '$args': exit $rc: $out"
done
out=$("$engram" train --data "$dir/z.h5" --run-dir "$dir/f" --layers 1 --hidden 16 --embed 8 --bptt 8 \
	--batch 8 --epochs 3 --threads 1 --quiet --resume auto "${ad[@]}" 2>&1)
[ $? -ne 0 ] && grep -q -- '--softmax adaptive does not match the checkpoint.s full softmax' <<<"$out" &&
	ok || bad "full -> adaptive resume: $out"

# bad flags: one line naming the flag, exit 2, before anything is written
for args in "--cutoffs 100,20" "--cutoffs 20,20" "--cutoffs 0" "--cutoffs $V" "--cutoffs 20,x" \
	"--cutoffs 20 --div-value 1" "--cutoffs 20 --div-value 0.5" "--cutoffs 2,5,9,14,20 --div-value 2" \
	"" "--cutoffs 20 --tie --embed 16" "--cutoffs $((V - 1))" "--cutoffs 20 --head-bias yes"; do
	out=$("$engram" train --data "$dir/z.h5" --run-dir "$dir/x" --layers 1 --hidden 16 --embed 8 \
		--threads 1 --softmax adaptive $args 2>&1)
	rc=$?
	[ "$rc" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q -- '--cutoffs\|--div-value\|--tie\|--head-bias' <<<"$out" &&
		[ ! -e "$dir/x" ] && ok || bad "train --softmax adaptive $args: exit $rc: $out"
done
out=$("$engram" train --data "$dir/z.h5" --run-dir "$dir/x" --cutoffs 20 2>&1)
[ $? -eq 2 ] && grep -q -- '--cutoffs is given but --softmax is full' <<<"$out" && ok || bad "cutoffs without adaptive: $out"
printf 'a\na\na\n' > "$dir/two.txt"
"$engram" prepare --quiet --tokenizer word -o "$dir/two.h5" "$dir/two.txt" "$dir/two.txt" "$dir/two.txt"
out=$("$engram" train --data "$dir/two.h5" --run-dir "$dir/x" --softmax adaptive --cutoffs 1 --batch 1 --bptt 1 2>&1)
[ $? -eq 2 ] && grep -q '1 word' <<<"$out" && ok || bad "adaptive on a vocabulary of 2: $out"

# a data set whose ids are not frequency-sorted (bytes: 'z' = 122 is the
# most frequent) trains, with one warning naming the file
awk 'BEGIN { for (i = 0; i < 400; i++) print "zzzzzzzzzyyyyxxa" }' > "$dir/b.txt"
"$engram" prepare --quiet --tokenizer byte -o "$dir/b.h5" "$dir/b.txt"
"$engram" train --data "$dir/b.h5" --run-dir "$dir/bytes" --layers 1 --hidden 16 --embed 8 --bptt 8 \
	--batch 4 --steps 5 --threads 1 --quiet "${ad[@]}" > "$dir/bytes.log" 2>&1 && ok || bad "byte data"
[ "$(grep -c "warning: $dir/b.h5: the ids are not sorted by frequency" "$dir/bytes.log")" -eq 1 ] &&
	ok || bad "no (or more than one) frequency warning: $(grep -i warn "$dir/bytes.log")"

# plain SGD updates only the embedding rows a step read (--sparse-emb on,
# also on one rank): bit for bit the dense update, with micro-batches,
# dropout, a skipped and a rolled-back step, full and adaptive softmax
sgd() { # OUT [FLAGS...]: 1 rank, SGD (a failure is one when FAILS is unset)
	local out=$1
	shift
	"$engram" train --data "$dir/z.h5" --run-dir "$dir/$out" --layers 1 --hidden 16 --embed 8 \
		--bptt 8 --batch 4 --steps 30 --optimizer sgd --lr 0.5 --clip 1 --seed 4 --threads 1 \
		--quiet "$@" > "$dir/$out.log" 2>&1 || [ -n "${FAILS:-}" ] || bad "$out: $(tail -2 "$dir/$out.log")"
}
for v in "plain" "accum --accum 2 --dropout 0.3" "adaptive ${ad[*]} --dropout 0.3"; do
	set -- $v
	name=$1
	shift
	sgd "s-$name-on" "$@"
	sgd "s-$name-off" --sparse-emb off "$@"
	"$engram" ckpt diff "$dir/s-$name-on" "$dir/s-$name-off" > /dev/null && ok ||
		bad "SGD $name: the sparse embedding update differs from the dense one"
done
# (the fault comes back at step 12 after each rollback: three rollbacks
# to step 10, then the run stops; both runs must have done the same)
for p in skip rollback; do
	ENGRAM_FAULT=nan@12 FAILS=$p sgd "s-$p-on" --on-nan $p --ckpt-every 5
	ENGRAM_FAULT=nan@12 FAILS=$p sgd "s-$p-off" --on-nan $p --ckpt-every 5 --sparse-emb off
	# (three rollbacks onto the same checkpoint: the second used to find
	# "no checkpoint yet", its path erased by the first)
	grep -q "$([ $p = skip ] && echo skipped || echo 'already rolled back 3 times')" "$dir/s-$p-on.log" && ok ||
		bad "--on-nan $p did not act: $(tail -2 "$dir/s-$p-on.log")"
	"$engram" ckpt diff "$dir/s-$p-on" "$dir/s-$p-off" > /dev/null && ok ||
		bad "SGD with a $p: the sparse embedding update differs from the dense one"
done

# 1 rank with batch 12 equals 2 and 3 ranks with 6 and 4, with the sparse
# embedding exchange and overlap on
eq() { # NP B OUT [FLAGS...]
	local np=$1 b=$2 out=$3
	shift 3
	train "$np" "$out" --batch "$b" --steps 6 --epochs 1 "${ad[@]}" "$@" || bad "$out: $(tail -2 "$dir/$out.log")"
}
eq 1 12 q1
eq 2 6 q2
eq 2 6 q2-overlap --overlap on --bucket-mb 0.001
eq 3 4 q3 --sparse-emb off
"$engram" ckpt diff --tol 1e-5 "$dir/q1" "$dir/q2" > /dev/null && ok || bad "1 rank vs 2 ranks"
"$engram" ckpt diff "$dir/q2" "$dir/q2-overlap" > /dev/null && ok || bad "overlap changes the result"
"$engram" ckpt diff --tol 1e-5 "$dir/q1" "$dir/q3" > /dev/null && ok || bad "1 rank vs 3 ranks"

echo "adaptive_e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
