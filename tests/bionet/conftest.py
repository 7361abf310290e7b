"""BioNet fixtures: bmtk 1.2.0's modfiles compiled by NEURON's nrnivmodl, once per session."""

import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys

import pytest

from ..conftest import _missing, require_module


def _nrnivmodl():
    found = shutil.which("nrnivmodl")
    if found:
        return found
    for d in (pathlib.Path(sys.executable).parent, pathlib.Path(sys.base_prefix) / "bin"):
        if (d / "nrnivmodl").exists():
            return str(d / "nrnivmodl")
    _missing("nrnivmodl (from the neuron package)")


@pytest.fixture(scope="session")
def nrnmech_dir(tmp_path_factory):
    """A directory holding bmtk's shipped .mod files compiled by nrnivmodl (for neuron.load_mechanisms)."""
    require_module("neuron")
    bmtk = require_module("bmtk")
    modsrc = pathlib.Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet" / "mechanisms" / "modfiles"
    if not modsrc.is_dir():
        _missing(f"bmtk's modfiles at {modsrc}")
    work = tmp_path_factory.mktemp("nrnmech")
    for mod in modsrc.glob("*.mod"):
        shutil.copy(mod, work / mod.name)
    build = subprocess.run([_nrnivmodl()], check=False, cwd=work, capture_output=True, text=True)
    assert build.returncode == 0, "nrnivmodl failed:\n" + build.stdout[-3000:] + build.stderr[-3000:]
    assert (work / platform.machine()).is_dir() or any(work.glob("*/libnrnmech*")), build.stdout[-2000:]
    return work


def run_neuron_cells(nrnmech_dir, cases, stem):
    """Runs the whole-cell cases in NEURON (nrn_single_cell.py, one subprocess) and returns
    ({case id: case}, {result key: array})."""
    import numpy as np

    cases_path = nrnmech_dir / (stem + "_cases.json")
    out = nrnmech_dir / (stem + ".npz")
    cases_path.write_text(json.dumps(cases))
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    script = pathlib.Path(__file__).parent / "nrn_single_cell.py"
    run = subprocess.run([sys.executable, str(script), str(nrnmech_dir), str(cases_path), str(out)],
                         check=False, capture_output=True, text=True, env=env, timeout=1800)
    assert run.returncode == 0, "NEURON run failed:\n" + run.stdout[-3000:] + run.stderr[-3000:]
    data = np.load(out)
    return {c["id"]: c for c in cases}, {k: data[k] for k in data.files}
