#!/usr/bin/env bash
# tensorboard.sh ENGRAM - the TensorBoard event files of engram train, read
# by tests/tb_check.py (no TensorBoard in Debian 12): every record's CRCs,
# the file version, and every figure of metrics.jsonl among the scalars;
# a resumed run adds a file; --tensorboard off writes none; a flipped byte
# is caught.
set -u
engram=$1
here=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"

grammar_text 1500 . > "$dir/toy.txt"
"$engram" prepare --quiet --tokenizer char -o "$dir/c.h5" "$dir/toy.txt" || bad "prepare"
flags=(--data "$dir/c.h5" --layers 1 --hidden 16 --embed 8 --batch 8 --bptt 20 --epochs 3
	--optimizer adam --lr 0.01 --log-every 5 --ckpt-every 20 --threads 1 --quiet)
# about 200 windows an epoch: validations at the epoch ends, checkpoints
"$engram" train "${flags[@]}" --run-dir "$dir/r" --steps 220 > "$dir/r.log" 2>&1 || bad "train: $(tail -2 "$dir/r.log")"
"$engram" train "${flags[@]}" --run-dir "$dir/r" --steps 260 --resume auto > "$dir/r2.log" 2>&1 ||
	bad "resume: $(tail -2 "$dir/r2.log")"
n=$(ls "$dir"/r/tb/events.out.tfevents.* 2>/dev/null | wc -l)
[ "$n" -eq 2 ] && ok || bad "$n event files after a resume (expected 2)"
out=$(python3 "$here/tests/tb_check.py" "$dir/r") && grep -q 'valid/loss\|figures' <<<"$out" && ok || bad "$out"
echo "$out"
grep -q '"split":"valid"' "$dir/r/metrics.jsonl" && grep -q '"event":"checkpoint"' "$dir/r/metrics.jsonl" &&
	ok || bad "the run logged no validation or no checkpoint to compare"

# a flipped byte in the data of a record is caught
f=$(ls "$dir"/r/tb/events.out.tfevents.* | head -1)
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[60] ^= 0x10; open(p, "wb").write(b)' "$f"
out=$(python3 "$here/tests/tb_check.py" "$dir/r")
[ $? -ne 0 ] && grep -q 'CRC does not match' <<<"$out" && ok || bad "a flipped byte: $out"

"$engram" train "${flags[@]}" --run-dir "$dir/off" --steps 10 --tensorboard off > /dev/null 2>&1 &&
	[ ! -e "$dir/off/tb" ] && ok || bad "--tensorboard off wrote $(ls "$dir/off")"

echo "tensorboard: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
