"""Shared fixtures: where the reference data lives, and the oracle packages."""

import fcntl
import hashlib
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


def compiled_mechanisms(modfiles, nrnivmodl=None, version=None):
    """`modfiles` compiled by nrnivmodl once per checkout: the build lives in the clone's
    .test-cache/, keyed by the files' contents and NEURON's version, and a file lock lets parallel
    pytest workers share one build instead of compiling the same files side by side."""
    if version is None:
        version = str(getattr(require_module("neuron"), "__version__", ""))
    modfiles = sorted(pathlib.Path(m) for m in modfiles)
    key = hashlib.sha256(version.encode())
    for mod in modfiles:
        key.update(mod.name.encode() + b"\0" + mod.read_bytes() + b"\0")
    cache = ROOT / ".test-cache"
    cache.mkdir(exist_ok=True)
    work = cache / ("nrnmech-" + key.hexdigest()[:16])
    with open(cache / (work.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (work / ".built").exists():
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            for mod in modfiles:
                shutil.copy(mod, work / mod.name)
            build = subprocess.run([nrnivmodl or _nrnivmodl()], check=False, cwd=work, capture_output=True, text=True)
            assert build.returncode == 0, "nrnivmodl failed:\n" + build.stdout[-3000:] + build.stderr[-3000:]
            assert (work / platform.machine()).is_dir() or any(work.glob("*/libnrnmech*")), \
                build.stdout[-2000:]
            (work / ".built").write_text("ok")
    return work


@pytest.fixture(scope="session")
def nrnmech_dir():
    """A directory holding bmtk's shipped .mod files compiled by nrnivmodl (for neuron.load_mechanisms).
    Tests may add their own uniquely named case files beside the build."""
    require_module("neuron")
    bmtk = require_module("bmtk")
    modsrc = pathlib.Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet" / "mechanisms" / "modfiles"
    if not modsrc.is_dir():
        _missing(f"bmtk's modfiles at {modsrc}")
    return compiled_mechanisms(modsrc.glob("*.mod"))


NRN8_VENV = pathlib.Path(os.environ.get("BMTK_RS_NRN8_VENV", ROOT / ".venv-nrn8"))


@pytest.fixture(scope="session")
def nrn8_oracle():
    """(compiled mechanisms, python) of bmtk 1.2.0 with NEURON 8.2.7, for what bmtk 1.2.0 runs only on
    NEURON 8 (xstim, comsol). scripts/test.sh makes the virtualenv (.venv-nrn8 in the clone)."""
    python = NRN8_VENV / "bin" / "python"
    if not python.exists():
        _missing(f"the NEURON 8 oracle virtualenv {NRN8_VENV} (bmtk 1.2.0 + neuron 8.2.7)")
    probe = subprocess.run([str(python), "-c", "import neuron, bmtk; print(neuron.__version__, bmtk.__version__)"],
                           capture_output=True, text=True, env=dict(os.environ, NEURON_MODULE_OPTIONS="-nogui"))
    if probe.returncode != 0:
        _missing(f"bmtk + neuron in {NRN8_VENV}: {probe.stderr[-500:]}")
    nrn_version, bmtk_version = probe.stdout.split()[-2:]
    assert nrn_version.startswith("8.") and bmtk_version == "1.2.0", probe.stdout
    modsrc = next((NRN8_VENV / "lib").glob("python3*/site-packages/bmtk/utils/scripts/bionet/mechanisms/modfiles"))
    return compiled_mechanisms(modsrc.glob("*.mod"), str(NRN8_VENV / "bin" / "nrnivmodl"), nrn_version), str(python)


def run_mpi(ranks, cmd, **kwargs):
    """`mpirun -np ranks cmd` (subprocess.run keywords as given). mpirun forwards its stdin to rank 0,
    and a pytest-xdist worker's stdin is its channel to the controller: mpirun gets /dev/null instead
    (with the worker's channel it failed without a word: exit 1, empty output). One mpirun at a time
    across the workers, through a lock file in the clone. A test process that imported mpi4py (bmtk
    does) has OpenMPI's singleton variables in its C environment, which an mpirun child inherits and
    then exits 1 without a word: the child gets Python's copy of the environment without them."""
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    env = dict(kwargs.get("env") or os.environ)
    kwargs["env"] = {k: v for k, v in env.items() if not k.startswith(("OMPI_", "PMIX_"))}
    exe = shutil.which("mpirun")
    if exe is None:
        _missing("mpirun (Debian's openmpi-bin)")
    cache = ROOT / ".test-cache"
    cache.mkdir(exist_ok=True)
    with open(cache / "mpirun.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return subprocess.run([exe, "--allow-run-as-root", "--oversubscribe", "-np", str(ranks)] + list(cmd),
                              **kwargs)
