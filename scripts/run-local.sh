#!/usr/bin/env bash
# run-local.sh [-n P] [--engram PATH] -- ARGS... - run engram with P ranks
# on this machine: sets one BLAS thread pool per rank so that ranks x
# threads <= cores, Open MPI's root settings when run as root, and
# oversubscription (with yielding) when P exceeds the cores.
#   scripts/run-local.sh -n 2 train --data d.h5 --run-dir runs/x --preset zaremba-small
set -euo pipefail
# the trap first: a stop that comes while this script starts is kept, and
# sent by the loop at the end (mpirun dies of a SIGUSR1 in its first moments)
# One event may bring two signals: timeout(1) sends its SIGTERM to this
# script and again to its process group, and the two arrive apart about
# one time in five.  So a stop within 1 s of the last is the same stop, and
# stops before the job can take one are one stop (the loop sends it): the
# second meaning "exit at once" must come from somebody who saw the first.
stops=0 job= launched=0 last=0
stop() {
	local now=${EPOCHREALTIME/./}
	[ "$stops" -ge 1 ] && [ $((now - last)) -lt 1000000 ] && return 0
	last=$now
	if [ -z "$job" ] || [ $((SECONDS - launched)) -lt 2 ]; then
		stops=1
		return 0
	fi
	stops=$((stops + 1))
	if [ "$stops" -eq 1 ]; then kill -USR1 "$job" 2>/dev/null; else kill -USR2 "$job" 2>/dev/null; fi
}
trap stop TERM INT
here=$(cd "$(dirname "$0")/.." && pwd)
np=2
engram=$here/build/engram
while [ $# -gt 0 ]; do
	case $1 in
	-n) np=$2; shift 2 ;;
	--engram) engram=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ -x "$engram" ] || { echo "run-local: $engram not found; run scripts/build.sh" >&2; exit 1; }
cores=$(nproc)
mpi=(mpirun -np "$np" --bind-to none)
if [ "$(id -u)" -eq 0 ]; then
	export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
if [ "$np" -gt "$cores" ]; then
	mpi+=(--oversubscribe --mca mpi_yield_when_idle 1)
fi
threads=$(( cores / np ))
[ "$threads" -ge 1 ] || threads=1
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=1
# mpirun forwards SIGUSR1 and SIGUSR2 to every rank, but answers SIGTERM and
# SIGINT by killing the job within a second.  So a SIGTERM or SIGINT to this
# script becomes a SIGUSR1 to the job (each rank finishes its step, rank 0
# writes a checkpoint, the job exits 75), and a second one a SIGUSR2 (the
# ranks exit at once: 75 if that checkpoint is on disk).  The job runs in a
# process group of its own (set -m), so that Ctrl-C at the terminal reaches
# this script alone and not mpirun; its stdin is then not the terminal
# (engram train reads none), which a background group may not read.
set -m
if [ -t 0 ]; then
	"${mpi[@]}" "$engram" "$@" < /dev/null &
else
	"${mpi[@]}" "$engram" "$@" &
fi
job=$! launched=$SECONDS
set +m
# wait returns early (>128) when a trapped signal arrives: wait again until
# the job itself has ended, then pass on its status.  A stop that reached
# mpirun before it had started the ranks is lost: so after a stop, SIGUSR1
# goes again after 2 s and then every 30 s (a rank counts it once).
set +e
waited=0
while kill -0 "$job" 2>/dev/null; do
	if [ "$stops" -eq 1 ]; then
		sleep 1
		waited=$((waited + 1))
		if [ "$waited" -eq 2 ] || [ $((waited % 30)) -eq 0 ]; then
			kill -USR1 "$job" 2>/dev/null
		fi
	else
		wait "$job"
	fi
done
wait "$job"
