"""Each BioNet mechanism in one compartment against NEURON 9 running bmtk 1.2.0's own modfiles.

The modfiles shipped in bmtk's wheel are copied to a session tmp dir and compiled there with
nrnivmodl; NEURON runs in a subprocess (nrn_single_compartment.py) under a stiff voltage clamp
following a staircase of steps, at two temperatures. The voltage NEURON actually produced is then
imposed on bmtk-rs's single-compartment bench, and every state variable and current is compared
sample by sample. Current-clamped cells (spiking) compare the free voltage as well.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
RTOL = 1e-4
DT = 0.025
# (celsius, dt): two temperatures at the fine step, and the coarse step the tutorial uses.
CONDITIONS = ((34.0, 0.025), (22.0, 0.025), (34.0, 0.1))
IONS = {"ena": 53.0, "ek": -107.0}

# (hold ms, mV) segments of the voltage staircase: rest, hyperpolarized, ramp through activation,
# depolarized plateau, repolarization (tails), a second depolarization.
STEPS = [(5, -70), (20, -95), (10, -55), (10, -40), (15, -20), (10, 0), (15, 25), (10, -60),
         (15, -30), (10, 10), (20, -80), (10, -45)]


def staircase(dt, v_init=-70.0):
    v = [v_init]
    for dur, level in STEPS:
        v += [float(level)] * round(dur / dt)
    return v


# Per mechanism: parameters, extra mechanisms it needs, ion values, and the variables to compare.
CASES = {
    "pas": ({"pas": {"g": 2e-4, "e": -75.0}}, ["i_pas"]),
    "Ca_HVA": ({"Ca_HVA": {"gbar": 1e-3}}, ["m_Ca_HVA", "h_Ca_HVA", "ica_Ca_HVA", "g_Ca_HVA", "ica"]),
    "Ca_LVA": ({"Ca_LVA": {"gbar": 5e-3}}, ["m_Ca_LVA", "h_Ca_LVA", "ica_Ca_LVA", "g_Ca_LVA"]),
    "Ih": ({"Ih": {"gbar": 1e-3}}, ["m_Ih", "ihcn_Ih", "g_Ih"]),
    "Im": ({"Im": {"gbar": 1e-3}}, ["m_Im", "ik_Im", "g_Im"]),
    "Im_v2": ({"Im_v2": {"gbar": 1e-3}}, ["m_Im_v2", "ik_Im_v2", "g_Im_v2"]),
    "K_P": ({"K_P": {"gbar": 1e-2}}, ["m_K_P", "h_K_P", "ik_K_P", "g_K_P"]),
    "K_P_shifted": ({"K_P": {"gbar": 1e-2, "vshift": 4.0, "tauF": 1.5}}, ["m_K_P", "h_K_P", "ik_K_P"]),
    "K_T": ({"K_T": {"gbar": 1e-2}}, ["m_K_T", "h_K_T", "ik_K_T", "g_K_T"]),
    "K_T_shifted": ({"K_T": {"gbar": 1e-2, "vshift": -3.0, "mTauF": 0.8, "hTauF": 1.3}},
                    ["m_K_T", "h_K_T", "ik_K_T"]),
    "Kd": ({"Kd": {"gbar": 1e-2}}, ["m_Kd", "h_Kd", "ik_Kd", "g_Kd"]),
    "Kv2like": ({"Kv2like": {"gbar": 1e-2}}, ["m_Kv2like", "h1_Kv2like", "h2_Kv2like", "ik_Kv2like"]),
    "Kv3_1": ({"Kv3_1": {"gbar": 1e-2}}, ["m_Kv3_1", "ik_Kv3_1", "g_Kv3_1", "ik"]),
    "Kv3_1_shifted": ({"Kv3_1": {"gbar": 1e-2, "vshift": 5.0}}, ["m_Kv3_1", "ik_Kv3_1"]),
    "NaTa": ({"NaTa": {"gbar": 0.05}}, ["m_NaTa", "h_NaTa", "ina_NaTa", "g_NaTa"]),
    "NaTs": ({"NaTs": {"gbar": 0.05}}, ["m_NaTs", "h_NaTs", "ina_NaTs", "g_NaTs", "ina"]),
    "NaTs_globals": ({"NaTs": {"gbar": 0.05, "mvhalf": -38.0, "hk": 5.5, "malphaF": 0.2}},
                     ["m_NaTs", "h_NaTs", "ina_NaTs"]),
    "NaV": ({"NaV": {"gbar": 0.05}},
            ["C1_NaV", "C2_NaV", "C3_NaV", "C4_NaV", "C5_NaV", "O_NaV", "I1_NaV", "I2_NaV", "I3_NaV",
             "I4_NaV", "I5_NaV", "I6_NaV", "ina", "g_NaV"]),
    "Nap": ({"Nap": {"gbar": 1e-3}}, ["h_Nap", "ina_Nap", "g_Nap"]),
    "SK": ({"SK": {"gbar": 1e-3}}, ["z_SK", "ik_SK", "g_SK"]),
    # Calcium coupling: channels feed CaDynamics, eca follows cai (Nernst), SK follows cai.
    "CaDynamics": ({"CaDynamics": {"gamma": 0.02, "decay": 120.0, "depth": 0.1, "minCai": 1e-4},
                    "Ca_HVA": {"gbar": 2e-3}, "Ca_LVA": {"gbar": 5e-3}, "SK": {"gbar": 1e-3}},
                   ["cai", "eca", "ica", "ica_Ca_HVA", "ica_Ca_LVA", "m_Ca_HVA", "h_Ca_LVA", "z_SK",
                    "ik_SK"]),
}
ION_EXTRA = {"Ca_HVA": {"eca": 120.0}, "Ca_LVA": {"eca": 120.0}, "SK": {"cai": 6e-4}}

# A current-clamped cell: the perisomatic channel set of the tutorial models (and a NaV cell),
# subthreshold and spiking.
SOMA = {"pas": {"g": 1e-4, "e": -85.0}, "NaTs": {"gbar": 0.6}, "Kv3_1": {"gbar": 0.5},
        "K_T": {"gbar": 0.005}, "K_P": {"gbar": 0.005}, "Nap": {"gbar": 5e-4}, "Im": {"gbar": 5e-4},
        "Ih": {"gbar": 2e-4}, "SK": {"gbar": 5e-4}, "Ca_HVA": {"gbar": 5e-4}, "Ca_LVA": {"gbar": 5e-3},
        "CaDynamics": {"gamma": 0.005, "decay": 200.0}}
NAV_CELL = {"pas": {"g": 1e-4, "e": -80.0}, "NaV": {"gbar": 0.1}, "Kv2like": {"gbar": 0.02},
            "Kv3_1": {"gbar": 0.3}, "Im_v2": {"gbar": 2e-3}, "Kd": {"gbar": 2e-3}, "NaTa": {"gbar": 0.01}}
ICLAMP = {
    "soma_sub": (SOMA, 0.02, ["v", "m_NaTs", "h_Nap", "cai", "z_SK", "ina", "ik", "ica"]),
    "soma_spiking": (SOMA, 0.4, ["v", "m_NaTs", "h_NaTs", "h_Nap", "cai", "eca", "z_SK", "ik"]),
    "nav_spiking": (NAV_CELL, 0.3, ["v", "O_NaV", "I6_NaV", "C1_NaV", "m_Kv2like", "ina", "ik"]),
}
ICLAMP_TSTOP = 150.0


def _case_list():
    cases = []
    for celsius, dt in CONDITIONS:
        tag = f"{celsius:g}@{dt:g}"
        for cid, (mechs, record) in CASES.items():
            ions = dict(IONS)
            for name in mechs:
                ions.update(ION_EXTRA.get(name, {}))
            if "CaDynamics" in mechs:
                ions.pop("eca", None)
            cases.append({"id": f"{cid}@{tag}", "mechs": mechs, "ions": ions, "celsius": celsius,
                          "dt": dt, "vclamp": staircase(dt), "record": ["v"] + record})
        for cid, (mechs, amp, record) in ICLAMP.items():
            cases.append({"id": f"{cid}@{tag}", "mechs": mechs, "ions": dict(IONS),
                          "celsius": celsius, "dt": dt, "nsteps": round(ICLAMP_TSTOP / dt),
                          "v_init": -72.0, "amp": amp, "delay": 20.0, "dur": 100.0, "cm": 1.0,
                          "diam": 20.0, "L": 20.0, "record": record})
    return cases


@pytest.fixture(scope="session")
def neuron_results(nrnmech_dir):
    """Runs every case in NEURON (bmtk's modfiles compiled once per session) once per session."""
    work = nrnmech_dir
    cases = _case_list()
    (work / "cases.json").write_text(json.dumps(cases))
    out = work / "neuron.npz"
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    run = subprocess.run([sys.executable, str(HERE / "nrn_single_compartment.py"), str(work),
                          str(work / "cases.json"), str(out)], check=False, capture_output=True, text=True,
                         env=env)
    assert run.returncode == 0, "NEURON run failed:\n" + run.stdout[-3000:] + run.stderr[-3000:]
    data = np.load(out)
    return {c["id"]: c for c in cases}, {k: data[k] for k in data.files}


def max_rel_err(ours, ref):
    """Largest |ours - ref| relative to |ref|, with |ref| floored at 1e-6 of the trace's peak so a
    trace crossing zero is judged against its own scale."""
    ours = np.asarray(ours)
    ref = np.asarray(ref)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    scale = np.maximum(np.abs(ref), 1e-6 * max(np.abs(ref).max(), 1e-300))
    return float(np.max(np.abs(ours - ref) / scale))


def compare(case, nrn, ours):
    errors = {}
    for name in case["record"]:
        errors[name] = max_rel_err(ours[name], nrn["{}/{}".format(case["id"], name)])
    bad = {k: e for k, e in errors.items() if not e < RTOL}
    assert not bad, "{}: relative error above {:g}: {}".format(case["id"], RTOL, bad)
    return errors


@pytest.mark.parametrize(("celsius", "dt"), CONDITIONS)
@pytest.mark.parametrize("cid", list(CASES))
def test_mechanism_vclamp_matches_neuron(neuron_results, cid, celsius, dt):
    from bmtk_rs import _native

    cases, nrn = neuron_results
    case = cases[f"{cid}@{celsius:g}@{dt:g}"]
    v = nrn["{}/v".format(case["id"])]
    # The clamp holds v to the command (played one step late) within ~1e-5 mV; the bench imposes
    # NEURON's exact voltage.
    command = np.array(case["vclamp"])
    assert np.max(np.abs(v[1:] - command[:-1])) < 1e-3
    ours = _native.mechanism_vclamp(case["mechs"], v, dt, celsius, case["record"], ions=case["ions"])
    errors = compare(case, nrn, ours)
    print(case["id"], {k: f"{e:.1e}" for k, e in errors.items()})


@pytest.mark.parametrize(("celsius", "dt"), CONDITIONS)
@pytest.mark.parametrize("cid", list(ICLAMP))
def test_cell_iclamp_matches_neuron(neuron_results, cid, celsius, dt):
    from bmtk_rs import _native

    cases, nrn = neuron_results
    case = cases[f"{cid}@{celsius:g}@{dt:g}"]
    ours = _native.mechanism_iclamp(case["mechs"], dt, ICLAMP_TSTOP, celsius, case["record"],
                                    v_init=case["v_init"], cm=case["cm"], diam=case["diam"], L=case["L"],
                                    amp=case["amp"], delay=case["delay"], dur=case["dur"], ions=case["ions"])
    v = nrn["{}/v".format(case["id"])]
    n = len(v)
    if "spiking" in cid:
        # A free-running spiking cell amplifies rounding-level differences (1e-13 mV) by about 30x
        # per spike, so samples are compared up to the 3rd spike, and spike times over the whole run.
        t_nrn, t_ours = spike_times(v, dt), spike_times(ours["v"], dt)
        assert len(t_nrn) >= 4, "the protocol should make the cell spike repeatedly"
        assert len(t_ours) == len(t_nrn)
        assert np.max(np.abs(t_ours - t_nrn)) < 0.01, (t_ours - t_nrn)
        n = int(t_nrn[2] / dt) + 1
    else:
        assert v.max() < -40
    head = {name: trace[:n] for name, trace in ours.items()}
    errors = compare(case, {k: x[:n] for k, x in nrn.items() if k.startswith(case["id"] + "/")}, head)
    print(case["id"], {k: f"{e:.1e}" for k, e in errors.items()})


def spike_times(v, dt):
    """Upward crossings of 0 mV, linearly interpolated (ms)."""
    i = np.nonzero((v[1:] >= 0) & (v[:-1] < 0))[0]
    return (i + (-v[i]) / (v[i + 1] - v[i])) * dt


def test_unknown_mechanism_and_parameter_are_clear_errors():
    from bmtk_rs import _native

    v = np.full(5, -65.0)
    with pytest.raises(ValueError, match=r"unknown mechanism 'hh'.*NaTs.*SK"):
        _native.mechanism_vclamp({"hh": {}}, v, DT, 34.0, ["v"])
    with pytest.raises(ValueError, match=r"no parameter 'gmax'.*gbar"):
        _native.mechanism_vclamp({"NaTs": {"gmax": 1.0}}, v, DT, 34.0, ["v"])
    with pytest.raises(ValueError, match=r"cannot record 'm_NaTa'.*m_NaTs"):
        _native.mechanism_vclamp({"NaTs": {"gbar": 1.0}}, v, DT, 34.0, ["m_NaTa"])
    with pytest.raises(ValueError, match=r"ions: unknown key 'eK'"):
        _native.mechanism_vclamp({"Kd": {}}, v, DT, 34.0, ["v"], ions={"eK": -90.0})
    with pytest.raises(ValueError, match=r"expected a number"):
        _native.mechanism_vclamp({"Kd": {"gbar": "high"}}, v, DT, 34.0, ["v"])
    with pytest.raises(ValueError, match=r"v: expected a 1-D array"):
        _native.mechanism_vclamp({"Kd": {}}, "-65", DT, 34.0, ["v"])
    with pytest.raises(ValueError, match=r"inserted twice"):
        _native.mechanism_vclamp({"NaTs": {}, "NaTs2_t": {}}, v, DT, 34.0, ["v"])
    with pytest.raises(ValueError, match=r"not a finite number"):
        _native.mechanism_vclamp({"Kd": {"gbar": float("nan")}}, v, DT, 34.0, ["v"])
    # Any float sequence works as a voltage trace, strided arrays included.
    out = _native.mechanism_vclamp({"Kd": {"gbar": 1e-3}}, np.full(10, -65.0)[::2], DT, 34.0, ["ik_Kd"])
    assert out["ik_Kd"].shape == (5,)
    assert _native.mechanism_vclamp({"Kd": {}}, [-65.0, -60.0], DT, 34.0, ["v"])["v"].tolist() == [-65.0, -60.0]


def test_aliases_and_registry():
    from bmtk_rs import _native

    reg = _native.mechanism_registry()
    expected = {"pas", "CaDynamics", "Ca_HVA", "Ca_LVA", "Ih", "Im", "Im_v2", "K_P", "K_T", "Kd", "Kv2like",
                "Kv3_1", "NaTa", "NaTs", "NaV", "Nap", "SK"}
    assert set(reg) == expected
    assert reg["NaTs"]["aliases"] == ["NaTs2_t"] and reg["Nap"]["aliases"] == ["Nap_Et2"]
    assert reg["NaTs"]["params"]["gbar"][1] == "range"
    v = np.array([-65.0] + [-20.0] * 40)
    a = _native.mechanism_vclamp({"NaTs2_t": {"gbar": 0.1}}, v, DT, 34.0, ["m_NaTs", "ina"])
    b = _native.mechanism_vclamp({"NaTs": {"gbar": 0.1}}, v, DT, 34.0, ["m_NaTs", "ina"])
    np.testing.assert_array_equal(a["ina"], b["ina"])
