"""NMODL fixtures: the corpus of .mod files (BMTK's 25 in bmtk-data, the ones in the neuron wheel) and
BMTK's modfiles compiled by nrnivmodl once per session (NEURON runs them in a subprocess)."""

import pathlib

import pytest

from ..conftest import compiled_mechanisms
from ..conftest import _missing, require_module


@pytest.fixture(scope="session")
def bmtk_modfiles(bmtk_data):
    d = pathlib.Path(bmtk_data) / "examples" / "bio_components" / "mechanisms" / "modfiles"
    if not d.is_dir():
        _missing(f"BMTK's modfiles at {d}")
    return d


@pytest.fixture(scope="session")
def neuron_modfiles():
    """The .mod files shipped inside the neuron wheel."""
    neuron = require_module("neuron")
    root = pathlib.Path(neuron.__file__).parent
    files = sorted(p for p in root.rglob("*.mod"))
    if not files:
        _missing(f".mod files in the neuron package at {root}")
    return files


@pytest.fixture(scope="session")
def corpus_mech_dir(bmtk_modfiles):
    """The corpus's BMTK modfiles compiled by nrnivmodl (once per checkout, shared by workers)."""
    return compiled_mechanisms(bmtk_modfiles.glob("*.mod"))
