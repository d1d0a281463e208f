#!/usr/bin/env bash
# json_out.sh ENGRAM - every machine-readable output of engram is strict JSON,
# whatever the paths hold: a run directory and a data set whose names carry a
# quote, a backslash, a tab, a control byte and a byte that is not UTF-8, then
# ckpt info / verify / diff --json, eval --json (with --bands), metrics.jsonl
# and config.json, each parsed by Python's json with NaN and Infinity refused
# and the bytes decoded as strict UTF-8.
set -u
engram=$1
. "$(dirname "$0")/lib.sh"

nasty="$dir/a\"b\\c"$'\t\x01\xff'"d"
mkdir -p "$nasty" || { echo "FAIL: cannot make the directory"; exit 1; }
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "the cat sees a dog %d.\n", i % 7 }' > "$nasty/t.txt"
"$engram" prepare --quiet --tokenizer char -o "$nasty/t.h5" "$nasty/t.txt" || bad "prepare"
for run in r1 r2; do
	"$engram" train --data "$nasty/t.h5" --run-dir "$nasty/$run" --layers 1 --hidden 16 \
		--embed 8 --batch 4 --bptt 16 --steps 30 --ckpt-every 15 --threads 1 --quiet \
		--log-every 5 > /dev/null || bad "train $run"
done
ck1=$(ls "$nasty"/r1/ckpt-*.h5 2>/dev/null | tail -1)
ck2=$(ls "$nasty"/r2/ckpt-*.h5 2>/dev/null | tail -1)
[ -n "$ck1" ] && [ -n "$ck2" ] || bad "no checkpoints in $nasty"

# strict FILE [LABEL]: every line of FILE (or the whole file with whole=1) parses
strict() {
	python3 - "$1" "$2" "${3:-lines}" <<'PY' || bad "$2: not strict JSON"
import json, sys
def refuse(c):
    raise ValueError("non-standard constant " + c)
data = open(sys.argv[1], "rb").read().decode("utf-8", errors="strict")
docs = [data] if sys.argv[3] == "whole" else [l for l in data.split("\n") if l]
assert docs, "empty output"
for d in docs:
    json.loads(d, parse_constant=refuse)
PY
	ok
}

"$engram" ckpt info --json "$nasty/r1" > "$dir/info.json" || bad "ckpt info --json"
strict "$dir/info.json" "ckpt info --json" whole
"$engram" ckpt verify --json "$ck1" > "$dir/verify.json" || bad "ckpt verify --json"
strict "$dir/verify.json" "ckpt verify --json" whole
"$engram" ckpt diff --json "$ck1" "$ck2" > "$dir/diff.json" || bad "ckpt diff --json"
strict "$dir/diff.json" "ckpt diff --json" whole
"$engram" eval --json --ckpt "$ck1" --data "$nasty/t.h5" --split valid --bands 5,10 \
	--threads 1 > "$dir/eval.json" || bad "eval --json"
strict "$dir/eval.json" "eval --json" whole
strict "$nasty/r1/metrics.jsonl" "metrics.jsonl"
strict "$nasty/r1/config.json" "config.json" whole

# what the strings say: the path round-trips, the bad byte is U+FFFD
python3 - "$dir/info.json" "$dir/verify.json" <<'PY' && ok || bad "the paths in the JSON do not say what the directory is called"
import json, sys
info = json.load(open(sys.argv[1], encoding="utf-8"))
ver = json.load(open(sys.argv[2], encoding="utf-8"))
for p in (info["path"], ver["path"], info["config"]["data"]):
    assert 'a"b\\c\t\x01\ufffdd' in p, repr(p)
PY

echo "json_out: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
