"""Every SONATA edge-group shape delivers every edge, as bmtk 1.2.0 + NEURON 9.0.2 deliver them.

BMTK decides per edge GROUP (the group's columns plus the edge types table's) whether an edge names
its section (afferent_section_id/pos or the old sec_id/sec_x: one synapse there, point-cell weights
unscaled) or is placed by target_sections/distance_range (nsyns synapses; point-cell weights times
sign * nsyns). A population mixing both kinds used to lose the edges of the groups that lacked the
section columns. Each target cell here is driven by the edges of exactly one group, so a dropped or
mis-weighted group shows as a silent or shifted cell.

Shapes: groups interleaved edge by edge or in blocks, one edge type spread over several groups, old
and new section column names, a group whose only column overrides the type's syn_weight, IntFire1
targets in a placed (nsyns) group and in a preselected group, and a builder-made network where one
add_edges adds afferent_section_id/pos and another does not."""

import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from ..conftest import require_module
from .network_configs import run_config
from .sonata_writer import write_edges, write_nodes, write_spikes, write_types

HERE = os.path.dirname(__file__)
TSTOP = 400.0
N_INPUTS = 12

# target cell -> (group, kind); bio cells 0, 1, 4, 6; IntFire1 cells 2, 3, 5
CELLS = {
    0: ("explicit_new", "bio"),
    1: ("placed", "bio"),
    2: ("explicit_new", "point"),
    3: ("placed", "point"),
    4: ("explicit_old", "bio"),
    5: ("weight_only", "point"),
    6: ("placed", "bio"),
}
GROUP_IDS = {"explicit_new": 0, "placed": 1, "explicit_old": 2, "weight_only": 3}


def _components(bmtk_data):
    return bmtk_data / "tutorial_l4" / "components"


def _make_network(base, layout):
    """The network of CELLS, edges from N_INPUTS virtual cells (4 inputs per target), ordered as
    `layout` says: 'interleaved' (edge k goes to cell k % 7) or 'blocked' (sorted by group)."""
    net = base / "network"
    net.mkdir(parents=True)
    bio_type, point_type = 100, 101
    node_types = [bio_type if CELLS[c][1] == "bio" else point_type for c in sorted(CELLS)]
    write_types(net / "cells_node_types.csv", [
        {"node_type_id": bio_type, "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
         "model_processing": "aibs_perisomatic", "morphology": "Scnn1a_473845048_m.swc",
         "dynamics_params": "472363762_fit.json", "pop_name": "Scnn1a"},
        {"node_type_id": point_type, "model_type": "point_process", "model_template": "nrn:IntFire1",
         "dynamics_params": "IntFire1_exc_1.json", "pop_name": "LIF_exc"},
    ], "node_type_id")
    write_nodes(net / "cells_nodes.h5", "cells", node_types)
    write_types(net / "inputs_node_types.csv", [{"node_type_id": 200, "model_type": "virtual", "pop_name": "in"}],
                "node_type_id")
    write_nodes(net / "inputs_nodes.h5", "inputs", [200] * N_INPUTS)
    # edge type 1 (to bio cells) and 2 (to point cells), each spread over several groups
    write_types(net / "inputs_cells_edge_types.csv", [
        {"edge_type_id": 1, "model_template": "exp2syn", "dynamics_params": "AMPA_ExcToExc.json",
         "target_sections": "['basal','apical']", "distance_range": "[0.0,150.0]", "delay": 2.0,
         "syn_weight": 0.006},
        {"edge_type_id": 2, "dynamics_params": "instantaneousExc.json", "delay": 1.5, "syn_weight": 0.3},
    ], "edge_type_id")
    edges = []   # (source, target)
    rng = np.random.RandomState(3)
    for c in sorted(CELLS):
        for s in rng.choice(N_INPUTS, 4, replace=False):
            edges.append((int(s), c))
    if layout == "interleaved":
        by_cell = {c: [e for e in edges if e[1] == c] for c in CELLS}
        edges = [by_cell[c][k] for k in range(4) for c in sorted(CELLS)]
    else:
        edges.sort(key=lambda e: (GROUP_IDS[CELLS[e[1]][0]], e[1]))
    src = np.array([e[0] for e in edges])
    trg = np.array([e[1] for e in edges])
    group_of = np.array([GROUP_IDS[CELLS[t][0]] for t in trg])
    etype = np.array([1 if CELLS[t][1] == "bio" else 2 for t in trg])
    members = {g: np.flatnonzero(group_of == g) for g in GROUP_IDS.values()}
    # explicit sites: soma (0) and dendritic sections at chosen positions
    secs = np.array([0, 1, 3, 5, 8, 12])
    groups = {
        0: {"afferent_section_id": secs[np.arange(len(members[0])) % len(secs)].astype(np.int64),
            "afferent_section_pos": np.linspace(0.1, 0.9, len(members[0]))},
        1: {"nsyns": np.where(etype[members[1]] == 1, 3, 2).astype(np.int64)},
        2: {"sec_id": secs[::-1][np.arange(len(members[2])) % len(secs)].astype(np.int64),
            "sec_x": np.linspace(0.8, 0.2, len(members[2]))},
        3: {"syn_weight": np.full(len(members[3]), 0.45)},
    }
    write_edges(net / "inputs_cells_edges.h5", "inputs_to_cells", "inputs", "cells", src, trg, etype, groups,
                group_of, N_INPUTS, len(CELLS))
    return net


