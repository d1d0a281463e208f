#!/usr/bin/env bash
# resume.sh ENGRAM MPIEXEC - checkpoints: a run stopped mid-epoch and
# resumed equals the uninterrupted run to the bit (parameters, optimizer
# state, logged losses) on 1 and 2 ranks, with dropout, Adam and carried
# state; resuming on 2 -> 1 and 1 -> 3 ranks works; --keep rotation and
# best.h5; shape changes are refused, lr changes logged; a fresh run does
# not overwrite a run directory's checkpoints; a changed data set is refused
# unless allowed; kill -9 during writes leaves only complete checkpoints;
# ckpt verify catches a flipped byte; bad files give one clear line.
set -u
engram=$1
mpiexec=$2
. "$(dirname "$0")/lib.sh"

awk 'BEGIN { x = 9; for (i = 0; i < 24000; i++) { x = (x * 1103515245 + 12345) % 2147483648;
	printf "%c", 97 + int(x / 65536) % 18; if (i % 40 == 39) printf "\n" } }' > "$dir/t.txt"
"$engram" prepare --quiet --tokenizer char -o "$dir/t.h5" "$dir/t.txt"

# 24000 chars, 90% train: 21600 tokens; 4 streams x bptt 10: 539 windows/epoch
flags=(--data "$dir/t.h5" --layers 2 --hidden 16 --embed 8 --bptt 10 --epochs 2
	--optimizer adam --lr 0.005 --dropout 0.3 --clip 1 --seed 4 --threads 1
	--log-every 25 --quiet)
train() { # NP OUT [FLAGS]: run and keep the log
	local np=$1 out=$2
	shift 2
	"$mpiexec" -n "$np" "$engram" train "${flags[@]}" --run-dir "$dir/$out" "$@" \
		> "$dir/$out.log" 2>&1
}
# metrics without the timing fields, and without the checkpoint lines (a
# background write's line comes at whichever step it finished)
metrics() {
	grep -v '"event":"checkpoint"' "$dir/$1/metrics.jsonl" |
		sed -E 's/"(tok_per_s|ms_per_step|data_share|comm_share)":[^,}]*,?//g'
}

for np in 1 2; do
	b=$((4 / np))
	train "$np" "straight$np" --batch "$b" --accum 2 --ckpt-every 200 --keep 3 ||
		bad "straight run on $np: $(tail -2 "$dir/straight$np.log")"
	train "$np" "split$np" --batch "$b" --accum 2 --ckpt-every 200 --keep 20 --steps 730 ||
		bad "first half on $np"
	train "$np" "split$np" --batch "$b" --accum 2 --ckpt-every 200 --keep 20 --resume auto ||
		bad "resume on $np: $(tail -2 "$dir/split$np.log")"
	grep -q 'resumed from .*ckpt-s0000000730.h5: epoch 2, step 730' "$dir/split$np.log" &&
		ok || bad "resume on $np ranks did not start at step 730: $(grep resumed "$dir/split$np.log")"
	"$engram" ckpt diff "$dir/straight$np" "$dir/split$np" > "$dir/diff$np.log" &&
		ok || bad "$np ranks: resumed run differs: $(grep -v ' 0 *0$' "$dir/diff$np.log" | head -5)"
	grep -q 'optim/v/emb' "$dir/diff$np.log" && ok || bad "diff did not compare the Adam moments"
	diff <(metrics "straight$np") <(metrics "split$np") > /dev/null &&
		ok || bad "$np ranks: logged metrics differ after resume"
done

# every regularizer of AWD-LSTM and variable window lengths, on its shape
# (the last layer as wide as the tied embedding, 8, the other 16): resumed
# mid-epoch (at a token offset no fixed window starts at) the run still
# equals the uninterrupted one, across the epoch's end; switching one off
# on resume is allowed and said
regs=(--batch 2 --dropout 0 --dropout-input 0.3 --dropout-hidden 0.2 --dropout-output 0.3
	--dropout-embed 0.1 --weight-drop 0.3 --ar 1 --tar 1 --bptt 12 --bptt-var on
	--top-hidden 8 --tie)
