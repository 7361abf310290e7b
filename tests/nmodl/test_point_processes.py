"""Point processes read from .mod files (no compiler) against NEURON 9 running nrnivmodl's build of
the same files: one compartment with `pas` and the synapse, driven by trains of input events of
several weights at several rates (facilitation/depression of the stp files visible), dt 0.025 and
0.1. Conductance, current, every state and v within 1e-6 relative.

BMTK's synapse files come from bmtk-data's modfiles (compiled once per session, corpus_mech_dir);
NEURON's ExpSyn and Exp2Syn are its built-ins, made from the wheel's expsyn.mod and exp2syn.mod,
which our side loads.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from .test_nmodl_vs_neuron import max_rel_err

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / "nrn_point_process.py"
RTOL = 1e-6
DTS = (0.025, 0.1)
TSTOP = 300.0
# file stem -> (NEURON's name, parameters): non-default values so that the parameters matter.
SYNAPSES = {
    "exp1syn": ("exp1syn", {"tau": 3.0, "e": 0.0}),
    "exp1isyn": ("exp1isyn", {"tau": 4.0, "e": -60.0}),
    "stp1syn": ("stp1syn", {"tau_1": 5.0, "p0": 0.4, "tau_r": 150.0}),
    "stp2syn": ("stp2syn", {"tau_1": 4.0, "tau_r0": 400.0, "tau_FDR": 300.0}),
    "stp3syn": ("stp3syn", {"tau_1": 4.0, "tau_D": 60.0, "tau_r0": 300.0}),
    "stp4syn": ("stp4syn", {"tau_1": 4.0, "tau_r": 120.0}),
    "stp5syn": ("stp5syn", {"tau_1": 4.0, "tau_f": 30.0, "tau_r0": 300.0}),
    "stp5isyn": ("stp5isyn", {"tau_1": 6.0, "e": -75.0, "tau_f": 30.0}),
    "expsyn": ("ExpSyn", {"tau": 2.0, "e": 0.0}),
    "exp2syn": ("Exp2Syn", {"tau1": 0.5, "tau2": 4.0, "e": 0.0}),
}


def event_train():
    """Bursts at 20, 100 and 40 Hz with varying weights (uS); times off the half-step grid."""
    events, t = [], 10.0137
    for rate, n, w in ((20.0, 5, 0.002), (100.0, 8, 0.001), (40.0, 6, 0.003)):
        for k in range(n):
            events.append((round(t, 6), [w * (1.0 + 0.25 * (k % 3))]))
            t += 1000.0 / rate
        t += 40.0
    return events


@pytest.fixture(scope="module")
def paths(bmtk_modfiles, neuron_modfiles):
    out = {p.stem: str(p) for p in bmtk_modfiles.glob("*.mod") if p.stem in SYNAPSES}
    for p in neuron_modfiles:
        if p.parent.name == "modfile" and p.stem in SYNAPSES:
            out[p.stem] = str(p)
    assert set(out) == set(SYNAPSES), sorted(set(SYNAPSES) - set(out))
    return out


def _cases(paths):
    from bmtk_rs import _native

    cases = []
    for stem, (name, params) in SYNAPSES.items():
        info = _native.nmodl_load(paths[stem])
        assert info["kind"] == "point_process" and info["name"] == name
        rec = ["v"] + info["states"] + [r for r in info["range"]
                                        if r not in info["parameters"] and r not in info["states"]]
        for dt in DTS:
            cases.append({"id": f"{stem}@{dt:g}", "stem": stem, "mech": name, "params": params, "dt": dt,
                          "nsteps": round(TSTOP / dt), "celsius": 34.0, "v_init": -70.0, "cm": 1.0,
                          "diam": 20.0, "L": 20.0, "pas": [1e-4, -70.0], "events": event_train(),
                          "record": rec})
    return cases


@pytest.fixture(scope="module")
def neuron_runs(corpus_mech_dir, paths, tmp_path_factory):
    cases = _cases(paths)
    work = tmp_path_factory.mktemp("pp_cases")
    (work / "cases.json").write_text(json.dumps(cases))
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    run = subprocess.run([sys.executable, str(SCRIPT), str(corpus_mech_dir), str(work / "cases.json"),
                          str(work / "out.npz")], check=False, capture_output=True, text=True, env=env)
    assert run.returncode == 0, "NEURON run failed:\n" + run.stdout[-3000:] + run.stderr[-3000:]
    data = np.load(work / "out.npz")
    return {c["id"]: c for c in cases}, {k: data[k] for k in data.files}


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("stem", list(SYNAPSES))
def test_point_process_matches_neuron(neuron_runs, paths, stem, dt):
    from bmtk_rs import _native

    cases, nrn = neuron_runs
    c = cases[f"{stem}@{dt:g}"]
    ours, spikes = _native.nmodl_point_run(paths[stem], c["params"], c["events"], dt, TSTOP, c["record"],
                                           celsius=c["celsius"], v_init=c["v_init"], cm=c["cm"],
                                           diam=c["diam"], L=c["L"], pas=tuple(c["pas"]))
    assert spikes == []
    errors = {k: max_rel_err(ours[k], nrn[c["id"] + "/" + k]) for k in c["record"]}
    print(c["id"], {k: f"{e:.1e}" for k, e in errors.items()})
    bad = {k: e for k, e in errors.items() if not e < RTOL}
    assert not bad, f"{c['id']}: relative error above {RTOL:g}: {bad}"
    v = nrn[c["id"] + "/v"]
    assert np.ptp(v) > 0.5, "the events should move the voltage"
    if stem.startswith("stp") and "n" in c["record"]:
        # depression of the vesicle pool is visible: n drops during the 100 Hz burst
        assert nrn[c["id"] + "/n"].min() < 0.8
