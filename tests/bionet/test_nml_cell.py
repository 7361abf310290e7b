"""NeuroML2 cells (`model_template nml:<file>.cell.nml`, as bio_1cell and bio_450cells use them):
bmtk-rs vs NEURON 9.0.2 building the same cells through bmtk 1.2.0's NMLLoad; plus bad NML files."""

import json
import os

import numpy as np
import pytest

from ..conftest import require_module
from .conftest import run_neuron_cells

HERE = os.path.dirname(__file__)
NML = {  # node types of examples/bio_450cells
    "Cell_472363762": "Scnn1a_473845048_m.swc",
    "Cell_473863510": "Rorb_325404214_m.swc",
    "Cell_473863035": "Nr5a1_471087815_m.swc",
    "Cell_472912177": "Pvalb_470522102_m.swc",
    "Cell_473862421": "Pvalb_469628681_m.swc",
}
AMP, DELAY, DUR, TSTOP, DT, DL, THRESHOLD, CELSIUS, V_INIT = 0.3, 100.0, 600.0, 800.0, 0.1, 20.0, -15.0, 34.0, -80.0


def _cases(root):
    comp = root / "examples" / "bio_components"
    return [{"id": cid, "nml": True, "swc": str(comp / "morphologies" / swc),
             "fit": str(comp / "biophysical_neuron_templates" / "nml" / (cid + ".cell.nml")),
             "processing": "aibs_perisomatic", "dL": DL, "dt": DT, "amps": [0.0, AMP], "delay": DELAY,
             "dur": DUR, "tstop": TSTOP, "celsius": CELSIUS, "v_init": V_INIT, "threshold": THRESHOLD,
             "record_all": False} for cid, swc in NML.items()]


@pytest.fixture(scope="module")
def neuron_nml(nrnmech_dir, bmtk_data):
    require_module("bmtk")
    return run_neuron_cells(nrnmech_dir, _cases(bmtk_data), "nml_cells")


@pytest.mark.parametrize("cid", sorted(NML))
@pytest.mark.parametrize("slot", [0, 1])
def test_nml_cell_matches_neuron(neuron_nml, cid, slot):
    from bmtk_rs import _native

    cases, nrn = neuron_nml
    case = cases[cid]
    amp = case["amps"][slot]
    v_nrn, s_nrn = nrn[f"{cid}/{slot}/v"], nrn[f"{cid}/{slot}/spikes"]
    t, v, spikes = _native.run_single_cell(case["swc"], case["fit"], "aibs_perisomatic", DL, (amp, DELAY, DUR),
                                           TSTOP, DT, THRESHOLD, CELSIUS, V_INIT)
    assert len(v) == len(v_nrn)
    assert len(spikes) == len(s_nrn), (spikes, s_nrn)
    if slot == 1:
        assert len(s_nrn) > 0, f"{cid} does not spike at {amp} nA in NEURON"
    if len(spikes):
        assert np.max(np.abs(spikes - s_nrn)) < 1e-6
    head = int(s_nrn[0] / DT) - 10 if len(s_nrn) else len(v)
    assert np.max(np.abs(v[:head] - v_nrn[:head])) < 1e-6


def test_bad_nml_files(tmp_path, bmtk_data):
    from bmtk_rs import _native

    swc = str(bmtk_data / "examples" / "bio_components" / "morphologies" / "Scnn1a_473845048_m.swc")
    cases = {
        "broken.cell.nml": ("<neuroml><cell>", "not valid XML"),
        "nogroup.cell.nml": ('<neuroml xmlns="http://www.neuroml.org/schema/neuroml2"><resistivity value="100 ohm_cm"/>'
                             "</neuroml>", "lacks the attribute 'segmentGroup'"),
        "unknown.cell.nml": ('<neuroml xmlns="http://www.neuroml.org/schema/neuroml2"><channelDensity id="gbar_X" '
                             'segmentGroup="soma" ion="k" ionChannel="NoSuchChannel" condDensity="1 S_per_cm2"/>'
                             "</neuroml>", "NoSuchChannel"),
        "badnum.cell.nml": ('<neuroml xmlns="http://www.neuroml.org/schema/neuroml2"><resistivity segmentGroup="all" '
                            'value="lots ohm_cm"/></neuroml>', "is not a number"),
    }
    for name, (text, msg) in cases.items():
        p = tmp_path / name
        p.write_text(text)
        with pytest.raises(ValueError, match=msg) as info:
            _native.run_single_cell(swc, str(p), "aibs_perisomatic", DL, None, 10.0, DT, THRESHOLD, CELSIUS, V_INIT)
        assert name in str(info.value)


def test_bio_1cell_iclamp_against_stored_neuron_output(bmtk_data):
    """examples/bio_1cell config.simulation_iclamp.json (its run, conditions and current clamp) against the
    spikes and soma voltage an older NEURON stored beside it."""
    from bmtk_rs import _native

    h5py = require_module("h5py")
    ex = bmtk_data / "examples" / "bio_1cell"
    conf = json.loads((ex / "config.simulation_iclamp.json").read_text())
    run, cond = conf["run"], conf["conditions"]
    clamp = next(v for v in conf["inputs"].values() if v["module"] == "IClamp")
    comp = bmtk_data / "examples" / "bio_components"
    swc = comp / "morphologies" / "Scnn1a_473845048_m.swc"
    nml = comp / "biophysical_neuron_templates" / "nml" / "Cell_472363762.cell.nml"
    t, v, spikes = _native.run_single_cell(str(swc), str(nml), "aibs_perisomatic", run["dL"],
                                           (clamp["amp"], clamp["delay"], clamp["duration"]), run["tstop"],
                                           run["dt"], float(run["spike_threshold"]), cond["celsius"], cond["v_init"])
    with h5py.File(ex / "output_iclamp" / "spikes.h5", "r") as h:
        ref_spikes = np.sort(h["spikes/biocell/timestamps"][()])
    with h5py.File(ex / "output_iclamp" / "membrane_potential.h5", "r") as h:
        ref_v = h["report/biocell/data"][()][:, 0]
    assert len(spikes) == len(ref_spikes)
    assert np.max(np.abs(spikes - ref_spikes)) < 1.0
    # BMTK's report rows are the voltages after each step (t = dt, 2 dt, ...); ours start at t = 0.
    assert len(t) == len(ref_v) + 1 and t[1] == run["dt"]
    mine = v[1:]
    sub = int(ref_spikes[0] / run["dt"]) - 50  # before the first spike
    dv = float(np.max(np.abs(mine[:sub] - ref_v[:sub])))
    assert dv < 0.01
    print("bio_1cell: {} spikes, max |spike dt| {:.3g} ms, max |dv| before the first spike {:.2g} mV".format(
        len(spikes), np.max(np.abs(spikes - ref_spikes)), dv))
