#!/usr/bin/env bash
# The main job on a fresh machine: installs bmtk-rs into its own virtualenv and runs the Mouse L4
# tutorial (network, Poisson input, BioNet simulation with raster and rates, FilterNet flash), with
# MPI support installed (mpi4py on Debian's OpenMPI) for `mpirun -np N python run_bionet.py ...`.
# Outputs go to ${OUT:-l4_output}.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${BMTK_RS_VENV:-.venv}"
OUT="${OUT:-l4_output}"
bash scripts/install_mpi.sh
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet ".[plot,mpi]"
"$VENV/bin/python" examples/l4_tutorial/run_l4.py --output "$OUT"
