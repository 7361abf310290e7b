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
import math
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
sys.path.insert(0, str(ROOT / "examples" / "l4_full"))
from rates import rates, table as rates_table  # noqa: E402

BUILD_CHILD = """
import json, resource, sys, time, pathlib
def peak_mb():
    # this process's own peak (VmHWM): getrusage's ru_maxrss keeps, across fork and exec, the peak of
    # the process that started it (the bench, which holds the full network's edge counts)
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
sys.argv = ['build_network.py'] + sys.argv[1:]
sys.path.insert(0, %r)
import build_network as bn
out = pathlib.Path(sys.argv[-1])
t0 = time.time()
v1, lgn = bn.build(out, float(sys.argv[2]), int(sys.argv[4]), log=lambda *a: None)
t1 = time.time()
rss_build = peak_mb()
ru = resource.getrusage(resource.RUSAGE_SELF)
cpu_build = ru.ru_utime + ru.ru_stime
bn.run_filternet(out, float(sys.argv[6]), int(sys.argv[4]))
t2 = time.time()
bn.write_bionet_config(out, float(sys.argv[6]))
conns = sum(t.n_connections for _, t in v1._edge_tables) + sum(t.n_connections for _, t in lgn._edge_tables)
ru = resource.getrusage(resource.RUSAGE_SELF)
print('RESULT ' + json.dumps(dict(build_save=t1 - t0, filternet=t2 - t1, build_rss_mb=rss_build, build_cpu=cpu_build,
      filternet_cpu=ru.ru_utime + ru.ru_stime - cpu_build,
      cells=v1.nnodes, lgn_cells=lgn.nnodes, connections=conns, synapses=v1.nedges + lgn.nedges)))
""" % str(ROOT / "examples" / "l4_full")

