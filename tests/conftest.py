"""Shared fixtures: where the reference data lives, and the oracle packages."""

import os
import pathlib

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
