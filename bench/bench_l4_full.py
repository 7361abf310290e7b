"""The L4 model of Arkhipov et al. 2018 (examples/l4_full/build_network.py) at 1/50, 1/10 and full
size: build + save, and a BioNet run, each in its own process (wall time, peak memory).

    python bench/bench_l4_full.py [--fractions 0.02,0.1,1] [--tstop 1000] [--full-tstop 100]
                                  [--neuron-fraction 0.02] [--work DIR] [--threads 2]

Per fraction: cells, connections, synapses (V1 and LGN -> V1), build + save time and peak RSS; the
simulation's time and peak RSS, its spikes and the synaptic events they caused (each spike of a cell
counted once per synapse it drives, LGN spikes included). The full model is simulated for
--full-tstop ms (the 1 s figure is extrapolated from it when shorter: the time per simulated ms
after the set-up). bmtk 1.2.0 + NEURON 9.0.2 runs the same files at --neuron-fraction (the full model
is out of its reach on this machine: the tutorial's 1,200-cell version took it 25 minutes and 8 GB),
and the ratio is printed. Memory per cell, per synapse and per event comes from the differences
between the sizes (a least-squares fit of peak RSS on cells, synapses and events).
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPT = ROOT / "examples" / "l4_full" / "build_network.py"
sys.path.insert(0, str(ROOT))

BUILD_CHILD = """
import json, resource, sys, time, pathlib
sys.argv = ['build_network.py'] + sys.argv[1:]
sys.path.insert(0, %r)
import build_network as bn
out = pathlib.Path(sys.argv[-1])
t0 = time.time()
v1, lgn = bn.build(out, float(sys.argv[2]), int(sys.argv[4]), log=lambda *a: None)
t1 = time.time()
rss_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
bn.run_filternet(out, float(sys.argv[6]), int(sys.argv[4]))
t2 = time.time()
bn.write_bionet_config(out, float(sys.argv[6]))
conns = sum(t.n_connections for _, t in v1._edge_tables) + sum(t.n_connections for _, t in lgn._edge_tables)
print('RESULT ' + json.dumps(dict(build_save=t1 - t0, filternet=t2 - t1, build_rss_mb=rss_build,
      cells=v1.nnodes, lgn_cells=lgn.nnodes, connections=conns, synapses=v1.nedges + lgn.nedges)))
""" % str(ROOT / "examples" / "l4_full")

SIM_CHILD = """
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
sim = bionet.BioSimulator.from_config(conf, network=net)
t1 = time.time()
rss_setup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c1 = cpu()
sim.run()
t2 = time.time()
c2 = cpu()
extra = {}
if engine != 'neuron':
    extra = dict(segments=sim.engine.n_segments, synapse_states=sim.engine.n_synapses)
print('RESULT ' + json.dumps(dict(setup=t1 - t0, run=t2 - t1, setup_cpu=c1, run_cpu=c2 - c1, setup_rss_mb=rss_setup,
      maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra)))
