"""The extracellular report end to end: examples/bio_450cells config.simulation_ecp.json (shortened)
through bmtk 1.2.0 + NEURON 9.0.2 and through bmtk-rs. Per channel: correlation >= 0.99 and peak
amplitude within 5% over the simulated window (the spikes agree there: checked too)."""

import os
import subprocess
import sys

import h5py
import numpy as np

from ..conftest import require_module
from .network_configs import localize

HERE = os.path.dirname(__file__)
TSTOP = 20.0


def _ecp(path):
    with h5py.File(path, "r") as f:
        return f["ecp/data"][()], f["ecp/time"][()], f["ecp/channel_id"][()]


def test_ecp_matches_neuron(bmtk_data, nrnmech_dir, tmp_path):
    require_module("bmtk")
    ex = bmtk_data / "examples" / "bio_450cells"
    ref = localize(ex, "config.simulation_ecp.json", tmp_path / "nrn", tstop=TSTOP)
    ours = localize(ex, "config.simulation_ecp.json", tmp_path / "rs", tstop=TSTOP)
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    nrn = subprocess.run([sys.executable, os.path.join(HERE, "bmtk_network_run.py"), ref, str(nrnmech_dir)],
                         capture_output=True, text=True, env=env, timeout=3000)
    assert nrn.returncode == 0, nrn.stdout[-3000:] + nrn.stderr[-3000:]
    rs = subprocess.run([sys.executable, "-m", "bmtk_rs.simulator.bionet", ours], capture_output=True, text=True,
                        timeout=1800)
    assert rs.returncode == 0, rs.stdout[-3000:] + rs.stderr[-3000:]

    a, ta, ca = _ecp(tmp_path / "rs" / "output" / "ecp.h5")
    b, tb, cb = _ecp(tmp_path / "nrn" / "output" / "ecp.h5")
    assert a.shape == b.shape and a.shape[0] == round(TSTOP / 0.1), (a.shape, b.shape)
    np.testing.assert_array_equal(ta, tb)
    np.testing.assert_array_equal(ca, cb)
    # the spikes of the window agree (else the ECPs need not)
    with h5py.File(tmp_path / "rs" / "output" / "spikes.h5") as f1, h5py.File(tmp_path / "nrn" / "output" / "spikes.h5") as f2:
        for pop in f2["spikes"]:
            np.testing.assert_allclose(np.sort(f1["spikes"][pop]["timestamps"][()]),
                                       np.sort(f2["spikes"][pop]["timestamps"][()]), atol=0.5)
    skip = 10  # the first millisecond: both start from rest, signals are ~0
    for c in range(b.shape[1]):
        x, y = a[skip:, c], b[skip:, c]
        assert np.std(y) > 0, f"channel {c}: NEURON's ECP is flat; the comparison would be empty"
        r = np.corrcoef(x, y)[0, 1]
        assert r >= 0.99, (c, r)
        peak_a, peak_b = np.max(np.abs(x - x.mean())), np.max(np.abs(y - y.mean()))
        assert abs(peak_a - peak_b) <= 0.05 * peak_b, (c, peak_a, peak_b)
