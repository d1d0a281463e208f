#!/usr/bin/env bash
# score_e2e.sh ENGRAM MPIEXEC H5FORGE - engram score against engram eval on
# the same model: one sentence from a fresh state (each token of --debug 2,
# and the sentence's sum) equals eval of a split holding that sentence
# alone; --carry over a file equals eval --batch 1 of the file as a split;
# 2 ranks print what 1 rank prints; n-best costs are the sentences' nats;
# and bad input (invalid UTF-8, words outside a vocabulary without <unk>,
# weights without a vocabulary) is one line naming the file and line.
set -u
engram=$1
mpiexec=$2
forge=$3
. "$(dirname "$0")/lib.sh"

# a word corpus from a small grammar, and a model of it (a few seconds)
grammar_text 3000 "" > "$dir/toy.txt"
head -300 "$dir/toy.txt" > "$dir/v.txt"
"$engram" prepare --quiet --tokenizer word -o "$dir/w.h5" "$dir/toy.txt" "$dir/v.txt" "$dir/v.txt" || bad "prepare"
"$engram" train --data "$dir/w.h5" --run-dir "$dir/m" --layers 2 --hidden 16 --embed 8 --batch 8 \
	--bptt 10 --optimizer adam --lr 0.01 --steps 60 --threads 1 --quiet > "$dir/m.log" 2>&1 ||
	bad "train: $(tail -2 "$dir/m.log")"

# nats of a text as eval scores it: a data set whose test split is TEXT
# after an empty line (the <eos> eval reads first and does not score), with
# the model's vocabulary (the same train text); batch 1, every token
eval_nats() { # NAME TEXTFILE
	{ echo; cat "$2"; } > "$dir/$1.split"
	"$engram" prepare --quiet --tokenizer word -o "$dir/$1.h5" "$dir/toy.txt" "$dir/$1.split" "$dir/$1.split" &&
		"$engram" eval --ckpt "${ck:-$dir/m}" --data "$dir/$1.h5" --split test --batch 1 --bptt 1 --json |
		sed 's/.*"loss":\([0-9.e+-]*\).*"tokens":\([0-9]*\).*/\1 \2/' | awk '{ printf "%.9g", $1 * $2 }'
}
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-5 * (b < 0 ? -b : b) + 1e-9) }'; }
nats_of() { grep -o '"nats":[0-9.e+-]*' | cut -d: -f2; }

# one sentence from a fresh state: the sum, and each token of --debug 2
echo "the bird likes a mouse" > "$dir/one.txt"
want=$(eval_nats one "$dir/one.txt")
got=$("$engram" score --ckpt "$dir/m" --json "$dir/one.txt" | head -1 | nats_of)
near "$got" "$want" && ok || bad "one sentence: score $got nats, eval $want"
"$engram" score --ckpt "$dir/m" --debug 2 "$dir/one.txt" > "$dir/one.d2"
tok=$(grep -c 'p( ' "$dir/one.d2")
sum=$(grep 'p( ' "$dir/one.d2" | sed 's/.*\[ \(.*\) \]$/\1/' | awk '{ s -= $1 * log(10) } END { printf "%.9g", s }')
[ "$tok" -eq 6 ] && grep -q 'p( </s> | mouse ... )' "$dir/one.d2" && near "$sum" "$want" && ok ||
	bad "--debug 2: $tok tokens summing to $sum nats, eval $want: $(cat "$dir/one.d2")"
grep -q '^1 sentences, 5 words, 0 OOVs$' "$dir/one.d2" && grep -q '^file .*one.txt: 1 sentences, 5 words, 0 OOVs$' "$dir/one.d2" &&
	grep -q '^0 zeroprobs, logprob= -[0-9.]* ppl= [0-9.]* ppl1= [0-9.]*$' "$dir/one.d2" && ok ||
	bad "--debug 2 is not SRILM's layout: $(cat "$dir/one.d2")"

