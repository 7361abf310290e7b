"""PointNet at the Allen V1 model's size: 230,000 glif_psc cells, ~70 M synapses (~300 per cell), built
with bmtk-rs's NetworkBuilder from numpy rules, driven by Poisson LGN units (PoissonSpikeGenerator),
saved as SONATA and simulated for 1 biological second by bmtk-rs's PointNet.

    python bench/bench_pointnet_scale.py [--fraction 1] [--tstop 1000] [--dt 0.1] [--seed 1]
                                         [--threads 2] [--work DIR] [--nest-fraction F] [--reuse]

Each phase runs in its own process (as bench/bench_l4_full.py does), so that its peak RSS is its own:
build + save (nodes, edges, LGN spike trains, config), then the PointNet run, whose set-up (config to
engine ready) and simulation are timed apart (wall and CPU seconds). Spikes and rates per population
come from the run's spikes file. With --nest-fraction F the same script builds the network at F and
runs it through bmtk 1.2.0 + NEST 3.10 and through bmtk-rs, and compares the spikes (the full size is
out of NEST's reach on this machine). tests/pointnet/test_scale_network.py does that at a small F.

The network [ours, V1-like, not the Allen model itself]: a cylinder of 845 um radius and 860 um depth
(the Allen V1 model's column) at --fraction F keeps the density and shrinks the radius by sqrt(F), so
every cell keeps its ~300 synapses at any F. Seven cell types in V1-like proportions (85% excitatory
in four layers, 15% Pvalb/Sst/Htr3a interneurons), glif_psc with parameters in the range of Allen's
GLIF fits. Each cell draws a fixed number of synapses from the excitatory cells, from the inhibitory
cells and from the LGN units, each with a chance falling as a Gaussian of the horizontal distance
(sigma 100 um for excitatory and LGN sources, 75 um for inhibitory ones); a source drawn twice makes a
connection of nsyns 2. Receptor ports: excitatory 1, inhibitory 2, LGN 3.
"""

import argparse
import json
import math
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

N_CELLS = 230_000
RADIUS = 845.0
DEPTH = (-860.0, 0.0)
# pop_name, ei, share of the cells, layer depth range (um below the pia), GLIF parameters
_TAU_SYN = [5.5, 8.5, 2.8, 5.8]
_ASC = {"asc_init": [0.0, 0.0], "after_spike_currents": True, "spike_dependent_threshold": False,
        "adapting_threshold": False}
_LIF = {"asc_init": [0.0, 0.0], "asc_decay": [0.003, 0.3], "asc_amps": [0.0, 0.0], "after_spike_currents": False,
        "spike_dependent_threshold": False, "adapting_threshold": False}
CELL_TYPES = [
    ("e23", "e", 0.22, (-400.0, -100.0), dict(V_m=-72.1, E_L=-72.1, V_reset=-72.1, V_th=-45.8, g=7.6, C_m=64.0,
                                              t_ref=1.4, asc_decay=[0.003, 0.3], asc_amps=[-3.3, 63.8], **_ASC)),
    ("e4", "e", 0.20, (-500.0, -400.0), dict(V_m=-69.5, E_L=-69.5, V_reset=-69.5, V_th=-46.4, g=5.9, C_m=58.6,
                                             t_ref=2.6, asc_decay=[0.1, 0.3], asc_amps=[-36.9, -65.3], **_ASC)),
    ("e5", "e", 0.21, (-700.0, -500.0), dict(V_m=-76.2, E_L=-76.2, V_reset=-76.2, V_th=-40.9, g=3.9, C_m=68.1,
                                             t_ref=2.4, asc_decay=[0.003, 0.1], asc_amps=[-13.0, -200.0], **_ASC)),
    ("e6", "e", 0.22, (-860.0, -700.0), dict(V_m=-70.5, E_L=-70.5, V_reset=-70.5, V_th=-44.2, g=9.2, C_m=81.2,
                                             t_ref=1.5, asc_decay=[0.003, 0.3], asc_amps=[-4.1, -150.0], **_ASC)),
    ("pvalb", "i", 0.06, (-860.0, -100.0), dict(V_m=-68.0, E_L=-68.0, V_reset=-68.0, V_th=-48.0, g=9.0, C_m=45.0,
                                                t_ref=1.0, **_LIF)),
    ("sst", "i", 0.05, (-860.0, -100.0), dict(V_m=-66.0, E_L=-66.0, V_reset=-66.0, V_th=-44.0, g=4.5, C_m=55.0,
                                              t_ref=2.0, asc_decay=[0.05, 0.3], asc_amps=[-10.0, -20.0], **_ASC)),
    ("htr3a", "i", 0.04, (-860.0, 0.0), dict(V_m=-67.0, E_L=-67.0, V_reset=-67.0, V_th=-45.0, g=4.0, C_m=50.0,
                                             t_ref=2.0, asc_decay=[0.05, 0.3], asc_amps=[-8.0, -15.0], **_ASC)),
]
# synapses per cell from each source class, the Gaussian's sigma (um), the weight per synapse (as a
# share of the target type's rheobase current g * (V_th - E_L), so every type sees the same drive), port
IN_DEGREE = {"e": 230, "i": 45, "lgn": 25}
SIGMA = {"e": 100.0, "i": 75.0, "lgn": 100.0}
WEIGHT = {"e": 0.008, "i": -0.04, "lgn": 0.3}
PORT = {"e": 1, "i": 2, "lgn": 3}
DELAY = {"e": 1.5, "i": 1.0, "lgn": 1.7}
N_LGN = 17_400  # the Allen V1 model's LGN
LGN_RATE = 15.0  # Hz, homogeneous Poisson
BIN = 20.0  # um: the grid through which the Gaussian draws find their sources


