"""``mpirun -np N python run_pointnet.py config.json``: the cells split over the ranks, one set of
outputs, identical (bitwise) to the single-process run's, for exactly integrated, conductance-based
(RKF45) and GLIF models with recurrent connections, spike inputs and a current clamp."""

import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from ..conftest import ROOT, require_module, run_mpi
from . import networks

RUN = ROOT / "examples" / "pointnet" / "run_pointnet.py"


def _config(tmp_path, case, name):
    d = tmp_path / case / name
    config = networks.build(case, str(d), tstop=400.0, dt=0.1, n_cells=11)
    with open(config) as fh:
        conf = json.load(fh)
    amp = {"aeif_cond_alpha": 150.0, "glif_cond_lif_r_asc_a": 60.0}.get(case, 120.0)
    conf["inputs"]["clamp"] = {"input_type": "current_clamp", "module": "IClamp", "node_set": "cells",
                               "amp": amp, "delay": 100.0, "duration": 150.0}
    conf["output"]["spikes_sort_order"] = "time"
    with open(config, "w") as fh:
        json.dump(conf, fh)
    return config, d / "output"


def _run(ranks, config):
    cmd = [sys.executable, str(RUN), config]
    env = dict(os.environ)  # see test_failure_on_one_rank_stops_every_rank
    if ranks == 1:
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    else:
        res = run_mpi(ranks, cmd, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]


def _same_h5(a, b):
    with h5py.File(a, "r") as x, h5py.File(b, "r") as y:
        names = []
        x.visit(names.append)
        other = []
        y.visit(other.append)
        assert names == other
        for n in names:
            if isinstance(x[n], h5py.Dataset):
                assert np.array_equal(x[n][()], y[n][()]), n
            assert dict(x[n].attrs).keys() == dict(y[n].attrs).keys(), n
            for k, v in x[n].attrs.items():
                assert np.array_equal(v, y[n].attrs[k]), (n, k)


@pytest.mark.mpi
@pytest.mark.parametrize("case,ranks", [("iaf_psc_alpha", 2), ("aeif_cond_alpha", 2), ("glif_cond_lif_r_asc_a", 3)])
def test_ranks_match_serial(tmp_path, case, ranks):
    require_module("mpi4py")
    serial, out1 = _config(tmp_path, case, "serial")
    mpi, out2 = _config(tmp_path, case, "mpi")
    _run(1, serial)
    _run(ranks, mpi)
    with h5py.File(out1 / "spikes.h5", "r") as f:
        assert len(f["spikes/cells/node_ids"]) > 30
        assert len(np.unique(f["spikes/cells/node_ids"][()])) >= ranks
    _same_h5(out1 / "spikes.h5", out2 / "spikes.h5")
    assert (out1 / "spikes.csv").read_bytes() == (out2 / "spikes.csv").read_bytes()
    _same_h5(out1 / "membrane_potential.h5", out2 / "membrane_potential.h5")
    assert sorted(os.listdir(out1)) == sorted(os.listdir(out2))


@pytest.mark.mpi
def test_failure_on_one_rank_stops_every_rank(tmp_path):
    """A cell going numerically unstable on one rank ends the run on all of them with its name (no
    rank left waiting in an exchange), and no output is written."""
    require_module("mpi4py")
    config, out = _config(tmp_path, "aeif_cond_exp", "mpi")
    with open(tmp_path / "aeif_cond_exp" / "mpi" / "components" / "cell_models" / "cell.json", "w") as fh:
        json.dump({"b": 2.0e6, "I_e": 1000.0}, fh)
    # os.environ, not the process's C environment: an MPI library initialised in this process (bmtk's
    # pointnet imports mpi4py) leaves variables there that make mpirun fail without a word
    res = run_mpi(2, [sys.executable, str(RUN), config], capture_output=True, text=True, env=dict(os.environ),
                  timeout=300)
    assert res.returncode != 0
    assert "numerical instability" in res.stderr and "of cells" in res.stderr, res.stderr[-2000:]
    assert not (out / "spikes.h5").exists()
