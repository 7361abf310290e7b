"""The Mouse L4 tutorial network (tutorial_l4/config.bionet.json: 300 biophysical cells, 100 LGN
virtual cells with the Poisson input): bmtk-rs vs bmtk 1.2.0 + NEURON 9.0.2 in one run.

    python bench/bench_bionet.py [--tstop 2000] [--skip-neuron] [--ranks 1,2] [--scale 5000]

Each run is its own process (or mpirun job) on a copy of the config (outputs in a temp folder):
total wall time from `Config.from_json` to the end of `sim.run()`, the time of each phase (from
the BMTK-style log lines), peak memory (ru_maxrss; the largest rank under MPI) and the spike
count. `--scale N` also runs bmtk-rs alone on an N-cell version of the network built with the
builder (examples/l4_tutorial/l4_network.py) for 500 ms.
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = pathlib.Path(os.environ.get("BMTK_DATA", ROOT.parent / "shared" / "bmtk-data"))
sys.path.insert(0, str(ROOT / "tests" / "bionet"))
from network_configs import localize  # noqa: E402

CHILD = """
import json, resource, sys, time
engine, config, mechdir = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.time()
if engine == 'neuron':
    import neuron
    neuron.load_mechanisms(mechdir)
    from bmtk.simulator import bionet
else:
    from bmtk_rs.simulator import bionet
conf = bionet.Config.from_json(config)
conf.build_env()
net = bionet.BioNetwork.from_config(conf)
t1 = time.time()
sim = bionet.BioSimulator.from_config(conf, network=net)
t2 = time.time()
sim.run()
t3 = time.time()
rank = 0
try:
    from mpi4py import MPI
    rank = MPI.COMM_WORLD.Get_rank() if MPI.Is_initialized() else 0
except ImportError:
    pass
print('RESULT ' + json.dumps(dict(rank=rank, total=t3 - t0, read=t1 - t0, build=t2 - t1, run=t3 - t2,
                                  maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def _mechdir(work):
    import bmtk

    src = pathlib.Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet" / "mechanisms" / "modfiles"
    dst = work / "mech"
    dst.mkdir()
    for m in src.glob("*.mod"):
        (dst / m.name).write_bytes(m.read_bytes())
    nrnivmodl = pathlib.Path(sys.executable).parent / "nrnivmodl"
    subprocess.run([str(nrnivmodl) if nrnivmodl.exists() else "nrnivmodl"], cwd=dst, check=True,
                   capture_output=True)
    return dst


def _run(engine, config, mechdir, ranks, threads=None):
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    if threads:
        env["BMTK_RS_THREADS"] = str(threads)
    cmd = [sys.executable, "-c", CHILD, engine, str(config), str(mechdir)]
    if ranks > 1:
        cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(ranks)] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    res = [json.loads(line[7:]) for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    r = max(res, key=lambda x: x["total"])
    r["maxrss_mb"] = max(x["maxrss_mb"] for x in res)
    return r


def _n_spikes(path):
    import h5py

    with h5py.File(path, "r") as f:
        return sum(len(g["timestamps"]) for g in f["spikes"].values())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tstop", type=float, default=2000.0)
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--skip-neuron", action="store_true")
    ap.add_argument("--scale", type=int, default=0)
    args = ap.parse_args()
    ranks = [int(r) for r in args.ranks.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; tutorial_l4, tstop {args.tstop} ms")
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        mech = work if args.skip_neuron else _mechdir(work)
        rows = []
        for r in ranks:
            variants = [("bmtk-rs", None)] if r > 1 else [("bmtk-rs", 1), ("bmtk-rs", 2)]
            for engine, threads in variants:
                tag = f"rs_{r}_{threads}"
                cfg = localize(DATA / "tutorial_l4", "config.bionet.json", work / tag, tstop=args.tstop)
                res = _run("rs", cfg, mech, r, threads)
                res["spikes"] = _n_spikes(work / tag / "output" / "spikes.h5")
                rows.append((f"{engine} {r} rank(s)" + (f", {threads} thread(s)" if threads else ""), res))
                print(rows[-1], flush=True)
            if not args.skip_neuron:
                cfg = localize(DATA / "tutorial_l4", "config.bionet.json", work / f"nrn_{r}", tstop=args.tstop)
                res = _run("neuron", cfg, mech, r)
                res["spikes"] = _n_spikes(work / f"nrn_{r}" / "output" / "spikes.h5")
                rows.append((f"bmtk 1.2.0 + NEURON 9.0.2, {r} rank(s)", res))
                print(rows[-1], flush=True)
        print("\n| run | total (s) | read (s) | build (s) | simulate (s) | peak memory (MB) | spikes |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, r in rows:
            print(f"| {name} | {r['total']:.2f} | {r['read']:.2f} | {r['build']:.2f} | {r['run']:.2f} | "
                  f"{r['maxrss_mb']:.0f} | {r['spikes']} |")
        ref = {n: r for n, r in rows if n.startswith("bmtk 1.2.0")}
        for n, r in rows:
            if n.startswith("bmtk-rs"):
                k = [x for x in ref if x.endswith(n.split(" ")[1] + " rank(s)")]
                if k:
                    print(f"{n}: {ref[k[0]]['total'] / r['total']:.1f}x faster, "
                          f"{ref[k[0]]['maxrss_mb'] / r['maxrss_mb']:.1f}x less memory than {k[0]}")
        if args.scale:
            _scaled(work, args.scale)


def _scaled(work, n_cells):
    """bmtk-rs alone on an n_cells version of the L4 network (same rules), 500 ms."""
    sys.path.insert(0, str(ROOT / "examples" / "l4_tutorial"))
    import l4_network

    netdir = work / f"net_{n_cells}"
    info = l4_network.build(str(netdir), n_cells=n_cells) if "n_cells" in l4_network.build.__code__.co_varnames \
        else None
    if info is None:
        print("l4_network.build has no n_cells parameter; scaling run skipped")
        return

    def edit(c):
        c["networks"] = {"nodes": [{"nodes_file": str(netdir / f"{p}_nodes.h5"),
                                    "node_types_file": str(netdir / f"{p}_node_types.csv")} for p in ("LGN", "V1")],
                         "edges": [{"edges_file": str(netdir / f"{p}_edges.h5"),
                                    "edge_types_file": str(netdir / f"{p}_edge_types.csv")}
                                   for p in ("LGN_V1", "V1_V1")]}

    cfg = localize(DATA / "tutorial_l4", "config.bionet.json", work / "scaled", tstop=500.0, edit=edit)
    res = _run("rs", cfg, work, 1, 2)
    print(f"scaled network ({n_cells} cells): {res}")


if __name__ == "__main__":
    main()
