"""Synapses from the config's mechanisms_dir .mod files (no nrnivmodl): an edge type whose
model_template names a POINT_PROCESS of BMTK's modfiles (stp2syn, with short-term depression) runs
through the engine's NMODL front end, next to the engine's own Exp2Syn, spike for spike as bmtk
1.2.0 + NEURON 9.0.2 run the nrnivmodl build of the same file. A file that cannot run is refused
with its file, line and reason, naming the edge type that needed it."""

import json
import os
import platform
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from ..conftest import _nrnivmodl, require_module
from .network_configs import run_config
from .sonata_writer import write_edges, write_nodes, write_spikes, write_types

TSTOP = 300.0
N_INPUTS = 10
STP2 = {"level_of_detail": "stp2syn", "erev": 0.0, "p0": 0.5, "tau_r0": 300.0, "tau_FDR": 500.0, "tau_1": 4.0}


def _network(base, template="stp2syn"):
    net = base / "network"
    net.mkdir(parents=True)
    write_types(net / "cells_node_types.csv", [
        {"node_type_id": 100, "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
         "model_processing": "aibs_perisomatic", "morphology": "Scnn1a_473845048_m.swc",
         "dynamics_params": "472363762_fit.json", "pop_name": "Scnn1a"}], "node_type_id")
    write_nodes(net / "cells_nodes.h5", "cells", [100, 100, 100])
    write_types(net / "inputs_node_types.csv", [{"node_type_id": 200, "model_type": "virtual", "pop_name": "in"}],
                "node_type_id")
    write_nodes(net / "inputs_nodes.h5", "inputs", [200] * N_INPUTS)
    write_types(net / "inputs_cells_edge_types.csv", [
        {"edge_type_id": 1, "model_template": template, "dynamics_params": "stp2.json",
         "target_sections": "['basal','apical']", "distance_range": "[0.0,150.0]", "delay": 2.0,
         "syn_weight": 0.03},
        {"edge_type_id": 2, "model_template": "exp2syn", "dynamics_params": "AMPA_ExcToExc.json",
         "target_sections": "['basal','apical']", "distance_range": "[0.0,150.0]", "delay": 2.0,
         "syn_weight": 0.006},
    ], "edge_type_id")
    # cells 0 and 1: stp2syn (placed, 3 and explicit, 1 synapse per edge); cell 2: Exp2Syn
    rng = np.random.RandomState(7)
    edges = [(int(s), c) for c in range(3) for s in rng.choice(N_INPUTS, 5, replace=False)]
    src = np.array([e[0] for e in edges])
    trg = np.array([e[1] for e in edges])
    etype = np.where(trg == 2, 2, 1)
    group = np.where(trg == 1, 1, 0)
    m0, m1 = np.flatnonzero(group == 0), np.flatnonzero(group == 1)
    groups = {0: {"nsyns": np.full(len(m0), 3, dtype=np.int64)},
              1: {"afferent_section_id": np.arange(len(m1), dtype=np.int64) * 2,
                  "afferent_section_pos": np.linspace(0.2, 0.8, len(m1))}}
    write_edges(net / "inputs_cells_edges.h5", "inputs_to_cells", "inputs", "cells", src, trg, etype, groups,
                group, N_INPUTS, 3)
    return net


def _inputs(base):
    rng = np.random.RandomState(2)
    ids, ts = [], []
    for n in range(N_INPUTS):
        t = np.cumsum(rng.exponential(1000.0 / 30.0, 40))
        t = t[t < TSTOP - 5.0]
        ids.append(np.full(len(t), n))
        ts.append(np.round(t, 3))
    path = base / "inputs" / "spikes.h5"
    path.parent.mkdir(parents=True)
    write_spikes(path, "inputs", np.concatenate(ids), np.concatenate(ts))
    return path


def _config(base, net, spikes, comps, syn_dir, mech_dir=None):
    components = {k: str(comps / v) for k, v in {
        "morphologies_dir": "morphologies", "biophysical_neuron_models_dir": "biophysical_neuron_models"}.items()}
    components["synaptic_models_dir"] = str(syn_dir)
    if mech_dir is not None:
        components["mechanisms_dir"] = str(mech_dir)
    conf = {
        "run": {"tstop": TSTOP, "dt": 0.025, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 5000},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "inputs": {"spikes": {"input_type": "spikes", "module": "sonata", "input_file": str(spikes),
                              "node_set": "inputs"}},
        "output": {"log_file": "log.txt", "output_dir": str(base / "output"), "spikes_file": "spikes.h5",
                   "overwrite_output_dir": True},
        "components": components,
        "networks": {
            "nodes": [{"nodes_file": str(net / f"{p}_nodes.h5"), "node_types_file": str(net / f"{p}_node_types.csv")}
                      for p in ("cells", "inputs")],
            "edges": [{"edges_file": str(net / "inputs_cells_edges.h5"),
                       "edge_types_file": str(net / "inputs_cells_edge_types.csv")}],
        },
    }
    base.mkdir(parents=True, exist_ok=True)
    path = base / "config.json"
    path.write_text(json.dumps(conf, indent=1))
    return path


