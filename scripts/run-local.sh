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
exec "${mpi[@]}" "$engram" "$@"
