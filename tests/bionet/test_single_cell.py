"""Whole biophysical cells against NEURON 9.0.2 + bmtk 1.2.0.

Every ctdb fit of the reference data (the tutorial's 7 fits, identical copies of which sit in
examples/bio_components, plus that folder's all-active 1606013050101) is built on a morphology by
both engines: NEURON through bmtk's own Biophys1.hoc template and model_processing functions
(nrn_single_cell.py, in a subprocess, with bmtk's .mod files compiled by nrnivmodl), bmtk-rs
through `_native.run_single_cell`. An IClamp at soma(0.5) (delay 100 ms, 400 ms long) of three
amplitudes per cell (one subthreshold, two spiking), 550 ms, at dt 0.1 and 0.025: same spike
count at the soma detector (threshold -15 mV), every spike time within 0.2 ms, subthreshold soma
voltage RMS difference below 0.5 mV. Measured, the traces agree to rounding: soma voltage before
the first spike within 1e-9 mV (asserted: 1e-6), whole-trace RMS difference below 1e-6 mV, spike
times identical (t accumulated as NEURON's fadvance does, plus the 1e-10 ms its detector adds).

The tutorial's network pairs four fits with morphologies (V1_node_types.csv), bio_14cells pairs
473862421 with Pvalb_469628681; the others (485184849 and the all-active 318331342 and
1606013050101) have no pairing in the data and are placed on a morphology they fire on.

By default all three amplitudes run at both time steps; BMTK_RS_FULL_ORACLE=0 keeps only the first
spiking amplitude at dt 0.025 (a quicker local run).
"""

import json
import os

import numpy as np
import pytest

from ..conftest import require_module
from .conftest import run_neuron_cells

HERE = os.path.dirname(os.path.abspath(__file__))
TUT = "tutorial_l4/components"
CTDB = "examples/bio_components/biophysical_neuron_templates/ctdb"
MORPH = TUT + "/morphologies/"
FITS = TUT + "/biophysical_neuron_models/"

# id: (morphology, fit json, model_processing, (subthreshold, spiking, spiking) nA)
MODELS = {
    "Scnn1a_472363762": (MORPH + "Scnn1a_473845048_m.swc", FITS + "472363762_fit.json", "aibs_perisomatic",
                         (0.05, 0.1, 0.2)),
    "Rorb_473863510": (MORPH + "Rorb_325404214_m.swc", FITS + "473863510_fit.json", "aibs_perisomatic",
                       (0.1, 0.2, 0.4)),
    "Nr5a1_473863035": (MORPH + "Nr5a1_471087815_m.swc", FITS + "473863035_fit.json", "aibs_perisomatic",
                        (0.1, 0.2, 0.4)),
    "PV1_472912177": (MORPH + "Pvalb_470522102_m.swc", FITS + "472912177_fit.json", "aibs_perisomatic",
                      (0.1, 0.2, 0.4)),
    "PV2_473862421": (MORPH + "Pvalb_469628681_m.swc", FITS + "473862421_fit.json", "aibs_perisomatic",
                      (0.15, 0.25, 0.4)),
    "PV1_485184849": (MORPH + "Pvalb_470522102_m.swc", FITS + "485184849_fit.json", "aibs_perisomatic",
                      (0.2, 0.4, 0.7)),
    "PV1_318331342_allactive": (MORPH + "Pvalb_470522102_m.swc", FITS + "318331342_fit.json", "aibs_allactive",
                                (0.1, 0.2, 0.25)),
    "Scnn1a_1606013050101_allactive": (MORPH + "Scnn1a_473845048_m.swc", CTDB + "/1606013050101.json",
                                       "aibs_allactive", (0.0, 0.1, 0.2)),
    # the directed axon stubs, once each
    "Scnn1a_472363762_directed": (MORPH + "Scnn1a_473845048_m.swc", FITS + "472363762_fit.json",
                                  "aibs_perisomatic_directed", (0.05, 0.2, 0.4)),
    "Scnn1a_1606013050101_allactive_directed": (MORPH + "Scnn1a_473845048_m.swc", CTDB + "/1606013050101.json",
                                                "aibs_allactive_directed", (0.0, 0.1, 0.2)),
}
DTS = (0.1, 0.025)
DELAY, DUR, TSTOP, DL, THRESHOLD = 100.0, 400.0, 550.0, 20.0, -15.0
# cells whose every segment is compared too (dt 0.1)
RECORD_ALL = ("Scnn1a_472363762", "Scnn1a_1606013050101_allactive")
# The whole matrix (3 amplitudes x 2 time steps) by default; BMTK_RS_FULL_ORACLE=0 runs a quicker subset.
FULL = os.environ.get("BMTK_RS_FULL_ORACLE", "1") not in ("", "0")


