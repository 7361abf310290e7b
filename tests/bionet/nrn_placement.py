"""bmtk 1.2.0 + NEURON side of the synapse placement oracle (run in a subprocess by test_placement.py).

usage: python nrn_placement.py <compiled modfile dir> cells <cases.json> <out.npz>
       python nrn_placement.py <compiled modfile dir> network <config.json> <out.npz>

`cells`: each case builds one cell as bmtk does for `ctdb:Biophys1.hoc` (Biophys1.hoc, bmtk's
model_processing function on the fit json) and wraps it in bmtk's own Morphology with its
set_segment_dl. Stored per case `<id>/seg/<field>` (bmtk's seg_props: sec_id, x, type, length,
dist); `<id>/draw/sec_id`, `<id>/draw/x`: the synapse locations bmtk's BioCell._set_connections
code path draws for the case's requests from `RandomState(seed)` (find_sections, then
prng.choice of `nsyns` segments, an edge without candidates skipped as bmtk skips it); and
`<id>/node_code`: for each (sec_id, x) query, which node NEURON attaches an Exp2Syn placed at
sec(x) to, read back as the voltage of its segment after every node got a distinct voltage
(1000 * section + segment, 1000 * section + 999 for a section's x = 1 node, -1 for soma[0](0)).

`network`: bmtk's real build (BioNetwork.from_config, BioSimulator.from_config, nothing run) of a
config; stored per biophysical cell `<population>/<node_id>/sec_id` and `/x` (the segment of
every synapse bmtk made, in creation order, sections as hobj.all indices) and `/gid`.
"""

import json
import os
import sys

import numpy as np

from numpy_pca import NumpyPCA as _NumpyPCA  # noqa: E402  (the script's folder is on sys.path)


def _cell(h, cell_models, case):
    hobj = h.Biophys1(case["swc"])
    with open(case["fit"]) as f:
        params = json.load(f)
    if "directed" in case["processing"] and not hasattr(cell_models, "PCA"):
        cell_models.PCA = _NumpyPCA  # scikit-learn is optional for bmtk; same first axis
    return getattr(cell_models, case["processing"])(hobj, None, params)


def run_cell(h, cell_models, Morphology, case, out):
    hobj = _cell(h, cell_models, case)
    morph = Morphology.load(hobj=hobj)  # no file name: bmtk's per-file seg_props cache stays out
    morph.set_segment_dl(case["dL"])
    props = morph.seg_props
    cid = case["id"]
    for field in ("sec_id", "x", "type", "length", "dist"):
        out[f"{cid}/seg/{field}"] = np.asarray(getattr(props, field))

    prng = np.random.RandomState(case["seed"])
    secs, xs = [], []
    for names, drange, nsyns in case["requests"]:
        ix, prob = morph.find_sections(section_names=names, distance_range=drange, cache=True)
        if len(ix) == 0:
            continue
        segs = prng.choice(ix, nsyns, p=prob)
        secs.extend(props.sec_id[segs])
        xs.extend(props.x[segs])
    out[f"{cid}/draw/sec_id"] = np.asarray(secs, dtype=np.int64)
    out[f"{cid}/draw/x"] = np.asarray(xs, dtype=float)

    all_secs = list(hobj.all)
    for si, sec in enumerate(all_secs):
        for i, seg in enumerate(sec):
            seg.v = 1000.0 * si + i
        sec(1.0).v = 1000.0 * si + 999
    all_secs[0](0.0).v = -1.0
    codes = []
    for si, x in case["queries"]:
        syn = h.Exp2Syn(all_secs[si](x))
        codes.append(syn.get_segment().v)
        del syn
    out[f"{cid}/node_code"] = np.asarray(codes)


def run_network(config_path, out):
    import bmtk.simulator.bionet as bionet
    from bmtk.simulator.bionet.pyfunction_cache import add_weight_function

    def set_syn_weight(edge_props, src_node, trg_node):  # the tutorial's weight_function, a constant
        return edge_props["syn_weight"]

    add_weight_function(set_syn_weight, "set_syn_weight")
    conf = bionet.Config.from_json(config_path)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    bionet.BioSimulator.from_config(conf, network=net)
    for gid, cell in net.get_local_cells().items():
        if not hasattr(cell, "hobj") or not hasattr(cell.hobj, "all"):
            continue
        index = {sec.name(): i for i, sec in enumerate(cell.hobj.all)}
        secs, xs = [], []
        for conn in cell.connections():
            seg = conn._syn.get_segment()
            secs.append(index[seg.sec.name()])
            xs.append(seg.x)
        key = f"{cell.population_name}/{cell.node_id}"
        out[key + "/sec_id"] = np.asarray(secs, dtype=np.int64)
        out[key + "/x"] = np.asarray(xs, dtype=float)
        out[key + "/gid"] = np.asarray(gid)


def main():
    libdir, mode, in_path, out_path = sys.argv[1:5]
    out = {}
    if mode == "cells":
        import neuron
        from neuron import h

        import bmtk.simulator.bionet as bionet_pkg
        from bmtk.simulator.bionet.default_setters import cell_models
        from bmtk.simulator.bionet.morphology import Morphology

        neuron.load_mechanisms(libdir)
        h.load_file("stdrun.hoc")
        h.load_file("import3d.hoc")
        h.load_file(os.path.join(os.path.dirname(bionet_pkg.__file__), "default_templates", "Biophys1.hoc"))
        with open(in_path) as f:
            cases = json.load(f)
        for case in cases:
            run_cell(h, cell_models, Morphology, case, out)
    else:
        run_network(in_path, out)
    np.savez(out_path, **out)


if __name__ == "__main__":
    main()
