"""A synapse from the config's mechanisms_dir that carries ionic currents (USEION in a
POINT_PROCESS): our own casyn.mod (tests/nmodl/test_point_ions.py) on the somas of two Allen
perisomatic cells, whose CaDynamics turns the synapse's calcium current into `cai`, which SK and the
synapse's own calcium block read back. Against bmtk 1.2.0 + NEURON 9.0.2 with the same file compiled
by nrnivmodl (registered in bmtk as the edge type's synapse model): same spikes, soma v and soma
`cai` close over the whole run (the synapse's own calcium loop is checked to 1e-6 in
tests/nmodl/test_point_ions.py)."""

import json

import h5py
import numpy as np

from ..conftest import compiled_mechanisms, require_module
from ..nmodl.test_point_ions import CASYN
from .network_configs import run_config
from .sonata_writer import write_edges, write_nodes, write_spikes, write_types

TSTOP = 400.0
N_INPUTS = 8
PARAMS = {"tau": 6.0, "e": 0.0, "fca": 0.3, "fk": 0.2, "kd": 0.002}


def _network(base):
    net = base / "network"
    net.mkdir(parents=True)
    write_types(net / "cells_node_types.csv", [
        {"node_type_id": 100, "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
         "model_processing": "aibs_perisomatic", "morphology": "Scnn1a_473845048_m.swc",
         "dynamics_params": "472363762_fit.json", "pop_name": "Scnn1a"}], "node_type_id")
    write_nodes(net / "cells_nodes.h5", "cells", [100, 100])
    write_types(net / "inputs_node_types.csv", [{"node_type_id": 200, "model_type": "virtual", "pop_name": "in"}],
                "node_type_id")
    write_nodes(net / "inputs_nodes.h5", "inputs", [200] * N_INPUTS)
    write_types(net / "inputs_cells_edge_types.csv", [
        {"edge_type_id": 1, "model_template": "casyn", "dynamics_params": "casyn.json", "delay": 1.5,
         "syn_weight": 0.004}], "edge_type_id")
    # every input onto both somas (section 0, the middle), cell 1 with twice the synapses' weight
    src = np.tile(np.arange(N_INPUTS), 2)
    trg = np.repeat([0, 1], N_INPUTS)
    n = len(src)
    groups = {0: {"afferent_section_id": np.zeros(n, dtype=np.int64),
                  "afferent_section_pos": np.full(n, 0.5),
                  "syn_weight": np.where(trg == 1, 0.008, 0.004)}}
    write_edges(net / "inputs_cells_edges.h5", "inputs_to_cells", "inputs", "cells", src, trg, np.ones(n, int),
                groups, np.zeros(n, int), N_INPUTS, 2)
    return net


def _inputs(base):
    rng = np.random.RandomState(5)
    ids, ts = [], []
    for k in range(N_INPUTS):
        t = np.cumsum(rng.exponential(1000.0 / 25.0, 40))
        t = t[t < TSTOP - 5.0]
        ids.append(np.full(len(t), k))
        ts.append(np.round(t, 3))
    path = base / "inputs" / "spikes.h5"
    path.parent.mkdir(parents=True)
    write_spikes(path, "inputs", np.concatenate(ids), np.concatenate(ts))
    return path


def _config(base, net, spikes, comps, syn_dir, mech_dir):
    conf = {
        "run": {"tstop": TSTOP, "dt": 0.025, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 5000},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "inputs": {"spikes": {"input_type": "spikes", "module": "sonata", "input_file": str(spikes),
                              "node_set": "inputs"},
                   "clamp": {"input_type": "current_clamp", "module": "IClamp", "node_set": "cells",
                             "amp": 0.12, "delay": 0.0, "duration": TSTOP}},
        "reports": {f"soma_{var}": {"module": "membrane_report", "variable_name": var, "sections": "soma",
                                    "cells": "cells", "file_name": f"soma_{var}.h5"} for var in ("v", "cai")},
        "output": {"log_file": "log.txt", "output_dir": str(base / "output"), "spikes_file": "spikes.h5",
                   "overwrite_output_dir": True},
        "components": {"morphologies_dir": str(comps / "morphologies"),
                       "biophysical_neuron_models_dir": str(comps / "biophysical_neuron_models"),
                       "synaptic_models_dir": str(syn_dir), "mechanisms_dir": str(mech_dir)},
        "networks": {
            "nodes": [{"nodes_file": str(net / f"{p}_nodes.h5"), "node_types_file": str(net / f"{p}_node_types.csv")}
                      for p in ("cells", "inputs")],
            "edges": [{"edges_file": str(net / "inputs_cells_edges.h5"),
                       "edge_types_file": str(net / "inputs_cells_edge_types.csv")}],
        },
        "node_sets": {"cells": {"population": "cells"}, "inputs": {"population": "inputs"}},
    }
    base.mkdir(parents=True, exist_ok=True)
    path = base / "config.json"
    path.write_text(json.dumps(conf, indent=1))
    return path


def _spikes(config):
    with h5py.File(config.parent / "output" / "spikes.h5", "r") as f:
        g = f["spikes/cells"]
        ids, ts = g["node_ids"][()], g["timestamps"][()]
    return [np.sort(ts[ids == n]) for n in (0, 1)]


def _report(config, var):
    with h5py.File(config.parent / "output" / f"soma_{var}.h5", "r") as f:
        return f["report/cells/data"][()].astype(float)


def test_ion_carrying_synapse_vs_neuron(bmtk_data, nrnmech_dir, tmp_path):
    require_module("bmtk")
    comps = bmtk_data / "tutorial_l4" / "components"
    mech = tmp_path / "mechanisms"
    (mech / "modfiles").mkdir(parents=True)
    (mech / "modfiles" / "casyn.mod").write_text(CASYN)
    casyn_nrn = compiled_mechanisms([mech / "modfiles" / "casyn.mod"])
    syn = tmp_path / "synaptic_models"
    syn.mkdir()
    (syn / "casyn.json").write_text(json.dumps(PARAMS))
    net = _network(tmp_path / "net")
    spikes = _inputs(tmp_path)
    ours_cfg = _config(tmp_path / "rs", net, spikes, comps, syn, mech)
    ref_cfg = _config(tmp_path / "nrn", net, spikes, comps, syn, mech)
    run_config(ours_cfg)
    # casyn registered as the synapse model of the edge type's model_template, its parameters
    # from the synaptic model json
    run_config(ref_cfg, nrnmech_dir, oracle_args=["--user-mechs", str(casyn_nrn), "--synapse", "casyn"])

    ours, ref = _spikes(ours_cfg), _spikes(ref_cfg)
    for c in (0, 1):
        assert len(ref[c]) > 2, f"cell {c}: NEURON fired {len(ref[c])} spikes; too few to compare"
        assert len(ours[c]) == len(ref[c]), (c, ours[c], ref[c])
        assert np.max(np.abs(ours[c] - ref[c])) < 0.025, (c, ours[c], ref[c])
    v_o, v_r = _report(ours_cfg, "v"), _report(ref_cfg, "v")
    ca_o, ca_r = _report(ours_cfg, "cai"), _report(ref_cfg, "cai")
    assert np.max(np.abs(v_o - v_r)) < 1e-4, np.max(np.abs(v_o - v_r))
    assert np.max(np.abs(ca_o - ca_r) / np.abs(ca_r)) < 1e-6, np.max(np.abs(ca_o - ca_r) / np.abs(ca_r))
