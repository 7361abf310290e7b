"""NEURON 9 + bmtk 1.2.0 oracle for cell geometry: run as a script in a subprocess.

usage: python neuron_geometry_oracle.py SWC PROCESSING DL RA OUT.npz [x y z rx ry rz]
       python neuron_geometry_oracle.py --batch JOBS.json
         (JOBS.json: a list of [swc, processing, dl, ra, out, [x, y, z, rx, ry, rz]]; each cell is
          deleted before the next is built; a failing job writes OUT.err instead of OUT)

Builds the cell exactly as bmtk does (Biophys1.hoc template -> Import3d, then bmtk's own
fix_axon_* for the model processing, then Morphology.set_segment_dl) and stores, for every
section of hobj.all in order and every node (x=0 of the root, segment centres, x=1 ends), the
area and ri that NEURON computed, plus bmtk's segment midpoints after move_and_rotate.
"""

import json
import os
import sys
import traceback

import numpy as np


from numpy_pca import NumpyPCA as _NumpyPCA  # noqa: E402  (the script's folder is on sys.path)


def setup():
    from neuron import h

    import bmtk.simulator.bionet as bionet_pkg

    h.load_file("stdgui.hoc")
    h.load_file("import3d.hoc")
    h.load_file(os.path.join(os.path.dirname(bionet_pkg.__file__), "default_templates", "Biophys1.hoc"))


def steady(swc, processing, dl, ra, out, g_pas, e_pas, stim_sec, stim_x, amp):
    """Passive cell, DC current into hobj.all[stim_sec](stim_x), run to steady state; stores v at
    every node (same node listing as build())."""
    from neuron import h

    h.load_file("stdrun.hoc")
    hobj, morph = make_cell(swc, processing, float(dl))
    for sec in hobj.all:
        sec.Ra = float(ra)
        sec.cm = 1.0
        sec.insert("pas")
        for seg in sec:
            seg.pas.g = g_pas
            seg.pas.e = e_pas
    secs = list(hobj.all)
    stim = h.IClamp(secs[stim_sec](stim_x))
    stim.delay = 0
    stim.dur = 1e9
    stim.amp = amp
    h.dt = 0.025
    h.finitialize(e_pas)
    h.continuerun(300)
    n_sec, n_x, n_v = [], [], []
    for i, sec in enumerate(secs):
        ps = sec.parentseg()
        xs = [seg.x for seg in sec] + [1.0]
        if ps is None:
            xs = [0.0] + xs
        for x in xs:
            n_sec.append(i)
            n_x.append(x)
            n_v.append(sec(x).v)
    np.savez(out, node_sec=np.array(n_sec), node_x=np.array(n_x), node_v=np.array(n_v))


def make_cell(swc, processing, dl):
    from neuron import h

    from bmtk.simulator.bionet.default_setters import cell_models
    from bmtk.simulator.bionet.morphology import Morphology

    hobj = h.Biophys1(str(swc))
    if processing == "aibs_perisomatic":
        cell_models.fix_axon_peri(hobj)
    elif processing == "aibs_allactive":
        cell_models.fix_axon_allactive(hobj)
    elif processing != "none":
        raise SystemExit("steady: unsupported processing " + processing)
    morph = Morphology(hobj=hobj, swc_path=str(swc))
    if dl > 0:
        morph.set_segment_dl(dl)
    return hobj, morph


