"""NEURON side of the single-compartment mechanism oracle (run in a subprocess by the tests).

usage: python nrn_single_compartment.py <compiled modfile dir> <cases.json> <out.npz>

Each case inserts mechanisms in one section (nseg 1), sets parameters (RANGE on the segment, GLOBAL
on `h`, restored afterwards) and ion values, then runs NEURON's fixed step either under a stiff
SEClamp following `vclamp` (one command voltage per step) or with an IClamp. Every recorded
variable is saved as `<case id>/<name>`, sampled at t = 0 and after every fadvance.
"""

import json
import sys

import numpy as np


def run_case(h, case):
    sec = h.Section(name="cell_" + case["id"])
    sec.nseg = 1
    sec.L = case.get("L", 10.0)
    sec.diam = case.get("diam", 10.0)
    sec.cm = case.get("cm", 1.0)
    seg = sec(0.5)
    restore = []
    for name, params in case["mechs"].items():
        sec.insert(name)
        for pname, value in params.items():
            full = f"{pname}_{name}"
            if hasattr(seg, full):
                setattr(seg, full, value)
            else:
                restore.append((full, getattr(h, full)))
                setattr(h, full, value)
    for key, value in case.get("ions", {}).items():
        if not hasattr(seg, key):
            continue  # the ion is not used by any inserted mechanism
        if key in ("cai", "cao"):
            glob = f"{key}0_ca_ion"
            restore.append((glob, getattr(h, glob)))
            setattr(h, glob, value)
        setattr(seg, key, value)

    h.dt = case["dt"]
    h.celsius = case["celsius"]
    keep = []
    if "vclamp" in case:
        clamp = h.SEClamp(seg)
        clamp.rs = 1e-6
        clamp.dur1 = 1e9
        clamp.amp1 = case["vclamp"][0]
        command = h.Vector(case["vclamp"])
        command.play(clamp._ref_amp1, h.dt)
        keep += [clamp, command]
        nsteps = len(case["vclamp"]) - 1
        v_init = case["vclamp"][0]
    else:
        stim = h.IClamp(seg)
        stim.amp = case["amp"]
        stim.delay = case["delay"]
        stim.dur = case["dur"]
        keep.append(stim)
        nsteps = case["nsteps"]
        v_init = case["v_init"]

    vectors = {}
    for name in case["record"]:
        vec = h.Vector()
        base, _, index = name.partition("[")  # an array element: `ca_cadifpmp[3]`
        ref = getattr(seg, "_ref_" + base)
        vec.record(ref[int(index[:-1])] if index else ref)
        vectors[name] = vec
    h.finitialize(v_init)
    for _ in range(nsteps):
        h.fadvance()
    out = {name: np.array(vec) for name, vec in vectors.items()}
    for full, value in reversed(restore):
        setattr(h, full, value)
    del keep
    return out


def main():
    libdir, cases_path, out_path = sys.argv[1:4]
    import neuron
    from neuron import h

    neuron.load_mechanisms(libdir)
    with open(cases_path) as f:
        cases = json.load(f)
    result = {}
    for case in cases:
        for name, trace in run_case(h, case).items():
            result["{}/{}".format(case["id"], name)] = trace
    np.savez(out_path, **result)


if __name__ == "__main__":
    main()