def _amp_indices(dt):
    return (0, 1, 2) if FULL or dt == 0.1 else (1,)


def _cases(root):
    cases = []
    for mid, (swc, fit, processing, amps) in MODELS.items():
        cond = json.loads((root / fit).read_text())["conditions"][0]
        for dt in DTS:
            cases.append({
                "id": f"{mid}@{dt:g}", "swc": str(root / swc), "fit": str(root / fit), "processing": processing,
                "dL": DL, "dt": dt, "amps": [amps[k] for k in _amp_indices(dt)], "delay": DELAY, "dur": DUR,
                "tstop": TSTOP, "celsius": float(cond["celsius"]), "v_init": float(cond["v_init"]),
                "threshold": THRESHOLD, "record_all": mid in RECORD_ALL and dt == 0.1,
            })
    return cases


@pytest.fixture(scope="module")
def neuron_cells(nrnmech_dir, bmtk_data):
    """Runs every cell and amplitude in NEURON once (one subprocess)."""
    require_module("bmtk")
    return run_neuron_cells(nrnmech_dir, _cases(bmtk_data), "single_cell")


def _params():
    out = []
    for mid in MODELS:
        for dt in DTS:
            for k in _amp_indices(dt):
                out.append(pytest.param(mid, dt, k, id=f"{mid}-dt{dt:g}-amp{k}"))
    return out


@pytest.mark.parametrize(("mid", "dt", "k"), _params())
def test_cell_matches_neuron(neuron_cells, mid, dt, k):
    from bmtk_rs import _native

    cases, nrn = neuron_cells
    case = cases[f"{mid}@{dt:g}"]
    slot = _amp_indices(dt).index(k)
    amp = case["amps"][slot]
    v_nrn = nrn[f"{case['id']}/{slot}/v"]
    s_nrn = nrn[f"{case['id']}/{slot}/spikes"]
    t, v, spikes = _native.run_single_cell(case["swc"], case["fit"], case["processing"], DL, (amp, DELAY, DUR),
                                           TSTOP, dt, THRESHOLD, case["celsius"], case["v_init"])
    assert len(v) == len(v_nrn) == len(t)
    np.testing.assert_allclose(t[-1], TSTOP)
    if k == 0:
        assert len(s_nrn) == 0, f"{mid}: {amp} nA was chosen subthreshold but NEURON spikes"
    else:
        assert len(s_nrn) >= 1, f"{mid}: {amp} nA was chosen spiking but NEURON does not spike"
    assert len(spikes) == len(s_nrn), (spikes, s_nrn)
    dt_max = float(np.max(np.abs(spikes - s_nrn))) if len(spikes) else 0.0
    rms = float(np.sqrt(np.mean((v - v_nrn) ** 2)))
    head = int(s_nrn[0] / dt) - 10 if len(s_nrn) else len(v)
    head_max = float(np.max(np.abs(v[:head] - v_nrn[:head])))
    print(f"{mid} dt={dt:g} amp={amp:g} nA: {len(spikes)} spikes, max |spike dt| {dt_max:.2g} ms, "
          f"v RMS diff {rms:.2g} mV, max |dv| before the first spike {head_max:.2g} mV")
    assert dt_max < 0.2
    assert dt_max < 1e-6  # measured: identical
    assert head_max < 1e-6
    if k == 0:
        assert rms < 0.5


@pytest.mark.parametrize("k", (0, 1, 2))
@pytest.mark.parametrize("mid", RECORD_ALL)
def test_every_segment_matches_neuron(neuron_cells, mid, k):
    """v of every segment (dendrites, apical tree, axon stub), not only the soma."""
    from bmtk_rs import _native

    cases, nrn = neuron_cells
    case = cases[f"{mid}@0.1"]
    amp = case["amps"][k]
    ref = nrn[f"{case['id']}/{k}/vall"]
    s_nrn = nrn[f"{case['id']}/{k}/spikes"]
    _, v, spikes = _native.run_single_cell(case["swc"], case["fit"], case["processing"], DL, (amp, DELAY, DUR),
                                           TSTOP, 0.1, THRESHOLD, case["celsius"], case["v_init"], record="all")
    v = v[::10]
    assert v.shape == ref.shape, (v.shape, ref.shape)
    assert len(spikes) == len(s_nrn)
    head = int(s_nrn[0] / 1.0) - 1 if len(s_nrn) else len(v)  # samples every 1 ms
    head_max = float(np.max(np.abs(v[:head] - ref[:head])))
    rms = float(np.sqrt(np.mean((v - ref) ** 2)))
    print(f"{mid} amp={amp:g} nA, {v.shape[1]} segments: max |dv| before the first spike {head_max:.2g} mV, "
          f"RMS over all segments and samples {rms:.2g} mV")
    assert head_max < 1e-6
    assert rms < 0.5


