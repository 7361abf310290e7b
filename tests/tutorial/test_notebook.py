"""notebooks/Mouse_L4.ipynb runs top to bottom in a fresh kernel (nbclient) with every cell succeeding
and its figures written; the same tutorial code with bmtk_rs.install_as_bmtk() runs unchanged
`import bmtk` statements."""

import os
import subprocess
import sys

from ..conftest import ROOT, require_module

NOTEBOOK = ROOT / "notebooks" / "Mouse_L4.ipynb"
FIGURES = ["raster_baseline.png", "traces_baseline.png", "raster_perturbed.png", "ecp.png", "raster_weights.png",
           "raster_lgn_flash.png", "raster_flash.png", "rates_flash.png"]


def _env(work):
    return dict(os.environ, BMTK_RS_TUTORIAL_DIR=str(work), BMTK_RS_COMPONENTS=str(ROOT / "components"),
                MPLBACKEND="Agg")


def _check_outputs(work):
    for f in FIGURES:
        p = work / f
        assert p.is_file() and p.stat().st_size > 5000, f"{f} missing or empty"
    for run in ("output", "lgn_flash"):
        assert (work / run / "spikes.h5").is_file()


def test_notebook_runs(tmp_path, monkeypatch):
    nbformat = require_module("nbformat")
    require_module("nbclient")
    from nbclient import NotebookClient

    work = tmp_path / "sim_l4"
    for k, v in _env(work).items():
        monkeypatch.setenv(k, v)
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            assert not errors, errors
    _check_outputs(work)


def test_tutorial_code_with_bmtk_imports(tmp_path):
    """The notebook's code as a script whose imports say `bmtk`, after install_as_bmtk()."""
    nbformat = require_module("nbformat")
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    code = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "from bmtk_rs." in code
    check = ("\nimport sys\nfrom bmtk.simulator import bionet as _aliased\nimport bmtk_rs.simulator.bionet as _real\n"
             "assert _aliased is _real\nassert 'neuron' not in sys.modules, 'NEURON was imported'\n")
    script = ("import bmtk_rs\nbmtk_rs.install_as_bmtk()\n" + code.replace("from bmtk_rs.", "from bmtk.") + check)
    path = tmp_path / "tutorial_bmtk.py"
    path.write_text(script)
    work = tmp_path / "sim_l4"
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=_env(work), timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    _check_outputs(work)