def _inputs(base):
    rng = np.random.RandomState(11)
    ids, ts = [], []
    for n in range(N_INPUTS):
        t = np.cumsum(rng.exponential(1000.0 / 25.0, 40))
        t = t[t < TSTOP - 5.0]
        ids.append(np.full(len(t), n))
        ts.append(np.round(t, 3))
    path = base / "inputs" / "spikes.h5"
    path.parent.mkdir()
    write_spikes(path, "inputs", np.concatenate(ids), np.concatenate(ts))
    return path


def _config(base, net_dir, spikes, comps, edges_name="inputs_cells"):
    conf = {
        "run": {"tstop": TSTOP, "dt": 0.025, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 5000},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "inputs": {"spikes": {"input_type": "spikes", "module": "sonata", "input_file": str(spikes),
                              "node_set": "inputs"}},
        "output": {"log_file": "log.txt", "output_dir": str(base / "output"), "spikes_file": "spikes.h5",
                   "overwrite_output_dir": True},
        "components": {k: str(comps / v) for k, v in {
            "morphologies_dir": "morphologies", "synaptic_models_dir": "synaptic_models",
            "biophysical_neuron_models_dir": "biophysical_neuron_models",
            "point_neuron_models_dir": "point_neuron_models"}.items()},
        "networks": {
            "nodes": [{"nodes_file": str(net_dir / f"{p}_nodes.h5"), "node_types_file": str(net_dir / f"{p}_node_types.csv")}
                      for p in ("cells", "inputs")],
            "edges": [{"edges_file": str(net_dir / f"{edges_name}_edges.h5"),
                       "edge_types_file": str(net_dir / f"{edges_name}_edge_types.csv")}],
        },
    }
    base.mkdir(parents=True, exist_ok=True)
    path = base / "config.json"
    path.write_text(json.dumps(conf, indent=1))
    return path


def _run(config, nrnmech_dir=None):
    run_config(config, nrnmech_dir)
    with h5py.File(config.parent / "output" / "spikes.h5", "r") as f:
        g = f["spikes/cells"]
        ids, ts = g["node_ids"][()], g["timestamps"][()]
    return {int(n): np.sort(ts[ids == n]) for n in np.unique(ids)}


def _compare(ours, ref, cells):
    for c in cells:
        r = ref.get(c, np.zeros(0))
        o = ours.get(c, np.zeros(0))
        assert len(r) > 0, f"cell {c}: NEURON fired no spike, the group driving it would not be tested"
        assert len(o) == len(r), f"cell {c} ({CELLS.get(c)}): {len(o)} spikes vs NEURON's {len(r)}"
        assert np.max(np.abs(o - r)) <= 0.5, (c, o, r)


@pytest.mark.parametrize("layout", ["interleaved", "blocked"])
def test_edge_group_shapes_vs_neuron(layout, bmtk_data, nrnmech_dir, tmp_path):
    require_module("bmtk")
    comps = _components(bmtk_data)
    net = _make_network(tmp_path / "net", layout)
    spikes = _inputs(tmp_path)
    ours = _run(_config(tmp_path / "rs", net, spikes, comps))
    ref = _run(_config(tmp_path / "nrn", net, spikes, comps), nrnmech_dir)
    _compare(ours, ref, sorted(CELLS))


