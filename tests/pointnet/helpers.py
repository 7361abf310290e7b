"""Shared by the PointNet tests: copies of the example configs in a tmp dir, and runs of them."""

import json
import os
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = sys.executable


def rewrite_config(example_dir, config_name, out_dir, tstop=None, extra=None):
    """A copy of an example's simulation config whose paths point back at the example (read in
    place) and whose outputs go to `out_dir`."""
    with open(os.path.join(example_dir, config_name)) as fh:
        conf = json.load(fh)
    conf["manifest"]["$BASE_DIR"] = example_dir
    conf["manifest"]["$OUTPUT_DIR"] = out_dir
    conf["output"]["output_dir"] = out_dir
    net = conf.pop("network", None)
    if isinstance(net, str):
        # the circuit config's own "." means its folder: merged in with that made absolute
        with open(os.path.join(example_dir, net)) as fh:
            circuit = json.load(fh)
        for key, val in circuit.get("manifest", {}).items():
            conf["manifest"].setdefault(key, val)
        for key in ("components", "networks"):
            if key in circuit:
                conf[key] = circuit[key]
    for inp in conf.get("inputs", {}).values():
        f = inp.get("file")
        if isinstance(f, str) and not f.startswith("$") and not os.path.isabs(f):
            inp["file"] = os.path.join(example_dir, f)
    if tstop is not None:
        conf["run"]["tstop"] = tstop
    if extra:
        extra(conf)
    # beside the output folder, not in it: an overwriting run clears the output folder first
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    path = out_dir.rstrip(os.sep) + "_config.json"
    with open(path, "w") as fh:
        json.dump(conf, fh, indent=2)
    return path


def run(which, *configs, timeout=600):
    """Runs `configs` through bmtk+NEST ('bmtk') or bmtk-rs ('bmtk_rs') in one subprocess."""
    p = subprocess.run([PYTHON, os.path.join(HERE, "run_config.py"), which, *configs], capture_output=True,
                       text=True, timeout=timeout, cwd=os.path.dirname(configs[0]))
    assert p.returncode == 0, f"{which} run of {configs} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return json.loads(p.stdout.strip().splitlines()[-1])


def spikes_of(path):
    """{(population, node_id): sorted spike times} of a SONATA spikes file."""
    out = {}
    with h5py.File(path, "r") as f:
        for pop, g in f["spikes"].items():
            nid = g["node_ids"][()]
            ts = g["timestamps"][()]
            for n in np.unique(nid):
                out[(pop, int(n))] = np.sort(ts[nid == n])
    return out


def report_of(path):
    """(population, node ids, times, data[time, node]) of a one-population report file."""
    with h5py.File(path, "r") as f:
        pop = list(f["report"])[0]
        g = f["report"][pop]
        t0, t1, dt = g["mapping/time"][()]
        data = g["data"][()]
        ids = g["mapping/node_ids"][()]
    return pop, ids, (t0, t1, dt), data