def test_fit_json_errors_name_file_and_key(bmtk_data, tmp_path):
    from bmtk_rs import _native

    swc = bmtk_data / MORPH / "Scnn1a_473845048_m.swc"
    fit = json.loads((bmtk_data / FITS / "472363762_fit.json").read_text())

    def run(d, processing="aibs_perisomatic", name="fit.json"):
        path = tmp_path / name
        path.write_text(json.dumps(d) if not isinstance(d, str) else d)
        return _native.run_single_cell(swc, path, processing, DL, (0.1, 10.0, 10.0), 5.0, 0.1)

    bad = json.loads(json.dumps(fit))
    del bad["passive"][0]["e_pas"]
    with pytest.raises(ValueError, match=r"fit\.json.*missing key 'passive\[0\]\.e_pas'"):
        run(bad)
    bad = json.loads(json.dumps(fit))
    bad["genome"][3]["mechanism"] = "NaX"
    with pytest.raises(ValueError, match=r"fit\.json.*genome\[3\]\.mechanism.*unknown mechanism 'NaX'.*NaTs"):
        run(bad)
    bad = json.loads(json.dumps(fit))
    bad["genome"][3]["name"] = "gmax_" + bad["genome"][3]["mechanism"]
    with pytest.raises(ValueError, match=r"genome\[3\]\.name.*no parameter 'gmax'"):
        run(bad)
    bad = json.loads(json.dumps(fit))
    del bad["genome"]
    with pytest.raises(ValueError, match=r"missing key 'genome'"):
        run(bad)
    bad = json.loads(json.dumps(fit))
    bad["passive"][0]["cm"] = [c for c in bad["passive"][0]["cm"] if c["section"] != "apic"]
    with pytest.raises(ValueError, match=r"passive\[0\]\.cm.*'apic'"):
        run(bad)
    bad = json.loads(json.dumps(fit))
    bad["conditions"][0]["erev"][0]["ek"] = "low"
    with pytest.raises(ValueError, match=r"conditions\[0\]\.erev\[0\]\.ek.*finite number"):
        run(bad)
    with pytest.raises(ValueError, match=r"fit\.json: not valid JSON"):
        run("{")
    with pytest.raises(ValueError, match=r"unknown model_processing 'aibs_peri'.*aibs_perisomatic"):
        run(fit, processing="aibs_peri")
    with pytest.raises(OSError, match=r"nofit\.json"):
        _native.run_single_cell(swc, tmp_path / "nofit.json", "aibs_perisomatic", DL, None, 5.0, 0.1)
    with pytest.raises(ValueError, match=r"iclamp"):
        _native.run_single_cell(swc, bmtk_data / FITS / "472363762_fit.json", "aibs_perisomatic", DL, (1.0,), 5.0)
    with pytest.raises(ValueError, match=r"record: 'dend'"):
        _native.run_single_cell(swc, bmtk_data / FITS / "472363762_fit.json", record="dend")
    with pytest.raises(OSError, match=r"nomorph\.swc"):
        _native.run_single_cell(tmp_path / "nomorph.swc", bmtk_data / FITS / "472363762_fit.json")
    with pytest.raises(ValueError, match=r"dt"):
        _native.run_single_cell(swc, bmtk_data / FITS / "472363762_fit.json", "aibs_perisomatic", DL, None, 5.0, 0.0)


def test_defaults_come_from_the_fit_conditions(bmtk_data):
    from bmtk_rs import _native

    swc = bmtk_data / MORPH / "Scnn1a_473845048_m.swc"
    fit = bmtk_data / FITS / "472363762_fit.json"
    t, v, spikes = _native.run_single_cell(swc, fit, tstop=2.0, dt=0.5)
    assert t.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert v[0] == json.loads(fit.read_text())["conditions"][0]["v_init"]
    t, v, spikes = _native.run_single_cell(swc, fit, tstop=2.0, dt=0.5, v_init=-70.0, record=None)
    assert len(t) == len(v) == 0 and len(spikes) == 0
    stats = _native.run_cells(swc, fit, 3, iclamp=(0.2, 10.0, 100.0), tstop=150.0, threads=2)
    assert stats["n_cells"] == 3 and stats["n_steps"] == 1500
    assert len(set(stats["spike_counts"])) == 1 and stats["spike_counts"][0] > 0
    _, _, one = _native.run_single_cell(swc, fit, iclamp=(0.2, 10.0, 100.0), tstop=150.0)
    assert stats["spike_counts"][0] == len(one)
