"""Fixtures of the documentation tests: bmtk's compiled NEURON mechanisms (shared with tests/bionet)
and the example components the tutorials name."""

import pytest

from ..conftest import require_module


@pytest.fixture(scope="session")
def oracle():
    """bmtk 1.2.0 must be importable (under CI a missing oracle fails)."""
    require_module("bmtk")
    require_module("h5py")
