"""The release wheel (scripts/build_wheels.sh): manylinux_2_17 (manylinux2014), abi3 for CPython >= 3.9,
no shared library needing a glibc newer than 2.17 (RHEL/CentOS 7), stubs and components inside, and it
installs and runs the main job (examples/l4_tutorial/run_l4.py: network, Poisson input, BioNet,
FilterNet) in a fresh virtualenv whose PATH has no cargo or rustc.

The wheel is built once into the clone's dist/ and reused while it is newer than every source file
(src/, python/, Cargo.toml, Cargo.lock, pyproject.toml); otherwise the session's first use builds it
(several minutes on 2 cores). scripts/test.sh builds it as a separate step after the main pytest run
and then runs this file, so the suite's own budget does not carry the build."""

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

from ..conftest import ROOT

_spec = importlib.util.spec_from_file_location("wheel_glibc", ROOT / "scripts" / "wheel_glibc.py")
wheel_glibc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wheel_glibc)

TAG = "cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64"


def _version():
    for line in (ROOT / "Cargo.toml").read_text().splitlines():
        if line.startswith("version = "):
            return line.split('"')[1]
    raise AssertionError("Cargo.toml has no version")


def _newest_source():
    paths = [ROOT / "Cargo.toml", ROOT / "Cargo.lock", ROOT / "pyproject.toml"]
    for folder in ("src", "python"):
        paths += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix not in (".so", ".pyc")
                  and "__pycache__" not in p.parts]
    return max(p.stat().st_mtime for p in paths)


@pytest.fixture(scope="session")
def wheel():
    path = ROOT / "dist" / f"bmtk_rs-{_version()}-{TAG}.whl"
    if not path.is_file() or path.stat().st_mtime < _newest_source():
        res = subprocess.run(["bash", str(ROOT / "scripts" / "build_wheels.sh")], cwd=ROOT, capture_output=True,
                             text=True, timeout=3600)
        assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-6000:]
    assert path.is_file(), f"scripts/build_wheels.sh made no {path.name}"
    return path


def test_wheel_is_manylinux_2_17(wheel):
    libs = wheel_glibc.wheel_max_glibc(wheel)
    assert list(libs) == ["bmtk_rs/_native.abi3.so"], sorted(libs)
    top = libs["bmtk_rs/_native.abi3.so"]
    assert top is not None and top <= (2, 17), f"the extension needs GLIBC_{'.'.join(map(str, top))}"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(f"bmtk_rs-{_version()}.dist-info/WHEEL").decode()
    assert "Tag: cp39-abi3-manylinux_2_17_x86_64" in meta and "Tag: cp39-abi3-manylinux2014_x86_64" in meta, meta
    for f in ("bmtk_rs/_native.pyi", "bmtk_rs/py.typed", "bmtk_rs/components/morphologies/pyramidal_1.swc",
              "bmtk_rs/simulator/bionet/support.py"):
        assert f in names, f


def test_sdist_is_built(wheel):
    sdist = ROOT / "dist" / f"bmtk_rs-{_version()}.tar.gz"
    assert sdist.is_file() and sdist.stat().st_size > 100_000


def _path_without_rust():
    keep = [d for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
            if d and not any(os.path.exists(os.path.join(d, tool)) for tool in ("cargo", "rustc"))]
    return os.pathsep.join(keep)


def test_wheel_runs_the_main_job_without_rust(wheel, tmp_path):
    path = _path_without_rust()
    assert shutil.which("cargo", path=path) is None and shutil.which("rustc", path=path) is None
    env = {"PATH": path, "HOME": str(tmp_path), "LANG": "C.UTF-8", "MPLBACKEND": "Agg"}
    if os.environ.get("PIP_INDEX_URL"):
        env["PIP_INDEX_URL"] = os.environ["PIP_INDEX_URL"]
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, env=env, timeout=300)
    py = str(venv / "bin" / "python")
    # binaries only: nothing may compile on the way (numpy and pandas come as wheels)
    pip = subprocess.run([py, "-m", "pip", "install", "--quiet", "--only-binary", ":all:", str(wheel)],
                         capture_output=True, text=True, env=env, timeout=900)
    assert pip.returncode == 0, pip.stdout[-2000:] + pip.stderr[-4000:]
    where = subprocess.run([py, "-c", "import bmtk_rs, shutil; print(bmtk_rs.__file__, bmtk_rs.__version__, "
                            "shutil.which('cargo'), shutil.which('rustc'))"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert where.returncode == 0, where.stderr[-3000:]
    file, version, cargo, rustc = where.stdout.split()
    assert file.startswith(str(venv)), file
    assert version == _version() and cargo == "None" and rustc == "None"
    out = tmp_path / "l4"
    job = subprocess.run([py, str(ROOT / "examples" / "l4_tutorial" / "run_l4.py"), "--output", str(out)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-4000:]
    assert "built V1: 300 nodes" in job.stdout and "V1 mean firing rates" in job.stdout, job.stdout[-3000:]
    for f in ("network/V1_nodes.h5", "inputs/lgn_spikes.poisson.h5", "output/spikes.h5",
              "output/membrane_potential.h5", "lgn_flash/spikes.flash.h5"):
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f
    # the installed package's spikes, read back by the test environment's own reader
    from bmtk_rs.utils.reports.spike_trains import SpikeTrains

    spikes = SpikeTrains.load(str(out / "output" / "spikes.h5")).to_dataframe()
    assert spikes["node_ids"].nunique() > 150, len(spikes)
    assert pathlib.Path(file).parent.joinpath("_native.abi3.so").is_file()
