"""mkdocs hooks (mkdocs.yml `hooks:`): pages made at build time from the repository's own sources, so
docs/ keeps no copies that could drift.

- tutorial.md from notebooks/Mouse_L4.ipynb (markdown cells as they are, code cells as code blocks;
  the test suite executes the notebook itself, tests/tutorial);
- benchmarks.md from bench/RESULTS.md, with how to reproduce the figures;
- simulators/index.md from the simulator packages that exist in python/bmtk_rs/simulator, and the
  Simulators section of the navigation from the pages in docs/simulators/."""

import ast
import json
import pathlib

from mkdocs.structure.files import File

ROOT = pathlib.Path(__file__).resolve().parents[1]
SIMULATORS = ROOT / "python" / "bmtk_rs" / "simulator"

BENCH_HEADER = """# Benchmarks

Every benchmark in `bench/` runs bmtk-rs and the reference (bmtk 1.2.0, with NEURON 9.0.2 for
BioNet) in one run on the same machine and prints both times and their ratio. To reproduce a table,
install the test extras (`pip install ".[test]"`, which brings bmtk 1.2.0 and NEURON), point
`BMTK_DATA` at the reference data if a benchmark needs it, and run the command given under the
table's heading from the repository root, e.g. `python bench/bench_builder.py`. The machine these
figures come from had 2 shared cores; read the ratios rather than the absolute times.

The figures below are `bench/RESULTS.md`, included as it is.

"""


def _notebook_markdown():
    nb = json.loads((ROOT / "notebooks" / "Mouse_L4.ipynb").read_text())
    out = []
    for cell in nb["cells"]:
        src = "".join(cell.get("source", []))
        if cell["cell_type"] == "markdown":
            out.append(src)
        elif cell["cell_type"] == "code" and src.strip():
            out.append("```python\n" + src.rstrip() + "\n```")
    intro = ("!!! note\n    This page is `notebooks/Mouse_L4.ipynb` without its outputs. Run it in Jupyter "
             "(`pip install \"bmtk-rs[notebook]\"`), or headless with `bash scripts/run_l4.sh`.\n")
    first, rest = out[0], out[1:]
    return "\n\n".join([first, intro] + rest) + "\n"


def _benchmarks_markdown():
    text = (ROOT / "bench" / "RESULTS.md").read_text()
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    # RESULTS.md's sections become this page's sections
    return BENCH_HEADER + "\n".join(lines) + "\n"


def simulator_packages():
    """{name: first line of the package docstring} of every simulator package in the source tree."""
    out = {}
    for d in sorted(SIMULATORS.iterdir()):
        init = d / "__init__.py"
        if d.name == "core" or not init.is_file():
            continue
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        out[d.name] = doc.split("\n\n")[0].replace("\n", " ").rstrip(":")
    return out


def _simulators_markdown(docs_dir):
    lines = ["# Simulators", "",
             "The simulators of bmtk 1.2.0 and their state in this version of bmtk-rs (this list is made "
             "from the packages in `bmtk_rs.simulator` when the documentation is built). Each runs "
             "bmtk's configuration files and keeps bmtk's Python names; [Compared with BMTK]"
             "(../compatibility.md) lists what each one supports, key by key.", "",
             "| simulator | bmtk-rs module | state |", "| --- | --- | --- |"]
    present = simulator_packages()
    names = {"bionet": "BioNet", "filternet": "FilterNet", "pointnet": "PointNet", "popnet": "PopNet"}
    for name in sorted(set(names) | set(present)):
        title = names.get(name, name)
        if name not in present:
            lines.append(f"| {title} | - | not part of bmtk-rs yet |")
            continue
        page = docs_dir / "simulators" / f"{name}.md"
        link = f"[{title}]({name}.md)" if page.is_file() else title
        state = present[name] if page.is_file() else present[name] + " (landing: no page yet)"
        lines.append(f"| {link} | `bmtk_rs.simulator.{name}` | {state} |")
    return "\n".join(lines) + "\n"


def on_config(config):
    """The Simulators section of the navigation: the overview, then every page in docs/simulators/."""
    docs_dir = pathlib.Path(config["docs_dir"])
    pages = [{"Overview": "simulators/index.md"}]
    titles = {"bionet": "BioNet", "filternet": "FilterNet", "pointnet": "PointNet", "popnet": "PopNet"}
    for p in sorted((docs_dir / "simulators").glob("*.md")):
        if p.stem != "index":
            pages.append({titles.get(p.stem, p.stem): f"simulators/{p.name}"})
    for i, item in enumerate(config["nav"] or []):
        if isinstance(item, dict) and "Simulators" in item:
            config["nav"][i] = {"Simulators": pages}
    return config


def on_files(files, config):
    docs_dir = pathlib.Path(config["docs_dir"])
    made = {
        "tutorial.md": _notebook_markdown(),
        "benchmarks.md": _benchmarks_markdown(),
        "simulators/index.md": _simulators_markdown(docs_dir),
    }
    for uri, content in made.items():
        files.append(File.generated(config, uri, content=content))
    return files
