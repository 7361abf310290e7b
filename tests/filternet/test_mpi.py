"""mpirun -np 2 of run_filternet.py writes the same rates and spikes as the serial run, byte for byte."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from ..conftest import ROOT, require_module, run_mpi

RUN = ROOT / "examples" / "filternet" / "run_filternet.py"


@pytest.fixture
def sim_dir(bmtk_data, tmp_path):
    tut = bmtk_data / "tutorial_l4"
    (tmp_path / "network").symlink_to(tut / "network")
    (tmp_path / "components").symlink_to(tut / "components")
    conf = json.loads((tut / "config.filternet.json").read_text())
    conf["run"]["random_seed"] = 7
    for name in ("serial", "mpi"):
        c = json.loads(json.dumps(conf))
        c["output"]["output_dir"] = "./out_" + name
        (tmp_path / "config.{}.json".format(name)).write_text(json.dumps(c))
    return tmp_path


@pytest.mark.mpi
def test_two_ranks_match_serial(sim_dir):
    require_module("mpi4py")
    env = dict(os.environ)
    subprocess.run([sys.executable, str(RUN), "config.serial.json"], cwd=sim_dir, check=True,
                   capture_output=True, env=env)
    res = run_mpi(2, [sys.executable, str(RUN), "config.mpi.json"], cwd=sim_dir, capture_output=True, text=True,
                  env=env, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    a, b = pathlib.Path(sim_dir / "out_serial"), pathlib.Path(sim_dir / "out_mpi")
    for f in ("rates.csv", "spikes.flash.csv"):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    h5py = require_module("h5py")
    with h5py.File(a / "spikes.flash.h5", "r") as x, h5py.File(b / "spikes.flash.h5", "r") as y:
        for k in ("timestamps", "node_ids"):
            assert (x["spikes/LGN"][k][()] == y["spikes/LGN"][k][()]).all()
        assert len(x["spikes/LGN/node_ids"]) > 100
