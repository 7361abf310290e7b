#!/usr/bin/env bash
# The whole test suite on a fresh machine: builds bmtk-rs (Rust, release) into its own virtualenv with
# the test extras (bmtk 1.2.0 and NEURON 9.0.2 as oracles, libsonata, h5py), checks style, runs the
# Rust unit tests and pytest. Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${BMTK_RS_VENV:-.venv-test}"

bash scripts/install_mpi.sh

echo "== virtualenv $VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
echo "== building and installing bmtk-rs with test extras (Rust release build, static HDF5)"
"$VENV/bin/python" -m pip install --quiet ".[test]"

echo "== style: cargo fmt, cargo clippy, ruff"
cargo fmt --check
cargo clippy --quiet --release --features python -- -D warnings
"$VENV/bin/ruff" check python tests bench scripts examples

echo "== Rust unit tests"
cargo test --quiet --release --lib

echo "== pytest"
# Tests import the installed package, never the source tree.
cd tests/..
"$VENV/bin/python" -m pytest -p no:cacheprovider --ignore=tests/release/test_wheel.py "$@"

# The release wheel takes minutes to build on 2 cores, so it is a step of its own after pytest (only
# in a full run): build it (zig, manylinux_2_17) into dist/, then install it in a fresh virtualenv
# without cargo/rustc on PATH and run the main job from it.
if [ $# -eq 0 ]; then
    echo "== release wheel: scripts/build_wheels.sh, then tests/release/test_wheel.py"
    bash scripts/build_wheels.sh
    "$VENV/bin/python" -m pytest -p no:cacheprovider tests/release/test_wheel.py
fi
