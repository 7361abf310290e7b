"""NMODL arrays against NEURON 9 (nrnivmodl of the same file): karr.mod (tests/nmodl/mod), a channel
whose four-state chain is a STATE array in a KINETIC scheme, with ASSIGNED and PARAMETER arrays,
constant indexes and FROM loops (indexes on the loop variable, `i + 1`, `i - 1`). One compartment,
voltage staircase and current step, dt 0.025 and 0.1: every state and variable within 1e-6. What
is not supported (an index that is neither a number nor a FROM loop variable, an index out of
range) is refused naming file and line.
"""

import pathlib

import numpy as np
import pytest

from ..conftest import compiled_mechanisms
from .test_nmodl_vs_neuron import CELSIUS, DTS, IONS, assert_case_matches, run_neuron_cases, staircase

KARR = pathlib.Path(__file__).resolve().parent / "mod" / "karr.mod"
RECORD = ["o0_karr", "o1_karr", "o2_karr", "o3_karr", "g_karr", "ik"]


def _cases():
    cases = []
    for dt in DTS:
        mechs = {"karr": {"gbar": 0.02}}
        cases.append({"id": f"vclamp@{dt:g}", "mechs": mechs, "ions": dict(IONS), "celsius": CELSIUS, "dt": dt,
                      "vclamp": staircase(dt), "record": ["v"] + RECORD})
        step = dict(mechs, pas={"g": 1e-4, "e": -70.0})
        cases.append({"id": f"iclamp@{dt:g}", "mechs": step, "ions": dict(IONS), "celsius": CELSIUS, "dt": dt,
                      "nsteps": round(150 / dt), "v_init": -70.0, "amp": 0.1, "delay": 20.0, "dur": 100.0, "cm": 1.0,
                      "diam": 20.0, "L": 20.0, "record": ["v"] + RECORD})
    return cases


@pytest.fixture(scope="module")
def neuron_runs(tmp_path_factory):
    return run_neuron_cases(compiled_mechanisms([KARR]), _cases(), tmp_path_factory.mktemp("arrays"))


@pytest.mark.parametrize("protocol", ["vclamp", "iclamp"])
@pytest.mark.parametrize("dt", DTS)
def test_arrays_match_neuron(neuron_runs, dt, protocol):
    cases, nrn = neuron_runs
    case = cases[f"{protocol}@{dt:g}"]
    assert_case_matches(case, nrn, {"karr": {"path": str(KARR)}})
    # every element of the chain moves
    for name in RECORD[:4]:
        trace = nrn[case["id"] + "/" + name]
        assert np.ptp(trace) > 1e-3, (name, np.ptp(trace))


def test_array_describe():
    from bmtk_rs import mechanisms

    m = mechanisms.load(KARR, warn=False)
    assert m.states == ["x[0]", "x[1]", "x[2]", "x[3]"]
    assert {"wp[0]", "wp[1]", "wp[2]"} <= set(m.parameters)


@pytest.mark.parametrize("edit,message", [
    ("x[i + 1]) * 1", "index of 'x[...]'"),
    ("x[4]) * 1", "outside 0..3"),
    ("g[1]) * 1", "not an array"),
])
def test_array_refusals(tmp_path, edit, message):
    from bmtk_rs import mechanisms

    text = KARR.read_text()
    # an index on a variable that is not a FROM loop variable / out of range / a scalar indexed
    text = text.replace("    o3 = x[3]\n", f"    o3 = ({edit.replace('i + 1', 'o0')}\n" if "i + 1" in edit
                        else f"    o3 = ({edit}\n")
    bad = tmp_path / "badarr.mod"
    bad.write_text(text)
    ok, msg = mechanisms.check(bad)
    line = text.splitlines().index(next(s for s in text.splitlines() if s.startswith("    o3 = ("))) + 1
    assert not ok and f"badarr.mod:{line}:" in msg and message in msg, msg