train 2 regs-straight "${regs[@]}" --steps 500 || bad "regularized run: $(tail -2 "$dir/regs-straight.log")"
train 2 regs-split "${regs[@]}" --steps 230 --keep 5 || bad "regularized first part"
train 2 regs-split "${regs[@]}" --steps 500 --keep 5 --resume auto ||
	bad "regularized resume: $(tail -2 "$dir/regs-split.log")"
grep -q '"epoch":2' "$dir/regs-straight/metrics.jsonl" && ok || bad "the regularized run did not reach epoch 2"
"$engram" ckpt diff "$dir/regs-straight" "$dir/regs-split" > "$dir/diff-regs.log" &&
	ok || bad "regularized resume differs: $(grep -v ' 0 *0$' "$dir/diff-regs.log" | head -5)"
diff <(metrics regs-straight) <(metrics regs-split) > /dev/null &&
	ok || bad "regularized resume: logged metrics differ"
grep -q '"reg_loss"' "$dir/regs-split/metrics.jsonl" && ok || bad "no reg_loss in the log"
mkdir "$dir/regs-off"
train 2 regs-off "${regs[@]}" --dropout-embed 0 --resume "$dir/regs-split/ckpt-s0000000230.h5" \
	--steps 240 || bad "resume with --dropout-embed 0: $(tail -2 "$dir/regs-off.log")"
grep -q 'settings changed on resume: .*dropout_embed' "$dir/regs-off.log" &&
	ok || bad "switching a regularizer off is not said: $(grep -i changed "$dir/regs-off.log")"

# a background write (--ckpt-async on, the default) writes what a write
# that holds every rank does: every checkpoint the same, state and all
# (the first half of split2's, steps 200 and 400)
train 2 sync2 --batch 2 --accum 2 --ckpt-every 200 --keep 3 --ckpt-async off --steps 400 ||
	bad "--ckpt-async off: $(tail -2 "$dir/sync2.log")"
same=0
for f in "$dir"/sync2/ckpt-s*.h5; do
	g=$dir/split2/$(basename "$f")
	"$engram" ckpt diff "$f" "$g" > /dev/null 2>&1 && h5diff "$f" "$g" /train/h /train/h &&
		h5diff "$f" "$g" /train/c /train/c && h5diff "$f" "$g" /train/rng /train/rng &&
		same=$((same + 1))
done
[ "$same" -eq 2 ] && [ "$(grep -c '"event":"checkpoint".*"async":1' "$dir/split2/metrics.jsonl")" -ge 5 ] &&
	ok || bad "--ckpt-async on and off: $same of 2 checkpoints the same"

# other rank counts: the state carries over, the data position is mapped
mkdir "$dir/to1"
train 1 to1 --batch 4 --accum 2 --resume "$dir/split2/ckpt-s0000000730.h5" --steps 800 ||
	bad "2 -> 1 ranks: $(tail -2 "$dir/to1.log")"
grep -q 'layout changed (2 ranks x batch 2, bptt 10 -> 1 x 4, bptt 10)' "$dir/to1.log" &&
	grep -q 'carried LSTM state starts from zero' "$dir/to1.log" && ok || bad "2 -> 1: no layout message"
mkdir "$dir/to3"
train 3 to3 --batch 2 --resume "$dir/split1/ckpt-s0000000730.h5" --steps 760 --epochs 3 ||
	bad "1 -> 3 ranks: $(tail -2 "$dir/to3.log")"
grep -q 'data position mapped' "$dir/to3.log" && ok || bad "1 -> 3: no mapping message"
"$engram" ckpt info --json "$dir/to3" | grep -q '"step":760' && ok || bad "1 -> 3 did not reach step 760"

# rotation keeps the newest --keep, and best.h5 names the best validation
n=$(ls "$dir/straight1" | grep -c '^ckpt-s')
[ "$n" -eq 3 ] && ok || bad "--keep 3 left $n checkpoints"
[ -f "$dir/straight1/best.h5" ] && "$engram" ckpt verify "$dir/straight1/best.h5" >/dev/null &&
	ok || bad "no valid best.h5"

# model shape cannot change on resume; lr can, and is logged
out=$(train 1 straight1 --batch 4 --accum 2 --hidden 32 --resume auto --epochs 3 2>&1)
[ $? -ne 0 ] && grep -q -- '--hidden 32 does not match the checkpoint' "$dir/straight1.log" &&
	ok || bad "shape change not refused: $(tail -2 "$dir/straight1.log")"
