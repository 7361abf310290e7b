"""PointNet benchmark: examples/point_450cells (450 iaf_psc_alpha cells, LGN spike trains,
dt = 0.001 ms) for 3 s, through bmtk 1.2.0 + NEST 3.10 and through bmtk-rs in the same run, each
in its own process: total wall and CPU time (import, build, simulate, write), peak RSS, the ratio, and
whether both gave the same spikes.

    python bench/bench_pointnet.py [--data ../shared/bmtk-data (or $BMTK_DATA)] [--tstop 3000]
"""

import argparse
import os
import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.pointnet.helpers import rewrite_config, run, spikes_of  # noqa: E402

DEFAULT_DATA = pathlib.Path(os.environ.get("BMTK_DATA", HERE.parent.parent / "shared" / "bmtk-data"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--tstop", type=float, default=3000.0)
    opts = ap.parse_args()
    example = os.path.join(opts.data, "examples", "point_450cells")
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for which in ("bmtk_rs", "bmtk"):
            out = os.path.join(tmp, which)
            config = rewrite_config(example, "config.simulation.json", out, tstop=opts.tstop)
            res[which] = run(which, config, timeout=3600)
            res[which]["spikes"] = spikes_of(os.path.join(out, "spikes.h5"))
    ours, ref = res["bmtk_rs"], res["bmtk"]
    n_ref = sum(len(t) for t in ref["spikes"].values())
    same = (set(ours["spikes"]) == set(ref["spikes"])
            and all(len(ours["spikes"][k]) == len(t) and (len(t) == 0 or abs(ours["spikes"][k] - t).max() <= 0.001 + 1e-9)
                    for k, t in ref["spikes"].items()))
    print(f"point_450cells, {opts.tstop:g} ms at dt = 0.001 ms ({n_ref} spikes in NEST)")
    print(f"load average {os.getloadavg()}")
    print(f"  bmtk 1.2.0 + NEST 3.10: {ref['wall_s']:8.2f} s wall {ref['cpu_s']:8.2f} s CPU  peak {ref['peak_mb']:7.1f} MB")
    print(f"  bmtk-rs               : {ours['wall_s']:8.2f} s wall {ours['cpu_s']:8.2f} s CPU  peak {ours['peak_mb']:7.1f} MB")
    print(f"  ratio (NEST / bmtk-rs): {ref['wall_s'] / ours['wall_s']:8.2f} x wall, {ref['cpu_s'] / ours['cpu_s']:.2f} x CPU")
    print(f"  same spikes per cell (times within one dt): {same}")


if __name__ == "__main__":
    main()
