"""The package itself: install_as_bmtk aliasing, the version, the native module."""

import subprocess
import sys

from .conftest import require_module


def run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_install_as_bmtk_resolves_bmtk_imports():
    res = run(
        "import bmtk_rs; bmtk_rs.install_as_bmtk()\n"
        "import bmtk\n"
        "from bmtk.builder.networks import NetworkBuilder\n"
        "from bmtk.builder import NetworkBuilder as NB2\n"
        "print(bmtk.__name__, NetworkBuilder.__module__, NB2 is NetworkBuilder)\n"
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["bmtk_rs", "bmtk_rs.builder.network_builder", "True"]


def test_install_as_bmtk_refuses_when_real_bmtk_loaded():
    require_module("bmtk")
    res = run(
        "import bmtk, bmtk_rs\n"
        "try:\n"
        "    bmtk_rs.install_as_bmtk()\n"
        "except RuntimeError as e:\n"
        "    print('refused:', e)\n"
    )
    assert res.returncode == 0, res.stderr
    assert "refused: install_as_bmtk(): the real bmtk package is already imported" in res.stdout


def test_version_matches_native():
    import bmtk_rs
    from bmtk_rs import _native

    assert bmtk_rs.__version__ == _native.__version__


def test_example_components_ship_with_the_package(monkeypatch):
    """sim_setup --include-examples and the notebook find the components in the installed package."""
    import pathlib

    import bmtk_rs
    from bmtk_rs.utils.sim_setup import example_components_dir

    monkeypatch.delenv("BMTK_RS_COMPONENTS", raising=False)
    d = example_components_dir()
    assert d.resolve() == (pathlib.Path(bmtk_rs.__file__).parent / "components").resolve()
    for f in ("morphologies/pyramidal_1.swc", "biophysical_neuron_models/excitatory_rs_fit.json",
              "synaptic_models/ExcToExc.json", "devices/linear_electrode.csv", "filter_models/sON_TF8.json"):
        assert (d / f).is_file(), f
