"""`SOLVE ... STEADYSTATE` in INITIAL and the segment's `diam`/`area` read by a mechanism, against
NEURON 9 (nrnivmodl of the same files). Files written for these tests (tests/nmodl/mod):
kss.mod, a linear three-state KINETIC scheme with a CONSERVE, and cass.mod, a calcium shell with a
buffer whose depth is diam/4 and which copies `area`, both started by STEADYSTATE sparse from
declared values far from the steady state; and kdiss, kdi.mod with `SOLVE states
STEADYSTATE derivimplicit` in INITIAL (NEURON 9 takes one implicit step of 1e-9 ms there).
One compartment, voltage staircase and current step, dt 0.025 and 0.1, and for the calcium buffer
two geometries: every state and variable within 1e-6 relative of NEURON's.
"""

import pathlib

import numpy as np
import pytest

from ..conftest import compiled_mechanisms
from .test_nmodl_vs_neuron import CELSIUS, DTS, IONS, assert_case_matches, run_neuron_cases, staircase

HERE = pathlib.Path(__file__).resolve().parent
MOD = HERE / "mod"
GROUPS = {
    "kss": ({"kss": {"gbar": 0.02}}, ["c_kss", "o_kss", "i_kss", "g_kss", "ina"]),
    "cass": ({"Ca_HVA": {"gbar": 2e-3}, "cass": {"btot": 0.05}},
             ["cai", "cab_cass", "shell_cass", "seg_area_cass", "ica"]),
    "kdiss": ({"kdiss": {"gbar": 0.02}}, ["n_kdiss", "ninf_kdiss", "g_kdiss", "ik"]),
}
# (diam, L) of the current-step compartment; the staircase runs in NEURON's default 10 x 10 um
GEOMETRIES = {"thin": (2.5, 40.0), "thick": (24.0, 6.0)}


def _kdiss_text():
    text = (MOD / "kdi.mod").read_text()
    text = text.replace("SUFFIX kdi", "SUFFIX kdiss")
    return text.replace("    n = ninf\n", "    n = 0.3\n    SOLVE states STEADYSTATE derivimplicit\n")


def _cases():
    cases = []
    for dt in DTS:
        for gid, (mechs, rec) in GROUPS.items():
            cases.append({"id": f"{gid}@vclamp@{dt:g}", "mechs": mechs, "ions": dict(IONS), "celsius": CELSIUS,
                          "dt": dt, "vclamp": staircase(dt), "record": ["v"] + rec})
            step = dict(mechs, pas={"g": 1e-4, "e": -70.0})
            for geo, (diam, length) in GEOMETRIES.items():
                cases.append({"id": f"{gid}@iclamp-{geo}@{dt:g}", "mechs": step, "ions": dict(IONS),
                              "celsius": CELSIUS, "dt": dt, "nsteps": round(100 / dt), "v_init": -70.0,
                              "amp": 0.05 * diam * length / 200.0, "delay": 10.0, "dur": 60.0, "cm": 1.0,
                              "diam": diam, "L": length, "record": ["v"] + rec})
    return cases


@pytest.fixture(scope="module")
def files(bmtk_modfiles, tmp_path_factory):
    kdiss = tmp_path_factory.mktemp("kdiss") / "kdiss.mod"
    kdiss.write_text(_kdiss_text())
    return {"kss": MOD / "kss.mod", "cass": MOD / "cass.mod", "kdiss": kdiss,
            "Ca_HVA": bmtk_modfiles / "Ca_HVA.mod"}


@pytest.fixture(scope="module")
def neuron_runs(files, tmp_path_factory):
    # one NEURON process per case: NEURON 9.0.2 crashes (SIGSEGV) when a second section runs a
    # STEADYSTATE derivimplicit mechanism in the same process
    return run_neuron_cases(compiled_mechanisms(files.values()), _cases(), tmp_path_factory.mktemp("steadystate"),
                            each_alone=True)


@pytest.mark.parametrize("protocol", ["vclamp", "iclamp-thin", "iclamp-thick"])
@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("gid", list(GROUPS))
def test_steadystate_and_geometry_match_neuron(neuron_runs, files, gid, dt, protocol):
    cases, nrn = neuron_runs
    case = cases[f"{gid}@{protocol}@{dt:g}"]
    ours, _ = assert_case_matches(case, nrn, {name: {"path": str(path)} for name, path in files.items()})
    # INITIAL's steady state moved the states away from the values the block declares first
    first = {"kss": ("o_kss", 0.5), "cass": ("cab_cass", 0.0), "kdiss": ("n_kdiss", 0.3)}[gid]
    start = nrn[case["id"] + "/" + first[0]][0]
    if gid == "kdiss":  # NEURON 9's derivimplicit "steady state" is a 1e-9 ms step: n stays
        assert abs(start - first[1]) < 1e-6, start
    else:
        assert abs(start - first[1]) > 1e-6, start
    if gid == "cass" and protocol != "vclamp":
        diam, length = GEOMETRIES[protocol.split("-")[1]]
        assert ours["shell_cass"][0] == pytest.approx(diam / 4, rel=1e-12)
        assert ours["seg_area_cass"][0] == pytest.approx(np.pi * diam * length, rel=1e-12)


def test_geometry_is_read_only(tmp_path):
    """A file assigning `diam` is refused naming the file and line (NEURON would resize the section)."""
    from bmtk_rs import mechanisms

    bad = tmp_path / "writes_diam.mod"
    bad.write_text((MOD / "cass.mod").read_text().replace("    shell = diam / 4\n    seg_area",
                                                          "    diam = 3\n    shell = diam / 4\n    seg_area"))
    ok, msg = mechanisms.check(bad)
    assert not ok and "writes_diam.mod:" in msg and "diam" in msg, msg


def test_steadystate_refusals(tmp_path):
    from bmtk_rs import mechanisms

    bad = tmp_path / "ss_cnexp.mod"
    bad.write_text(_kdiss_text().replace("STEADYSTATE derivimplicit", "STEADYSTATE cnexp"))
    ok, msg = mechanisms.check(bad)
    assert not ok and "ss_cnexp.mod:" in msg and "STEADYSTATE" in msg, msg
