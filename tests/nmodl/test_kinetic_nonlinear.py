"""Nonlinear KINETIC schemes, f_flux/b_flux and CONSERVE with COMPARTMENT, against NEURON 9
(nrnivmodl of the same files): our cabuf.mod (tests/nmodl/mod: a calcium buffer cai + buf <-> cabuf
in a shell COMPARTMENT, its total a CONSERVE, pump and binding fluxes read from f_flux - b_flux,
INITIAL's STEADYSTATE from values away from it) and the neuron wheel's demo files cabpump.mod
(cadifpmp: radial diffusion over a STATE array plus a pump, its current from f_flux - b_flux) and
capmpr.mod (a pump whose INITIAL solves a nonlinear STEADYSTATE with CONSERVE over a COMPARTMENT),
each next to bmtk's Ca_HVA as the calcium source. One compartment, voltage staircase and current
step, dt 0.025 and 0.1: every state and variable within 1e-6 relative of NEURON's (NEURON iterates
Newton until the sum of the corrections is below 1e-6, and so does the engine).
"""

import pathlib

import numpy as np
import pytest

from ..conftest import compiled_mechanisms
from .test_nmodl_vs_neuron import (CELSIUS, DTS, IONS, RTOL, _run_ours, assert_case_matches, run_neuron_cases,
                                   staircase)

MOD = pathlib.Path(__file__).resolve().parent / "mod"
CA = {"Ca_HVA": {"gbar": 2e-3}}
NANN = 10  # cabpump.mod's DEFINE
GROUPS = {
    "cabuf": (dict(CA, cabuf={}), ["cai", "buf_cabuf", "cabuf_cabuf", "jpump_cabuf", "ica"]),
    "cadifpmp": (dict(CA, cadifpmp={}), ["cai", "pump_cadifpmp", "pumpca_cadifpmp", "ica_pmp_cadifpmp",
                                         "ica_pmp_last_cadifpmp", "ica"]
                 + [f"ca_cadifpmp[{i}]" for i in range(NANN)]),
    "capmpr": (dict(CA, capmpr={}), ["cai", "pump_capmpr", "pumpca_capmpr", "ica"]),
}
# The binding flux f_flux - b_flux is a small difference of large terms near equilibrium: compared
# against its peak rather than point by point.
FLUXES = {"cabuf": ["jbind_cabuf"]}
CA_IONS = dict(IONS, cao=2.0)


def _cases():
    cases = []
    for dt in DTS:
        for gid, (mechs, rec) in GROUPS.items():
            cases.append({"id": f"{gid}@vclamp@{dt:g}", "mechs": mechs, "ions": dict(CA_IONS), "celsius": CELSIUS,
                          "dt": dt, "vclamp": staircase(dt), "record": ["v"] + rec + FLUXES.get(gid, [])})
            step = dict(mechs, pas={"g": 1e-4, "e": -70.0})
            cases.append({"id": f"{gid}@iclamp@{dt:g}", "mechs": step, "ions": dict(CA_IONS), "celsius": CELSIUS,
                          "dt": dt, "nsteps": round(100 / dt), "v_init": -70.0, "amp": 0.02, "delay": 10.0,
                          "dur": 60.0, "cm": 1.0, "diam": 8.0, "L": 20.0, "record": ["v"] + rec + FLUXES.get(gid, [])})
    return cases


@pytest.fixture(scope="module")
def files(bmtk_modfiles, neuron_modfiles):
    wheel = {p.name: p for p in neuron_modfiles if p.parent.name == "release"}
    return {"cabuf": MOD / "cabuf.mod", "cadifpmp": wheel["cabpump.mod"], "capmpr": wheel["capmpr.mod"],
            "Ca_HVA": bmtk_modfiles / "Ca_HVA.mod"}


@pytest.fixture(scope="module")
def neuron_runs(files, tmp_path_factory):
    return run_neuron_cases(compiled_mechanisms(files.values()), _cases(), tmp_path_factory.mktemp("kinetic"))


@pytest.mark.parametrize("protocol", ["vclamp", "iclamp"])
@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("gid", list(GROUPS))
def test_nonlinear_kinetic_matches_neuron(neuron_runs, files, gid, dt, protocol):
    cases, nrn = neuron_runs
    case = cases[f"{gid}@{protocol}@{dt:g}"]
    models = {name: {"path": str(path)} for name, path in files.items()}
    checked = [r for r in case["record"] if r not in FLUXES.get(gid, [])]
    ours, _ = assert_case_matches(dict(case, record=checked), nrn, models)
    for name in FLUXES.get(gid, []):
        flux = _run_ours(dict(case, record=[name]), models, nrn[case["id"] + "/v"] if protocol == "vclamp" else None)
        ref = nrn[case["id"] + "/" + name]
        err = np.max(np.abs(np.asarray(flux[name]) - ref)) / np.max(np.abs(ref))
        print(name, f"{err:.1e} of its peak")
        assert err < RTOL, (name, err)
    if gid == "capmpr":
        # its cai is pinned by the pump (the file does not READ ica, so the Ca_HVA current never
        # reaches its flux); what it exercises is INITIAL's nonlinear STEADYSTATE with
        # `CONSERVE pump + pumpca = (1e10)*area1*pumpdens` over COMPARTMENT (1e10)*area1:
        # the pump total per area is pumpdens (3e-14 mol/cm2)
        for pump, pumpca in ((nrn[case["id"] + "/pump_capmpr"], nrn[case["id"] + "/pumpca_capmpr"]),
                             (ours["pump_capmpr"], ours["pumpca_capmpr"])):
            assert abs(pump[0] + pumpca[0] - 3e-14) < 1e-12 * 3e-14, (pump[0], pumpca[0])
        return
    # the calcium moves (the scheme is exercised, not sitting at rest)
    cai = nrn[case["id"] + "/cai"]
    assert np.ptp(cai) > 0.05 * cai.min(), (cai.min(), cai.max())