SIM_CHILD = """
import json, resource, sys, time
def peak_mb():
    # this process's own peak (VmHWM): getrusage's ru_maxrss keeps, across fork and exec, the peak of
    # the process that started it (the bench, which holds the full network's edge counts)
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
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
rss_setup = peak_mb()
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c1 = cpu()
sim.run()
t2 = time.time()
c2 = cpu()
extra = {}
if engine != 'neuron':
    extra = dict(segments=sim.engine.n_segments, synapse_states=sim.engine.n_synapses,
                 run_timing=getattr(sim, 'run_timing', None))
print('RESULT ' + json.dumps(dict(setup=t1 - t0, run=t2 - t1, setup_cpu=c1, run_cpu=c2 - c1, setup_rss_mb=rss_setup,
      maxrss_mb=peak_mb(), **extra)))
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
    """The same run as 1 rank x 2 threads and as 2 ranks x 1 thread (spikes must be identical), with
    each rank's own timers (bionet/run_timing.py): the loop's wall and CPU time, and the spike
    exchange's allgathers, their bytes and their time (in the run, and behind a barrier after it)."""
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
                        maxrss_mb=max(r["maxrss_mb"] for r in results), ranks=results[0]["run_timing"])
        for r in res[tag]["ranks"]:
            line = (f"  {tag} rank {r['rank']}: loop {r['loop_wall_s']:.1f} s wall, {r['loop_cpu_s']:.1f} s CPU")
            if "exchanges" in r:
                line += (f"; {r['exchanges']} allgathers in {r['exchange_s']:.2f} s "
                         f"({1e6 * r['exchange_s'] / r['exchanges']:.0f} us each with the wait, "
                         f"{1e6 * r['allgather_latency_s']:.0f} us behind a barrier), sent {r['bytes_sent']:,} B "
                         f"({r['bytes_sent'] / r['exchanges']:.0f} B per exchange), received {r['bytes_received']:,} B; "
                         f"compute {r['compute_wall_s']:.1f} s wall")
            print(line, flush=True)
    a = (out / "output_1x2" / "spikes.h5").read_bytes()
    b = (out / "output_2x1" / "spikes.h5").read_bytes()
    res["identical_spikes"] = a == b
    print(f"  MPI: 1 rank x 2 threads {res['1x2']['run']:.1f} s, 2 ranks x 1 thread {res['2x1']['run']:.1f} s "
          f"(peak per rank {res['2x1']['maxrss_mb']:.0f} MB); spikes identical: {a == b}", flush=True)
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
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; load average {os.getloadavg()}; work folder {work}")
    env = dict(os.environ, BMTK_RS_THREADS=str(args.threads))
    rows = []
    for frac in [float(x) for x in args.fractions.split(",")]:
        out = work / f"f{frac:g}"
        tstop = args.full_tstop if frac >= 1.0 else args.tstop
        b = _child(BUILD_CHILD, ["--fraction", frac, "--seed", args.seed, "--tstop", tstop, out])
        print(f"fraction {frac:g}: built {b['cells']:,} cells, {b['connections']:,} connections, "
              f"{b['synapses']:,} synapses in {b['build_save']:.1f} s ({b['build_cpu']:.1f} s CPU, imports included; "
              f"peak {b['build_rss_mb']:.0f} MB); FilterNet {b['filternet']:.1f} s ({b['filternet_cpu']:.1f} s CPU)",
              flush=True)
        s = _child(SIM_CHILD, ["bmtk-rs", _with(out / "config.json"), ""], env=env)
        n_sp, ev = _events(out)
        per_ms = s["run"] / tstop
        row = dict(fraction=frac, tstop=tstop, **b, **{f"sim_{k}": v for k, v in s.items()}, spikes=n_sp,
                   events=ev, sim_1s_s=s["setup"] + per_ms * 1000.0)
        row["rates"] = rates(out)
        row["loadavg"] = os.getloadavg()
        rows.append(row)
        print(f"  bmtk-rs: set-up {s['setup']:.1f} s ({s['setup_cpu']:.1f} s CPU), {tstop:g} ms in {s['run']:.1f} s "
              f"({s['run_cpu']:.1f} s CPU) "
              f"(1 s: {row['sim_1s_s']:.0f} s{' extrapolated' if tstop < 1000 else ''}), peak "
              f"{s['maxrss_mb']:.0f} MB; {n_sp:,} spikes, {ev:,} synaptic events; load average "
              f"{' '.join(f'{x:.1f}' for x in row['loadavg'])}", flush=True)
        print(rates_table(row["rates"]), flush=True)
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
    full = [r for r in rows if r["fraction"] >= 1.0]
    mpi = [r for r in rows if "mpi" in r]
    if full and mpi:
        print(projection(full[0], mpi[0]))
    (work / "bench_l4_full.json").write_text(json.dumps(rows, indent=2))


# The Allen V1 biophysical model (Billeh et al. 2020): biophysical core and point-cell surround.
V1_BIO, V1_POINT = 52_000, 180_000
# Assumed (not measurable on one 2-core machine): nodes of 32 cores, one rank per node with 32 threads
# at 80% thread efficiency; an allgather between nodes costing a latency per doubling of the ranks
# (5 us on InfiniBand, 50 us on 10 Gb Ethernet) plus the gathered bytes at 10 GB/s (1.2 GB/s).
NODE_CORES, THREAD_EFFICIENCY = 32, 0.8
NETWORKS = {"InfiniBand": (5e-6, 10e9), "10 GbE": (50e-6, 1.2e9)}


