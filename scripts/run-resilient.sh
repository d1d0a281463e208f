#!/usr/bin/env bash
# run-resilient.sh [-n P] [--max-restarts N] [--backoff S] [--restart-preempted]
#                  -- train --run-dir DIR ARGS...
# Runs an engram training job with scripts/run-local.sh and, when it dies
# of a fault (a lost or killed rank, a crash, a collective timeout), starts
# it again from the last good checkpoint (--resume auto), at most N times
# (default 3), waiting S, 2S, 4S... seconds between tries (default 5).
# It stops, saying why, when:
#   - the job succeeds (exit 0), or its configuration is refused (exit 2);
#   - the job was preempted (exit 75: it wrote a checkpoint on SIGTERM or
#     SIGUSR1): exit 75 so the scheduler can requeue it, unless
#     --restart-preempted;
#   - two tries in a row die without the newest checkpoint moving on
#     ("died twice at the same step"), or N restarts are used up.
# Each try's output goes to DIR/attempt-K.log as well as to the terminal.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
np=2 max=3 backoff=5 restart_preempted=0
while [ $# -gt 0 ]; do
	case $1 in
	-n) np=$2; shift 2 ;;
	--max-restarts) max=$2; shift 2 ;;
	--backoff) backoff=$2; shift 2 ;;
	--restart-preempted) restart_preempted=1; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done
args=("$@")
dir=
for ((i = 0; i < ${#args[@]}; i++)); do
	[ "${args[$i]}" = --run-dir ] && dir=${args[$((i + 1))]}
	case ${args[$i]} in --run-dir=*) dir=${args[$i]#--run-dir=} ;; esac
done
[ -n "$dir" ] || { echo "run-resilient: give --run-dir DIR" >&2; exit 2; }
printf '%s\n' "${args[@]}" | grep -q '^--resume' || args+=(--resume auto)
mkdir -p "$dir"
engram=${ENGRAM:-$here/build/engram}

# the step of the newest checkpoint, -1 when there is none
newest() {
	"$engram" ckpt info --json "$dir" 2>/dev/null | grep -o '"step":[0-9]*' | head -1 | cut -d: -f2 || true
}

attempt=0 last_death=
while :; do
	attempt=$((attempt + 1))
	log="$dir/attempt-$attempt.log"
	"$here/scripts/run-local.sh" -n "$np" --engram "$engram" "${args[@]}" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	after=$(newest)
	reason=$(grep -E '^engram|noticed that|did not complete' "$log" | tail -1)
	case $rc in
	0) echo "run-resilient: done after $attempt tr$( [ $attempt -eq 1 ] && echo y || echo ies)"; exit 0 ;;
	2) echo "run-resilient: the job refused its configuration (exit 2): $reason" >&2; exit 2 ;;
	75) if [ "$restart_preempted" -eq 0 ]; then
		echo "run-resilient: preempted; the checkpoint at step ${after:-?} holds the run (exit 75)" >&2
		exit 75
	    fi ;;
	esac
	echo "run-resilient: try $attempt died (exit $rc) with the newest checkpoint at step ${after:--}: $reason" >&2
	if [ "$rc" -ne 75 ] && [ -n "$last_death" ] && [ "${after:--1}" = "$last_death" ]; then
		echo "run-resilient: died twice at the same step (newest checkpoint at step ${after:-none}); giving up: $reason" >&2
		exit "$rc"
	fi
	[ "$rc" -ne 75 ] && last_death=${after:--1}
	if [ "$attempt" -gt "$max" ]; then
		echo "run-resilient: $max restarts used up; giving up" >&2
		exit "$rc"
	fi
	wait_s=$(( backoff * (1 << (attempt - 1)) ))
	echo "run-resilient: restarting from the last good checkpoint in ${wait_s} s" >&2
	sleep "$wait_s"
done
