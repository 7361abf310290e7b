"""examples/l4_full/build_network.py (the Arkhipov et al. 2018 L4 model, scaled down here):

- a 1/50 build runs in bmtk-rs and in bmtk 1.2.0 + NEURON 9.0.2 from the same files: every cell's
  spikes of the first 100 ms agree within 0.5 ms;
- two builds with one seed give byte-identical files (network and LGN spikes);
- 1 thread, 2 threads and 2 MPI ranks give byte-identical spikes;
- a run logs its progress: simulated time, wall time, time to finish.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest

from ..conftest import ROOT, require_module, run_mpi

SCRIPT = ROOT / "examples" / "l4_full" / "build_network.py"
BMTK_RUN = ROOT / "tests" / "bionet" / "bmtk_network_run.py"
TSTOP = 100.0


def _build(out, fraction, seed=1, tstop=TSTOP):
    run = subprocess.run([sys.executable, str(SCRIPT), "--fraction", str(fraction), "--seed", str(seed),
                          "--tstop", str(tstop), str(out)], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out / "config.json"


def _with_output(config, folder, **run):
    """A copy of `config` writing into `folder` (so two simulators can run one network)."""
    conf = json.loads(pathlib.Path(config).read_text())
    conf["output"]["output_dir"] = str(folder)
    conf["output"]["log_to_console"] = False
    conf["run"].update(run)
    path = pathlib.Path(config).with_name(f"config.{pathlib.Path(folder).name}.json")
    path.write_text(json.dumps(conf, indent=2))
    return str(path)


def _run_bmtk_rs(config, threads=None, ranks=None):
    env = dict(os.environ)
    if threads is not None:
        env["BMTK_RS_THREADS"] = str(threads)
    cmd = [sys.executable, "-m", "bmtk_rs.simulator.bionet", config]
    if ranks:
        run = run_mpi(ranks, cmd, capture_output=True, text=True, env=env, timeout=1800)
    else:
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def _spikes(path):
    with h5py.File(path, "r") as f:
        return {pop: (g["node_ids"][()], g["timestamps"][()]) for pop, g in f["spikes"].items()}


def _spike_bytes(path):
    return {pop: (n.tobytes(), t.tobytes()) for pop, (n, t) in _spikes(path).items()}


@pytest.fixture(scope="module")
def fiftieth(tmp_path_factory):
    """The model at 1/50 of its size (900 cells: 200 biophysical, 700 IntFire1), built once."""
    out = tmp_path_factory.mktemp("l4_fiftieth")
    return out, _build(out, 0.02)


def test_fiftieth_matches_neuron(fiftieth, nrnmech_dir):
    require_module("bmtk")
    out, config = fiftieth
    ours = _with_output(config, out / "rs")
    ref = _with_output(config, out / "nrn")
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    nrn = subprocess.run([sys.executable, str(BMTK_RUN), ref, str(nrnmech_dir)], capture_output=True, text=True,
                         env=env, timeout=1800)
    assert nrn.returncode == 0, "bmtk+NEURON failed:\n" + nrn.stdout[-3000:] + nrn.stderr[-3000:]
    _run_bmtk_rs(ours)
    a, b = _spikes(out / "rs" / "spikes.h5"), _spikes(out / "nrn" / "spikes.h5")
    assert set(a) == set(b) == {"V1"}
    (na, ta), (nb, tb) = a["V1"], b["V1"]
    with h5py.File(out / "network" / "V1_nodes.h5", "r") as f:
        all_ids = f["nodes/V1/node_id"][()]
    n_bio = 200
    fired = {"bio": 0, "point": 0}
    for n in all_ids:
        x = np.sort(ta[(na == n) & (ta < TSTOP)])
        y = np.sort(tb[(nb == n) & (tb < TSTOP)])
        assert len(x) == len(y), (int(n), x, y)
        if len(x):
            assert np.max(np.abs(x - y)) <= 0.5, (int(n), x, y)
            fired["bio" if n < n_bio else "point"] += 1
    # both kinds of cells take part, or the comparison says little
    assert fired["bio"] >= 5 and fired["point"] >= 5, fired


def test_build_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _build(a, 0.01, seed=7, tstop=50.0)
    _build(b, 0.01, seed=7, tstop=50.0)
    files = sorted(p.relative_to(a) for p in (a / "network").rglob("*") if p.is_file())
    files.append(pathlib.Path("inputs") / "lgn_spikes.h5")
    assert len(files) == 9, files
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    # and another seed gives another network
    c = tmp_path / "c"
    _build(c, 0.01, seed=8, tstop=50.0)
    assert (a / "network" / "V1_V1_edges.h5").read_bytes() != (c / "network" / "V1_V1_edges.h5").read_bytes()


@pytest.mark.mpi
def test_identical_for_threads_and_ranks(fiftieth):
    require_module("mpi4py")
    out, config = fiftieth
    got = {}
    for tag, kw in {"t1": dict(threads=1), "t2": dict(threads=2), "mpi2": dict(threads=1, ranks=2)}.items():
        _run_bmtk_rs(_with_output(config, out / tag), **kw)
        got[tag] = _spike_bytes(out / tag / "spikes.h5")
    assert len(got["t1"]["V1"][0]) > 0, "no spikes: the comparison would be empty"
    assert got["t1"] == got["t2"]
    assert got["t1"] == got["mpi2"]
    # each rank's timing line accounts for the exchange: every spike sent once (12 bytes: time, gid)
    # by the rank of its cell, and every rank receiving all of them, at every 2 ms epoch
    log = (out / "mpi2" / "log.txt").read_text()
    lines = re.findall(r"Run timing, rank (\d): loop [\d.]+ s wall, [\d.]+ s CPU; spike exchange (\d+) allgathers "
                       r"in [\d.]+ s .*?, (\d+) spikes = (\d+) bytes sent, (\d+) bytes received", log)
    assert sorted(int(x[0]) for x in lines) == [0, 1], log[-2000:]
    n_spikes = len(_spikes(out / "mpi2" / "spikes.h5")["V1"][0])
    assert all(int(x[1]) == TSTOP / 2.0 for x in lines)
    assert sum(int(x[2]) for x in lines) == n_spikes
    assert all(int(x[3]) == 12 * int(x[2]) for x in lines)
    assert all(int(x[4]) == 12 * n_spikes for x in lines)


def test_progress_lines(fiftieth):
    """With run.progress_interval tiny, a line per chunk of 1% of the steps, plus BMTK's block lines."""
    out, config = fiftieth
    cfg = _with_output(config, out / "progress", progress_interval=1e-9)
    _run_bmtk_rs(cfg)
    log = (out / "progress" / "log.txt").read_text()
    lines = re.findall(r"t_sim:([\d.]+) of ([\d.]+) ms \((\d+)%\), wall time (\d+:\d\d:\d\d), "
                       r"about (\d+:\d\d:\d\d) to finish", log)
    assert len(lines) == 100, log[-2000:]
    t = [float(x[0]) for x in lines]
    assert t == sorted(t) and t[-1] == TSTOP and all(float(x[1]) == TSTOP for x in lines)
    assert lines[-1][2] == "100" and lines[-1][4] == "0:00:00"
    assert "step:1000 t_sim:100.00 ms" in log  # BMTK's own block line stays
