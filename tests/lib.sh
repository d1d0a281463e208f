# lib.sh - sourced by the shell tests after they read their arguments: a
# scratch directory $dir removed at exit, and the tally that ok and bad keep.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
# grammar_text N END: N sentences "SUBJ VERB OBJ" then END ("." or ""),
# drawn by a fixed LCG: the same text on every machine
grammar_text() {
	awk -v n="$1" -v end="$2" 'BEGIN {
		split("the cat|a dog|the bird", s, "|"); split("sees|eats|likes", v, "|");
		split("the fish|a mouse|the seed", o, "|"); x = 12345;
		for (i = 0; i < n; i++) {
			x = (x * 1103515245 + 12345) % 2147483648; a = int(x / 65536) % 3 + 1;
			x = (x * 1103515245 + 12345) % 2147483648; b = int(x / 65536) % 3 + 1;
			x = (x * 1103515245 + 12345) % 2147483648; c = int(x / 65536) % 3 + 1;
			printf "%s %s %s%s\n", s[a], v[b], o[c], end;
		} }'
}
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# newest RUN_DIR: the step of its newest checkpoint ($engram: the binary)
newest() { "$engram" ckpt info --json "$1" 2>/dev/null | grep -o '"step":[0-9]*' | head -1 | cut -d: -f2; }
