#!/usr/bin/env bash
# cli_prepare.sh ENGRAM - the command line of `engram prepare` and `engram
# data`: exit codes and the one-line messages users see for bad input.
set -u
engram=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0 fail=0

# expect CODE PATTERN CMD...: CMD exits with CODE and its stderr matches PATTERN
expect() {
	local code=$1 pat=$2 got out
	shift 2
	out=$("$@" 2>&1 >/dev/null)
	got=$?
	if [ "$got" -eq "$code" ] && grep -qE -- "$pat" <<<"$out" &&
	   [ "$(wc -l <<<"$out")" -le 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $* -> exit $got (want $code), stderr: $out (want /$pat/)"
	fi
}

printf 'the cat sat\non the mat\n' > "$dir/a.txt"
for i in $(seq 1 50); do echo "line $i of the text"; done > "$dir/one.txt"
printf 'ab\0cd\n' > "$dir/nul.txt"
printf 'ab\xffcd\n' > "$dir/bad.txt"
: > "$dir/empty.txt"

expect 0 '' "$engram" prepare -o "$dir/ok.h5" "$dir/one.txt"
expect 0 '' "$engram" data --verify "$dir/ok.h5"
expect 1 'ok.h5: exists \(use --force' "$engram" prepare -o "$dir/ok.h5" "$dir/one.txt"
expect 0 '' "$engram" prepare --force -o "$dir/ok.h5" "$dir/one.txt"
expect 1 'missing.txt: cannot open' "$engram" prepare -o "$dir/x.h5" "$dir/missing.txt"
expect 1 'empty.txt: empty file' "$engram" prepare -o "$dir/x.h5" "$dir/empty.txt"
expect 1 'nul.txt: NUL byte at byte 2' "$engram" prepare --tokenizer char -o "$dir/x.h5" "$dir/nul.txt" "$dir/a.txt" "$dir/a.txt"
expect 1 'bad.txt: invalid UTF-8 at byte 2' "$engram" prepare --tokenizer char -o "$dir/x.h5" "$dir/bad.txt" "$dir/a.txt" "$dir/a.txt"
expect 2 'tokenizer must be byte, char or word' "$engram" prepare --tokenizer bpe -o "$dir/x.h5" "$dir/a.txt"
expect 2 '--vocab-size expects an integer' "$engram" prepare --vocab-size lots -o "$dir/x.h5" "$dir/a.txt"
expect 2 'unknown flag .--frobnicate.' "$engram" prepare --frobnicate -o "$dir/x.h5" "$dir/a.txt"
expect 2 'split expects three fractions' "$engram" prepare --split 0.5 -o "$dir/x.h5" "$dir/a.txt"
expect 1 'fractions must add up to 1' "$engram" prepare --split 0.5,0.1,0.1 -o "$dir/x.h5" "$dir/a.txt"
expect 2 'give one text or three' "$engram" prepare -o "$dir/x.h5" "$dir/a.txt" "$dir/a.txt"
expect 1 'a.txt: not an HDF5 file' "$engram" data "$dir/a.txt"
expect 2 'unknown command' "$engram" frobnicate
[ ! -e "$dir/x.h5" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: a failed prepare left x.h5"; }
ls -a "$dir" | grep -q '\.tmp\.' && { fail=$((fail + 1)); echo "FAIL: temporary file left behind"; } || pass=$((pass + 1))
"$engram" --help | grep -q prepare && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: --help"; }

echo "cli_prepare: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