"""


def _child(code, args, env=None, timeout=None):
    run = subprocess.run([sys.executable, "-c", code] + [str(a) for a in args], capture_output=True, text=True,
                         env=env, timeout=timeout)
    if run.returncode != 0:
        raise RuntimeError(run.stdout[-3000:] + run.stderr[-3000:])
    line = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def _events(out):
    """Spikes of the run and the synaptic events they caused (one per synapse a spike drives)."""
    import h5py

    def out_synapses(path, pop):
        with h5py.File(path, "r") as f:
            g = f["edges"][pop]
            src = g["source_node_id"][()]
            ns = g["0/nsyns"][()] if "nsyns" in g["0"] else np.ones(len(src), dtype=np.int64)
        return np.bincount(src, weights=ns)

    net = out / "network"
    v1_out = out_synapses(net / "V1_V1_edges.h5", "V1_to_V1")
    lgn_out = out_synapses(net / "LGN_V1_edges.h5", "LGN_to_V1")
    n_sp, ev = 0, 0.0
    for path, per in ((out / "output" / "spikes.h5", v1_out), (out / "inputs" / "lgn_spikes.h5", lgn_out)):
        with h5py.File(path, "r") as f:
            ids = np.concatenate([g["node_ids"][()] for g in f["spikes"].values()])
        ids = ids[ids < len(per)]
        if path.parent.name == "output":
            n_sp = len(ids)
        ev += float(per[ids].sum())
    return n_sp, int(ev)


def _mpi_pair(out, tstop):
    """The same run as 1 rank x 2 threads and as 2 ranks x 1 thread (spikes must be identical); the
    exchange: one allgather per 2 ms epoch, 12 bytes per spike (time, gid)."""
    import shutil

    res = {}
    for tag, ranks, threads in (("1x2", 1, 2), ("2x1", 2, 1)):
        conf = json.loads((out / "config.json").read_text())
        conf["output"]["output_dir"] = str(out / f"output_{tag}")
        conf["output"]["log_to_console"] = False
        path = out / f"config.{tag}.json"
        path.write_text(json.dumps(conf))
        cmd = [sys.executable, "-c", SIM_CHILD, "bmtk-rs", str(path), ""]
        if ranks > 1:
            cmd = [shutil.which("mpirun"), "--allow-run-as-root", "--oversubscribe", "-np", str(ranks)] + cmd
        run = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                             env=dict(os.environ, BMTK_RS_THREADS=str(threads)))
        if run.returncode != 0:
            raise RuntimeError(run.stdout[-3000:] + run.stderr[-3000:])
        results = [json.loads(x[len("RESULT "):]) for x in run.stdout.splitlines() if x.startswith("RESULT ")]
        res[tag] = dict(setup=max(r["setup"] for r in results), run=max(r["run"] for r in results),
                        maxrss_mb=max(r["maxrss_mb"] for r in results))
    a = (out / "output_1x2" / "spikes.h5").read_bytes()
    b = (out / "output_2x1" / "spikes.h5").read_bytes()
    n_sp, _ = _events(out)
    epochs = int(round(tstop / 2.0))
    res["identical_spikes"] = a == b
    res["epochs"] = epochs
    res["bytes_per_epoch"] = 12.0 * n_sp / epochs
    print(f"  MPI: 1 rank x 2 threads {res['1x2']['run']:.1f} s, 2 ranks x 1 thread {res['2x1']['run']:.1f} s "
          f"(peak per rank {res['2x1']['maxrss_mb']:.0f} MB); spikes identical: {a == b}; {epochs} exchanges, "
          f"{res['bytes_per_epoch']:.0f} bytes of spikes per exchange", flush=True)
    return res


def _with(config, **run):
    conf = json.loads(pathlib.Path(config).read_text())
    conf["run"].update(run)
    conf["output"]["log_to_console"] = False
    path = pathlib.Path(config).with_name("config.bench.json")
    path.write_text(json.dumps(conf, indent=2))
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fractions", default="0.02,0.1,1")
    ap.add_argument("--tstop", type=float, default=1000.0, help="ms simulated below full size")
    ap.add_argument("--full-tstop", type=float, default=100.0, help="ms simulated at fraction 1")
    ap.add_argument("--neuron-fraction", type=float, default=0.02, help="0 skips bmtk + NEURON")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mpi-fraction", type=float, default=0.1,
                    help="also run this fraction as 2 MPI ranks x 1 thread and 1 rank x 2 threads (0: skip)")
    ap.add_argument("--work", default=None)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="bench_l4_full_"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; work folder {work}")
    env = dict(os.environ, BMTK_RS_THREADS=str(args.threads))
    rows = []
    for frac in [float(x) for x in args.fractions.split(",")]:
        out = work / f"f{frac:g}"
        tstop = args.full_tstop if frac >= 1.0 else args.tstop
        b = _child(BUILD_CHILD, ["--fraction", frac, "--seed", args.seed, "--tstop", tstop, out])
        print(f"fraction {frac:g}: built {b['cells']:,} cells, {b['connections']:,} connections, "
              f"{b['synapses']:,} synapses in {b['build_save']:.1f} s (peak {b['build_rss_mb']:.0f} MB); "
              f"FilterNet {b['filternet']:.1f} s", flush=True)
        s = _child(SIM_CHILD, ["bmtk-rs", _with(out / "config.json"), ""], env=env)
        n_sp, ev = _events(out)
        per_ms = s["run"] / tstop
        row = dict(fraction=frac, tstop=tstop, **b, **{f"sim_{k}": v for k, v in s.items()}, spikes=n_sp,
                   events=ev, sim_1s_s=s["setup"] + per_ms * 1000.0)
        rows.append(row)
        print(f"  bmtk-rs: set-up {s['setup']:.1f} s ({s['setup_cpu']:.1f} s CPU), {tstop:g} ms in {s['run']:.1f} s "
              f"({s['run_cpu']:.1f} s CPU) "
              f"(1 s: {row['sim_1s_s']:.0f} s{' extrapolated' if tstop < 1000 else ''}), peak "
              f"{s['maxrss_mb']:.0f} MB; {n_sp:,} spikes, {ev:,} synaptic events", flush=True)
        if args.neuron_fraction and abs(frac - args.neuron_fraction) < 1e-12:
            from tests.conftest import compiled_mechanisms
            import bmtk

            mods = pathlib.Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet" / "mechanisms" / "modfiles"
            mech = compiled_mechanisms(mods.glob("*.mod"))
            nconf = json.loads((out / "config.json").read_text())
            nconf["output"]["output_dir"] = str(out / "output_nrn")
            nconf["output"]["log_to_console"] = False
            (out / "config.nrn.json").write_text(json.dumps(nconf))
            n = _child(SIM_CHILD, ["neuron", out / "config.nrn.json", mech],
                       env=dict(os.environ, NEURON_MODULE_OPTIONS="-nogui"))
            print(f"  bmtk 1.2.0 + NEURON 9.0.2: set-up {n['setup']:.1f} s, {tstop:g} ms in {n['run']:.1f} s, "
                  f"peak {n['maxrss_mb']:.0f} MB -> bmtk-rs is {(n['setup'] + n['run']) / (s['setup'] + s['run']):.1f}x "
                  f"faster in total, {n['run'] / s['run']:.1f}x in the run", flush=True)
            row["neuron"] = n
        if args.mpi_fraction and abs(frac - args.mpi_fraction) < 1e-12:
            row["mpi"] = _mpi_pair(out, tstop)
    print("\n| fraction | cells | connections | synapses | build+save (s) | build peak (MB) | set-up (s) | "
          "ms simulated | run (s) | 1 s of simulation (s) | sim peak (MB) | spikes | events |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['fraction']:g} | {r['cells']:,} | {r['connections']:,} | {r['synapses']:,} | "
              f"{r['build_save']:.1f} | {r['build_rss_mb']:.0f} | {r['sim_setup']:.1f} | {r['tstop']:g} | "
              f"{r['sim_run']:.1f} | {r['sim_1s_s']:.0f} | {r['sim_maxrss_mb']:.0f} | {r['spikes']:,} | "
              f"{r['events']:,} |")
    if len(rows) >= 3:
        # peak RSS = a + b * cells + c * synapses (set-up peak: before any event is queued)
        a = np.array([[1.0, r["cells"], r["synapses"]] for r in rows])
        coef = np.linalg.lstsq(a, np.array([r["sim_setup_rss_mb"] for r in rows]), rcond=None)[0]
        print(f"\nset-up memory fit: {coef[0]:.0f} MB + {coef[1] * 1024:.1f} kB per cell + "
              f"{coef[2] * 1024 * 1024:.1f} B per synapse")
    (work / "bench_l4_full.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