train 1 straight1 --batch 4 --accum 2 --resume auto --epochs 3 --steps 1090 --lr 0.002 &&
	grep -q 'settings changed on resume: .*lr 0.005 -> 0.002' "$dir/straight1.log" &&
	ok || bad "lr change not logged: $(grep -E 'changed|engram' "$dir/straight1.log")"

# a fresh run does not overwrite another run's checkpoints, nor its config
cfg=$(cksum < "$dir/straight2/config.json")
train 1 straight2 --batch 4 --lr 0.5 > /dev/null 2>&1
[ $? -ne 0 ] && grep -q 'already holds checkpoints; --resume auto' "$dir/straight2.log" &&
	[ "$(cksum < "$dir/straight2/config.json")" = "$cfg" ] &&
	ok || bad "fresh run into a used run dir: $(tail -1 "$dir/straight2.log")"

# a checkpoint keeps only the last --ckpt-log-mb of metrics.jsonl; resumed,
# the log still equals the uninterrupted run's; without the file, the log
# continues from the stored tail, said so
small=(--batch 4 --log-every 1 --ckpt-log-mb 0.004 --ckpt-every 50)
train 1 logcap "${small[@]}" --steps 200 || bad "log cap, straight: $(tail -1 "$dir/logcap.log")"
train 1 logcap2 "${small[@]}" --steps 120 && train 1 logcap2 "${small[@]}" --steps 200 --resume auto ||
	bad "log cap, split: $(tail -1 "$dir/logcap2.log")"
bytes=$(h5dump -H -d /train/metrics "$(ls "$dir"/logcap/ckpt-s*.h5 | tail -1)" |
	sed -n 's/.*DATASPACE *SIMPLE *{ *( *\([0-9]*\) *).*/\1/p')
[ -n "$bytes" ] && [ "$bytes" -le 4194 ] && [ "$(wc -c < "$dir/logcap/metrics.jsonl")" -gt 20000 ] &&
	diff <(metrics logcap) <(metrics logcap2) > /dev/null &&
	ok || bad "log cap: $bytes bytes stored, or the resumed log differs"
rm "$dir/logcap2/metrics.jsonl"
train 1 logcap2 "${small[@]}" --steps 250 --resume auto &&
	grep -q "metrics.jsonl: the log's first [0-9]* bytes are neither in the checkpoint nor in the file" \
		"$dir/logcap2.log" && [ "$(head -c 1 "$dir/logcap2/metrics.jsonl")" = "{" ] &&
	ok || bad "log cap, file lost: $(tail -2 "$dir/logcap2.log")"

# one job per run directory: of two fresh jobs started together exactly one
# runs, the other is refused naming the holder; so is a second --resume
# auto on the live run; the lock dies with a kill -9 of its holder
long=(--data "$dir/t.h5" --layers 1 --hidden 256 --embed 8 --bptt 8 --batch 2 --epochs 100000 --ckpt-every 20
	--threads 1 --quiet)
"$engram" train "${long[@]}" --run-dir "$dir/lock" > "$dir/lock1.log" 2>&1 &
p1=$!
"$engram" train "${long[@]}" --run-dir "$dir/lock" > "$dir/lock2.log" 2>&1 &
p2=$!
sleep 2
n=0
for p in $p1 $p2; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
[ "$n" -eq 1 ] && cat "$dir"/lock[12].log | grep -q "lock is in use by another job (pid [0-9]* on host" &&
	ok || bad "two jobs on one run directory: $n alive; $(cat "$dir"/lock[12].log)"
