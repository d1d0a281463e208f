#!/usr/bin/env bash
# train_e2e.sh ENGRAM H5FORGE - engram train / eval / sample end to end on a corpus
# made here from a small grammar: learning must take the loss far below the
# unigram entropy, runs must repeat bit for bit, samples must follow the
# grammar, greedy sampling must not depend on the seed, and non-finite
# losses must stop (or skip) with a message.
set -u
engram=$1
forge=$2
. "$(dirname "$0")/lib.sh"

# 4000 sentences "SUBJ VERB OBJ." drawn by a fixed LCG: deterministic text.
grammar_text 4000 . > "$dir/toy.txt"
grammar='^(the cat|a dog|the bird) (sees|eats|likes) (the fish|a mouse|the seed)\.$'

# unigram entropy of the characters, in nats
h1=$(awk 'BEGIN { FS = "" } { for (i = 1; i <= NF; i++) c[$i]++; c["\n"]++; n += NF + 1 }
	END { for (k in c) { p = c[k] / n; h -= p * log(p) } printf "%.4f", h }' "$dir/toy.txt")

"$engram" prepare --quiet --tokenizer char -o "$dir/toy.h5" "$dir/toy.txt" || bad "prepare"

train() { # DIR [FLAGS...]
	local out=$1
	shift
	"$engram" train --data "$dir/toy.h5" --run-dir "$out" --layers 1 --hidden 64 \
		--embed 16 --batch 16 --bptt 32 --optimizer adam --lr 0.01 --clip 1 \
		--epochs 3 --threads 1 --seed 7 --log-every 20 --quiet "$@"
}

# bad flags: one line naming the flag, exit 2, nothing else on the terminal
for args in "" "--data $dir/toy.h5 --run-dir $dir/x --sparse-emb maybe" "--data $dir/nope.h5 --run-dir $dir/x"; do
	out=$("$engram" train $args 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && ok || bad "train $args: exit $rc, $(wc -l <<<"$out") lines: $(head -3 <<<"$out")"
done

# float flags out of range or beyond float32: the flag named, exit 2, before
# the run directory is touched
for args in "--lr 1e39" "--lr 0" "--momentum -5" "--optimizer adam --beta1 2" \
	"--optimizer adam --eps 0" "--init-scale 1e30" "--dropout 1" "--clip 1e40" \
	"--weight-decay -0.5" "--lr 0.01 --min-lr 0.1"; do
	out=$("$engram" train --data "$dir/toy.h5" --run-dir "$dir/x" $args 2>&1)
	rc=$?
	flag=${args##*--}
	[ "$rc" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q -- "--${flag%% *} must be" <<<"$out" &&
		[ ! -e "$dir/x/config.json" ] && ok || bad "train $args: exit $rc: $out"
done
# the limits the trainer sizes its buffers by: the flag check refuses one
# past them (they once disagreed: --accum 1<<16 against 64 micro-batch
# states), and the edge itself runs
for args in "--accum 65 --batch 65" "--spike-window 100001" "--spike-window 1"; do
	out=$("$engram" train --data "$dir/toy.h5" --run-dir "$dir/x" $args 2>&1)
	rc=$?
	flag=${args#--}
	[ "$rc" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q -- "--${flag%% *} must be in" <<<"$out" &&
		[ ! -e "$dir/x/config.json" ] && ok || bad "train $args: exit $rc: $out"
done
train "$dir/edge" --accum 64 --batch 64 --bptt 4 --spike-window 100000 --steps 2 > /dev/null 2>&1 &&
	ok || bad "--accum 64 --spike-window 100000 (the limits themselves) did not train"
# a diverging update (lr 3e38 fits a float) never becomes a checkpoint: the
# one written before stays, and the run ends with a message.  Which guard
# stops it depends on the CPU's GEMM kernel: weights of ~1e36 give an
# infinite update (the writer refuses it) or a NaN loss (rolled back until
# --max-rollbacks)
"$engram" train --data "$dir/toy.h5" --run-dir "$dir/inf" --layers 1 --hidden 8 --embed 8 \
	--batch 2 --bptt 4 --steps 6 --ckpt-every 1 --lr 3e38 --on-nan rollback --max-rollbacks 2 \
	--threads 1 --quiet > "$dir/inf.log" 2>&1
rc=$?
[ "$rc" -ne 0 ] && grep -qE "not written: .*tensor 'params/.*' holds .*inf|loss is not finite .*already rolled back 2 times" "$dir/inf.log" &&
	[ "$(ls "$dir"/inf/ckpt-s*.h5 | wc -l)" -ge 1 ] &&
	"$engram" ckpt verify "$dir/inf" > /dev/null && ok ||
	bad "diverged run: exit $rc, $(ls "$dir/inf"), $(tail -2 "$dir/inf.log")"

# hand-made data sets (h5forge writes what a user writes with h5py): the
# minimal layout of io/FORMATS.md (vocab_size and the splits, no vocabulary)
# trains and evaluates, and sample says it has no vocabulary; special ids
# outside the vocabulary are refused by data --verify and by train, before
# the run directory is made
"$forge" "$dir/min.h5" vocab_size=20 train:6000 valid:600
out=$("$engram" train --data "$dir/min.h5" --run-dir "$dir/min" --layers 1 --hidden 8 --embed 8 \
	--batch 2 --bptt 4 --epochs 1 --threads 1 --quiet 2>&1) &&
	"$engram" eval --ckpt "$dir/min" --data "$dir/min.h5" --split valid > /dev/null &&
	ok || bad "the minimal data set layout: $out"
out=$("$engram" sample --ckpt "$dir/min" 2>&1)
[ $? -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q 'carry no vocabulary' <<<"$out" &&
	ok || bad "sample without a vocabulary: $out"
# a split too short for the layout it is read in is refused at start, not
# after an epoch of training: a 9-token valid split, a huge --eval-batch
"$forge" "$dir/short.h5" vocab_size=20 train:6000 valid:9 test:600
for args in "--data $dir/short.h5" "--data $dir/min.h5 --eval-batch 100000"; do
	rm -rf "$dir/short"
	out=$("$engram" train $args --run-dir "$dir/short" --layers 1 --hidden 8 --embed 8 --batch 2 \
		--bptt 4 --threads 1 --quiet 2>&1)
	[ $? -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "evaluation (--eval-batch .*split 'valid' has" <<<"$out" &&
		[ ! -e "$dir/short/metrics.jsonl" ] && ok || bad "train $args: $out"
done
for a in unk_id=999 eos_id=20 unk_id=-2; do
	"$forge" "$dir/sp.h5" vocab_size=20 "$a" train:6000 valid:600
	out=$("$engram" data --verify "$dir/sp.h5" 2>&1)
	[ $? -ne 0 ] && grep -q "sp.h5: attribute '${a%%=*}' is ${a#*=} (expected -1 .. 19" <<<"$out" &&
		ok || bad "data --verify with $a: $out"
	out=$("$engram" train --data "$dir/sp.h5" --run-dir "$dir/sp" --threads 1 --quiet 2>&1)
	[ $? -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && [ ! -e "$dir/sp" ] &&
		ok || bad "train with $a: $out"
done

train "$dir/a" > "$dir/a.log" 2>&1 && ok || bad "train: $(tail -3 "$dir/a.log")"
m="$dir/a/metrics.jsonl"
for key in step epoch loss ppl lr grad_norm tok_per_s; do
	grep -q "\"$key\":" "$m" && ok || bad "metrics.jsonl has no $key"
done
grep -q '"split":"valid".*"loss":.*"ppl":' "$m" && ok || bad "metrics.jsonl has no validation object"
valid=$(grep '"split":"valid"' "$m" | tail -1 | sed 's/.*"loss":\([0-9.e+-]*\).*/\1/')
# The grammar leaves about 3 x ln 3 nats per 24-char sentence; a model that
# learned nothing sits at the unigram entropy (about 2.8 nats).
awk -v v="$valid" -v h="$h1" 'BEGIN { exit !(v < 0.25 * h) }' &&
	ok || bad "validation loss $valid is not below a quarter of the unigram entropy $h1"

# the same seed and settings give the same losses, bit for bit: the first
# epoch again (a whole run again is a minute under ASan), every training
# and validation loss of run a's first epoch
train "$dir/b" --epochs 1 > "$dir/b.log" 2>&1
losses() { grep -v '"split":"test"' "$1" | grep -E '"epoch":1[,}]' | grep -o '"loss":[^,]*'; }
[ "$(losses "$dir/b/metrics.jsonl" | wc -l)" -ge 8 ] &&
	diff <(losses "$m") <(losses "$dir/b/metrics.jsonl") >/dev/null &&
	ok || bad "two runs with one seed logged different losses"

# eval with the training layout reproduces the last validation loss
ev=$("$engram" eval --ckpt "$dir/a" --data "$dir/toy.h5" --split valid --batch 16 --bptt 32 --threads 1)
evl=$(sed 's/.*loss=\([0-9.]*\).*/\1/' <<<"$ev")
awk -v a="$evl" -v b="$valid" 'BEGIN { d = a - b; exit !(d < 1e-3 && d > -1e-3) }' &&
	ok || bad "eval says '$ev', training said $valid"
grep -q 'ppl=' <<<"$ev" && ok || bad "eval prints no ppl= ($ev)"

# samples follow the grammar; greedy does not depend on the seed
"$engram" sample --ckpt "$dir/a" --prime "the cat " --length 600 --temperature 0.5 --seed 3 > "$dir/s.txt"
lines=$(sed '1d;$d' "$dir/s.txt" | wc -l)
good=$(sed '1d;$d' "$dir/s.txt" | grep -cE "$grammar")
[ "$lines" -ge 10 ] && [ $((good * 10)) -ge $((lines * 9)) ] &&
	ok || bad "only $good of $lines sampled lines follow the grammar: $(head -5 "$dir/s.txt")"
g1=$("$engram" sample --ckpt "$dir/a" --length 100 --temperature 0 --seed 1)
g2=$("$engram" sample --ckpt "$dir/a" --length 100 --temperature 0 --seed 2)
[ "$g1" = "$g2" ] && ok || bad "temperature 0 depends on the seed"

# a run whose loss is not finite stops at that step (or skips it on request)
out=$(train "$dir/nan" --lr 3e38 --steps 30 2>&1)
rc=$?
[ "$rc" -ne 0 ] && grep -qE 'step [0-9]+: the (loss|gradient) is not finite' <<<"$out" &&
	ok || bad "divergence: exit $rc, $(tail -2 <<<"$out")"
out=$(ENGRAM_FAULT=nan@5 train "$dir/skip" --steps 30 --on-nan skip 2>&1)
rc=$?
[ "$rc" -eq 0 ] && grep -q 'skipped' <<<"$out" && ok || bad "--on-nan skip: exit $rc"

# bad input to eval and sample: one line naming the file
out=$("$engram" eval --ckpt "$dir/toy.txt" --data "$dir/toy.h5" 2>&1)
[ $? -eq 1 ] && grep -q 'toy.txt: not an HDF5 file' <<<"$out" && ok || bad "eval of a text file: $out"
out=$("$engram" sample --ckpt "$dir/toy.h5" 2>&1)
[ $? -eq 1 ] && grep -q 'toy.h5: not an engram checkpoint' <<<"$out" && ok || bad "sample of a data set: $out"
out=$("$engram" train --data "$dir/toy.h5" --run-dir "$dir/x" --tie --embed 16 --hidden 32 2>&1)
[ $? -eq 2 ] && grep -q 'tie needs embed == the top layer' <<<"$out" && ok || bad "tie check: $out"
out=$("$engram" train --data "$dir/toy.h5" --run-dir "$dir/x" --preset nope 2>&1)
[ $? -eq 2 ] && grep -q "\-\-preset must be zaremba-small, .* (got 'nope')" <<<"$out" && ok || bad "preset check: $out"

echo "train_e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
