#!/usr/bin/env bash
# The whole test suite on a fresh machine: builds the release wheel of bmtk-rs (Rust, static HDF5,
# manylinux_2_17 through zig: the one build of the extension the tests use), installs it into its own
# virtualenv with the test extras (bmtk 1.2.0, NEURON 9.0.2 and NEST as oracles, libsonata, h5py),
# checks style, runs the Rust unit tests and pytest on both cores (tests/release/test_wheel.py installs
# the same wheel in a fresh virtualenv without Rust on PATH and runs the main job).
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${BMTK_RS_VENV:-.venv-test}"

bash scripts/install_mpi.sh

echo "== release wheel (scripts/build_wheels.sh)"
bash scripts/build_wheels.sh
wheel=$(ls dist/bmtk_rs-*-cp39-abi3-manylinux*.whl | head -1)

echo "== virtualenv $VENV with $wheel and the test extras"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps "$wheel"
"$VENV/bin/python" -m pip install --quiet "${wheel}[test]"

# bmtk 1.2.0's xstim fails on NEURON 9 (its pointer-update callback), so it is checked against NEURON
# 8.2.7 in an oracle virtualenv of its own; bmtk's time-dependent COMSOL input indexes with the
# output of scipy's NearestNDInterpolator, which scipy >= 1.10 returns as floats: scipy 1.9.3 (and
# the numpy/pandas it builds with) lets bmtk run as released.
NRN8="${BMTK_RS_NRN8_VENV:-.venv-nrn8}"
echo "== oracle virtualenv $NRN8: bmtk 1.2.0 on NEURON 8.2.7"
python3 -m venv "$NRN8"
"$NRN8/bin/python" -m pip install --quiet --upgrade pip
"$NRN8/bin/python" -m pip install --quiet neuron==8.2.7 bmtk==1.2.0 scipy==1.9.3 "numpy<1.26" "pandas<2.3"

# cargo's own builds (clippy, the unit tests) compile the static HDF5 with cmake: the one the wheel
# build installed into its tools virtualenv
export CMAKE="${CMAKE:-$PWD/${BMTK_RS_BUILD_VENV:-.venv-build}/bin/cmake}"

echo "== style: cargo fmt, cargo clippy, ruff"
cargo fmt --check
cargo clippy --quiet --release --features python -- -D warnings
"$VENV/bin/ruff" check python tests bench scripts examples

echo "== Rust unit tests"
cargo test --quiet --release --lib

echo "== pytest (two workers; the tests of one file stay on one worker)"
# Tests import the installed package, never the source tree.
"$VENV/bin/python" -m pytest -p no:cacheprovider -n 2 --dist loadfile --durations=30 -m "not mpi" "$@"
echo "== pytest: the mpirun tests, serially (mpirun under an xdist worker can fail without a word)"
"$VENV/bin/python" -m pytest -p no:cacheprovider -m mpi "$@"