# (--ckpt-every 20: the default, the epoch's end, is a minute away under ASan)
for _ in $(seq 600); do ls "$dir"/lock/ckpt-s*.h5 > /dev/null 2>&1 && break; sleep 0.2; done
out=$("$engram" train "${long[@]}" --run-dir "$dir/lock" --resume auto 2>&1)
[ $? -eq 1 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q 'is in use by another job' <<<"$out" &&
	ok || bad "a second --resume auto on a live run: $out"
kill -9 $p1 $p2 2>/dev/null
wait $p1 $p2 2>/dev/null
# (a few steps past the killed job's last checkpoint: the rest of the epoch
# is a minute under ASan)
last=$(newest "$dir/lock")
"$engram" train "${long[@]}" --run-dir "$dir/lock" --resume auto --steps $((${last:-0} + 3)) \
	> "$dir/lock3.log" 2>&1 && grep -q "resumed from .*step ${last:-x}\b" "$dir/lock3.log" &&
	ok || bad "restart after the holder was killed: $(tail -1 "$dir/lock3.log")"

# a run directory may hold the data set (or any other .h5): only ckpt-s*.h5
# and best.h5 are the run's checkpoints
mkdir "$dir/withdata"
cp "$dir/t.h5" "$dir/withdata/t.h5"
"$engram" train "${flags[@]}" --data "$dir/withdata/t.h5" --run-dir "$dir/withdata" --batch 4 \
	--steps 5 > "$dir/withdata.log" 2>&1 && ls "$dir"/withdata/ckpt-s*.h5 > /dev/null &&
	ok || bad "a run directory holding its data set: $(tail -1 "$dir/withdata.log")"

# a try that died before its first checkpoint: a fresh start moves its log
# aside instead of appending to it
ENGRAM_FAULT=kill@30 "$engram" train "${flags[@]}" --run-dir "$dir/dead" --batch 4 --log-every 1 \
	> /dev/null 2>&1
n0=$(grep -c '"step"' "$dir/dead/metrics.jsonl")
train 1 dead --batch 4 --steps 20 --log-every 1
[ $? -eq 0 ] && [ "$n0" -ge 20 ] && [ "$(grep -c '"step":1,' "$dir/dead/metrics.jsonl")" -eq 1 ] &&
	[ "$(grep -c '"step"' "$dir/dead/metrics.jsonl.failed")" -eq "$n0" ] &&
	grep -q 'moved to .*metrics.jsonl.failed' "$dir/dead.log" &&
	ok || bad "fresh start after a dead try: $n0 lines before, $(grep -c '"step":1,' "$dir/dead/metrics.jsonl") step-1 lines now"

# a data set with other tokens is refused on resume, unless allowed
sed 's/a/b/' "$dir/t.txt" > "$dir/t2.txt"
"$engram" prepare --quiet --tokenizer char -o "$dir/t2.h5" "$dir/t2.txt"
cp -r "$dir/split1" "$dir/data"
"$engram" train "${flags[@]}" --data "$dir/t2.h5" --run-dir "$dir/data" --batch 4 --accum 2 \
	--resume auto --epochs 3 > "$dir/data.log" 2>&1
[ $? -ne 0 ] && grep -q 'are not those the checkpoint' "$dir/data.log" &&
	ok || bad "changed data set not refused: $(tail -1 "$dir/data.log")"
"$engram" train "${flags[@]}" --data "$dir/t2.h5" --run-dir "$dir/data" --batch 4 --accum 2 \
	--resume auto --epochs 3 --steps 1100 --allow-data-change > "$dir/data.log" 2>&1 &&
	ok || bad "--allow-data-change: $(tail -1 "$dir/data.log")"

# kill -9 at random moments while checkpoints are written every step
big=(--data "$dir/t.h5" --layers 2 --hidden 256 --embed 64 --bptt 10 --batch 4 --epochs 50
	--ckpt-every 1 --keep 2 --threads 1 --quiet)
killed=0
for i in 1 2 3 4 5; do
	"$engram" train "${big[@]}" --run-dir "$dir/kill" --resume auto > "$dir/kill.log" 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 9 + 3))"
	kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid" 2>/dev/null
	for f in "$dir"/kill/ckpt-s*.h5; do
		[ -e "$f" ] || continue
		"$engram" ckpt verify "$f" > /dev/null 2>&1 || bad "after kill -9 #$i: $f is not complete"
	done
done
[ "$killed" -ge 3 ] && ok || bad "only $killed of 5 runs were still alive to be killed"
# the next job removes the temporary files killed writes left (one of a
# process known dead is planted), not those of a live process
mkdir -p "$dir/kill"	# a slow start (ASan, a loaded machine) may be killed before it makes it
sh -c 'exit 0' &
deadpid=$!
wait "$deadpid"
head -c 5000 /dev/zero > "$dir/kill/.ckpt-s0000000009.h5.tmp.$deadpid"
: > "$dir/kill/.export.h5.tmp.$$"
"$engram" train "${big[@]}" --run-dir "$dir/kill" --resume auto --steps 1 > "$dir/kill.log" 2>&1 ||
	grep -q 'resumed from' "$dir/kill.log" && ok || bad "no resume after kills: $(tail -2 "$dir/kill.log")"
