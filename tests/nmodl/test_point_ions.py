"""USEION in point processes against NEURON 9 (nrnivmodl of the same file): a synapse of ours that
reads `eca`, `cai` and `ek` and writes `ica` and `ik` (nA, entering the node's ion sums as
densities, 100/area) next to a nonspecific current, in one compartment with `pas` and bmtk's
CaDynamics (read in place from bmtk-data; built in or from its .mod file). The synapse's calcium
current raises `cai` through CaDynamics, `eca` follows `cai` (Nernst), and the synapse's calcium
conductance is blocked by `cai` in turn: every link of the loop is recorded. v, the synapse's
variables and the segment's ion variables within 1e-6 relative, at dt 0.025 and 0.1.
A point process writing a concentration, and an ARTIFICIAL_CELL using an ion, are refused."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import compiled_mechanisms
from .test_nmodl_vs_neuron import max_rel_err

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / "nrn_point_process.py"
TSTOP = 200.0

CASYN = """COMMENT
A test synapse: a decaying conductance whose calcium share is blocked by internal calcium, with a
potassium share and a nonspecific rest.
ENDCOMMENT
NEURON {
    POINT_PROCESS casyn
    USEION ca READ eca, cai WRITE ica
    USEION k READ ek WRITE ik
    NONSPECIFIC_CURRENT i
    RANGE tau, e, fca, fk, kd, g, i, ica, ik, block
}
UNITS { (nA) = (nanoamp) (mV) = (millivolt) (uS) = (microsiemens) (mM) = (milli/liter) }
PARAMETER { tau = 6 (ms) e = 0 (mV) fca = 0.3 fk = 0.2 kd = 0.002 (mM) }
ASSIGNED { v (mV) eca (mV) cai (mM) ek (mV) i (nA) ica (nA) ik (nA) g (uS) block }
STATE { A (uS) }
INITIAL { A = 0 }
BREAKPOINT {
    SOLVE decay METHOD cnexp
    block = kd / (kd + cai)
    g = A
    ica = fca * g * block * (v - eca)
    ik = fk * g * (v - ek)
    i = (1 - fca - fk) * g * (v - e)
}
DERIVATIVE decay { A' = -A/tau }
NET_RECEIVE(weight (uS)) { A = A + weight }
"""

RECORD = ["v", "A", "g", "i", "ica", "ik", "block", "seg.cai", "seg.eca", "seg.ica", "seg.ik"]


@pytest.fixture(scope="module")
def mechs(bmtk_modfiles, tmp_path_factory):
    src = tmp_path_factory.mktemp("casyn") / "casyn.mod"
    src.write_text(CASYN)
    cadyn = bmtk_modfiles / "CaDynamics.mod"
    return src, cadyn, compiled_mechanisms([src, cadyn])


def _events():
    # bursts at 100 Hz and 40 Hz with three weights: cai climbs and the block deepens within a burst
    out, t = [], 10.0
    for burst, (n, isi) in enumerate([(6, 10.0), (5, 25.0), (8, 10.0)]):
        for k in range(n):
            out.append((round(t, 6), [0.004 * (1 + (k + burst) % 3)]))
            t += isi
        t += 15.0
    return out


def _case(dt):
    return {"id": f"casyn@{dt:g}", "mech": "casyn", "params": {}, "dt": dt, "nsteps": round(TSTOP / dt),
            "celsius": 34.0, "v_init": -70.0, "cm": 1.0, "diam": 10.0, "L": 10.0, "pas": [1e-4, -70.0],
            "density": {"CaDynamics": {"gamma": 0.05, "decay": 80.0}}, "events": _events(), "record": RECORD}


@pytest.mark.parametrize("cadynamics", ["builtin", "modfile"])
@pytest.mark.parametrize("dt", (0.025, 0.1))
def test_point_process_ions_match_neuron(mechs, dt, cadynamics, tmp_path):
    from bmtk_rs import _native

    src, cadyn, nrnmech = mechs
    case = _case(dt)
    (tmp_path / "cases.json").write_text(json.dumps([case]))
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    run = subprocess.run([sys.executable, str(SCRIPT), str(nrnmech), str(tmp_path / "cases.json"),
                          str(tmp_path / "out.npz")], check=False, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    nrn = np.load(tmp_path / "out.npz")
    ours, _ = _native.nmodl_point_run(str(src), {}, case["events"], dt, TSTOP, RECORD, celsius=case["celsius"],
                                      v_init=case["v_init"], cm=case["cm"], diam=case["diam"], L=case["L"],
                                      pas=tuple(case["pas"]), density=case["density"],
                                      modfiles=[str(cadyn)] if cadynamics == "modfile" else None)
    errors = {k: max_rel_err(ours[k], nrn[f"{case['id']}/{k}"]) for k in RECORD}
    print(case["id"], cadynamics, {k: f"{e:.1e}" for k, e in errors.items()})
    bad = {k: e for k, e in errors.items() if not e < 1e-6}
    assert not bad, bad
    # the loop is closed: calcium rose well above its floor, eca moved with it, the block acted,
    # and the synapse's calcium current is in the segment's sum (as a density: 100/area)
    ref = {k: nrn[f"{case['id']}/{k}"] for k in RECORD}
    assert ref["seg.cai"].max() > 20 * ref["seg.cai"][0]
    assert ref["seg.eca"].max() - ref["seg.eca"].min() > 20.0
    assert ref["block"].min() < 0.3
    area = np.pi * case["diam"] * case["L"]
    np.testing.assert_allclose(ours["seg.ica"], ours["ica"] * 100.0 / area, rtol=1e-12, atol=1e-300)


def test_point_process_writing_a_concentration_is_refused(tmp_path):
    from bmtk_rs import _native

    bad = tmp_path / "bad.mod"
    bad.write_text(CASYN.replace("USEION ca READ eca, cai WRITE ica", "USEION ca READ eca WRITE ica, cai"))
    with pytest.raises(ValueError, match=r"bad.mod:\d+: USEION ca WRITE cai in a POINT_PROCESS is not supported"):
        _native.nmodl_load(str(bad))
    art = tmp_path / "art.mod"
    art.write_text("NEURON { ARTIFICIAL_CELL art USEION ca READ cai }\nNET_RECEIVE(w) { }\n")
    with pytest.raises(ValueError, match=r"art.mod:1: USEION ca in an ARTIFICIAL_CELL"):
        _native.nmodl_load(str(art))
