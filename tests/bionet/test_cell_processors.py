"""User model_processing functions (add_cell_processor / @model_processing) on bmtk-rs's Python cell
object against bmtk 1.2.0 + NEURON 9.0.2 running the same functions (tests/bionet/cell_processors.py)
on its hoc cells: Allen parameters edited per section type, per-segment values from h.distance,
the axon replaced by a stub of another size, channels inserted by the function itself, and a cell
built by a user cell-model function (add_cell_model), and bmtk's "extracellular" processing alone (a cell
without membrane mechanisms); each cell driven by a soma clamp. A function using NEURON-only API, an unknown mechanism or an unknown
parameter is refused before the run, naming the function, the node and the name."""

import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from ..conftest import require_module
from .network_configs import cells_config
from .sonata_writer import write_nodes, write_types

HERE = os.path.dirname(__file__)
TSTOP = 150.0
# (model_processing, morphology, fit json) per cell
CELLS = [
    ("peri_scaled", "Scnn1a_473845048_m.swc", "472363762_fit.json"),
    ("peri_distance", "Scnn1a_473845048_m.swc", "472363762_fit.json"),
    ("long_stub", "Scnn1a_473845048_m.swc", "472363762_fit.json"),
    ("own_channels", "Scnn1a_473845048_m.swc", "472363762_fit.json"),
    ("peri_scaled", "Pvalb_470522102_m.swc", "472912177_fit.json"),
    ("peri_distance", "Rorb_325404214_m.swc", "473863510_fit.json"),
    # a user cell-model function (add_cell_model) building the cell, then an Allen processing on it
    ("hoc:UserBiophys|aibs_perisomatic", "Nr5a1_471087815_m.swc", "473863035_fit.json"),
    # bmtk's own 'extracellular' alone: the reconstructed cell with no membrane mechanisms
    ("extracellular", "Scnn1a_473845048_m.swc", "472363762_fit.json"),
]


def _network(net, cells):
    net.mkdir(parents=True, exist_ok=True)
    write_types(net / "cells_node_types.csv", [
        {"node_type_id": 100 + k, "model_type": "biophysical",
         "model_template": proc.split("|")[0] if "|" in proc else "ctdb:Biophys1.hoc",
         "model_processing": proc.split("|")[-1], "morphology": morph, "dynamics_params": fit, "pop_name": f"p{k}"}
        for k, (proc, morph, fit) in enumerate(cells)], "node_type_id")
    write_nodes(net / "cells_nodes.h5", "cells", [100 + k for k in range(len(cells))])


def _config(base, net, comps):
    cells = {"population": "cells"}
    inputs = {"clamp": {"input_type": "current_clamp", "module": "IClamp", "node_set": cells, "amp": 0.3,
                        "delay": 20.0, "duration": 100.0}}
    reports = {"soma_v": {"module": "membrane_report", "sections": "soma", "cells": cells, "variable_name": "v",
                          "file_name": "soma_v.h5"}}
    return cells_config(base, net, comps, inputs, reports, TSTOP)


def _run(engine, config, mechdir=None, threads=None):
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    if threads is not None:
        env["BMTK_RS_THREADS"] = str(threads)
    cmd = [sys.executable, os.path.join(HERE, "processor_run.py"), engine, str(config)]
    if mechdir is not None:
        cmd.append(str(mechdir))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)


def _spikes(out):
    with h5py.File(out / "spikes.h5", "r") as f:
        g = f["spikes/cells"]
        return g["node_ids"][()], g["timestamps"][()]


def _soma_v(out):
    with h5py.File(out / "soma_v.h5", "r") as f:
        g = f["report/cells"]
        return g["mapping/node_ids"][()], g["data"][()].astype(float)


@pytest.fixture(scope="module")
def runs(bmtk_data, nrnmech_dir, tmp_path_factory):
    require_module("bmtk")
    base = tmp_path_factory.mktemp("cellproc")
    _network(base / "net", CELLS)
    comps = bmtk_data / "tutorial_l4" / "components"
    out = {}
    for name, engine, threads in (("rs1", "rs", 1), ("rs2", "rs", 2), ("nrn", "bmtk", None)):
        config = _config(base / name, base / "net", comps)
        run = _run(engine, config, nrnmech_dir if engine == "bmtk" else None, threads)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        out[name] = base / name / "output"
    return out


def test_spikes_match_neuron(runs):
    (a_ids, a_t), (b_ids, b_t) = _spikes(runs["rs1"]), _spikes(runs["nrn"])
    for n, (proc, morph, _) in enumerate(CELLS):
        ta, tb = np.sort(a_t[a_ids == n]), np.sort(b_t[b_ids == n])
        assert len(tb) > 0, f"cell {n} ({proc}, {morph}) does not fire in NEURON: the test would see nothing"
        assert len(ta) == len(tb), f"cell {n} ({proc}, {morph}): {len(ta)} spikes, NEURON {len(tb)}"
        assert np.max(np.abs(ta - tb)) < 0.5, (proc, morph, ta, tb)


def test_soma_voltage_matches_neuron(runs):
    (a_ids, a), (b_ids, b) = _soma_v(runs["rs1"]), _soma_v(runs["nrn"])
    assert list(a_ids) == list(b_ids) and a.shape == b.shape
    for k, n in enumerate(b_ids):
        proc, morph, _ = CELLS[n]
        rel = np.max(np.abs(a[:, k] - b[:, k])) / np.max(np.abs(b[:, k]))
        assert rel < 1e-6, f"cell {n} ({proc}, {morph}): soma v differs by {rel:.2e} of its range"


def test_threads_do_not_change_results(runs):
    a, b = _spikes(runs["rs1"]), _spikes(runs["rs2"])
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert np.array_equal(_soma_v(runs["rs1"])[1], _soma_v(runs["rs2"])[1])


@pytest.mark.parametrize("proc,needles", [
    ("uses_iclamp", ["uses_iclamp", "node 0", "h.IClamp", "NEURON-only"]),
    ("unknown_mechanism", ["unknown_mechanism", "node 0", "dend[0]", "NoSuchChannel"]),
    ("unknown_parameter", ["unknown_parameter", "node 0", "soma[0]", "gmax_NaTs"]),
])
def test_bad_processor_is_refused_before_the_run(bmtk_data, tmp_path, proc, needles):
    _network(tmp_path / "net", [(proc, "Scnn1a_473845048_m.swc", "472363762_fit.json")])
    config = _config(tmp_path / "rs", tmp_path / "net", bmtk_data / "tutorial_l4" / "components")
    run = _run("rs", config)
    assert run.returncode != 0
    err = run.stderr[-2000:]
    for needle in needles:
        assert needle in err, f"{needle!r} not in: {err}"
    assert "panicked" not in err
    assert not (tmp_path / "rs" / "output" / "spikes.h5").exists()
    assert not (tmp_path / "rs" / "output" / "soma_v.h5").exists()
