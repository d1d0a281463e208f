# lib.sh - sourced by the shell tests after they read their arguments: a
# scratch directory $dir removed at exit, and the tally that ok and bad keep.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