# --carry over a file is eval --batch 1 of it as a split
sed -n '2000,2040p' "$dir/toy.txt" > "$dir/many.txt"
echo >> "$dir/many.txt"	# an empty line: the end of sentence alone
want=$(eval_nats many "$dir/many.txt")
got=$("$engram" score --ckpt "$dir/m" --carry --json "$dir/many.txt" | tail -1 | nats_of)
near "$got" "$want" && ok || bad "--carry: score $got nats, eval --batch 1 $want"
# the adaptive softmax: the same two figures, from its exact normalized
# log-probabilities (head and cluster)
"$engram" train --data "$dir/w.h5" --run-dir "$dir/ma" --layers 1 --hidden 16 --embed 8 --batch 8 \
	--bptt 10 --optimizer adam --lr 0.01 --steps 60 --threads 1 --quiet \
	--softmax adaptive --cutoffs 4,8 --div-value 2 > "$dir/ma.log" 2>&1 || bad "train adaptive: $(tail -2 "$dir/ma.log")"
ck=$dir/ma
want=$(eval_nats one_a "$dir/one.txt")
got=$("$engram" score --ckpt "$dir/ma" --json "$dir/one.txt" | head -1 | nats_of)
near "$got" "$want" && ok || bad "adaptive, one sentence: score $got nats, eval $want"
want=$(eval_nats many_a "$dir/many.txt")
got=$("$engram" score --ckpt "$dir/ma" --carry --json "$dir/many.txt" | tail -1 | nats_of)
near "$got" "$want" && ok || bad "adaptive, --carry: score $got nats, eval --batch 1 $want"
unset ck
want=$(eval_nats many "$dir/many.txt")

# without --carry each line starts afresh: another figure, and the same in
# batches of 1 and of 7 streams (to float rounding)
fresh=$("$engram" score --ckpt "$dir/m" --json "$dir/many.txt" | tail -1 | nats_of)
one=$("$engram" score --ckpt "$dir/m" --batch 1 --json "$dir/many.txt" | tail -1 | nats_of)
! near "$fresh" "$want" && near "$fresh" "$one" && ok || bad "fresh state: $fresh, batch 1: $one, carried: $want"

# 2 ranks print what 1 rank prints, in input order
"$engram" score --ckpt "$dir/m" --batch 3 --debug 2 "$dir/many.txt" > "$dir/r1.txt"
"$mpiexec" -n 2 "$engram" score --ckpt "$dir/m" --batch 3 --debug 2 "$dir/many.txt" > "$dir/r2.txt" 2>&1
cmp -s "$dir/r1.txt" "$dir/r2.txt" && ok || bad "2 ranks differ from 1: $(diff "$dir/r1.txt" "$dir/r2.txt" | head -5)"
"$engram" score --ckpt "$dir/m" --batch 3 --debug 2 - < "$dir/many.txt" | sed 's/^file -:/file X:/' > "$dir/r3.txt"
"$mpiexec" -n 2 "$engram" score --ckpt "$dir/m" --batch 3 --debug 2 - < "$dir/many.txt" 2>&1 |
	sed 's/^file -:/file X:/' > "$dir/r4.txt"
cmp -s "$dir/r3.txt" "$dir/r4.txt" && ok || bad "standard input under 2 ranks: $(diff "$dir/r3.txt" "$dir/r4.txt" | head -5)"

# n-best: one 'id cost' per line, cost = the sentence's nats; an id alone
# is the end of sentence alone
printf 'utt1-1 the cat sees a mouse\nutt1-2 the cat sees a\nutt1-3\n' > "$dir/nb.txt"
"$engram" score --ckpt "$dir/m" --nbest "$dir/nb.txt" > "$dir/nb.out"
printf 'the cat sees a mouse\nthe cat sees a\n\n' | "$engram" score --ckpt "$dir/m" --json - > "$dir/nb.json"
ok_nb=1
for i in 1 2 3; do
	c=$(sed -n "${i}p" "$dir/nb.out")
	n=$(sed -n "${i}p" "$dir/nb.json" | nats_of)
	[ "${c%% *}" = "utt1-$i" ] && near "${c#* }" "$n" || ok_nb=0
