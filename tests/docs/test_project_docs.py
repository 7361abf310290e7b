"""bmtk-rs's own documentation (docs/*.md and the README): every code block marked `<!-- runnable -->`
runs, doctest style. The blocks of one page run in order in one folder (later blocks use what earlier ones made);
all pages run in one bmtk_rs interpreter through the harness that runs bmtk's documentation
(`_harness.run_group`, bmtk-rs side only: these pages document bmtk-rs's API). A block checks its own
results with asserts."""

import pathlib
import re

import pytest

from ._harness import ROOT, Block, run_group

DOCS = ROOT / "docs"
_RUNNABLE = re.compile(r"<!--\s*runnable\s*-->\s*\n```python\n(.*?)\n```", re.S)
_ANY_PYTHON = re.compile(r"```python\n")


def runnable_pages():
    """{page path relative to docs/: [code of each runnable block]} for pages that have any."""
    out = {}
    for md in sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]:
        blocks = _RUNNABLE.findall(md.read_text())
        if blocks:
            out[md.relative_to(DOCS).as_posix() if md.parent != ROOT else md.name] = blocks
    return out


PAGES = runnable_pages()


def _folder(page):
    return re.sub(r"[^A-Za-z0-9]+", "_", page)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("project_docs")
    blocks = {_folder(p): Block("\n\n".join(code), seed=0, sides=("rs",)) for p, code in PAGES.items()}
    return run_group("rs", blocks, root / "rs", stage="docs")


def test_pages_mark_runnable_blocks():
    """The user guide keeps runnable examples (a renamed marker would silently skip them all)."""
    for page in ("README.md", "install.md", "builder.md", "spike_trains.md", "sim_setup.md", "analyzer.md",
                 "simulators/bionet.md", "simulators/filternet.md"):
        assert page in PAGES, f"docs/{page} has no <!-- runnable --> python block"
    marked = sum(len(b) for b in PAGES.values())
    total = sum(len(_ANY_PYTHON.findall(p.read_text())) for p in [*DOCS.rglob("*.md"), ROOT / "README.md"])
    assert marked >= 10 and marked <= total, (marked, total)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_runnable_blocks(results, page):
    state, value = results[_folder(page)]
    assert state == "ok", f"{page}: a runnable block failed:\n{value}"


def test_runnable_marker_is_found_in_a_sample():
    sample = "text\n<!-- runnable -->\n```python\nx = 1\n```\n\n```python\nnot_run()\n```\n"
    assert _RUNNABLE.findall(sample) == ["x = 1"]
    assert pathlib.Path(DOCS).is_dir()
