#!/usr/bin/env bash
# Builds the documentation (mkdocs, warnings are errors) into ${1:-site}. Needs the docs extra:
# pip install ".[docs]" (mkdocs, mkdocstrings). Python: $PYTHON, else the active python3.
# The "Compared with BMTK" page must match the simulators' support tables (scripts/gen_compat.py
# regenerates it); the tutorial, benchmark and simulator overview pages are made during the build
# from notebooks/, bench/RESULTS.md and python/bmtk_rs/simulator (scripts/docs_hooks.py).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
SITE="${1:-site}"
"$PY" scripts/gen_compat.py --check
"$PY" -m mkdocs build --strict --clean --site-dir "$SITE"
echo "documentation written to $SITE/index.html"
