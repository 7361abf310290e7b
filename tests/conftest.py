"""Shared fixtures: where the reference data lives, and the oracle packages."""

import os
import pathlib
import platform
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BMTK_DATA = pathlib.Path(os.environ.get("BMTK_DATA", ROOT.parent / "shared" / "bmtk-data"))


def _missing(what):
    # Under CI the reference data and oracles are part of the contract: a missing one is a failure.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("{} is required under CI=true but is missing".format(what))
    pytest.skip("{} is not available".format(what))


@pytest.fixture(scope="session")
def bmtk_data():
    """../shared/bmtk-data (or $BMTK_DATA)."""
    if not BMTK_DATA.is_dir():
        _missing("reference data {}".format(BMTK_DATA))
    return BMTK_DATA


def require_module(name):
    try:
        return __import__(name)
    except ImportError:
        _missing("oracle package '{}'".format(name))


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
