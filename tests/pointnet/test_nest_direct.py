"""The engine against NEST 3.10 called directly, one neuron per model over 1 s: every recordable
at every step within 1e-6 mV (NEST's multimeter read from memory) and identical spike times. The
conductance-based and adaptive models (NEST integrates them with GSL's adaptive RKF45) are held to
the same standard: bmtk-rs follows the same integration steps."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import require_module

from . import networks

HERE = os.path.dirname(os.path.abspath(__file__))
TSTOP = 1000.0


def _spec(model, params, conns, variables=("V_m",), amps=(150.0, -80.0, 60.0), min_spikes=4):
    return {"model": model, "params": params, "conns": conns, "vars": list(variables), "amps": list(amps),
            "min_spikes": min_spikes}


_GLIF5_COND = dict(networks._glif(True, True, True, cond=True))
SPECS = {
    "iaf_psc_alpha": _spec("iaf_psc_alpha", {"C_m": 200.0, "tau_m": 15.0, "tau_syn_ex": 1.5, "tau_syn_in": 3.0,
                                             "E_L": -65.0}, [(900.0, 0), (-400.0, 0)]),
    # a refractory period off the step grid: NEST rounds it up to whole steps
    "iaf_psc_alpha_tref": _spec("iaf_psc_alpha", {"t_ref": 2.05, "I_e": 380.0}, [(150.0, 0)],
                                amps=(250.0, -80.0, 160.0)),
    "iaf_psc_exp": _spec("iaf_psc_exp", {"tau_syn_ex": 2.0, "tau_syn_in": 4.0, "V_th": -58.0},
                         [(1200.0, 0), (-300.0, 0)]),
    "iaf_psc_delta": _spec("iaf_psc_delta", {"tau_m": 12.0, "V_th": -60.0, "t_ref": 3.3}, [(4.0, 0), (-1.0, 0)]),
    "glif_psc": _spec("glif_psc", networks._glif(True, True, True), [(150.0, 1), (-60.0, 2), (80.0, 4)]),
    "glif_psc_lif": _spec("glif_psc", networks._glif(False, False, False), [(150.0, 1), (-60.0, 3)]),
    "glif_psc_default_tref": _spec("glif_psc", {}, [(150.0, 1)], amps=(250.0, -80.0, 160.0)),
    "iaf_cond_exp": _spec("iaf_cond_exp", {"I_e": 280.0, "t_ref": 2.05, "tau_syn_ex": 0.5},
                          [(30.0, 0), (-15.0, 0)], ("V_m", "g_ex", "g_in")),
    "iaf_cond_alpha": _spec("iaf_cond_alpha", {"I_e": 280.0, "E_L": -65.0, "tau_syn_ex": 1.0},
                            [(8.0, 0), (-6.0, 0)], ("V_m", "g_ex", "g_in", "t_ref_remaining")),
    "aeif_cond_exp": _spec("aeif_cond_exp", {"I_e": 1000.0, "a": 0.0, "b": 20.0}, [(30.0, 0), (-15.0, 0)],
                           ("V_m", "g_ex", "g_in", "w")),
    "aeif_cond_alpha": _spec("aeif_cond_alpha", {"I_e": 1000.0, "t_ref": 2.05, "a": 1.0, "b": 20.0},
                             [(10.0, 0), (-8.0, 0)], ("V_m", "g_ex", "g_in", "w")),
    # Delta_T = 0: integrate-and-fire dynamics with the spike at V_th
    "aeif_cond_alpha_lif": _spec("aeif_cond_alpha", {"I_e": 1000.0, "Delta_T": 0.0, "b": 10.0, "t_ref": 1.0},
                                 [(10.0, 0), (-8.0, 0)], ("V_m", "w")),
    "glif_cond": _spec("glif_cond", _GLIF5_COND, [(10.0, 1), (6.0, 2), (8.0, 3)],
                       ("V_m", "g_1", "g_2", "g_3", "threshold", "threshold_spike", "threshold_voltage",
                        "ASCurrents_sum", "I")),
    "glif_cond_default": _spec("glif_cond", {}, [(10.0, 1), (6.0, 2)], ("V_m", "g_1", "g_2", "threshold"),
                               amps=(300.0, 270.0, 330.0)),
    "izhikevich": _spec("izhikevich", {"I_e": 5.0}, [(5.0, 0), (-3.0, 0)], ("V_m", "U_m"), amps=(5.0, -3.0, 2.0)),
    "izhikevich_published": _spec("izhikevich", {"I_e": 5.0, "consistent_integration": False},
                                  [(5.0, 0), (-3.0, 0)], ("V_m", "U_m"), amps=(5.0, -3.0, 2.0)),
}


def _run_nest(spec):
    p = subprocess.run([sys.executable, os.path.join(HERE, "nest_direct.py"), json.dumps(spec)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def _run_ours(spec, times):
    from bmtk_rs import _native

    eng = _native.PointEngine(spec["dt"])
    n = eng.add_neurons(spec["model"], spec["params"], 1)
    g = eng.add_spike_generators(np.array([0, len(times)], dtype=np.int64), times)
    k = len(spec["conns"])
    eng.connect(np.full(k, g, dtype=np.uint32), np.full(k, n, dtype=np.uint32),
                np.array([c[0] for c in spec["conns"]], dtype=float), np.full(k, spec["delay"]),
                np.array([c[1] for c in spec["conns"]], dtype=np.uint32))
    eng.add_step_current(spec["amp_times"], spec["amp_values"], np.array([n], dtype=np.uint32), spec["dt"])
    n_steps = int(round(spec["tstop"] / spec["dt"]))
    rids = {v: eng.add_recording(v, np.array([n], dtype=np.uint32), 1, 0, n_steps) for v in spec["vars"]}
    eng.run(n_steps)
    rec = {v: eng.recording(r) for v, r in rids.items()}
    spk_steps, _ = eng.spikes()
    return rec, spk_steps * spec["dt"]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_recordables_match_nest(name):
    require_module("nest")
    case = SPECS[name]
    rng = np.random.default_rng(3)
    times = np.round(np.sort(rng.uniform(1.0, TSTOP - 10.0, size=400)), 4)
    spec = dict(case, dt=0.1, tstop=TSTOP, delay=1.0, times=times.tolist(), amp_times=[50.0, 420.0, 700.0],
                amp_values=case["amps"])
    ref = _run_nest(spec)
    rec, spikes = _run_ours(spec, times)

    ref_steps = np.round(np.asarray(ref["t"]) / spec["dt"]).astype(np.int64)
    for var in spec["vars"]:
        steps, data = rec[var]
        pos = np.searchsorted(steps, ref_steps)
        assert np.all(steps[pos] == ref_steps)
        err = np.max(np.abs(data[pos, 0] - np.asarray(ref[var])))
        assert err < 1e-6, f"{name}: {var} differs from NEST by up to {err}"
    assert len(ref["spikes"]) >= case["min_spikes"], f"{name}: NEST fired only {len(ref['spikes'])} times"
    np.testing.assert_allclose(spikes, ref["spikes"], atol=1e-9)