done
[ "$ok_nb" = 1 ] && [ "$(wc -l < "$dir/nb.out")" -eq 3 ] && ok || bad "--nbest: $(cat "$dir/nb.out") against $(cat "$dir/nb.json")"

# OOVs: no <unk> in this vocabulary, so --oov unk stops at the first one,
# naming it; --oov skip leaves it out and counts it
printf 'the cat sees a mouse\nthe zebra sees a mouse\n' > "$dir/oov.txt"
out=$("$engram" score --ckpt "$dir/m" "$dir/oov.txt" 2>&1)
[ $? -eq 1 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "oov.txt:2: 'zebra' is not in the model's vocabulary" <<<"$out" &&
	ok || bad "an OOV without <unk>: $out"
out=$("$engram" score --ckpt "$dir/m" --oov skip "$dir/oov.txt" 2>&1)
[ $? -eq 0 ] && grep -q '2 sentences, 10 words, 1 OOVs' <<<"$out" && ok || bad "--oov skip: $out"
# under 2 ranks a bad input is said once (every rank reads the same bytes),
# and so is a file that is not there
for f in oov.txt nonexistent.txt; do
	out=$("$mpiexec" -n 2 "$engram" score --ckpt "$dir/m" "$dir/$f" 2>&1)
	[ $? -ne 0 ] && [ "$(grep -c '^engram score:' <<<"$out")" -eq 1 ] && ok || bad "2 ranks, $f: $out"
done

# invalid UTF-8: the file and line named, nothing on stdout; --skip-bad
# goes on without it
printf 'the cat sees a mouse\nthe \377 sees\na dog eats the fish\n' > "$dir/bad.txt"
"$engram" score --ckpt "$dir/m" "$dir/bad.txt" > "$dir/bad.out" 2> "$dir/bad.err"
rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$dir/bad.out" ] && [ "$(wc -l < "$dir/bad.err")" -eq 1 ] && grep -q 'bad.txt:2' "$dir/bad.err" &&
	ok || bad "invalid UTF-8: exit $rc: $(cat "$dir/bad.err")"
out=$("$engram" score --ckpt "$dir/m" --skip-bad "$dir/bad.txt" 2>&1)
[ $? -eq 0 ] && grep -q 'bad.txt:2.*(skipped)' <<<"$out" && grep -q ': 2 sentences, 10 words' <<<"$out" &&
	ok || bad "--skip-bad: $out"

# weights without a vocabulary (a hand-made data set's model), flags that
# exclude each other, no input
"$forge" "$dir/min.h5" vocab_size=20 train:3000 valid:300
"$engram" train --data "$dir/min.h5" --run-dir "$dir/min" --layers 1 --hidden 8 --embed 8 \
	--batch 2 --bptt 4 --steps 2 --threads 1 --quiet > /dev/null 2>&1
out=$("$engram" score --ckpt "$dir/min" "$dir/one.txt" 2>&1)
[ $? -eq 1 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q 'no vocabulary' <<<"$out" && ok || bad "no vocabulary: $out"
for args in "--nbest --json $dir/one.txt" "--ckpt $dir/m" "--ckpt $dir/m --debug 3 $dir/one.txt"; do
	out=$("$engram" score $args 2>&1)
	[ $? -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && ok || bad "score $args: $out"
done

# a character model: every character, then the newline, is predicted
"$engram" prepare --quiet --tokenizer char -o "$dir/c.h5" "$dir/toy.txt" "$dir/v.txt" "$dir/v.txt"
"$engram" train --data "$dir/c.h5" --run-dir "$dir/cm" --layers 1 --hidden 16 --embed 8 --batch 4 \
	--bptt 10 --steps 20 --threads 1 --quiet > /dev/null 2>&1
out=$("$engram" score --ckpt "$dir/cm" --debug 2 "$dir/one.txt" 2>&1)
[ "$(grep -c 'p( ' <<<"$out")" -eq 23 ] && grep -q '1 sentences, 22 words' <<<"$out" &&
	grep -q 'p( <space> | e ... )' <<<"$out" && ok || bad "a character model: $out"

echo "score_e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
