"""Mechanisms read from .mod files (no compiler) against NEURON 9 running nrnivmodl's build of the same
files: one compartment under a current step (free voltage) and under a voltage staircase (every state),
at dt 0.1 and 0.025; then the same files against the hand-written mechanisms.

NEURON runs in a subprocess (tests/bionet/nrn_single_compartment.py). hh.mod and passive.mod from the
neuron wheel are compared with NEURON's built-in hh and pas, which NEURON compiles from those files.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE.parent / "bionet" / "nrn_single_compartment.py"
RTOL = 1e-6
DTS = (0.025, 0.1)
CELSIUS = 34.0
IONS = {"ena": 53.0, "ek": -107.0}

# Density mechanisms of the corpus with a parameter set that makes them matter, and companions they
# need (calcium for SK and CaDynamics). Keys name the .mod file.
CHANNELS = {
    "Ca_HVA": {"gbar": 1e-3}, "Ca_LVA": {"gbar": 5e-3}, "Ih": {"gbar": 1e-3}, "Im": {"gbar": 1e-3},
    "Im_v2": {"gbar": 1e-3}, "K_P": {"gbar": 1e-2}, "K_T": {"gbar": 1e-2}, "Kd": {"gbar": 1e-2},
    "Kv2like": {"gbar": 1e-2}, "Kv3_1": {"gbar": 1e-2}, "NaTa": {"gbar": 0.05}, "NaTs": {"gbar": 0.05},
    "NaV": {"gbar": 0.05}, "Nap": {"gbar": 1e-3}, "SK": {"gbar": 1e-3},
}
CALCIUM = {"CaDynamics": {"gamma": 0.02, "decay": 120.0}, "Ca_HVA": {"gbar": 2e-3}, "Ca_LVA": {"gbar": 5e-3},
           "SK": {"gbar": 1e-3}}
STEPS = [(5, -70), (20, -95), (10, -55), (10, -40), (15, -20), (10, 0), (15, 25), (10, -60), (15, -30),
         (10, 10), (20, -80), (10, -45)]


def staircase(dt, v_init=-70.0):
    v = [v_init]
    for dur, level in STEPS:
        v += [float(level)] * round(dur / dt)
    return v


def _records(models, mechs):
    out = []
    for name in mechs:
        m = models[name]
        for s in m["states"]:
            if s in ("cai",):
                out.append("cai")
            else:
                out.append(f"{s}_{name}")
        # What NEURON lets one record: RANGE variables other than parameters.
        out += [f"{c}_{name}" for c in m["range"] if c not in m["parameters"] and c not in m["states"]]
    return out


def _cases(models):
    cases = []
    for dt in DTS:
        groups = {name: {name: p} for name, p in CHANNELS.items()}
        groups["CaDynamics"] = CALCIUM
        groups["hh"] = {"hh": {}}
        groups["pas"] = {"pas": {"g": 2e-4, "e": -75.0}}
        for cid, mechs in groups.items():
            rec = _records(models, mechs)
            ions = dict(IONS)
            if "CaDynamics" not in mechs and any(n in mechs for n in ("Ca_HVA", "Ca_LVA", "SK")):
                ions.update({"eca": 120.0, "cai": 6e-4})
            cases.append({"id": f"{cid}@vclamp@{dt:g}", "mechs": mechs, "ions": ions, "celsius": CELSIUS,
                          "dt": dt, "vclamp": staircase(dt), "record": ["v"] + rec})
            step = dict(mechs)
            step.setdefault("pas", {"g": 1e-4, "e": -70.0})
            cases.append({"id": f"{cid}@iclamp@{dt:g}", "mechs": step, "ions": ions, "celsius": CELSIUS,
                          "dt": dt, "nsteps": round(150 / dt), "v_init": -70.0, "amp": 0.05, "delay": 20.0,
                          "dur": 100.0, "cm": 1.0, "diam": 20.0, "L": 20.0,
                          "record": ["v"] + _records(models, step)})
    for dt in DTS:
        cases.append({"id": f"cell@iclamp@{dt:g}", "mechs": SOMA, "ions": dict(IONS), "celsius": CELSIUS, "dt": dt,
                      "nsteps": round(150 / dt), "v_init": -72.0, "amp": 0.4, "delay": 20.0, "dur": 100.0,
                      "cm": 1.0, "diam": 20.0, "L": 20.0, "record": ["v"] + _records(models, SOMA)})
    return cases


# The perisomatic channel set of the tutorial's Allen cells, spiking under the step.
SOMA = {"pas": {"g": 1e-4, "e": -85.0}, "NaTs": {"gbar": 0.6}, "Kv3_1": {"gbar": 0.5}, "K_T": {"gbar": 0.005},
        "K_P": {"gbar": 0.005}, "Nap": {"gbar": 5e-4}, "Im": {"gbar": 5e-4}, "Ih": {"gbar": 2e-4},
        "SK": {"gbar": 5e-4}, "Ca_HVA": {"gbar": 5e-4}, "Ca_LVA": {"gbar": 5e-3},
        "CaDynamics": {"gamma": 0.005, "decay": 200.0}}


@pytest.fixture(scope="module")
def models(bmtk_modfiles, neuron_modfiles):
    from bmtk_rs import _native

    paths = {p.stem: str(p) for p in bmtk_modfiles.glob("*.mod")}
    # NEURON builds its built-in hh and pas from share/modfile (the nmodl/ext examples differ).
    wheel = {p.name: p for p in neuron_modfiles if p.parent.name == "modfile"}
    paths["hh"] = str(wheel["hh.mod"])
    paths["pas"] = str(wheel["passive.mod"])
    out = {}
    for stem, path in paths.items():
        if stem in CHANNELS or stem in ("CaDynamics", "hh", "pas"):
            info = _native.nmodl_load(path)
            out[info["name"]] = dict(info, path=path)
    return out


@pytest.fixture(scope="module")
def neuron_runs(corpus_mech_dir, models):
    cases = _cases(models)
    (corpus_mech_dir / "nmodl_cases.json").write_text(json.dumps(cases))
    out = corpus_mech_dir / "nmodl_neuron.npz"
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    run = subprocess.run([sys.executable, str(SCRIPT), str(corpus_mech_dir), str(corpus_mech_dir / "nmodl_cases.json"),
                          str(out)], check=False, capture_output=True, text=True, env=env)
    assert run.returncode == 0, "NEURON run failed:\n" + run.stdout[-3000:] + run.stderr[-3000:]
    data = np.load(out)
    return {c["id"]: c for c in cases}, {k: data[k] for k in data.files}


def run_neuron_cases(mech_dir, cases, work, each_alone=False):
    """NEURON (the subprocess runner) on `cases` with the mechanisms compiled in `mech_dir`: ({id: case},
    {"<id>/<name>": trace}). `each_alone` runs every case in its own process."""
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    out = {}
    for k, group in enumerate([[c] for c in cases] if each_alone else [cases]):
        (work / f"cases{k}.json").write_text(json.dumps(group))
        run = subprocess.run([sys.executable, str(SCRIPT), str(mech_dir), str(work / f"cases{k}.json"),
                              str(work / f"out{k}.npz")], check=False, capture_output=True, text=True, env=env)
        assert run.returncode == 0, "NEURON run failed:\n" + run.stdout[-3000:] + run.stderr[-3000:]
        data = np.load(work / f"out{k}.npz")
        out.update({key: data[key] for key in data.files})
    return {c["id"]: c for c in cases}, out


def assert_case_matches(case, nrn, models):
    """Runs `case` through the engine (a vclamp case replays NEURON's v) and asserts every recorded
    trace within RTOL of NEURON's; returns {name: relative error}."""
    v = nrn[case["id"] + "/v"] if "vclamp" in case else None
    ours = _run_ours(case, models, v)
    errors = {name: max_rel_err(ours[name], nrn[case["id"] + "/" + name]) for name in case["record"]}
    print(case["id"], {k: f"{e:.1e}" for k, e in errors.items()})
    bad = {k: e for k, e in errors.items() if not e < RTOL}
    assert not bad, f"{case['id']}: relative error above {RTOL:g}: {bad}"
    return ours, errors


def max_rel_err(ours, ref):
    """Largest |ours - ref| / |ref|, |ref| floored at 1e-6 of the trace's peak (traces crossing zero)."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    scale = np.maximum(np.abs(ref), 1e-6 * max(np.abs(ref).max(), 1e-300))
    return float(np.max(np.abs(ours - ref) / scale))


def _run_ours(case, models, v=None):
    from bmtk_rs import _native

    files = [models[name]["path"] for name in case["mechs"] if name in models]
    if "vclamp" in case:
        return _native.mechanism_vclamp(case["mechs"], v, case["dt"], case["celsius"], case["record"],
                                        ions=case["ions"], modfiles=files)
    return _native.mechanism_iclamp(case["mechs"], case["dt"], case["nsteps"] * case["dt"], case["celsius"],
                                    case["record"], v_init=case["v_init"], cm=case["cm"], diam=case["diam"],
                                    L=case["L"], amp=case["amp"], delay=case["delay"], dur=case["dur"],
                                    ions=case["ions"], modfiles=files)


GROUPS = list(CHANNELS) + ["CaDynamics", "hh", "pas"]


@pytest.mark.parametrize("protocol", ["vclamp", "iclamp"])
@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("cid", GROUPS)
def test_modfile_matches_neuron(neuron_runs, models, cid, dt, protocol):
    cases, nrn = neuron_runs
    case = cases[f"{cid}@{protocol}@{dt:g}"]
    v = nrn[case["id"] + "/v"] if protocol == "vclamp" else None
    ours = _run_ours(case, models, v)
    errors = {name: max_rel_err(ours[name], nrn[case["id"] + "/" + name]) for name in case["record"]}
    bad = {k: e for k, e in errors.items() if not e < RTOL}
    print(case["id"], {k: f"{e:.1e}" for k, e in errors.items()})
    assert not bad, f"{case['id']}: relative error above {RTOL:g}: {bad}"
    if protocol == "iclamp":
        assert np.ptp(nrn[case["id"] + "/v"]) > 1.0, "the step should move the voltage"


@pytest.mark.parametrize("cid", [c for c in GROUPS if c != "hh"])
def test_modfile_matches_hand_written(models, cid):
    """The hand-written mechanisms and their .mod files agree to round-off (1e-9 relative)."""
    from bmtk_rs import _native

    mechs = {"CaDynamics": CALCIUM}.get(cid, {cid: CHANNELS.get(cid, {"g": 2e-4, "e": -75.0})})
    record = _records(models, mechs)
    files = [models[n]["path"] for n in mechs]
    for dt in DTS:
        v = staircase(dt)
        ions = dict(IONS, eca=120.0, cai=6e-4) if "CaDynamics" not in mechs else dict(IONS)
        a = _native.mechanism_vclamp(mechs, v, dt, CELSIUS, record, ions=ions)
        b = _native.mechanism_vclamp(mechs, v, dt, CELSIUS, record, ions=ions, modfiles=files)
        for name in record:
            assert max_rel_err(b[name], a[name]) < 1e-9, (cid, dt, name, max_rel_err(b[name], a[name]))


@pytest.mark.parametrize("dt", DTS)
def test_spiking_cell_from_modfiles_matches_neuron(neuron_runs, models, dt):
    """Every Allen perisomatic channel from its .mod file in one spiking compartment: the whole trace."""
    cases, nrn = neuron_runs
    case = cases[f"cell@iclamp@{dt:g}"]
    ours = _run_ours(case, models)
    v = nrn[case["id"] + "/v"]
    assert np.sum((v[1:] >= 0) & (v[:-1] < 0)) >= 4, "the cell should spike repeatedly"
    errors = {name: max_rel_err(ours[name], nrn[case["id"] + "/" + name]) for name in case["record"]}
    print(case["id"], {k: f"{e:.1e}" for k, e in errors.items()})
    bad = {k: e for k, e in errors.items() if not e < RTOL}
    assert not bad, f"{case['id']}: relative error above {RTOL:g}: {bad}"
