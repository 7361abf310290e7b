"""The package itself: install_as_bmtk aliasing, the version, the native module."""

import json
import os
import subprocess
import sys

from .conftest import require_module


def run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def run_clean(code, cwd):
    """`code` in an isolated interpreter (-I: no PYTHON* variables, no user site, not the working
    folder on sys.path) with a bare environment, so nothing imports the real bmtk behind our back."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "NEURON_MODULE_OPTIONS": "-nogui"}
    return subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


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
              "synaptic_models/exc_to_exc_exp2syn.json", "devices/linear_probe_10ch_100um.csv",
              "filter_models/sustained_on_tf8.json"):
        assert (d / f).is_file(), f


# Checks shared by the alias tests: the real bmtk never got imported (its modules would be in
# sys.modules under 'bmtk' with other objects), and every 'bmtk.x' is the very module 'bmtk_rs.x'.
_ALIAS_CHECKS = """
import importlib
mods = {k: v for k, v in sys.modules.items() if k == 'bmtk' or k.startswith('bmtk.')}
assert mods, 'nothing imported through the alias'
for name, mod in mods.items():
    assert mod is sys.modules['bmtk_rs' + name[len('bmtk'):]], name
    assert mod.__name__.startswith('bmtk_rs'), (name, mod.__name__)
    assert mod.__spec__ is None or mod.__spec__.name == mod.__name__, (name, mod.__spec__)
"""


def test_python_m_sim_setup_through_the_alias(tmp_path):
    """`python -m bmtk.utils.sim_setup` as runpy runs it, after install_as_bmtk: bmtk_rs's sim_setup
    runs as __main__ (its own file) and makes the simulation folder."""
    code = (
        "import runpy, sys\n"
        "import bmtk_rs\n"
        "bmtk_rs.install_as_bmtk()\n"
        "sys.argv = ['sim_setup', '--tstop', '250', '--dt', '0.05', 'bionet', 'sim']\n"
        "try:\n"
        "    runpy.run_module('bmtk.utils.sim_setup', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        + _ALIAS_CHECKS +
        "import bmtk.utils.sim_setup, bmtk_rs.utils.sim_setup\n"
        "assert bmtk.utils.sim_setup is bmtk_rs.utils.sim_setup\n"
        "g = runpy.run_module('bmtk.utils.sim_setup')\n"
        "print('module_file', g['__file__'], g['__name__'])\n"
    )
    res = run_clean(code, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    import bmtk_rs.utils.sim_setup as ours

    assert f"module_file {ours.__file__} bmtk.utils.sim_setup" in res.stdout
    sim = json.loads((tmp_path / "sim" / "simulation_config.json").read_text())
    assert sim["run"]["tstop"] == 250.0 and sim["run"]["dt"] == 0.05
    assert (tmp_path / "sim" / "run_bionet.py").is_file()


def test_alias_serves_resources_pkgutil_and_submodules(tmp_path):
    """importlib.resources, pkgutil, find_spec, reload and submodule imports through 'bmtk' reach
    bmtk_rs's own modules and files; the aliased modules stay bmtk_rs's objects."""
    code = (
        "import sys, importlib, importlib.resources, importlib.util, pkgutil, pathlib\n"
        "import bmtk_rs\n"
        "bmtk_rs.install_as_bmtk()\n"
        "import bmtk\n"
        "from bmtk.builder.networks import NetworkBuilder\n"
        "import bmtk.utils.sim_setup as s\n"
        "assert bmtk is bmtk_rs and s is sys.modules['bmtk_rs.utils.sim_setup']\n"
        "assert NetworkBuilder is importlib.import_module('bmtk_rs.builder').NetworkBuilder\n"
        "root = pathlib.Path(bmtk_rs.__file__).parent\n"
        "readme = (root / 'components' / 'README.md').read_bytes()\n"
        "assert importlib.resources.files('bmtk').joinpath('components/README.md').read_bytes() == readme\n"
        "assert importlib.resources.files('bmtk.utils').joinpath('sim_setup.py').is_file()\n"
        "assert pkgutil.get_data('bmtk', 'components/README.md') == readme\n"
        "assert pkgutil.get_data('bmtk.utils', 'sim_setup.py') == (root / 'utils' / 'sim_setup.py').read_bytes()\n"
        "names = {m.name for m in pkgutil.iter_modules(bmtk.utils.__path__)}\n"
        "assert 'sim_setup' in names, names\n"
        "spec = importlib.util.find_spec('bmtk.builder.networks')\n"
        "assert spec.origin == str(root / 'builder' / 'networks.py'), spec.origin\n"
        "assert spec.loader.get_source('bmtk.builder.networks') == (root / 'builder' / 'networks.py').read_text()\n"
        "assert spec.loader.get_code('bmtk.builder.networks') is not None\n"
        "assert spec.loader.is_package('bmtk.builder.networks') is False\n"
        "assert importlib.util.find_spec('bmtk.builder').loader.is_package('bmtk.builder') is True\n"
        "assert importlib.reload(s) is s\n"
        "assert importlib.util.find_spec('bmtk.no_such_module') is None\n"
        "try:\n"
        "    import bmtk.no_such_module\n"
        "except ModuleNotFoundError as e:\n"
        "    print('missing:', e.name)\n"
        + _ALIAS_CHECKS +
        "print('ok')\n"
    )
    res = run_clean(code, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.split()[-1] == "ok"
    assert "missing: bmtk.no_such_module" in res.stdout
