"""Network-building benchmarks: bmtk-rs and bmtk 1.2.0 in one run, ratios printed.

    python bench/bench_builder.py [--quick] [--skip-bmtk]

1. tutorial: the Mouse L4 tutorial network (Python rules called for every pair). The floor is the
   time to call those same rule functions on the same pairs in a plain Python loop; bmtk-rs build +
   save should stay within 1.3x of it.
2. dense: ~5,000 cells and 10M edges from int and list rules between sub-populations (no Python per
   pair): edges/s for build + save, speed-up over bmtk 1.2.0, peak memory vs the edge table size.
3. vectorized: 20,000 cells with an all_to_one numpy rule: time and peak memory vs bmtk 1.2.0.

Each variant runs in its own process so that its peak memory (ru_maxrss) is its own.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap

HERE = pathlib.Path(__file__).resolve().parent
EXAMPLE_DIR = HERE.parent / "examples" / "l4_tutorial"
# The tutorial's network code (the same module the example and the oracle tests run).
L4_BUILD = """
import sys
sys.path.insert(0, {!r})
import l4_network
l4_network.build_and_save(NetworkBuilder, 'network')
""".format(str(EXAMPLE_DIR))

CHILD_HEADER = """
import os, sys, time, json, resource
import numpy as np
if os.environ['IMPL'] == 'bmtk':
    from bmtk.builder.networks import NetworkBuilder
else:
    from bmtk_rs.builder.networks import NetworkBuilder
