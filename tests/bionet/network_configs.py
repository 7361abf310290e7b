"""Copies of the example BioNet configurations that run from anywhere: every relative path is made
absolute against the example's folder (data stay where they are), outputs go to a given folder,
and tstop/overrides are applied. Used by the network oracles (bmtk+NEURON and bmtk-rs read the
same copy)."""

import json
import os


def _absolute(obj, base):
    if isinstance(obj, str):
        if obj.startswith("./") or obj.startswith("../") or obj == ".":
            return os.path.normpath(os.path.join(base, obj))
        return obj
    if isinstance(obj, list):
        return [_absolute(v, base) for v in obj]
    if isinstance(obj, dict):
        return {k: _absolute(v, base) for k, v in obj.items()}
    return obj


def localize(example_dir, config_name, out_dir, tstop=None, run=None, components=None, edit=None):
    """Writes `out_dir`/<config_name> (and its network/simulation children) and returns its path.
    The config writes its outputs to `out_dir`/output."""
    example_dir = os.path.abspath(example_dir)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(example_dir, config_name)) as fh:
        conf = json.load(fh)
    manifest = conf.get("manifest", {})
    for k, v in list(manifest.items()):
        manifest[k] = _absolute(v, example_dir)
    if "$BASE_DIR" in manifest:
        manifest["$BASE_DIR"] = example_dir
    out = os.path.join(os.path.abspath(out_dir), "output")
    for k in list(manifest):
        if k == "$OUTPUT_DIR":
            manifest[k] = out
    conf = _absolute(conf, example_dir)
    conf["manifest"] = manifest
    for child in ("network", "simulation"):
        if isinstance(conf.get(child), str):
            name = os.path.basename(conf[child])
            src_dir = os.path.dirname(conf[child]) if os.path.isabs(conf[child]) else example_dir
            conf[child] = localize(src_dir, name, out_dir, components=components)
    if "output" in conf:
        conf["output"]["output_dir"] = out
        conf["output"]["overwrite_output_dir"] = True
    if tstop is not None:
        conf.setdefault("run", {})["tstop"] = float(tstop)
    if run:
        conf.setdefault("run", {}).update(run)
    if components and "components" in conf:
        conf["components"].update(components)
    if edit is not None:
        edit(conf)
    path = os.path.join(out_dir, config_name)
    with open(path, "w") as fh:
        json.dump(conf, fh, indent=2)
    return path


def run_config(config, nrnmech_dir=None, python=None, oracle_args=()):
    """Runs a config with bmtk-rs, or with bmtk 1.2.0 + NEURON when `nrnmech_dir` (bmtk's compiled
    mechanisms) is given (by `python`, another environment's interpreter, when given; with
    `oracle_args`, bmtk_network_run.py's options), each in its own process; fails the test with
    the run's output tail."""
    import subprocess
    import sys

    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    if nrnmech_dir is None:
        cmd = [sys.executable, "-m", "bmtk_rs.simulator.bionet", str(config)]
    else:
        cmd = [python or sys.executable, os.path.join(os.path.dirname(__file__), "bmtk_network_run.py"), str(config),
               str(nrnmech_dir), *oracle_args]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def cells_config(base, net, comps, inputs, reports, tstop, dt=0.025, node_sets=None, nsteps_block=4000):
    """`base`/config.json for the one-population network `net` written by the tests ("cells": a
    nodes file and its types), with the tutorial's `comps` components; outputs in `base`/output."""
    import pathlib

    base, net, comps = pathlib.Path(base), pathlib.Path(net), pathlib.Path(comps)
    base.mkdir(parents=True, exist_ok=True)
    conf = {
        "run": {"tstop": tstop, "dt": dt, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": nsteps_block},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "inputs": inputs,
        "reports": reports,
        "output": {"log_file": "log.txt", "output_dir": str(base / "output"), "spikes_file": "spikes.h5",
                   "overwrite_output_dir": True},
        "components": {k: str(comps / v) for k, v in {
            "morphologies_dir": "morphologies", "synaptic_models_dir": "synaptic_models",
            "biophysical_neuron_models_dir": "biophysical_neuron_models"}.items()},
        "networks": {"nodes": [{"nodes_file": str(net / "cells_nodes.h5"),
                                "node_types_file": str(net / "cells_node_types.csv")}], "edges": []},
    }
    if node_sets is not None:
        (base / "node_sets.json").write_text(json.dumps(node_sets))
        conf["node_sets_file"] = str(base / "node_sets.json")
    path = base / "config.json"
    path.write_text(json.dumps(conf, indent=1))
    return path
