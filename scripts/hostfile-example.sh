#!/usr/bin/env bash
# hostfile-example.sh - engram over plain mpirun on hosts reached by ssh.
# Each host needs the same engram binary and data set path.  Pick the
# network the ranks talk over: btl_tcp_if_include (and oob_tcp_if_include
# for Open MPI's own wiring) take an interface name (eth1) or a subnet
# (10.0.0.0/24); without them Open MPI may choose a slow or unroutable
# interface (docker0, a management LAN).
set -euo pipefail
cat > hosts.txt <<HOSTS
node1 slots=2
node2 slots=2
HOSTS
net=${NET:-10.0.0.0/24}
mpirun --hostfile hosts.txt -np 4 \
	--mca btl tcp,self,vader --mca btl_tcp_if_include "$net" \
	--mca oob_tcp_if_include "$net" \
	-x OPENBLAS_NUM_THREADS=1 \
	"$PWD/build/engram" train --data "$PWD/data/ptb.h5" --run-dir "$PWD/runs/ptb" \
	--preset zaremba-small --threads 1
