#!/usr/bin/env bash
# run-local.sh [-n P] [--engram PATH] -- ARGS... - run engram with P ranks
# on this machine: sets one BLAS thread pool per rank so that ranks x
# threads <= cores, Open MPI's root settings when run as root, and
# oversubscription (with yielding) when P exceeds the cores.
#   scripts/run-local.sh -n 2 train --data d.h5 --run-dir runs/x --preset zaremba-small
set -euo pipefail
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
# mpirun forwards SIGUSR1 to every rank, but answers SIGTERM by killing the
# job within a second.  So a SIGTERM or SIGINT to this script becomes a
# SIGUSR1 to the job (each rank finishes its step, rank 0 writes a
# checkpoint, the job exits 75); a second one ends the job at once.
"${mpi[@]}" "$engram" "$@" &
job=$!
stops=0
stop() {
	stops=$((stops + 1))
	if [ "$stops" -eq 1 ]; then kill -USR1 "$job" 2>/dev/null; else kill -TERM "$job" 2>/dev/null; fi
}
trap stop TERM INT
# wait returns early (>128) when a trapped signal arrives: wait again until
# the job itself has ended, then pass on its status
set +e
while kill -0 "$job" 2>/dev/null; do
	wait "$job"
done
wait "$job"