def scaled(n, fraction):
    return max(1, int(round(n * fraction)))


def disc(rng, n, radius, depth):
    r = radius * np.sqrt(rng.random(n))
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    return r * np.cos(phi), rng.uniform(depth[0], depth[1], n), r * np.sin(phi)


class GaussianInDegree:
    """A connection rule for ``iterator='all_to_one_table'``: the target draws `k` synapses from the
    sources, each draw a horizontal offset from a Gaussian of `sigma` um, then a source uniformly among
    those in the 20 um bin the offset lands in (a draw into an empty bin is drawn again). Sources drawn
    twice count twice (nsyns); a cell never draws itself. The count array is reused between calls (the
    builder reads it before the next call), so a call costs O(k), not O(sources)."""

    def __init__(self, rng, k, sigma):
        self.rng, self.k, self.sigma = rng, k, sigma
        self._key = None

    def _index(self, sources):
        x = sources["x"].to_numpy(float)
        z = sources["z"].to_numpy(float)
        self.x0, self.z0 = x.min(initial=0.0), z.min(initial=0.0)
        ix = np.floor((x - self.x0) / BIN).astype(np.int64)
        iz = np.floor((z - self.z0) / BIN).astype(np.int64)
        self.nx, self.nz = int(ix.max(initial=0)) + 1, int(iz.max(initial=0)) + 1
        key = ix * self.nz + iz
        self.order = np.argsort(key, kind="stable")
        self.starts = np.searchsorted(key[self.order], np.arange(self.nx * self.nz + 1))
        self.node_ids = sources["node_id"].to_numpy()
        self.counts = np.zeros(len(x), dtype=np.uint32)
        self.last = np.zeros(0, dtype=np.int64)
        self._key = id(sources)

    def __call__(self, sources, target):
        if self._key != id(sources):
            self._index(sources)
        self.counts[self.last] = 0
        if len(self.node_ids) == 0:
            return self.counts
        tx, tz, tid = float(target["x"]), float(target["z"]), int(target["node_id"])
        picked, need = [], self.k
        for _ in range(1000):
            m = 2 * need + 8
            off = self.rng.normal(0.0, self.sigma, size=(2, m))
            ix = np.floor((tx + off[0] - self.x0) / BIN).astype(np.int64)
            iz = np.floor((tz + off[1] - self.z0) / BIN).astype(np.int64)
            ok = (ix >= 0) & (ix < self.nx) & (iz >= 0) & (iz < self.nz)
            b = ix[ok] * self.nz + iz[ok]
            lo, n = self.starts[b], self.starts[b + 1] - self.starts[b]
            full = n > 0
            src = self.order[lo[full] + (self.rng.random(int(full.sum())) * n[full]).astype(np.int64)]
            src = src[self.node_ids[src] != tid]
            picked.append(src[:need])
            need -= len(picked[-1])
            if need == 0:
                break
        hit = np.concatenate(picked)
        np.add.at(self.counts, hit, 1)
        self.last = hit
        return self.counts