[ -z "$(ls -a "$dir/kill" | grep '\.tmp\.' | grep -v "tmp\.$$\$")" ] && [ -e "$dir/kill/.export.h5.tmp.$$" ] &&
	grep -q 'removed [0-9]* temporary files* of interrupted writes' "$dir/kill.log" &&
	ok || bad "temporary files after a restart: $(ls -a "$dir/kill" | grep tmp)"

# corruption and bad files: one line naming the file and the problem
f=$(ls "$dir"/straight2/ckpt-s*.h5 | tail -1)
cp "$f" "$dir/flip.h5"
size=$(stat -c %s "$dir/flip.h5")
# a byte flipped (x ^ 0x20) inside a tensor's stored data, at 6 places of
# two tensors, and in the file's metadata near its start
chunk() { # NAME -> "offset size" of its first chunk
	"$engram" ckpt info --json "$f" | grep -o "\"name\":\"$1\"[^}]*" |
		grep -o '"first_chunk":\[[0-9]*,[0-9]*' | grep -o '[0-9]*,[0-9]*' | tr , ' '
}
flips=()
for t in emb out.W; do
	read -r off len < <(chunk "$t")
	for k in 1 2 3; do flips+=($(( off + (RANDOM % len) ))); done
done
flips+=(40)
for at in "${flips[@]}"; do
	cp "$f" "$dir/flip.h5"
	b=$(od -An -tu1 -j "$at" -N1 "$f" | tr -d ' ')
	printf "\\$(printf %o $(( b ^ 32 )))" | dd of="$dir/flip.h5" bs=1 seek="$at" conv=notrunc 2>/dev/null
	out=$("$engram" ckpt verify "$dir/flip.h5" 2>&1)
	[ $? -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q 'flip.h5' <<<"$out" ||
		bad "the byte flipped at $at of $size was not caught: $out"
done
[ ${#flips[@]} -eq 7 ] && ok
head -c $((size / 3)) "$f" > "$dir/trunc.h5"
out=$("$engram" ckpt verify "$dir/trunc.h5" 2>&1)
[ $? -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q 'trunc.h5' <<<"$out" &&
	ok || bad "truncated: $out"
out=$("$engram" ckpt info "$dir/t.h5" 2>&1)
[ $? -ne 0 ] && grep -q 't.h5: not an engram checkpoint' <<<"$out" && ok || bad "data set as checkpoint: $out"
out=$("$engram" ckpt diff "$dir/straight1" "$dir/kill" 2>&1)
[ $? -eq 2 ] && grep -q 'different shapes' <<<"$out" && ok || bad "diff of other shapes: $out"
"$engram" ckpt export "$dir/straight1" -o "$dir/w.h5" > /dev/null &&
	"$engram" sample --ckpt "$dir/w.h5" --length 20 > /dev/null &&
	[ "$(stat -c %s "$dir/w.h5")" -lt "$(stat -c %s "$(ls "$dir"/straight1/ckpt-s*.h5 | tail -1)")" ] &&
	ok || bad "export --weights-only"
# export -o replaces nothing unless asked, and never the checkpoint it reads
sum=$(cksum < "$dir/w.h5")
out=$("$engram" ckpt export "$dir/straight1" -o "$dir/w.h5" 2>&1)
[ $? -ne 0 ] && grep -q 'w.h5 exists (expected a new file; --force replaces it)' <<<"$out" &&
	[ "$(cksum < "$dir/w.h5")" = "$sum" ] && ok || bad "export over an existing file: $out"
"$engram" ckpt export "$dir/straight1" -o "$dir/w.h5" --force > /dev/null && ok || bad "export --force"
newest=$(ls "$dir"/straight1/ckpt-s*.h5 | tail -1)
sum=$(cksum < "$newest")
out=$("$engram" ckpt export "$dir/straight1" -o "$newest" --force 2>&1)
[ $? -ne 0 ] && grep -q 'is the checkpoint being exported' <<<"$out" &&
	[ "$(cksum < "$newest")" = "$sum" ] && ok || bad "export onto its own checkpoint: $out"

# --resume auto skips damaged checkpoints: the newest is truncated, the next
# is empty, the one before has a byte flipped inside a tensor; each is named,
# moved to damaged/, and the run resumes from the newest good one.  When all
# are damaged it refuses to start from scratch; an explicit damaged --resume
# FILE is an error
dm=(--batch 4 --ckpt-every 20 --keep 10)
train 1 dmg "${dm[@]}" --steps 100 || bad "damaged: the first run: $(tail -1 "$dir/dmg.log")"
ck=("$dir"/dmg/ckpt-s*.h5)
n=${#ck[@]}
head -c 1000 "${ck[n - 1]}" > "$dir/x.h5" && mv "$dir/x.h5" "${ck[n - 1]}"
: > "${ck[n - 2]}"
read -r off len < <(f=${ck[n - 3]} chunk emb)
at=$(( off + len / 2 ))
b=$(od -An -tu1 -j "$at" -N1 "${ck[n - 3]}" | tr -d ' ')
printf "\\$(printf %o $(( b ^ 32 )))" | dd of="${ck[n - 3]}" bs=1 seek="$at" conv=notrunc 2>/dev/null
good=$(basename "${ck[n - 4]}")
train 1 dmg "${dm[@]}" --steps 120 --resume auto
rc=$?
[ "$rc" -eq 0 ] && grep -q "resumed from .*$good" "$dir/dmg.log" &&
	[ "$(grep -c 'skipping a damaged checkpoint' "$dir/dmg.log")" -eq 3 ] &&
	[ "$(ls "$dir/dmg/damaged" | wc -l)" -eq 3 ] &&
	ok || bad "damaged newest checkpoints: exit $rc, $(grep -E 'skipping|resumed' "$dir/dmg.log")"
mkdir "$dir/alldmg"
for k in 20 40; do printf 'junk' > "$dir/alldmg/ckpt-s00000000$k.h5"; done
train 1 alldmg "${dm[@]}" --steps 60 --resume auto
rc=$?
[ "$rc" -ne 0 ] && grep -q 'every checkpoint in .*failed its checks.*not starting from scratch' "$dir/alldmg.log" &&
	! ls "$dir"/alldmg/ckpt-s*.h5 > /dev/null 2>&1 && [ "$(ls "$dir/alldmg/damaged" | wc -l)" -eq 2 ] &&
	ok || bad "all checkpoints damaged: exit $rc, $(tail -2 "$dir/alldmg.log")"
train 1 dmg2 "${dm[@]}" --steps 20 --resume "$dir/dmg/damaged/$(basename "${ck[n - 1]}")"
[ $? -ne 0 ] && grep -q 'cannot resume from' "$dir/dmg2.log" && ok || bad "an explicit damaged --resume FILE"

# branching: --resume of an older checkpoint into its own directory is
# refused while later ones exist (the next --resume auto would continue
# them); --branch moves them to superseded/, and the next --resume auto
# continues the branch
br=(--batch 4 --ckpt-every 20 --keep 10)
train 1 br "${br[@]}" --steps 100 || bad "branch: the first run"
train 1 br "${br[@]}" --steps 120 --resume "$dir/br/ckpt-s0000000040.h5" --lr 0.001
[ $? -ne 0 ] && grep -q 'holds 3 checkpoints later than .*ckpt-s0000000040.h5 (step 40).*--branch' "$dir/br.log" &&
	ok || bad "branch without --branch: $(tail -1 "$dir/br.log")"
train 1 br "${br[@]}" --steps 120 --resume "$dir/br/ckpt-s0000000040.h5" --lr 0.001 --branch &&
	[ "$(ls "$dir/br/superseded" | wc -l)" -eq 3 ] && train 1 br "${br[@]}" --steps 130 --resume auto &&
	grep -q 'resumed from .*ckpt-s0000000120.h5' "$dir/br.log" && [ -e "$dir/br/ckpt-s0000000130.h5" ] &&
	ok || bad "--branch: $(ls "$dir/br" "$dir/br/superseded"), $(tail -2 "$dir/br.log")"

echo "resume: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
