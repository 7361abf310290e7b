"""The engine against NEST 3.10 called directly, one neuron per model: membrane potential at every
step within 1e-6 mV (NEST's multimeter read from memory) and identical spike times."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import require_module

from . import networks

HERE = os.path.dirname(os.path.abspath(__file__))

SPECS = {
    "iaf_psc_alpha": ({"C_m": 200.0, "tau_m": 15.0, "tau_syn_ex": 1.5, "tau_syn_in": 3.0, "E_L": -65.0},
                      [(900.0, 0), (-400.0, 0)]),
    "iaf_psc_exp": ({"tau_syn_ex": 2.0, "tau_syn_in": 4.0, "V_th": -58.0}, [(1200.0, 0), (-300.0, 0)]),
    "iaf_psc_delta": ({"tau_m": 12.0, "V_th": -60.0, "t_ref": 3.3}, [(4.0, 0), (-1.0, 0)]),
    "glif_psc": (networks._glif(True, True, True), [(150.0, 1), (-60.0, 2), (80.0, 4)]),
    "glif_psc_lif": (networks._glif(False, False, False), [(150.0, 1), (-60.0, 3)]),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_membrane_matches_nest(name):
    require_module("nest")
    from bmtk_rs import _native

    params, conns = SPECS[name]
    model = "glif_psc" if name.startswith("glif") else name
    rng = np.random.default_rng(3)
    times = np.round(np.sort(rng.uniform(1.0, 290.0, size=120)), 4)
    spec = {"model": model, "params": params, "dt": 0.1, "tstop": 300.0, "delay": 1.0, "conns": conns,
            "times": times.tolist(), "amp_times": [50.0, 120.0, 200.0], "amp_values": [150.0, -80.0, 60.0]}
    p = subprocess.run([sys.executable, os.path.join(HERE, "nest_direct.py"), json.dumps(spec)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    ref = json.loads(p.stdout.strip().splitlines()[-1])

    eng = _native.PointEngine(spec["dt"])
    n = eng.add_neurons(model, params, 1)
    g = eng.add_spike_generators(np.array([0, len(times)], dtype=np.int64), times)
    k = len(conns)
    eng.connect(np.full(k, g, dtype=np.uint32), np.full(k, n, dtype=np.uint32),
                np.array([c[0] for c in conns], dtype=float), np.full(k, spec["delay"]),
                np.array([c[1] for c in conns], dtype=np.uint32))
    eng.add_step_current(spec["amp_times"], spec["amp_values"], np.array([n], dtype=np.uint32), spec["dt"])
    n_steps = int(round(spec["tstop"] / spec["dt"]))
    rid = eng.add_recording("V_m", np.array([n], dtype=np.uint32), 1, 0, n_steps)
    eng.run(n_steps)
    steps, v = eng.recording(rid)
    spk_steps, _ = eng.spikes()

    ref_steps = np.round(np.asarray(ref["t"]) / spec["dt"]).astype(np.int64)
    pos = np.searchsorted(steps, ref_steps)
    assert np.all(steps[pos] == ref_steps)
    err = np.max(np.abs(v[pos, 0] - np.asarray(ref["v"])))
    assert err < 1e-6, f"{name}: V_m differs from NEST by up to {err} mV"
    assert len(ref["spikes"]) > 3
    np.testing.assert_allclose(spk_steps * spec["dt"], ref["spikes"], atol=1e-9)
