#!/usr/bin/env bash
# Release artefacts in ${1:-dist}/: one abi3 wheel (CPython >= 3.9, Linux x86_64, manylinux_2_17) and
# an sdist. zig (from PyPI's ziglang) is maturin's C compiler and linker for the glibc 2.17 target, so
# the extension, and the HDF5 that cmake compiles into it, link only against glibc 2.17 symbols;
# auditwheel then confirms the wheel needs no library outside the manylinux set.
# Build tools go into their own virtualenv (${BMTK_RS_BUILD_VENV:-.venv-build}); Rust must be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-dist}"
TOOLS="${BMTK_RS_BUILD_VENV:-.venv-build}"
PY="${PYTHON:-python3}"

if [ ! -x "$TOOLS/bin/maturin" ] || [ ! -x "$TOOLS/bin/auditwheel" ] || ! "$TOOLS/bin/python" -c "import ziglang" 2>/dev/null; then
    echo "== build tools into $TOOLS (maturin, ziglang, cmake, auditwheel)"
    "$PY" -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install --quiet --upgrade pip
    "$TOOLS/bin/python" -m pip install --quiet "maturin>=1.7,<2" "ziglang==0.17.1" "cmake>=3.20" "auditwheel>=6"
fi
export PATH="$PWD/$TOOLS/bin:$PATH"
mkdir -p "$OUT"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
rm -f "$OUT"/bmtk_rs-"$version"-*.whl "$OUT"/bmtk_rs-"$version".tar.gz

echo "== wheel (manylinux_2_17, zig)"
maturin build --release --zig --compatibility manylinux_2_17 --out "$OUT"
echo "== sdist"
maturin sdist --out "$OUT"

wheel=$(ls "$OUT"/bmtk_rs-"$version"-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl)
echo "== auditwheel show $wheel"
auditwheel show "$wheel"
echo "== glibc symbol versions"
"$TOOLS/bin/python" scripts/wheel_glibc.py "$wheel" --max 2.17
ls -l "$OUT"