def build(out, fraction, seed, tstop, dt):
    """Builds and saves V1 and LGN (nodes, edges), the LGN's Poisson trains and config.json under `out`."""
    from bmtk_rs.builder import NetworkBuilder
    from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator

    rng = np.random.default_rng(seed)
    radius = RADIUS * math.sqrt(fraction)
    comp = out / "components"
    (comp / "cell_models").mkdir(parents=True, exist_ok=True)
    (comp / "synaptic_models").mkdir(parents=True, exist_ok=True)
    for pop, _, _, _, params in CELL_TYPES:
        (comp / "cell_models" / f"{pop}.json").write_text(json.dumps(dict(params, tau_syn=_TAU_SYN)))
    for src, port in PORT.items():
        (comp / "synaptic_models" / f"{src}.json").write_text(json.dumps({"receptor_type": port}))

    v1 = NetworkBuilder("v1")
    n_total = scaled(N_CELLS, fraction)
    for pop, ei, share, depth, _ in CELL_TYPES:
        n = scaled(n_total * share, 1.0)
        x, y, z = disc(rng, n, radius, depth)
        v1.add_nodes(N=n, pop_name=pop, ei=ei, model_type="point_neuron", model_template="nest:glif_psc",
                     dynamics_params=f"{pop}.json", x=x, y=y, z=z)
    lgn = NetworkBuilder("lgn")
    n_lgn = scaled(N_LGN, fraction)
    x, y, z = disc(rng, n_lgn, radius, (0.0, 0.0))
    lgn.add_nodes(N=n_lgn, pop_name="lgn", ei="e", model_type="virtual", x=x, y=y, z=z)

    # one edge type per source class and target type (one rule call per target and source class)
    for trg, _, _, _, params in CELL_TYPES:
        rheobase = params["g"] * (params["V_th"] - params["E_L"])
        for src in ("e", "i"):
            v1.add_edges(source={"ei": src}, target={"pop_name": trg}, iterator="all_to_one_table",
                         connection_rule=GaussianInDegree(rng, IN_DEGREE[src], SIGMA[src]),
                         syn_weight=round(WEIGHT[src] * rheobase, 3), delay=DELAY[src],
                         dynamics_params=f"{src}.json", model_template="static_synapse")
        lgn.add_edges(source=lgn.nodes(), target=v1.nodes(pop_name=trg), iterator="all_to_one_table",
                      connection_rule=GaussianInDegree(rng, IN_DEGREE["lgn"], SIGMA["lgn"]),
                      syn_weight=round(WEIGHT["lgn"] * rheobase, 3), delay=DELAY["lgn"],
                      dynamics_params="lgn.json", model_template="static_synapse")
    net = out / "network"
    v1.build()
    v1.save(output_dir=str(net), edge_order="stable")
    lgn.build()
    lgn.save(output_dir=str(net), edge_order="stable")

    psg = PoissonSpikeGenerator(population="lgn", seed=seed)
    psg.add(node_ids=np.arange(n_lgn), firing_rate=LGN_RATE, times=(0.0, tstop / 1000.0))
    (out / "inputs").mkdir(exist_ok=True)
    psg.to_sonata(str(out / "inputs" / "lgn_spikes.h5"))

    conf = {
        "target_simulator": "NEST",
        "run": {"tstart": 0.0, "tstop": float(tstop), "dt": float(dt)},
        "components": {"point_neuron_models_dir": str(comp / "cell_models"),
                       "synaptic_models_dir": str(comp / "synaptic_models")},
        "networks": {
            "nodes": [{"nodes_file": str(net / f"{p}_nodes.h5"), "node_types_file": str(net / f"{p}_node_types.csv")}
                      for p in ("v1", "lgn")],
            "edges": [{"edges_file": str(net / f"{s}_v1_edges.h5"), "edge_types_file": str(net / f"{s}_v1_edge_types.csv")}
                      for s in ("v1", "lgn")],
        },
        "inputs": {"LGN_spikes": {"input_type": "spikes", "module": "sonata",
                                  "input_file": str(out / "inputs" / "lgn_spikes.h5"), "node_set": "lgn"}},
        "output": {"output_dir": str(out / "output"), "log_file": "log.txt", "log_to_console": False,
                   "spikes_file": "spikes.h5", "overwrite_output_dir": True, "quiet_simulator": True},
    }
    (out / "config.json").write_text(json.dumps(conf, indent=2))
    n_edges = {}
    for name, b in (("v1", v1), ("lgn", lgn)):
        n_edges[name] = (sum(t.n_connections for _, t in b._edge_tables), int(b.nedges))
    return dict(cells=v1.nnodes, lgn_cells=lgn.nnodes, connections=n_edges["v1"][0] + n_edges["lgn"][0],
                synapses=n_edges["v1"][1] + n_edges["lgn"][1], v1_connections=n_edges["v1"][0],
                lgn_connections=n_edges["lgn"][0])


