"""Runs the same network-building script under bmtk 1.2.0 and under bmtk-rs (each in its own
process, same seed) and compares every dataset, attribute and types table they write."""

import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd

HEADER = """
import os, sys
import numpy as np
if os.environ['BUILDER_IMPL'] == 'bmtk':
    from bmtk.builder.networks import NetworkBuilder
else:
    from bmtk_rs.builder.networks import NetworkBuilder
np.random.seed(int(os.environ.get('BUILDER_SEED', '1')))
os.chdir(sys.argv[1])
"""


def run_builder(script, impl, out_dir, seed=1):
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, BUILDER_IMPL=impl, BUILDER_SEED=str(seed))
    code = HEADER + textwrap.dedent(script)
    res = subprocess.run([sys.executable, "-c", code, str(out_dir)], env=env, capture_output=True, text=True,
                         timeout=900)
    if res.returncode != 0:
        raise AssertionError("{} build failed:\n{}\n{}".format(impl, res.stdout[-3000:], res.stderr[-3000:]))
    return out_dir


def _datasets(h5):
    import h5py

    out = {}

    def visit(name, obj):
        out[name] = obj

    h5.visititems(visit)
    return {k: v for k, v in out.items() if isinstance(v, (h5py.Dataset, h5py.Group))}


def compare_h5(ref_path, new_path, allow_extra=("node_id_to_ranges", "range_to_edge_ids")):
    """Every object and attribute of the reference file exists in the new one with equal values and
    dtypes. The new file may carry the SONATA spec's index names in addition."""
    import h5py

    problems = []
    with h5py.File(ref_path, "r") as ref, h5py.File(new_path, "r") as new:
        for k, v in ref.attrs.items():
            if k not in new.attrs:
                problems.append("root attribute {} missing".format(k))
            else:
                a, b = np.asarray(v), np.asarray(new.attrs[k])
                if a.dtype != b.dtype or not np.array_equal(a, b):
                    problems.append("root attribute {}: {!r} != {!r}".format(k, v, new.attrs[k]))
        ref_objs, new_objs = _datasets(ref), _datasets(new)
        for name, obj in ref_objs.items():
            if name not in new_objs:
                problems.append("{} missing".format(name))
                continue
            other = new_objs[name]
            if isinstance(obj, h5py.Dataset):
                a, b = obj[()], other[()]
                if obj.dtype != other.dtype:
                    problems.append("{}: dtype {} != {}".format(name, obj.dtype, other.dtype))
                elif a.shape != b.shape or not np.array_equal(a, b):
                    problems.append("{}: values differ (shapes {} {})".format(name, a.shape, b.shape))
            for k, v in obj.attrs.items():
                if k not in other.attrs or not np.array_equal(np.asarray(v), np.asarray(other.attrs[k])):
                    problems.append("{}: attribute {} differs".format(name, k))
        for name in new_objs:
            if name not in ref_objs and name.rsplit("/", 1)[-1] not in allow_extra:
                problems.append("{}: extra object".format(name))
    return problems


def read_types(path):
    df = pd.read_csv(path, sep=" ")
    return df[sorted(df.columns)].sort_values(df.columns[0]).reset_index(drop=True)


def compare_dirs(ref_dir, new_dir):
    ref_dir, new_dir = pathlib.Path(ref_dir), pathlib.Path(new_dir)
    ref_files = sorted(p.name for p in ref_dir.iterdir() if not p.name.startswith("."))
    new_files = sorted(p.name for p in new_dir.iterdir() if not p.name.startswith("."))
    problems = []
    if ref_files != new_files:
        problems.append("file sets differ: {} vs {}".format(ref_files, new_files))
    for f in ref_files:
        if f not in new_files:
            continue
        if f.endswith(".h5"):
            problems += ["{}: {}".format(f, p) for p in compare_h5(ref_dir / f, new_dir / f)]
        elif f.endswith(".csv"):
            a, b = read_types(ref_dir / f), read_types(new_dir / f)
            if not a.equals(b):
                problems.append("{}: tables differ\n{}\n{}".format(f, a, b))
    return problems


def assert_same_network(script, tmp_path, seed=1):
    ref = run_builder(script, "bmtk", tmp_path / "bmtk", seed)
    new = run_builder(script, "bmtk_rs", tmp_path / "bmtk_rs", seed)
    problems = compare_dirs(ref, new)
    assert not problems, "\n".join(problems)
    return ref, new
