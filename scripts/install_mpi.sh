#!/usr/bin/env bash
# Installs an MPI library (Debian's OpenMPI) when mpirun/mpicc are missing, so that mpi4py builds and
# `mpirun -np N python run_bionet.py config.json` works. Used by run_l4.sh and test.sh.
set -euo pipefail
if command -v mpirun >/dev/null 2>&1 && command -v mpicc >/dev/null 2>&1; then
  exit 0
fi
echo "== installing MPI (Debian: libopenmpi-dev openmpi-bin)"
if [ "$(id -u)" -ne 0 ]; then
  echo "MPI is missing and this is not root: install libopenmpi-dev and openmpi-bin first" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenmpi-dev openmpi-bin >/dev/null