def _cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_build(out, fraction, seed, tstop, dt):
    t0 = time.time()
    res = build(pathlib.Path(out), fraction, seed, tstop, dt)
    res.update(build_save_s=time.time() - t0, build_save_cpu_s=_cpu(), build_peak_mb=_peak_mb())
    return res


def child_sim(config, which):
    t0 = time.time()
    if which == "bmtk":
        from bmtk.simulator import pointnet
    else:
        from bmtk_rs.simulator import pointnet
    conf = pointnet.Config.from_json(config)
    conf.build_env()
    net = pointnet.PointNetwork.from_config(conf)
    sim = pointnet.PointSimulator.from_config(conf, net)
    t1, c1, m1 = time.time(), _cpu(), _peak_mb()
    sim.run()
    return dict(setup_s=t1 - t0, setup_cpu_s=c1, setup_peak_mb=m1, sim_s=time.time() - t1,
                sim_cpu_s=_cpu() - c1, peak_mb=_peak_mb())


def _child(args, env=None):
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve())] + [str(a) for a in args]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if run.returncode != 0:
        raise RuntimeError(run.stdout[-3000:] + run.stderr[-3000:])
    line = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def population_rates(out, tstop):
    """{pop_name: (cells, spikes, mean rate Hz)} from the run's spikes file and the V1 nodes."""
    import h5py
    import pandas as pd

    net = out / "network"
    with h5py.File(net / "v1_nodes.h5", "r") as f:
        g = f["nodes"]["v1"]
        tids = g["node_type_id"][()]
        nids = g["node_id"][()]
    types = pd.read_csv(net / "v1_node_types.csv", sep=" ").set_index("node_type_id")["pop_name"]
    pop_of = types.reindex(tids).to_numpy()
    with h5py.File(out / "output" / "spikes.h5", "r") as f:
        sp = f["spikes"]["v1"]["node_ids"][()] if "v1" in f["spikes"] else np.zeros(0, dtype=np.int64)
    per_node = np.bincount(sp, minlength=int(nids.max()) + 1)[nids]
    res = {}
    for pop in dict.fromkeys(pop_of.tolist()):
        m = pop_of == pop
        res[pop] = (int(m.sum()), int(per_node[m].sum()), float(per_node[m].mean() * 1000.0 / tstop))
    return res


def spikes_by_node(path):
    import h5py

    with h5py.File(path, "r") as f:
        g = f["spikes"]["v1"]
        nid, ts = g["node_ids"][()], g["timestamps"][()]
    order = np.lexsort((ts, nid))
    return nid[order], ts[order]


