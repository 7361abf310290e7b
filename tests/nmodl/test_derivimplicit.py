"""`SOLVE ... METHOD derivimplicit` against NEURON 9 (nrnivmodl of the same files): two files written
for these tests (tests/nmodl/mod): kdi.mod, an n^4 potassium channel whose rates come from a
PROCEDURE and a FUNCTION, and cadi.mod, a calcium pool with a saturating pump computed in the block
from the state (a nonlinear implicit step), fed by bmtk's Ca_HVA. One compartment under the voltage
staircase and under a current step, dt 0.025 and 0.1: every state and variable within 1e-6.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import compiled_mechanisms
from .test_nmodl_vs_neuron import CELSIUS, DTS, IONS, RTOL, SCRIPT, _run_ours, max_rel_err, staircase

HERE = pathlib.Path(__file__).resolve().parent
OURS = {"kdi": HERE / "mod" / "kdi.mod", "cadi": HERE / "mod" / "cadi.mod"}
GROUPS = {
    "kdi": ({"kdi": {"gbar": 0.02}}, ["n_kdi", "ninf_kdi", "ntau_kdi", "g_kdi", "ik"]),
    "cadi": ({"Ca_HVA": {"gbar": 2e-3}, "cadi": {"vmax": 4e-3}},
             ["cai", "pump_cadi", "m_Ca_HVA", "h_Ca_HVA", "ica"]),
}


def _cases():
    cases = []
    for dt in DTS:
        for gid, (mechs, rec) in GROUPS.items():
            cases.append({"id": f"{gid}@vclamp@{dt:g}", "mechs": mechs, "ions": dict(IONS), "celsius": CELSIUS,
                          "dt": dt, "vclamp": staircase(dt), "record": ["v"] + rec})
            step = dict(mechs, pas={"g": 1e-4, "e": -70.0})
            cases.append({"id": f"{gid}@iclamp@{dt:g}", "mechs": step, "ions": dict(IONS), "celsius": CELSIUS,
                          "dt": dt, "nsteps": round(150 / dt), "v_init": -70.0, "amp": 0.1, "delay": 20.0,
                          "dur": 100.0, "cm": 1.0, "diam": 20.0, "L": 20.0, "record": ["v"] + rec})
    return cases


@pytest.fixture(scope="module")
def files(bmtk_modfiles):
    return dict(OURS, Ca_HVA=bmtk_modfiles / "Ca_HVA.mod")


@pytest.fixture(scope="module")
def neuron_runs(files, tmp_path_factory):
    mech_dir = compiled_mechanisms(files.values())
    cases = _cases()
    work = tmp_path_factory.mktemp("derivimplicit")
    (work / "cases.json").write_text(json.dumps(cases))
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    run = subprocess.run([sys.executable, str(SCRIPT), str(mech_dir), str(work / "cases.json"), str(work / "out.npz")],
                         check=False, capture_output=True, text=True, env=env)
    assert run.returncode == 0, "NEURON run failed:\n" + run.stdout[-3000:] + run.stderr[-3000:]
    data = np.load(work / "out.npz")
    return {c["id"]: c for c in cases}, {k: data[k] for k in data.files}


@pytest.mark.parametrize("protocol", ["vclamp", "iclamp"])
@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("gid", list(GROUPS))
def test_derivimplicit_matches_neuron(neuron_runs, files, gid, dt, protocol):
    cases, nrn = neuron_runs
    case = cases[f"{gid}@{protocol}@{dt:g}"]
    v = nrn[case["id"] + "/v"] if protocol == "vclamp" else None
    # the files as test_nmodl_vs_neuron's runner takes them; pas is the engine's built-in
    ours = _run_ours(case, {name: {"path": str(path)} for name, path in files.items()}, v)
    errors = {name: max_rel_err(ours[name], nrn[case["id"] + "/" + name]) for name in case["record"]}
    print(case["id"], {k: f"{e:.1e}" for k, e in errors.items()})
    bad = {k: e for k, e in errors.items() if not e < RTOL}
    assert not bad, f"{case['id']}: relative error above {RTOL:g}: {bad}"
    # the protocol exercises the mechanism: the state moves by more than round-off
    state = "n_kdi" if gid == "kdi" else "cai"
    trace = nrn[case["id"] + "/" + state]
    assert np.ptp(trace) > 1e-3 * np.abs(trace).max(), (state, np.ptp(trace))


def test_derivimplicit_refusals(tmp_path):
    """What derivimplicit cannot take is refused naming the file and line."""
    from bmtk_rs import mechanisms

    bad = tmp_path / "twice.mod"
    bad.write_text(OURS["kdi"].read_text().replace("n' = (ninf - n) / ntau", "n' = (ninf - n) / ntau\n    n' = 0"))
    ok, msg = mechanisms.check(bad)
    assert not ok and "twice.mod:" in msg and "given twice" in msg, msg
    other = tmp_path / "rk4.mod"
    other.write_text(OURS["kdi"].read_text().replace("METHOD derivimplicit", "METHOD runge"))
    ok, msg = mechanisms.check(other)
    assert not ok and "rk4.mod:" in msg and "derivimplicit" in msg, msg
