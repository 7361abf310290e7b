"""Firing rates of a run of the L4 model, per cell type, and its orientation tuning.

    python examples/l4_full/rates.py OUTDIR [--t0 MS]

reads OUTDIR/network/V1_nodes.h5 (+ node types) and OUTDIR/output/spikes.h5 and prints, per type,
the mean rate (Hz, from t0 to the last ms of the run) and, for the tuned (excitatory) types, the
mean rate of the cells whose preferred orientation lies within 22.5 degrees of the grating's
("preferred") and of those within 22.5 degrees of the orthogonal ("orthogonal").
"""

import argparse
import json
import pathlib

import h5py
import numpy as np
import pandas as pd

ORDER = ["Scnn1a", "Rorb", "Nr5a1", "PV1", "PV2", "LIF_exc", "LIF_inh"]


def orientation_difference(a, b):
    """0-90 degrees between two directions taken as orientations."""
    d = np.mod(np.abs(a - b), 180.0)
    return np.minimum(d, 180.0 - d)


def rates(out, t0=0.0, grating_theta=None):
    """{pop_name: dict(n, rate, pref, orth)} for the run in `out` (rates in Hz)."""
    out = pathlib.Path(out)
    conf = json.loads((out / "config.json").read_text())
    tstop = float(conf["run"]["tstop"])
    if grating_theta is None:
        fconf = json.loads((out / "config.filternet.json").read_text())
        grating_theta = float(fconf["inputs"]["drifting_grating"]["theta"])
    types = pd.read_csv(out / "network" / "V1_node_types.csv", sep=" ")
    with h5py.File(out / "network" / "V1_nodes.h5", "r") as f:
        g = f["nodes/V1"]
        nid = g["node_id"][()]
        tid = g["node_type_id"][()]
        gid, gidx = g["node_group_id"][()], g["node_group_index"][()]
        tuning = np.full(len(nid), np.nan)  # per node, from whichever group holds it
        for name in {str(k) for k in np.unique(gid)}:
            if "tuning_angle" in g[name]:
                m = gid == int(name)
                tuning[m] = g[name]["tuning_angle"][()][gidx[m]]
    pop_of_type = dict(zip(types["node_type_id"], types["pop_name"]))
    pops = np.array([pop_of_type[t] for t in tid])
    with h5py.File(out / "output" / "spikes.h5", "r") as f:
        ids, ts = f["spikes/V1/node_ids"][()], f["spikes/V1/timestamps"][()]
    counts = np.bincount(ids[ts >= t0], minlength=len(nid)).astype(float)
    seconds = (tstop - t0) / 1000.0
    res = {}
    for pop in [p for p in ORDER if p in set(pops)]:
        m = pops == pop
        row = dict(n=int(m.sum()), rate=counts[m].mean() / seconds)
        if np.isfinite(tuning[m]).all():
            d = orientation_difference(tuning[m], grating_theta)
            c = counts[m]
            row["pref"] = c[d < 22.5].mean() / seconds if (d < 22.5).any() else float("nan")
            row["orth"] = c[d > 67.5].mean() / seconds if (d > 67.5).any() else float("nan")
        res[pop] = row
    return res


def table(res):
    lines = ["| type | cells | mean rate (Hz) | preferred (Hz) | orthogonal (Hz) |", "| --- | ---: | ---: | ---: | ---: |"]
    for pop, r in res.items():
        pref = "{:.2f}".format(r["pref"]) if "pref" in r else ""
        orth = "{:.2f}".format(r["orth"]) if "orth" in r else ""
        lines.append("| {} | {:,} | {:.2f} | {} | {} |".format(pop, r["n"], r["rate"], pref, orth))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--t0", type=float, default=0.0, help="ms left out at the start (the onset transient)")
    args = ap.parse_args()
    print(table(rates(args.outdir, args.t0)))


if __name__ == "__main__":
    main()