def _builder_network(out_dir, builder_module):
    """bmtk's tutorial 04 shape: one add_edges to the biophysical cells with explicit sections
    added by add_properties, one placed add_edges to the point cells, into one edge population."""
    script = f"""
import numpy as np
from {builder_module} import NetworkBuilder
np.random.seed(5)
cells = NetworkBuilder('cells')
cells.add_nodes(N=2, pop_name='Scnn1a', model_type='biophysical', model_template='ctdb:Biophys1.hoc',
                model_processing='aibs_perisomatic', morphology='Scnn1a_473845048_m.swc',
                dynamics_params='472363762_fit.json')
cells.add_nodes(N=2, pop_name='LIF_exc', model_type='point_process', model_template='nrn:IntFire1',
                dynamics_params='IntFire1_exc_1.json')
cells.add_nodes(N=1, pop_name='PV1', model_type='point_process', model_template='nrn:IntFire1',
                dynamics_params='IntFire1_inh_1.json')
cells.build()
cells.save_nodes(output_dir={str(out_dir)!r})
inputs = NetworkBuilder('inputs')
inputs.add_nodes(N={N_INPUTS}, model_type='virtual', pop_name='in')
cm = inputs.add_edges(source=inputs.nodes(), target=cells.nodes(pop_name='Scnn1a'),
                      connection_rule=lambda s, t: 1 if (s.node_id + t.node_id) % 3 else 0,
                      syn_weight=0.006, delay=2.0, dynamics_params='AMPA_ExcToExc.json', model_template='exp2syn')
cm.add_properties(['afferent_section_id', 'afferent_section_pos'],
                  rule=lambda s, t: (int(np.random.randint(0, 10)), float(np.random.uniform(0.1, 0.9))),
                  dtypes=[np.int32, float])
inputs.add_edges(source=inputs.nodes(), target=cells.nodes(pop_name='LIF_exc'),
                 connection_rule=lambda s, t: 2 if (s.node_id + t.node_id) % 2 else 0,
                 syn_weight=0.09, delay=2.0, dynamics_params='instantaneousExc.json')
inputs.add_edges(source=inputs.nodes(), target=cells.nodes(pop_name='NoSuchPop'),
                 connection_rule=1, syn_weight=0.09, delay=2.0, dynamics_params='instantaneousExc.json')
inputs.build()
inputs.save_nodes(output_dir={str(out_dir)!r})
inputs.save_edges(output_dir={str(out_dir)!r})
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def test_builder_mixed_groups_vs_neuron(bmtk_data, nrnmech_dir, tmp_path):
    """The same builder script (bmtk-rs's builder, files equal to bmtk's) run through both simulators;
    the point cells are driven only by the group without section columns. The add_edges whose target
    selection is empty writes its edge type with no edges, as bmtk does."""
    require_module("bmtk")
    net = tmp_path / "network"
    _builder_network(net, "bmtk_rs.builder.networks")
    with h5py.File(net / "inputs_cells_edges.h5", "r") as f:
        groups = [k for k in f["edges/inputs_to_cells"] if k.isdigit()]
    assert len(groups) == 2, groups
    spikes = _inputs(tmp_path)
    comps = _components(bmtk_data)
    ours = _run(_config(tmp_path / "rs", net, spikes, comps))
    ref = _run(_config(tmp_path / "nrn", net, spikes, comps), nrnmech_dir)
    _compare(ours, ref, [0, 1, 2, 3])


def test_unplaceable_edge_is_an_error(bmtk_data, tmp_path):
    """An edge to a biophysical cell whose group has neither section columns nor nsyns cannot be
    made (bmtk crashes on it deep inside NEURON's setup): a clear error naming the edge and group."""
    net = _make_network(tmp_path / "net", "blocked")
    with h5py.File(net / "inputs_cells_edges.h5", "r+") as f:
        grp = f["edges/inputs_to_cells/1"]
        del grp["nsyns"]
        n_members = int(np.sum(f["edges/inputs_to_cells/edge_group_id"][()] == 1))
        grp.create_dataset("syn_weight", data=np.full(n_members, 0.01))
    spikes = _inputs(tmp_path)
    config = _config(tmp_path / "rs", net, spikes, _components(bmtk_data))
    run = subprocess.run([sys.executable, "-m", "bmtk_rs.simulator.bionet", str(config)], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode != 0
    assert "group 1" in run.stderr and "afferent_section_id" in run.stderr, run.stderr[-2000:]
    assert not (tmp_path / "rs" / "output" / "spikes.h5").exists()
