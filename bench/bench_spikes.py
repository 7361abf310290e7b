"""Poisson generation + SONATA write: bmtk-rs against bmtk 1.2.0, in one run.

Each implementation runs in its own process (same script shape: PoissonSpikeGenerator, add() of
N nodes at a constant rate, to_sonata) and reports its wall time; the ratio is printed.

    python bench/bench_spikes.py                      # 100k nodes x 10 s at 10 Hz
    python bench/bench_spikes.py --bmtk-nodes 10000   # bmtk on a fraction, scaled per node

bmtk 1.2.0 writes gzip-compressed datasets by default; bmtk-rs writes uncompressed ones by default
(libsonata's wheels cannot read gzip), so bmtk-rs is timed both ways.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

SCRIPT = textwrap.dedent("""
    import json, os, sys, time
    import numpy as np
    impl, n, secs, rate, comp, out = sys.argv[1:7]
    if impl == 'bmtk':
        from bmtk.utils.reports.spike_trains import PoissonSpikeGenerator
    else:
        from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator
    n, secs, rate = int(n), float(secs), float(rate)
    kw = {} if comp == 'default' else {'compression': None if comp == 'none' else comp}
    t0 = time.perf_counter()
    g = PoissonSpikeGenerator(population='lgn', seed=1)
    g.add(node_ids=np.arange(n), firing_rate=rate, times=(0.0, secs))
    t1 = time.perf_counter()
    g.to_sonata(out, **kw)
    t2 = time.perf_counter()
    import h5py
    with h5py.File(out, 'r') as h:
        n_spikes = int(h['spikes/lgn/timestamps'].shape[0])
        compression = h['spikes/lgn/timestamps'].compression
    print(json.dumps({'generate_s': t1 - t0, 'write_s': t2 - t1, 'total_s': t2 - t0,
                      'n_spikes': n_spikes, 'compression': compression,
                      'bytes': os.path.getsize(out)}))
""")


def run(impl, nodes, secs, rate, comp, workdir):
    out = os.path.join(workdir, f"{impl}_{nodes}_{comp}.h5")
    p = subprocess.run([sys.executable, "-c", SCRIPT, impl, str(nodes), str(secs), str(rate), comp, out],
                       capture_output=True, text=True, check=True)
    os.remove(out)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--bmtk-nodes", type=int, default=None,
                    help="nodes for bmtk 1.2.0 (default: --nodes); its time is scaled up linearly")
    ap.add_argument("--repeat", type=int, default=3, help="bmtk-rs runs (best is kept)")
    args = ap.parse_args()
    bmtk_nodes = args.bmtk_nodes or args.nodes

    with tempfile.TemporaryDirectory() as d:
        rs = {c: min((run("bmtk_rs", args.nodes, args.seconds, args.rate, c, d) for _ in range(args.repeat)),
                     key=lambda r: r["total_s"]) for c in ("default", "gzip")}
        bm = run("bmtk", bmtk_nodes, args.seconds, args.rate, "default", d)

    scale = args.nodes / bmtk_nodes
    bm_scaled = bm["total_s"] * scale
    print(f"workload: {args.nodes} nodes x {args.seconds} s at {args.rate} Hz (Poisson), generation + SONATA write")
    for name, r in [("bmtk-rs (uncompressed, default)", rs["default"]), ("bmtk-rs (gzip)", rs["gzip"])]:
        print("  {:34s} generate {:7.3f} s  write {:7.3f} s  total {:7.3f} s  spikes {}  {:.1f} MB".format(
            name, r["generate_s"], r["write_s"], r["total_s"], r["n_spikes"], r["bytes"] / 2**20))
    note = "" if scale == 1 else f"  (ran {bmtk_nodes} nodes, x{scale:g} -> {bm_scaled:.1f} s)"
    print("  {:34s} generate {:7.3f} s  write {:7.3f} s  total {:7.3f} s  spikes {}  {:.1f} MB{}".format(
        "bmtk 1.2.0 (gzip, default)", bm["generate_s"], bm["write_s"], bm["total_s"], bm["n_spikes"],
        bm["bytes"] / 2**20, note))
    print("ratio bmtk / bmtk-rs, defaults:   {:.1f}x".format(bm_scaled / rs["default"]["total_s"]))
    print("ratio bmtk / bmtk-rs, both gzip:  {:.1f}x".format(bm_scaled / rs["gzip"]["total_s"]))
    print("ratio generation only:            {:.1f}x".format(
        bm["generate_s"] * scale / rs["default"]["generate_s"]))


if __name__ == "__main__":
    main()
