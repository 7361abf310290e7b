"""The documentation builds with mkdocs --strict (a warning fails the build) through
scripts/build_docs.sh, and the pages made at build time are there."""

import os
import subprocess
import sys

from ..conftest import ROOT, require_module


def test_docs_build_strict(tmp_path):
    require_module("mkdocs")
    require_module("mkdocstrings")
    site = tmp_path / "site"
    env = dict(os.environ, PYTHON=sys.executable)
    res = subprocess.run(["bash", str(ROOT / "scripts" / "build_docs.sh"), str(site)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    for page in ("index.html", "install/index.html", "tutorial/index.html", "benchmarks/index.html",
                 "simulators/index.html", "simulators/bionet/index.html", "compatibility/index.html",
                 "architecture/index.html", "api/builder/index.html", "api/native/index.html"):
        assert (site / page).is_file(), page
    # pages generated from the repository's sources carry their content
    assert "Mouse L4" in (site / "tutorial" / "index.html").read_text()
    assert "bench_builder.py" in (site / "benchmarks" / "index.html").read_text()
    # the API reference is generated from the docstrings (one heading per documented object)
    assert (site / "api" / "builder" / "index.html").read_text().count("doc-heading") > 10


def test_no_document_points_outside_the_repository():
    """The architecture lives in docs/architecture.md; nothing refers to the old ../shared/DESIGN.md."""
    offenders = []
    for folder in ("docs", "python", "src"):
        for p in (ROOT / folder).rglob("*"):
            if p.is_file() and p.suffix in (".md", ".py", ".rs", ".pyi", ".toml") and "DESIGN.md" in p.read_text():
                offenders.append(str(p.relative_to(ROOT)))
    for name in ("README.md", "CHANGELOG.md", "mkdocs.yml", "pyproject.toml"):
        if (ROOT / name).is_file() and "DESIGN.md" in (ROOT / name).read_text():
            offenders.append(name)
    assert not offenders, offenders
