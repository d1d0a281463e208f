#!/usr/bin/env bash
# install-deps.sh - install every Debian 12 package engram needs to build,
# test and run its main job.  Safe to run twice: it installs only what is
# missing and says which.  Needs root (or sudo).
set -euo pipefail

pkgs=(
	build-essential cmake pkg-config   # compiler, build system
	openmpi-bin libopenmpi-dev         # MPI: ranks and collectives
	iproute2 util-linux                # network namespaces for the multi-host test
	libhdf5-dev hdf5-tools             # data sets and checkpoints (h5dump)
	zlib1g-dev                         # deflate, CRC32
	libopenblas-dev                    # CBLAS sgemm
	bible-kjv                          # the default corpus (public domain)
	python3                            # tests/ctrl_c.py: a terminal's Ctrl-C in the fault suite
	slurmctld slurmd slurm-client munge # a one-host Slurm cluster for tests/slurm.sh
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages already installed"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