np.random.seed(1)
os.chdir(sys.argv[1])
t0 = time.perf_counter()
"""

CHILD_FOOTER = """
elapsed = globals().get('T_END', time.perf_counter()) - t0
size = sum(p.stat().st_size for p in __import__('pathlib').Path('.').rglob('*') if p.is_file())
print(json.dumps({'seconds': elapsed, 'maxrss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  'bytes_written': size, **globals().get('EXTRA', {})}))
"""

FLOOR = """
import time, json
EXAMPLE_DIR = @EXAMPLE_DIR@
import numpy as np
np.random.seed(1)
E = [dict(node_id=i, tuning_angle=a) for i, a in enumerate(np.linspace(0.0, 360.0, 80, endpoint=False))] * 3
E = [dict(d, node_id=i) for i, d in enumerate(E)]
I = [dict(node_id=240 + i) for i in range(60)]
L = [dict(node_id=i) for i in range(100)]
import sys
sys.path.insert(0, EXAMPLE_DIR)
from l4_network import ignore_autapses, lgn_synapses as lgn_rule, tuning_angle

t0 = time.perf_counter()
for s in I:
    for t in I:
        ignore_autapses(s, t)
for s in E:
    for t in E:
        tuning_angle(s, t, max_syns=5)
for s in L:
    for t in E:
        lgn_rule(s, t)
for s in L:
    for t in I:
        lgn_rule(s, t)
print(json.dumps({'seconds': time.perf_counter() - t0}))
""".replace("@EXAMPLE_DIR@", repr(str(EXAMPLE_DIR)))


def dense_script(n_types, per_type, pairs, save_opts=""):
    return textwrap.dedent("""
    net = NetworkBuilder('dense')
    for k in range({n_types}):
        net.add_nodes(N={per_type}, model_type='biophysical', layer=k, x=np.random.uniform(0, 1, {per_type}))
    rng = np.random.RandomState(5)
    for i, (a, b) in enumerate({pairs}):
        if i % 2 == 0:
            net.add_edges(source={{'layer': a}}, target={{'layer': b}}, connection_rule=1, syn_weight=0.1)
        else:
            counts = rng.randint(1, 3, size={per_type} * {per_type}).tolist()
            net.add_edges(source={{'layer': a}}, target={{'layer': b}}, connection_rule=counts, syn_weight=0.2)
    net.build()
    net.save(output_dir='out'{save_opts})
    T_END = time.perf_counter()
    import h5py
    with h5py.File('out/dense_dense_edges.h5', 'r') as h:
        g = h['edges/dense_to_dense']
        n = g['source_node_id'].shape[0]
        table = sum(g[k].size * g[k].dtype.itemsize for k in ('source_node_id', 'target_node_id', 'edge_type_id',
                    'edge_group_id', 'edge_group_index')) + g['0/nsyns'].size * 4
    EXTRA = {{'edges': int(n), 'edge_table_mb': table / 2**20}}
    """).format(n_types=n_types, per_type=per_type, pairs=pairs, save_opts=save_opts)


VECTORIZED = """
net = NetworkBuilder('big')
net.add_nodes(N=N_E, model_type='biophysical', ei='e', x=np.random.uniform(0, 1000, N_E),
              y=np.random.uniform(0, 1000, N_E))
net.add_nodes(N=N_I, model_type='biophysical', ei='i', x=np.random.uniform(0, 1000, N_I),
              y=np.random.uniform(0, 1000, N_I))

coords = {}

def nearby(sources, target, p0, sigma):
    # The usual vectorized rule: source positions gathered once, one numpy expression per target.
    if 'xy' not in coords:
        coords['xy'] = (np.array([s['x'] for s in sources]), np.array([s['y'] for s in sources]))
    xs, ys = coords['xy']
    d2 = (xs - target['x']) ** 2 + (ys - target['y']) ** 2
    p = p0 * np.exp(-d2 / (2 * sigma ** 2))
    return (np.random.uniform(size=len(sources)) < p).astype(np.int64)

net.add_edges(source={'ei': 'e'}, target=net.nodes(), connection_rule=nearby, iterator='all_to_one',
              connection_params={'p0': 0.3, 'sigma': 60.0}, syn_weight=1e-4)
net.build()
net.save(output_dir='out')
T_END = time.perf_counter()
EXTRA = {'edges': int(net.nedges)}
"""


TUTORIAL_REPEATS = """
import os, sys, time, json, tempfile
import numpy as np
if os.environ['IMPL'] == 'bmtk':
    from bmtk.builder.networks import NetworkBuilder
else:
    from bmtk_rs.builder.networks import NetworkBuilder
FLOOR, BUILD = json.loads(sys.argv[1])
floor, build = [], []
for rep in range(int(os.environ.get('REPEATS', '5'))):
    g = {}
    exec(FLOOR.replace("print(json.dumps({'seconds': time.perf_counter() - t0}))", "RES = time.perf_counter() - t0"), g)
    floor.append(g['RES'])
    os.chdir(tempfile.mkdtemp())
    np.random.seed(1)
    t0 = time.perf_counter()
    exec(BUILD, {'np': np, 'NetworkBuilder': NetworkBuilder})
    build.append(time.perf_counter() - t0)
print(json.dumps({'floor': min(floor), 'build': min(build)}))
"""


def run_tutorial(impl, repeats):
    env = dict(os.environ, IMPL=impl, REPEATS=str(repeats))
    res = subprocess.run([sys.executable, "-c", TUTORIAL_REPEATS, json.dumps([FLOOR, L4_BUILD])], env=env,
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("{} failed:\n{}".format(impl, res.stderr[-3000:]))
    return json.loads(res.stdout.strip().splitlines()[-1])


def run_child(code, impl, timeout):
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, IMPL=impl)
        try:
            res = subprocess.run([sys.executable, "-c", CHILD_HEADER + code + CHILD_FOOTER, d], env=env,
                                 capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if res.returncode != 0:
            raise RuntimeError("{} failed:\n{}".format(impl, res.stderr[-3000:]))
        return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller dense/vectorized networks")
    ap.add_argument("--skip-bmtk", action="store_true")
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()

    print("== 1. tutorial network (Python rules per pair; best of 5, floor and build alternating in one process)")
    rs = run_tutorial("bmtk_rs", 5)
    print("floor (rules alone, plain loop) {:.3f} s | bmtk-rs build+save {:.3f} s | bmtk-rs/floor {:.2f}x"
          .format(rs["floor"], rs["build"], rs["build"] / rs["floor"]))
    if not args.skip_bmtk:
        ref = run_tutorial("bmtk", 3)
        print("bmtk 1.2.0 build+save {:.3f} s (floor {:.3f} s) | bmtk/floor {:.2f}x | bmtk/bmtk-rs {:.2f}x"
              .format(ref["build"], ref["floor"], ref["build"] / ref["floor"], ref["build"] / rs["build"]))

    print("== 2. dense: int and list rules between sub-populations")
    n_types, per_type = (10, 500)
    pairs = [(a, b) for a in range(n_types) for b in range(n_types)][: (8 if args.quick else 40)]
    code = dense_script(n_types, per_type, pairs)
    for order in ("bmtk", "stable"):
        rs = run_child(dense_script(n_types, per_type, pairs, ", edge_order={!r}".format(order)), "bmtk_rs",
                       args.timeout)
        print("bmtk-rs (edge_order={}): {:,} edges in {:.2f} s = {:.1f}M edges/s; peak RSS {:.0f} MB = {:.2f}x "
              "the edge table ({:.0f} MB)".format(order, rs["edges"], rs["seconds"], rs["edges"] / rs["seconds"] / 1e6,
                                                  rs["maxrss_mb"], rs["maxrss_mb"] / rs["edge_table_mb"],
                                                  rs["edge_table_mb"]))
    if not args.skip_bmtk:
        frac_pairs = pairs
        ref = run_child(code, "bmtk", args.timeout)
        if ref is None:
            frac_pairs = pairs[: max(1, len(pairs) // 8)]
            ref = run_child(dense_script(n_types, per_type, frac_pairs), "bmtk", args.timeout)
        rate_ref = ref["edges"] / ref["seconds"]
        print("bmtk 1.2.0: {:,} edges{} in {:.2f} s = {:.2f}M edges/s; peak RSS {:.0f} MB | speed-up {:.1f}x"
              .format(ref["edges"], "" if frac_pairs is pairs else " (a fraction: full run exceeded the timeout)",
                      ref["seconds"], rate_ref / 1e6, ref["maxrss_mb"], (rs["edges"] / rs["seconds"]) / rate_ref))

    print("== 3. vectorized all_to_one rule, {} cells".format("5,000" if args.quick else "20,000"))
    n_e, n_i = (4000, 1000) if args.quick else (16000, 4000)
    code = "N_E, N_I = {}, {}\n".format(n_e, n_i) + VECTORIZED
    rs = run_child(code, "bmtk_rs", args.timeout)
    print("bmtk-rs: {:,} edges in {:.2f} s, peak RSS {:.0f} MB".format(rs["edges"], rs["seconds"], rs["maxrss_mb"]))
    if not args.skip_bmtk:
        ref = run_child(code, "bmtk", args.timeout)
        if ref is None:
            print("bmtk 1.2.0: did not finish within {:.0f} s".format(args.timeout))
        else:
            print("bmtk 1.2.0: {:,} edges in {:.2f} s, peak RSS {:.0f} MB | bmtk/bmtk-rs time {:.2f}x, memory {:.2f}x"
                  .format(ref["edges"], ref["seconds"], ref["maxrss_mb"], ref["seconds"] / rs["seconds"],
                          ref["maxrss_mb"] / rs["maxrss_mb"]))


if __name__ == "__main__":
    main()
