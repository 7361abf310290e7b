"""NEURON side of the point-process oracle (run in a subprocess by tests/nmodl/test_point_processes.py).

usage: python nrn_point_process.py <compiled modfile dir> <cases.json> <out.npz>

Each case puts one point process in the middle of a one-segment section (with `pas` and the case's
`density` mechanisms {SUFFIX: {param: value}}), sets its parameters (RANGE on the instance, GLOBAL on
`h`), makes one source-less NetCon per input event with that event's weight vector, and after
finitialize queues each event with `NetCon.event(t)`. Recorded variables (the point process's, `v`,
or `seg.<ion variable>` of the segment) are saved as `<case id>/<name>`, sampled at t = 0 and after
every fadvance.
"""

import json
import sys

import numpy as np


def run_case(h, case):
    sec = h.Section(name="pp_" + case["id"].replace("@", "_").replace(".", "_"))
    sec.nseg = 1
    sec.L, sec.diam, sec.cm = case["L"], case["diam"], case["cm"]
    sec.insert("pas")
    seg = sec(0.5)
    seg.pas.g, seg.pas.e = case["pas"]
    for mech, params in case.get("density", {}).items():
        sec.insert(mech)
        for name, value in params.items():
            setattr(seg, f"{name}_{mech}", value)
    artificial = case.get("artificial", False)
    pp = getattr(h, case["mech"])() if artificial else getattr(h, case["mech"])(seg)
    restore = []
    for name, value in case["params"].items():
        if hasattr(pp, name):
            setattr(pp, name, value)
        else:
            full = f"{name}_{case['mech']}"
            restore.append((full, getattr(h, full)))
            setattr(h, full, value)
    h.dt = case["dt"]
    h.celsius = case["celsius"]
    netcons = []
    for _, weights in case["events"]:
        nc = h.NetCon(None, pp)
        for k, w in enumerate(weights):
            nc.weight[k] = w
        netcons.append(nc)
    out_times = h.Vector()
    nc_out = h.NetCon(pp, None)
    nc_out.record(out_times)
    vectors = {}
    for name in case["record"]:
        vec = h.Vector()
        if name == "v":
            vec.record(seg._ref_v)
        elif name.startswith("seg."):
            vec.record(getattr(seg, "_ref_" + name[4:]))
        else:
            vec.record(getattr(pp, "_ref_" + name))
        vectors[name] = vec
    h.finitialize(case["v_init"])
    for nc, (t, _) in zip(netcons, case["events"]):
        nc.event(t)
    for _ in range(case["nsteps"]):
        h.fadvance()
    out = {name: np.array(vec) for name, vec in vectors.items()}
    out["net_event"] = np.array(out_times)
    del nc_out
    for full, value in reversed(restore):
        setattr(h, full, value)
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
