"""The ``save_synapses`` report: the synapses a run made (recurrent and virtual-input ones, on
biophysical and IntFire1 cells) written back as SONATA edges, against bmtk 1.2.0 + NEURON 9.0.2's
files for bio_14cells: the same populations, rows in the same order, the same columns and dtypes,
and the same sections, positions and weights (placement is BMTK's exact draw)."""

import os
import subprocess
import sys

import h5py
import numpy as np

from ..conftest import require_module
from .network_configs import localize

HERE = os.path.dirname(__file__)


def _edit(out):
    def edit(conf):
        conf.setdefault("reports", {})["synapses"] = {"module": "save_synapses", "network_dir": str(out)}
    return edit


def _datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = (obj.dtype, obj[()], dict(obj.attrs))
        f.visititems(visit)
    return out


def test_saved_synapses_match_bmtk(bmtk_data, nrnmech_dir, tmp_path):
    require_module("bmtk")
    ex = bmtk_data / "examples" / "bio_14cells"
    ours = localize(ex, "config.simulation.json", tmp_path / "rs", tstop=5.0, edit=_edit(tmp_path / "rs_syns"))
    ref = localize(ex, "config.simulation.json", tmp_path / "nrn", tstop=5.0, edit=_edit(tmp_path / "nrn_syns"))
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    for cmd in ([sys.executable, "-m", "bmtk_rs.simulator.bionet", ours],
                [sys.executable, os.path.join(HERE, "bmtk_network_run.py"), ref, str(nrnmech_dir)]):
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    mine = sorted(os.listdir(tmp_path / "rs_syns"))
    n_rows = {}
    theirs = sorted(f for f in os.listdir(tmp_path / "nrn_syns") if not f.startswith("."))
    assert mine == theirs and theirs, (mine, theirs)
    for name in theirs:
        a, b = _datasets(tmp_path / "rs_syns" / name), _datasets(tmp_path / "nrn_syns" / name)
        assert sorted(a) == sorted(b), (name, sorted(set(a) ^ set(b)))
        for group in ("0", "1"):
            n_rows[group] = n_rows.get(group, 0) + sum(len(v[1]) for k, v in b.items()
                                                        if k.endswith(f"/{group}/syn_weight"))
        for key, (dtype, data, attrs) in b.items():
            d2, data2, attrs2 = a[key]
            assert d2 == dtype, (name, key, d2, dtype)
            assert attrs2 == attrs, (name, key, attrs2, attrs)
            if data.dtype.kind == "f":
                np.testing.assert_allclose(data2, data, rtol=1e-12, atol=1e-12, err_msg=f"{name}:{key}")
            else:
                np.testing.assert_array_equal(data2, data, err_msg=f"{name}:{key}")
    assert n_rows["0"] > 0 and n_rows["1"] > 0, n_rows
