"""The run order of a cell's density mechanisms is NEURON's. nrnivmodl registers the folder's files
in its `*.mod` glob's (name) order, and NEURON computes currents and advances states in the order of
its mechanism list, where every mechanism that writes an ion concentration is moved to the front
(just after the ions) as it registers: concentration writers run first, in reverse file order, then
the other mechanisms in file order. A file new to the engine takes its place in that order, not the
end of the list.

tests/bionet/mod/CaSink.mod (ours) advances `cai` as bmtk's CaDynamics does; CaDynamics reads `cai`
(and SK reads it in its own state update), so which of the two advances first changes the calcium.
NEURON runs CaSink, CaDynamics, the other channels, SK. An Allen perisomatic cell with CaSink on its
soma (two sink rates), the folder (bmtk's files and CaSink.mod) run by bmtk-rs and by bmtk 1.2.0 +
NEURON 9.0.2 with the same folder compiled: soma v and soma cai agree over the whole run. Measured
with the order this test replaced (new mechanisms after the built-in ones): soma cai 5e-3 relative
and v 1 mV off NEURON's; now cai ~1e-7 (the float32 report's rounding) and v ~4e-6 mV."""

import json
import shutil
from pathlib import Path

import h5py
import numpy as np

from ..conftest import compiled_mechanisms, require_module
from .network_configs import run_config
from .sonata_writer import write_nodes, write_types
from .test_user_density_mechanisms import _config

SINK = Path(__file__).parent / "mod" / "CaSink.mod"


def _setup(base, bmtk_data, modsrc):
    comps = bmtk_data / "tutorial_l4" / "components"
    models = base / "models"
    models.mkdir(parents=True)
    fit = json.loads((comps / "biophysical_neuron_models" / "472363762_fit.json").read_text())
    assert any(g["mechanism"] == "SK" and g["section"] == "soma" for g in fit["genome"])
    assert any(g["mechanism"] == "CaDynamics" and g["section"] == "soma" for g in fit["genome"])
    for k, rate in enumerate([0.5, 0.05]):
        f = json.loads(json.dumps(fit))
        f["genome"].append({"section": "soma", "name": "rate_CaSink", "value": rate, "mechanism": "CaSink"})
        (models / f"sink{k}.json").write_text(json.dumps(f))
    mechs = base / "mechanisms" / "modfiles"
    mechs.mkdir(parents=True)
    files = sorted(modsrc.glob("*.mod")) + [SINK]
    for m in files:
        shutil.copy(m, mechs / m.name)
    net = base / "net"
    net.mkdir()
    write_types(net / "cells_node_types.csv", [
        {"node_type_id": 100 + k, "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
         "model_processing": "aibs_perisomatic", "morphology": "Scnn1a_473845048_m.swc",
         "dynamics_params": f"sink{k}.json", "pop_name": f"p{k}"} for k in range(2)], "node_type_id")
    write_nodes(net / "cells_nodes.h5", "cells", [100, 101])
    return comps, models, base / "mechanisms", net, files


def _report(out, name):
    with h5py.File(out / "output" / name, "r") as f:
        return f["report/cells/data"][()].astype(float)


def _with_cai_report(path):
    conf = json.loads(path.read_text())
    conf["reports"]["soma_cai"] = {"module": "membrane_report", "variable_name": "cai", "sections": "soma",
                                   "cells": {"population": "cells"}, "file_name": "soma_cai.h5"}
    path.write_text(json.dumps(conf, indent=1))
    return path


def test_new_mechanism_runs_in_file_order(bmtk_data, tmp_path):
    bmtk = require_module("bmtk")
    modsrc = Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet" / "mechanisms" / "modfiles"
    comps, models, mechs, net, files = _setup(tmp_path, bmtk_data, modsrc)
    nrnmech = compiled_mechanisms(files)
    ours = _with_cai_report(_config(tmp_path / "rs", comps, models, mechs, net))
    ref = _with_cai_report(_config(tmp_path / "nrn", comps, models, mechs, net))
    run_config(ours)
    run_config(ref, nrnmech)
    v_o, v_r = _report(tmp_path / "rs", "soma_v.h5"), _report(tmp_path / "nrn", "soma_v.h5")
    ca_o, ca_r = _report(tmp_path / "rs", "soma_cai.h5"), _report(tmp_path / "nrn", "soma_cai.h5")
    # the cells spike (calcium enters) and the sink acts: the two rates give different calcium
    assert np.max(v_r) > 0.0
    assert np.max(np.abs(ca_r[:, 0] - ca_r[:, 1]) / ca_r[:, 1]) > 0.1
    dv = np.max(np.abs(v_o - v_r))
    dca = np.max(np.abs(ca_o - ca_r) / np.abs(ca_r))
    assert dca < 1e-6, (dca, dv)
    assert dv < 1e-4, (dca, dv)
