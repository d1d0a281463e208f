# resumable.sh - sourced by the long training scripts (ptb-medium.sh,
# shakespeare-char.sh): one `engram train --resume auto` job that SIGTERM or
# Ctrl-C to the calling script stops at a checkpoint, and that running the
# same command again continues.

# resumable_train RUN_DIR RUN-LOCAL-ARGS... - runs scripts/run-local.sh with
# the arguments in the background, so that the caller's trap can pass the
# signal on (run-local.sh turns the first SIGTERM into a checkpoint and exit
# 75), waits for it, appends the wall seconds to RUN_DIR/wall.txt and
# returns its exit status.
resumable_train() {
	local run=$1 start job rc
	shift
	start=$(date +%s)
	scripts/run-local.sh "$@" &
	job=$!
	# shellcheck disable=SC2064	# the job's pid, now
	trap "kill -TERM $job 2>/dev/null || true" TERM INT
	set +e
	# a trapped signal ends `wait` early: wait again until the job is gone
	while kill -0 "$job" 2>/dev/null; do
		wait "$job"
	done
	wait "$job"
	rc=$?
	set -e
	trap - TERM INT
	echo "train wall seconds this time: $(( $(date +%s) - start ))" | tee -a "$run/wall.txt"
	return "$rc"
}

# resumable_done RC - exits with 75 and how to continue when the job
# stopped at a checkpoint, with RC when it failed; returns when it finished.
resumable_done() {
	if [ "$1" -eq 75 ]; then
		echo "stopped at a checkpoint; run the same command again to continue"
		exit 75
	fi
	[ "$1" -eq 0 ] || exit "$1"
}
