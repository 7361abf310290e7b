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
sys.path.insert(0, str(HERE.parent / "tests" / "builder"))
from l4_script import L4_BUILD  # noqa: E402

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
import numpy as np
np.random.seed(1)
E = [dict(node_id=i, tuning_angle=a) for i, a in enumerate(np.linspace(0.0, 360.0, 80, endpoint=False))] * 3
E = [dict(d, node_id=i) for i, d in enumerate(E)]
I = [dict(node_id=240 + i) for i in range(60)]
L = [dict(node_id=i) for i in range(100)]

def ignore_autapses(source, target):
    if source['node_id'] == target['node_id']:
        return 0
    else:
        return np.random.randint(1, 5)

def tuning_angle(source, target, max_syns):
    if source['node_id'] == target['node_id']:
        return 0
    src_tuning = source['tuning_angle']
    trg_tuning = target['tuning_angle']
    dist = np.abs((src_tuning - trg_tuning + 180) % 360 - 180)
    p_dist = 1.0 - (np.max((dist, 10.0)) / 180.0)
    return np.random.binomial(n=max_syns, p=p_dist)

lgn_rule = lambda *_: np.random.randint(0, 5)
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
"""


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
net.add_nodes(N=16000, model_type='biophysical', ei='e', x=np.random.uniform(0, 1000, 16000),
              y=np.random.uniform(0, 1000, 16000))
net.add_nodes(N=4000, model_type='biophysical', ei='i', x=np.random.uniform(0, 1000, 4000),
              y=np.random.uniform(0, 1000, 4000))

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

    print("== 1. tutorial network (Python rules per pair)")
    floor = json.loads(subprocess.run([sys.executable, "-c", FLOOR], capture_output=True, text=True,
                                      check=True).stdout)
    rs = run_child(L4_BUILD, "bmtk_rs", args.timeout)
    print("floor (rules alone, plain loop) {:.3f} s | bmtk-rs build+save {:.3f} s | bmtk-rs/floor {:.2f}x"
          .format(floor["seconds"], rs["seconds"], rs["seconds"] / floor["seconds"]))
    if not args.skip_bmtk:
        ref = run_child(L4_BUILD, "bmtk", args.timeout)
        print("bmtk 1.2.0 build+save {:.3f} s | bmtk/bmtk-rs {:.2f}x | peak RSS bmtk {:.0f} MB, bmtk-rs {:.0f} MB"
              .format(ref["seconds"], ref["seconds"] / rs["seconds"], ref["maxrss_mb"], rs["maxrss_mb"]))

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

    print("== 3. vectorized all_to_one rule, 20,000 cells")
    code = VECTORIZED if not args.quick else VECTORIZED.replace("16000", "4000").replace("4000)", "1000)")
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