def _spikes(config):
    with h5py.File(config.parent / "output" / "spikes.h5", "r") as f:
        g = f["spikes/cells"]
        ids, ts = g["node_ids"][()], g["timestamps"][()]
    return {int(n): np.sort(ts[ids == n]) for n in np.unique(ids)}


# bmtk + NEURON with bmtk's shipped mechanisms and the nrnivmodl build of the synapse file
_NEURON_RUN = """
import sys, neuron
neuron.load_mechanisms(sys.argv[2])
neuron.load_mechanisms(sys.argv[3])
from bmtk.simulator import bionet
conf = bionet.Config.from_json(sys.argv[1], validate=False)
conf.build_env()
net = bionet.BioNetwork.from_config(conf)
bionet.BioSimulator.from_config(conf, network=net).run()
"""


@pytest.fixture(scope="module")
def stp2syn_mech(bmtk_data, tmp_path_factory):
    require_module("neuron")
    work = tmp_path_factory.mktemp("stp2syn_nrnmech")
    shutil.copy(bmtk_data / "examples" / "bio_components" / "mechanisms" / "modfiles" / "stp2syn.mod", work)
    build = subprocess.run([_nrnivmodl()], check=False, cwd=work, capture_output=True, text=True)
    assert build.returncode == 0, "nrnivmodl failed:\n" + build.stdout[-3000:] + build.stderr[-3000:]
    assert (work / platform.machine()).is_dir(), build.stdout[-2000:]
    return work


@pytest.fixture
def setup(bmtk_data, tmp_path):
    comps = bmtk_data / "tutorial_l4" / "components"
    syn = tmp_path / "synaptic_models"
    syn.mkdir()
    shutil.copy(comps / "synaptic_models" / "AMPA_ExcToExc.json", syn / "AMPA_ExcToExc.json")
    (syn / "stp2.json").write_text(json.dumps(STP2))
    mech = bmtk_data / "examples" / "bio_components" / "mechanisms"
    return comps, syn, mech


def test_stp2syn_from_modfile_vs_neuron(setup, nrnmech_dir, stp2syn_mech, tmp_path):
    require_module("bmtk")
    comps, syn, mech = setup
    net = _network(tmp_path / "net")
    spikes = _inputs(tmp_path)
    ours_cfg = _config(tmp_path / "rs", net, spikes, comps, syn, mech)
    run_config(ours_cfg)
    ref_cfg = _config(tmp_path / "nrn", net, spikes, comps, syn)
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    run = subprocess.run([sys.executable, "-c", _NEURON_RUN, str(ref_cfg), str(nrnmech_dir), str(stp2syn_mech)],
                         capture_output=True, text=True, env=env, timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    ours, ref = _spikes(ours_cfg), _spikes(ref_cfg)
    for c in range(3):
        r, o = ref.get(c, np.zeros(0)), ours.get(c, np.zeros(0))
        assert len(r) > 0, f"cell {c}: NEURON fired no spike; the synapses driving it would not be tested"
        assert len(o) == len(r), f"cell {c}: {len(o)} spikes vs NEURON's {len(r)}: {o} {r}"
        assert np.max(np.abs(o - r)) <= 0.5, (c, o, r)


def test_unrunnable_synapse_file_names_edge_type_file_and_line(setup, tmp_path):
    comps, syn, _ = setup
    mech = tmp_path / "mechanisms"
    (mech / "modfiles").mkdir(parents=True)
    (mech / "modfiles" / "badsyn.mod").write_text(
        "NEURON { POINT_PROCESS badsyn RANGE e NONSPECIFIC_CURRENT i }\n"
        "PARAMETER { e = 0 }\nASSIGNED { v i }\nSTATE { g }\n"
        "BREAKPOINT { SOLVE s METHOD cnexp\n i = g*(v - e) }\n"
        "DERIVATIVE s { g' = -g/undefined_tau }\n"
        "NET_RECEIVE(w) { g = g + w }\n")
    net = _network(tmp_path / "net", template="badsyn")
    cfg = _config(tmp_path / "rs", net, _inputs(tmp_path), comps, syn, mech)
    run = subprocess.run([sys.executable, "-m", "bmtk_rs.simulator.bionet", str(cfg)], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode != 0
    err = run.stdout + run.stderr
    assert "edge type 1" in err and "badsyn.mod:7" in err and "undefined_tau" in err, err[-2000:]
