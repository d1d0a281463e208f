#!/usr/bin/env bash
# ntasgd.sh ENGRAM MPIEXEC - NT-ASGD (--optimizer ntasgd): the switch to
# averaging follows awd-lstm-lm's rule, the average is what validation,
# the checkpoint and eval use, and a run resumed after the switch equals
# the uninterrupted run, average and all.
set -u
engram=$1
mpiexec=$2
. "$(dirname "$0")/lib.sh"

# train and test: the grammar; valid: its words in an order the grammar
# never makes, so that the better the model learns the grammar the worse
# its validation loss: the switch comes at the first epoch it can (epoch 3
# with --nonmono 1), whatever the machine's rounding
grammar_text 3000 "" > "$dir/train.txt"
grammar_text 300 "" > "$dir/test.txt"
awk '{ for (i = NF; i >= 1; i--) printf "%s%s", $i, (i > 1 ? " " : "\n") }' "$dir/test.txt" \
	> "$dir/valid.txt"
"$engram" prepare --quiet --tokenizer word -o "$dir/g.h5" "$dir/train.txt" "$dir/valid.txt" \
	"$dir/test.txt" || bad prepare

flags=(--data "$dir/g.h5" --layers 1 --hidden 16 --embed 16 --batch 4 --bptt 10 --epochs 5
	--optimizer ntasgd --nonmono 1 --lr 2 --clip 1 --weight-decay 1e-4 --seed 3 --threads 1
	--quiet --log-every 50 --tensorboard off)
train() { # OUT [FLAGS]
	local out=$1
	shift
	"$mpiexec" -n 2 "$engram" train "${flags[@]}" --run-dir "$dir/$out" "$@" > "$dir/$out.log" 2>&1
}
metrics() {
	grep -v '"event":"checkpoint"' "$dir/$1/metrics.jsonl" |
		sed -E 's/"(tok_per_s|ms_per_step|data_share|comm_share)":[^,}]*,?//g'
}

train straight || bad "ntasgd run: $(tail -2 "$dir/straight.log")"
grep -q 'NT-ASGD: validation loss .* averaging the iterates from step' "$dir/straight.log" &&
	ok || bad "no switch to averaging: $(grep valid "$dir/straight.log")"
grep -q '"event":"ntasgd","step":[0-9]*,"epoch":3' "$dir/straight/metrics.jsonl" &&
	ok || bad "the switch was not at epoch 3: $(grep ntasgd "$dir/straight/metrics.jsonl")"
h5ls -r "$(ls "$dir"/straight/ckpt-s*.h5 | tail -1)" | grep -q '^/optim/ax/emb' &&
	ok || bad "the checkpoint holds no average"

# eval of the checkpoint scores the average: the last validation logged
want=$(grep '"split":"valid"' "$dir/straight/metrics.jsonl" | tail -1 | sed 's/.*"loss":\([0-9.]*\).*/\1/')
got=$("$engram" eval --ckpt "$dir/straight" --data "$dir/g.h5" --split valid --batch 8 --bptt 10 --json |
	sed 's/.*"loss":\([0-9.]*\).*/\1/')
awk -v a="$want" -v b="$got" 'BEGIN { exit !(a - b < 1e-5 && b - a < 1e-5) }' &&
	ok || bad "eval of the checkpoint $got, the run's last validation $want"

# the switch in the last epoch: the final test and the checkpoint score
# the iterate (nothing averaged yet), not an empty average (which scored
# ln V, 2.56 here)
train last --epochs 3 || bad "switch in the last epoch: $(tail -2 "$dir/last.log")"
t=$(grep '"split":"test"' "$dir/last/metrics.jsonl" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
e3=$("$engram" eval --ckpt "$dir/last" --data "$dir/g.h5" --split test --batch 8 --bptt 10 --json |
	sed 's/.*"loss":\([0-9.]*\).*/\1/')
grep -q 'NT-ASGD: validation' "$dir/last.log" &&
	awk -v a="$t" -v b="$e3" 'BEGIN { exit !(a < 1.5 && a - b < 1e-5 && b - a < 1e-5) }' &&
	ok || bad "switch in the last epoch: test $t, eval of the checkpoint $e3"

# stopped after the switch (224 steps an epoch: it came at step 672; 700 is
# in epoch 4), resumed: equal
train split --steps 700 --keep 10 || bad "first part: $(tail -2 "$dir/split.log")"
train split --resume auto --keep 10 || bad "resume: $(tail -2 "$dir/split.log")"
"$engram" ckpt diff "$dir/straight" "$dir/split" > "$dir/diff.log" &&
	ok || bad "resumed after the switch: $(grep -v ' 0 *0$' "$dir/diff.log" | head -4)"
grep -q '^optim/ax/' "$dir/diff.log" && ok || bad "ckpt diff did not compare the averages"
diff <(metrics straight) <(metrics split) > /dev/null && ok || bad "logged metrics differ after resume"

# what cannot go on from such a checkpoint is refused
mkdir "$dir/sgd"
train sgd --optimizer sgd --resume "$dir/split/ckpt-s0000000700.h5" > /dev/null 2>&1 &&
	bad "an averaging run resumed with --optimizer sgd" ||
	{ grep -q 'NT-ASGD.*--optimizer ntasgd' "$dir/sgd.log" && ok || bad "refusal: $(tail -1 "$dir/sgd.log")"; }
"$mpiexec" -n 1 "$engram" train "${flags[@]}" --run-dir "$dir/mom" --momentum 0.9 \
	> "$dir/mom.log" 2>&1 && bad "ntasgd with momentum ran" ||
	{ grep -q 'ntasgd: momentum' "$dir/mom.log" && ok || bad "momentum: $(tail -1 "$dir/mom.log")"; }

echo "ntasgd: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