def compare_with_nest(fraction, seed, tstop, dt, work):
    """Builds at `fraction`, runs bmtk + NEST and bmtk-rs on the same files; returns both runs' figures
    and whether the spikes are identical (the same cells, counts and times)."""
    out = pathlib.Path(work) / f"nest_{fraction:g}"
    built = _child(["--child", "build", out, fraction, seed, tstop, dt])
    config = out / "config.json"
    res = {"built": built}
    spikes = {}
    for which in ("bmtk_rs", "bmtk"):
        conf = json.loads(config.read_text())
        conf["output"]["output_dir"] = str(out / f"output_{which}")
        path = out / f"config_{which}.json"
        path.write_text(json.dumps(conf, indent=2))
        res[which] = _child(["--child", "sim", path, which])
        spikes[which] = spikes_by_node(out / f"output_{which}" / "spikes.h5")
    (a_id, a_t), (b_id, b_t) = spikes["bmtk_rs"], spikes["bmtk"]
    res["spikes"] = (len(a_id), len(b_id))
    res["identical"] = bool(np.array_equal(a_id, b_id) and len(a_t) == len(b_t)
                            and (len(a_t) == 0 or np.abs(a_t - b_t).max() <= 1e-9))
    res["max_dt_ms"] = float(np.abs(a_t - b_t).max()) if len(a_t) == len(b_t) and len(a_t) else None
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fraction", type=float, default=1.0, help="fraction of the 230,000 cells (default 1)")
    ap.add_argument("--tstop", type=float, default=1000.0)
    ap.add_argument("--dt", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", default=None, help="folder for the network and outputs (default: a temporary one)")
    ap.add_argument("--nest-fraction", type=float, default=None,
                    help="also compare bmtk-rs with bmtk 1.2.0 + NEST 3.10 at this fraction")
    ap.add_argument("--reuse", action="store_true",
                    help="simulate the network an earlier run left in --work (same fraction) instead of building it")
    opts = ap.parse_args()
    if not 0.0 < opts.fraction <= 1.0:
        ap.error("--fraction must be in (0, 1]")
    tmp = None
    if opts.work is None:
        tmp = tempfile.TemporaryDirectory()
        opts.work = tmp.name
    work = pathlib.Path(opts.work)
    out = work / f"scale_{opts.fraction:g}"
    env = dict(os.environ, BMTK_RS_THREADS=str(opts.threads))
    print(f"load average {os.getloadavg()}", flush=True)
    saved = out / "build_result.json"
    if opts.reuse and saved.exists():
        built = json.loads(saved.read_text())
        print("(the network of an earlier run, its build figures)")
    else:
        built = _child(["--child", "build", out, opts.fraction, opts.seed, opts.tstop, opts.dt], env=env)
        saved.write_text(json.dumps(built))
    print(f"build + save: {built['cells']:,} cells, {built['lgn_cells']:,} LGN units, {built['connections']:,} "
          f"connections ({built['v1_connections']:,} V1 -> V1, {built['lgn_connections']:,} LGN -> V1), "
          f"{built['synapses']:,} synapses; {built['build_save_s']:.1f} s wall, {built['build_save_cpu_s']:.1f} s CPU, "
          f"peak {built['build_peak_mb']:,.0f} MB", flush=True)
    print(f"load average {os.getloadavg()}", flush=True)
    sim = _child(["--child", "sim", out / "config.json", "bmtk_rs"], env=env)
    print(f"PointNet ({opts.threads} threads): set-up {sim['setup_s']:.1f} s wall, {sim['setup_cpu_s']:.1f} s CPU, "
          f"peak {sim['setup_peak_mb']:,.0f} MB; simulate {opts.tstop:g} ms (dt {opts.dt:g}) {sim['sim_s']:.1f} s wall, "
          f"{sim['sim_cpu_s']:.1f} s CPU; peak {sim['peak_mb']:,.0f} MB", flush=True)
    total = built["build_save_s"] + sim["setup_s"] + sim["sim_s"]
    print(f"total build + save + set-up + simulate: {total:.1f} s wall "
          f"({built['build_save_cpu_s'] + sim['setup_cpu_s'] + sim['sim_cpu_s']:.1f} s CPU); "
          f"peak of any phase {max(built['build_peak_mb'], sim['peak_mb']):,.0f} MB", flush=True)
    print(f"load average {os.getloadavg()}", flush=True)
    n_spikes = 0
    for pop, (n, k, rate) in population_rates(out, opts.tstop).items():
        n_spikes += k
        print(f"  {pop:6s} {n:7,d} cells {k:9,d} spikes {rate:6.2f} Hz")
    print(f"  all    {built['cells']:7,d} cells {n_spikes:9,d} spikes {n_spikes * 1000.0 / opts.tstop / built['cells']:6.2f} Hz")
    if opts.nest_fraction:
        cmp = compare_with_nest(opts.nest_fraction, opts.seed, opts.tstop, opts.dt, work)
        b, r = cmp["bmtk"], cmp["bmtk_rs"]
        print(f"fraction {opts.nest_fraction:g} ({cmp['built']['cells']:,} cells, {cmp['built']['connections']:,} "
              f"connections), {opts.tstop:g} ms:")
        for name, x in (("bmtk 1.2.0 + NEST 3.10", b), ("bmtk-rs", r)):
            print(f"  {name:22s}: set-up {x['setup_s']:.1f} s wall ({x['setup_cpu_s']:.1f} s CPU), simulate "
                  f"{x['sim_s']:.1f} s wall ({x['sim_cpu_s']:.1f} s CPU), peak {x['peak_mb']:.0f} MB")
        print(f"  ratio (NEST / bmtk-rs), CPU: set-up {b['setup_cpu_s'] / r['setup_cpu_s']:.2f} x, simulate "
              f"{b['sim_cpu_s'] / r['sim_cpu_s']:.2f} x; load average {os.getloadavg()}")
        print(f"  spikes {cmp['spikes'][0]} (bmtk-rs) vs {cmp['spikes'][1]} (NEST); identical: {cmp['identical']}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, args = sys.argv[2], sys.argv[3:]
        if kind == "build":
            result = child_build(args[0], float(args[1]), int(args[2]), float(args[3]), float(args[4]))
        else:
            result = child_sim(args[0], args[1])
        print("RESULT " + json.dumps(result), flush=True)
    else:
        main()