def projection(full, mpi, nodes=(1, 2, 4, 8, 16, 32, 64)):
    """The V1 model's time per simulated second and memory per rank on `nodes` nodes, from this run's
    measurements: `full` (the full L4 model, 1 rank) and `mpi` (the 1/10 model at 1 and 2 ranks)."""
    bio_full = 10_000
    scale = V1_BIO / bio_full  # the V1 model is this many full L4 models (3.5 point cells per biophysical one)
    sim_s = full["tstop"] / 1000.0
    # measured: CPU seconds of the loop per simulated second, per biophysical cell (its point cells included)
    cpu_per_cell = full["sim_run_timing"][0]["loop_cpu_s"] / sim_s / bio_full
    one, two = mpi["mpi"]["1x2"]["ranks"], mpi["mpi"]["2x1"]["ranks"]
    cpu1 = one[0]["loop_cpu_s"]
    cpu2 = [r["compute_wall_s"] * r["loop_cpu_s"] / r["loop_wall_s"] for r in two]  # exchange time left out
    split_cost = sum(cpu2) / cpu1           # measured: the work of two ranks against one's
    imbalance = max(cpu2) / (sum(cpu2) / 2)  # measured: the slowest rank against the mean
    # measured: the exchange volume (12 bytes a spike, all V1 cells' spikes every 2 ms epoch)
    spikes_per_cell_s = full["spikes"] / full["cells"] / sim_s
    v1_bytes = 12.0 * spikes_per_cell_s * (V1_BIO + V1_POINT) * 0.002
    epochs = 500  # per simulated second (2 ms min delay)
    # measured: one allgather between two ranks of this machine behind a barrier (Python, pickling,
    # shared memory), per exchange, taken as the local cost of every exchange
    local = max(r["allgather_latency_s"] for r in two)
    # memory: the part of the peak that two ranks split and the part each keeps whole (measured at
    # 1/10), applied to the full L4 model's peak and scaled to the V1 model
    m1, m2 = mpi["mpi"]["1x2"]["maxrss_mb"], mpi["mpi"]["2x1"]["maxrss_mb"]
    split_frac = min(1.0, max(0.0, 2.0 * (m1 - m2) / m1))
    mem_full = full["sim_maxrss_mb"] / 1024.0
    setup_cpu = full["sim_setup_cpu"]
    s1, s2 = mpi["mpi"]["1x2"]["setup"], mpi["mpi"]["2x1"]["setup"]
    setup_split = min(1.0, max(0.0, 2.0 * (s1 - s2) / s1))  # the part of the set-up two ranks split
    lines = [
        f"projection for the V1 model ({V1_BIO:,} biophysical + {V1_POINT:,} point cells = {scale:.1f} x the full L4 "
        f"model): measured {cpu_per_cell * 1e3:.1f} CPU ms per biophysical cell per simulated s; two ranks do "
        f"{split_cost:.2f} x one rank's work, the slowest {imbalance:.2f} x the mean; {spikes_per_cell_s:.2f} spikes "
        f"per cell per s -> {v1_bytes / 1e3:.1f} kB per exchange; allgather behind a barrier {local * 1e6:.0f} us; "
        f"memory {split_frac:.0%} and set-up {setup_split:.0%} split among the ranks, full L4 peak {mem_full:.2f} GB, "
        f"set-up {setup_cpu:.0f} CPU s",
        "",
        "| nodes (32 cores) | compute (s per simulated s) | exchange, InfiniBand (s) | exchange, 10 GbE (s) | "
        "total, InfiniBand (s per simulated s) | memory per rank (GB) | set-up per rank (CPU s) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in nodes:
        # past one rank, the overhead and imbalance measured at two ranks
        compute = V1_BIO * cpu_per_cell * (split_cost * imbalance if n > 1 else 1.0) / (
            NODE_CORES * THREAD_EFFICIENCY * n)
        ex = {}
        for name, (lat, bw) in NETWORKS.items():
            ex[name] = epochs * (local + (lat * math.log2(n) + v1_bytes / bw if n > 1 else 0.0))
        mem = scale * mem_full * ((1.0 - split_frac) + split_frac / n)
        lines.append(f"| {n} | {compute:.1f} | {ex['InfiniBand']:.3f} | {ex['10 GbE']:.3f} | "
                     f"{compute + ex['InfiniBand']:.1f} | {mem:.1f} | "
                     f"{scale * setup_cpu * ((1.0 - setup_split) + setup_split / n):.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