def build(swc, processing, dl, ra, out, place=None):
    from neuron import h

    from bmtk.simulator.bionet.default_setters import cell_models
    from bmtk.simulator.bionet.morphology import Morphology

    dl = float(dl)
    ra = float(ra)
    hobj = h.Biophys1(str(swc))
    if processing == "aibs_perisomatic":
        cell_models.fix_axon_peri(hobj)
    elif processing == "aibs_allactive":
        cell_models.fix_axon_allactive(hobj)
    elif processing in ("aibs_perisomatic_directed", "aibs_allactive_directed"):
        if not hasattr(cell_models, "PCA"):
            cell_models.PCA = _NumpyPCA  # scikit-learn is optional for bmtk; same first axis
        if processing == "aibs_perisomatic_directed":
            cell_models.fix_axon_perisomatic_directed(hobj)
        else:
            cell_models.fix_axon_allactive_directed(hobj)
    elif processing == "none":
        pass
    else:
        raise SystemExit("unknown processing " + processing)

    morph = Morphology(hobj=hobj, swc_path=swc)
    if dl > 0:
        morph.set_segment_dl(dl)
    for sec in hobj.all:
        sec.Ra = ra

    secs = list(hobj.all)
    index = {sec.name(): i for i, sec in enumerate(secs)}
    sec_names, sec_parent, sec_parentx, sec_nseg, sec_L = [], [], [], [], []
    n_sec, n_x, n_area, n_ri = [], [], [], []
    for i, sec in enumerate(secs):
        sec_names.append(sec.name().split(".")[-1])
        ps = sec.parentseg()
        sec_parent.append(-1 if ps is None else index[ps.sec.name()])
        sec_parentx.append(-1.0 if ps is None else ps.x)
        sec_nseg.append(sec.nseg)
        sec_L.append(sec.L)
        xs = [seg.x for seg in sec] + [1.0]
        if ps is None:
            xs = [0.0] + xs
        for x in xs:
            n_sec.append(i)
            n_x.append(x)
            n_area.append(sec(x).area() if 0.0 < x < 1.0 else 0.0)
            n_ri.append(sec(x).ri())

    props = morph.seg_props
    coords = morph.seg_coords
    result = dict(
        sec_names=np.array(sec_names),
        sec_parent=np.array(sec_parent),
        sec_parentx=np.array(sec_parentx),
        sec_nseg=np.array(sec_nseg),
        sec_L=np.array(sec_L),
        node_sec=np.array(n_sec),
        node_x=np.array(n_x),
        node_area=np.array(n_area),
        node_ri=np.array(n_ri),
        seg_type=props.type,
        seg_sec_id=props.sec_id,
        seg_x=props.x,
        seg_area=props.area,
        seg_dist=props.dist,
        p05=coords.p05.copy(),
        p0=coords.p0.copy(),
        p1=coords.p1.copy(),
        soma_pos=np.asarray(coords.soma_pos).copy(),
        seg_diam=np.asarray(coords.d).copy(),
    )
    pt = []
    for i, sec in enumerate(secs):
        for k in range(int(sec.n3d())):
            pt.append((i, sec.x3d(k), sec.y3d(k), sec.z3d(k), sec.diam3d(k), sec.arc3d(k)))
    result["pt3d"] = np.array(pt)
    if place is not None:
        moved = morph.move_and_rotate(soma_coords=np.array(place[:3]), rotation_angles=place[3:6])
        result["moved_p05"] = moved.seg_coords.p05.copy()
        result["moved_p0"] = moved.seg_coords.p0.copy()
        result["moved_p1"] = moved.seg_coords.p1.copy()
    np.savez(out, **result)


def main():
    setup()
    if sys.argv[1] == "--steady":
        swc, processing, dl, ra, out = sys.argv[2:7]
        g, e, sec, x, amp = (float(v) for v in sys.argv[7:12])
        steady(swc, processing, dl, ra, out, g, e, int(sec), x, amp)
        return
    if sys.argv[1] == "--batch":
        with open(sys.argv[2]) as f:
            jobs = json.load(f)
        for swc, processing, dl, ra, out, place in jobs:
            try:
                build(swc, processing, dl, ra, out, place)
            except Exception:
                with open(out + ".err", "w") as f:
                    f.write(traceback.format_exc())
        return
    swc, processing, dl, ra, out = sys.argv[1:6]
    place = [float(v) for v in sys.argv[6:12]] if len(sys.argv) > 6 else None
    build(swc, processing, dl, ra, out, place)


if __name__ == "__main__":
    main()
