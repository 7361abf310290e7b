"""NEURON side of the whole-cell oracle (run in a subprocess by test_single_cell.py).

usage: python nrn_single_cell.py <compiled modfile dir> <cases.json> <out.npz>

Each case builds one cell exactly as bmtk 1.2.0 does for `model_template ctdb:Biophys1.hoc`:
bmtk's Biophys1.hoc template (Import3d), bmtk's own model_processing function from
default_setters/cell_models.py applied to the fit json, nseg from dL as bmtk's
Morphology.set_segment_dl, a spike detector NetCon at soma[0](0.5) with the threshold, and an
IClamp at soma[0](0.5). Then for every amplitude: h.dt, celsius, finitialize(v_init) and
fadvance to tstop, recording soma(0.5).v and the detector's spike times.
Stores `<id>/<k>/v` and `<id>/<k>/spikes` for the k-th amplitude, and `<id>/nseg`; with
`record_all`, also `<id>/<k>/vall`: every segment's v (every 10th sample), samples x segments.
"""

import json
import os
import sys

import numpy as np


from numpy_pca import NumpyPCA as _NumpyPCA  # noqa: E402  (the script's folder is on sys.path)


def build(h, cell_models, case):
    if case.get("nml"):
        hobj = _build_nml(cell_models, case)
        for sec in hobj.all:
            sec.nseg = 1 + 2 * int(sec.L / (2 * case["dL"]))
        return hobj
    hobj = h.Biophys1(case["swc"])
    with open(case["fit"]) as f:
        params = json.load(f)
    processing = getattr(cell_models, case["processing"])
    if "directed" in case["processing"] and not hasattr(cell_models, "PCA"):
        cell_models.PCA = _NumpyPCA  # scikit-learn is optional for bmtk; same first axis
    hobj = processing(hobj, None, params)
    for sec in hobj.all:  # bmtk's Morphology.set_segment_dl
        sec.nseg = 1 + 2 * int(sec.L / (2 * case["dL"]))
    return hobj


def _build_nml(cell_models, case):
    """A NeuroML2 cell through bmtk's own NMLLoad (the `nml:` model_template directive)."""

    class _Network:
        @staticmethod
        def get_component(name):
            return os.path.dirname(case["fit"])

    class _Cell:
        morphology_file = case["swc"]
        network = _Network()

    return cell_models.NMLLoad(_Cell(), os.path.basename(case["fit"]), None)


def run_case(h, cell_models, case, result):
    hobj = build(h, cell_models, case)
    soma = hobj.soma[0](0.5)
    nc = h.NetCon(soma._ref_v, None, sec=hobj.soma[0])
    nc.threshold = case["threshold"]
    tvec = h.Vector()
    nc.record(tvec)
    stim = h.IClamp(soma)
    stim.delay = case["delay"]
    stim.dur = case["dur"]
    vrec = h.Vector()
    vrec.record(soma._ref_v)
    vall = []
    if case.get("record_all"):  # every segment, hobj.all order then x order (bmtk's segment order)
        for sec in hobj.all:
            for seg in sec:
                vec = h.Vector()
                vec.record(seg._ref_v)
                vall.append(vec)
    h.celsius = case["celsius"]
    h.dt = case["dt"]
    nsteps = int(round(case["tstop"] / case["dt"]))
    for k, amp in enumerate(case["amps"]):
        stim.amp = amp
        h.finitialize(case["v_init"])
        for _ in range(nsteps):
            h.fadvance()
        result[f"{case['id']}/{k}/v"] = np.array(vrec)
        result[f"{case['id']}/{k}/spikes"] = np.array(tvec)
        if vall:  # every 10th sample, to keep the file small
            result[f"{case['id']}/{k}/vall"] = np.array([np.array(x)[::10] for x in vall]).T
    result[f"{case['id']}/nseg"] = np.array([int(sec.nseg) for sec in hobj.all])
    del nc, stim, vrec, tvec, vall, hobj


def main():
    libdir, cases_path, out_path = sys.argv[1:4]
    import neuron
    from neuron import h

    import bmtk.simulator.bionet as bionet_pkg
    from bmtk.simulator.bionet.default_setters import cell_models

    neuron.load_mechanisms(libdir)
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    h.load_file(os.path.join(os.path.dirname(bionet_pkg.__file__), "default_templates", "Biophys1.hoc"))
    with open(cases_path) as f:
        cases = json.load(f)
    result = {}
    for case in cases:
        run_case(h, cell_models, case, result)
    np.savez(out_path, **result)


if __name__ == "__main__":
    main()
