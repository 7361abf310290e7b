"""NEURON 9's own netstim.mod (RANDOM streams: Random123 Philox, nrnran123) run by our engine vs
NEURON 9.0.2's built-in NetStim (compiled from that file): several instances made in the same
order in fresh processes (a stream's ids count the streams made in the process), noise 0, 0.5,
1 (and 2, clamped to 1 by INITIAL), external events that turn a finished or never started
sequence on (w > 0, NET_RECEIVE flag 0) and one that turns it off (w < 0). Every output event
time equal to NEURON's (exactly: the same doubles)."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np

from ..conftest import _missing, require_module
from .test_net_send import SCRIPT

TSTOP = 300.0
DT = 0.025

# Ours in a fresh process too: the k-th stream made there is NEURON's k-th.
OURS = """
import json, sys
from bmtk_rs import _native
cases = json.load(open(sys.argv[1]))
out = {}
for c in cases:
    events = [(t, list(w)) for t, w in c["events"]]
    _, fired = _native.nmodl_point_run(sys.argv[2], c["params"], events, c["dt"], c["tstop"], [],
                                       celsius=c["celsius"], v_init=c["v_init"], cm=c["cm"],
                                       diam=c["diam"], L=c["L"], pas=tuple(c["pas"]))
    out[c["id"]] = list(fired)
json.dump(out, open(sys.argv[3], "w"))
"""


def _wheel_netstim():
    """The netstim.mod NEURON's wheel ships (share/modfile): the source of its built-in NetStim."""
    neuron = require_module("neuron")
    root = pathlib.Path(neuron.__file__).parent
    found = sorted(p for p in root.rglob("netstim.mod") if p.parent.name == "modfile")
    if not found:
        _missing("share/modfile/netstim.mod in the neuron package")
    return found[0]


def _case(name, interval, number, start, noise, events=()):
    return {"id": name, "mech": "NetStim", "artificial": True, "dt": DT, "tstop": TSTOP,
            "nsteps": round(TSTOP / DT), "celsius": 6.3, "v_init": -65.0, "cm": 1.0, "diam": 10.0,
            "L": 10.0, "pas": [1e-4, -65.0], "record": [],
            "params": {"interval": interval, "number": number, "start": start, "noise": noise},
            "events": [(t, [w]) for t, w in events]}


CASES = [
    # periodic, restarted after its 5 spikes by an external event
    _case("periodic", 10.0, 5, 5.0, 0.0, [(150.0, 1.0)]),
    # half noisy; restarted (ignored while on), then turned off
    _case("half", 7.0, 20, 10.0, 0.5, [(60.0, 1.0), (200.5, 1.0), (230.25, -1.0)]),
    # Poisson
    _case("poisson", 5.0, 30, 2.0, 1.0, [(250.0, 1.0)]),
    # never started by INITIAL (start < 0): an event turns it on
    _case("triggered", 4.0, 12, -1.0, 1.0, [(20.0, 1.0), (120.0, 1.0)]),
    # many draws from one stream (past several counter increments)
    _case("long", 0.5, 1e9, 0.0, 0.5),
    # noise > 1 is clamped by INITIAL
    _case("clamped", 6.0, 40, 1.0, 2.0),
]


def test_netstim_event_times_equal_neuron(tmp_path):
    require_module("neuron")
    import bmtk_rs

    path = _wheel_netstim()
    (tmp_path / "cases.json").write_text(json.dumps(CASES))
    empty = tmp_path / "no_mechanisms"  # NetStim is built into NEURON: nothing to compile
    empty.mkdir()
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    nrn = subprocess.run([sys.executable, str(SCRIPT), str(empty), str(tmp_path / "cases.json"),
                          str(tmp_path / "nrn.npz")], check=False, capture_output=True, text=True, env=env)
    assert nrn.returncode == 0, nrn.stdout[-3000:] + nrn.stderr[-3000:]
    pkg = str(pathlib.Path(bmtk_rs.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([pkg] + [p for p in [env.get("PYTHONPATH")] if p])
    ours = subprocess.run([sys.executable, "-c", OURS, str(tmp_path / "cases.json"), str(path),
                           str(tmp_path / "ours.json")], check=False, capture_output=True, text=True, env=env)
    assert ours.returncode == 0, ours.stdout[-3000:] + ours.stderr[-3000:]
    ref = np.load(tmp_path / "nrn.npz")
    got = json.loads((tmp_path / "ours.json").read_text())
    for c in CASES:
        want = ref[c["id"] + "/net_event"]
        have = np.array(got[c["id"]])
        print(f"{c['id']:10s} {len(want):4d} events, max |ours - NEURON| "
              f"{np.max(np.abs(have - want), initial=0.0) if len(have) == len(want) else 'n/a'}")
        assert len(want) >= 5, (c["id"], "NetStim should fire", want)
        assert len(have) == len(want), (c["id"], have[:10], want[:10])
        np.testing.assert_array_equal(have, want, err_msg=c["id"])
