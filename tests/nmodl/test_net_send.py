"""Self events and output events against NEURON 9 (nrnivmodl of the same small files, written
here): a synapse whose NET_RECEIVE defers each input by `net_send` (the conductance jumps at the
self event, weight kept in the connection's weight vector), an ARTIFICIAL_CELL that counts
inputs and its own periodic self events (INITIAL's net_send) and fires by `net_event`, and a
synapse that counts its compartment's threshold crossings with WATCH (armed by a self event from
INITIAL, re-armed with a lower condition after each crossing). States and v within 1e-6
relative, output event times equal to NEURON's."""

import json
import os
import pathlib
import platform
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import _missing, _nrnivmodl, require_module
from .test_nmodl_vs_neuron import max_rel_err

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / "nrn_point_process.py"
TSTOP = 120.0

DELAYED = """NEURON { POINT_PROCESS delsyn RANGE tau, e, i, delay NONSPECIFIC_CURRENT i }
PARAMETER { tau = 3 (ms) e = 0 (mV) delay = 2.5 (ms) }
ASSIGNED { v (mV) i (nA) }
STATE { g (uS) }
INITIAL { g = 0 }
BREAKPOINT { SOLVE s METHOD cnexp i = g*(v - e) }
DERIVATIVE s { g' = -g/tau }
NET_RECEIVE(w (uS), pending) {
    INITIAL { pending = 0 }
    if (flag == 0) {
        pending = pending + 1
        net_send(delay, 1)
    } else {
        g = g + w
    }
}
"""

COUNTER = """NEURON { ARTIFICIAL_CELL counter RANGE m, thr, period }
PARAMETER { thr = 2.5 period = 7.3 (ms) }
ASSIGNED { m }
INITIAL { m = 0 net_send(period, 2) }
NET_RECEIVE(w) {
    if (flag == 2) {
        m = m + 0.5
        net_send(period, 2)
    } else {
        m = m + w
    }
    if (m > thr) {
        net_event(t)
        m = 0
    }
}
"""


# WATCH: arm on flag 1 (INITIAL's net_send(0, 1)), count a crossing of vth on flag 2 (halving the
# conductance, so that the crossing shows in v) and wait for v to fall 1 mV below it (flag 3)
# before watching for the next crossing
WATCHER = """NEURON { POINT_PROCESS xcount RANGE tau, e, i, vth, n NONSPECIFIC_CURRENT i }
PARAMETER { tau = 4 (ms) e = 0 (mV) vth = -60 (mV) }
ASSIGNED { v (mV) i (nA) n }
STATE { g (uS) }
INITIAL { g = 0 n = 0 net_send(0, 1) }
BREAKPOINT { SOLVE s METHOD cnexp i = g*(v - e) }
DERIVATIVE s { g' = -g/tau }
NET_RECEIVE(w (uS)) {
    if (flag == 0) {
        g = g + w
    } else if (flag == 1) {
        WATCH (v > vth) 2
    } else if (flag == 2) {
        n = n + 1
        g = g*0.5
        net_event(t)
        WATCH (v < vth - 1) 3
    } else if (flag == 3) {
        WATCH (v > vth) 2
    }
}
"""


def _wheel_invlfire():
    """NEURON's demo IntervalFire (invlfire.mod, net_move), read where the neuron wheel keeps it."""
    neuron = require_module("neuron")
    found = sorted(pathlib.Path(neuron.__file__).parent.rglob("invlfire.mod"))
    if not found:
        _missing("invlfire.mod in the neuron package")
    return found[0]


@pytest.fixture(scope="module")
def mechs(tmp_path_factory):
    require_module("neuron")
    work = tmp_path_factory.mktemp("net_send_mods")
    # nrnivmodl builds in a temporary folder, from a temporary copy
    (work / "invlfire.mod").write_text(_wheel_invlfire().read_text())
    (work / "delsyn.mod").write_text(DELAYED)
    (work / "counter.mod").write_text(COUNTER)
    (work / "xcount.mod").write_text(WATCHER)
    build = subprocess.run([_nrnivmodl()], check=False, cwd=work, capture_output=True, text=True)
    assert build.returncode == 0, "nrnivmodl failed:\n" + build.stdout[-3000:] + build.stderr[-3000:]
    assert (work / platform.machine()).is_dir(), build.stdout[-2000:]
    return work


def _events():
    t, out = 5.0137, []
    for k in range(14):
        out.append((round(t, 6), [0.002 * (1 + k % 3)]))
        t += 6.0 + 1.7 * (k % 4)
    return out


def _case(mech, dt, record, artificial=False, scale=1.0):
    scale = 300 if artificial else scale
    return {"id": f"{mech}@{dt:g}", "mech": mech, "params": {}, "dt": dt, "nsteps": round(TSTOP / dt),
            "celsius": 6.3, "v_init": -70.0, "cm": 1.0, "diam": 20.0, "L": 20.0, "pas": [1e-4, -70.0],
            "events": [(t, [w[0] * scale]) for t, w in _events()],
            "record": record, "artificial": artificial}


@pytest.mark.parametrize("dt", (0.025, 0.1))
def test_self_events_match_neuron(mechs, dt, tmp_path):
    from bmtk_rs import _native

    cases = [_case("delsyn", dt, ["v", "g", "i"]), _case("counter", dt, ["m"], artificial=True),
             _case("xcount", dt, ["v", "g", "n"], scale=0.15),
             _case("IntervalFire", dt, ["m"], artificial=True)]
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    run = subprocess.run([sys.executable, str(SCRIPT), str(mechs), str(tmp_path / "cases.json"),
                          str(tmp_path / "out.npz")], check=False, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    nrn = np.load(tmp_path / "out.npz")
    for c in cases:
        path = _wheel_invlfire() if c["mech"] == "IntervalFire" else mechs / f"{c['mech']}.mod"
        ours, fired = _native.nmodl_point_run(str(path), {}, c["events"], dt, TSTOP,
                                              c["record"], celsius=c["celsius"], v_init=c["v_init"],
                                              cm=c["cm"], diam=c["diam"], L=c["L"], pas=tuple(c["pas"]))
        for k in c["record"]:
            err = max_rel_err(ours[k], nrn[c["id"] + "/" + k])
            assert err < 1e-6, (c["id"], k, err)
        ref_fired = nrn[c["id"] + "/net_event"]
        np.testing.assert_array_equal(np.array(fired), ref_fired)
        if c["mech"] == "counter":
            assert len(ref_fired) >= 3, "the counter should fire"
        if c["mech"] == "xcount":
            assert len(ref_fired) >= 3, "the watched voltage should cross the threshold"

        if c["mech"] == "IntervalFire":
            assert len(ref_fired) >= 5, "IntervalFire fires on its own every 10 ms"
