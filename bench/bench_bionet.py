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
    import os
    if int(os.environ.get('OMPI_COMM_WORLD_SIZE', '1')) > 1:
        from mpi4py import MPI  # noqa: F401  (NEURON joins the MPI world mpi4py started)
        from neuron import h
        h.nrnmpi_init()
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
    ap.add_argument("--only-neuron-mpi", action="store_true", help="just bmtk+NEURON on 2 ranks")
    args = ap.parse_args()
    ranks = [int(r) for r in args.ranks.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; tutorial_l4, tstop {args.tstop} ms")
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        mech = work if args.skip_neuron else _mechdir(work)
        rows = []
        if args.only_neuron_mpi:
            cfg = localize(DATA / "tutorial_l4", "config.bionet.json", work / "nrn_2", tstop=args.tstop)
            res = _run("neuron", cfg, mech, 2)
            res["spikes"] = _n_spikes(work / "nrn_2" / "output" / "spikes.h5")
            print(("bmtk 1.2.0 + NEURON 9.0.2, 2 rank(s)", res))
            return
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


def _build_scaled(netdir, n_cells, seed=1):
    """The L4 network grown to n_cells V1 cells (type proportions kept) and n_cells/3 LGN cells, with
    the tutorial's rules thinned so that every cell receives about as many synapses as in the
    300-cell tutorial (all-to-all rules become random with probability 300/n_cells)."""
    import numpy as np

    from bmtk_rs.builder.networks import NetworkBuilder

    np.random.seed(seed)
    sys.path.insert(0, str(ROOT / "examples" / "l4_tutorial"))
    import l4_network

    f = 300.0 / n_cells
    v1 = NetworkBuilder("V1")
    for pop, n, ei, dyn, morph, rz in l4_network.V1_TYPES:
        n = int(round(n / f))
        extra = {"tuning_angle": np.linspace(0.0, 360.0, n, endpoint=False)} if ei == "e" else {}
        v1.add_nodes(N=n, pop_name=pop, location="L4", ei=ei, model_type="biophysical",
                     model_template="ctdb:Biophys1.hoc", dynamics_params=dyn, morphology=morph,
                     model_processing="aibs_perisomatic", x=np.random.normal(0.0, 20.0, n),
                     y=np.random.uniform(400.0, 500.0, n), z=np.random.normal(0.0, 20.0, n),
                     rotation_angle_xaxis=np.random.uniform(0.0, 2 * np.pi, n),
                     rotation_angle_yaxis=np.random.uniform(0.0, 2 * np.pi, n), rotation_angle_zaxis=rz, **extra)

    def thin(nsyns):
        return nsyns if np.random.random() < f else 0

    def pair(s, t):
        return thin(1)

    def tuning(s, t):
        return thin(l4_network.tuning_angle(s, t, 5))

    rules = [({"ei": "e"}, {"ei": "i"}, pair, 0.0006, "ExcToInh.json", ["somatic", "basal"], [0.0, 1e20]),
             ({"ei": "i"}, {"ei": "e"}, pair, 0.0002, "InhToExc.json", ["somatic", "basal", "apical"], [0.0, 50.0]),
             ({"ei": "i"}, {"ei": "i"}, lambda s, t: thin(l4_network.ignore_autapses(s, t)), 0.00015,
              "InhToInh.json", ["somatic", "basal"], [0.0, 1e20]),
             ({"ei": "e"}, {"ei": "e"}, tuning, 3e-05, "ExcToExc.json", ["basal", "apical"], [30.0, 150.0])]
    for src, trg, rule, w, dyn, secs, rng in rules:
        v1.add_edges(source=src, target=trg, connection_rule=rule, syn_weight=w, delay=2.0, dynamics_params=dyn,
                     model_template="exp2syn", target_sections=secs, distance_range=rng)
    v1.build()
    v1.save(output_dir=str(netdir))
    lgn = NetworkBuilder("LGN")
    n_lgn = int(round(100 / f))
    lgn.add_nodes(N=n_lgn, model_type="virtual", model_template="lgnmodel:sON_TF8", dynamics_params="sON_TF8.json")
    for trg, w, dyn, secs, rng in ((v1.nodes(ei="e"), 0.0003, "LGN_ExcToExc.json", ["basal", "apical", "somatic"],
                                    [0.0, 50.0]),
                                   (v1.nodes(ei="i"), 0.002, "LGN_ExcToInh.json", ["basal", "apical"], [0.0, 1e20])):
        lgn.add_edges(source=lgn.nodes(), target=trg, connection_rule=lambda s, t: thin(l4_network.lgn_synapses()),
                      syn_weight=w, delay=2.0, dynamics_params=dyn, model_template="exp2syn", target_sections=secs,
                      distance_range=rng)
    lgn.build()
    lgn.save(output_dir=str(netdir))
    from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator

    psg = PoissonSpikeGenerator(population="LGN", seed=seed)
    psg.add(node_ids=range(n_lgn), firing_rate=8.0, times=(0.0, 2.0))
    psg.to_sonata(str(netdir / "lgn_spikes.h5"))
    return v1.nedges + lgn.nedges


def _scaled(work, n_cells, tstop=500.0):
    """bmtk-rs alone on an n_cells version of the L4 network for `tstop` ms, next to the tutorial size."""
    for n in (300, n_cells):
        netdir = work / f"net_{n}"
        n_edges = _build_scaled(netdir, n)

        def edit(c, netdir=netdir):
            c["networks"] = {"nodes": [{"nodes_file": str(netdir / f"{p}_nodes.h5"),
                                        "node_types_file": str(netdir / f"{p}_node_types.csv")} for p in ("LGN", "V1")],
                             "edges": [{"edges_file": str(netdir / f"{p}_edges.h5"),
                                        "edge_types_file": str(netdir / f"{p}_edge_types.csv")}
                                       for p in ("LGN_V1", "V1_V1")]}
            c["inputs"]["LGN_spikes"]["input_file"] = str(netdir / "lgn_spikes.h5")
            c["reports"] = {}

        cfg = localize(DATA / "tutorial_l4", "config.bionet.json", work / f"scaled_{n}", tstop=tstop, edit=edit)
        res = _run("rs", cfg, work, 1, 2)
        print(f"scaled L4, {n} V1 cells, {n_edges} edges, {tstop} ms: total {res['total']:.2f} s (read "
              f"{res['read']:.2f}, build {res['build']:.2f}, simulate {res['run']:.2f}), {res['maxrss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
