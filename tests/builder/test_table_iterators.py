"""The `all_to_one_table` / `one_to_all_table` iterators (bmtk-rs's own): a rule written on a table of
the other side's nodes builds the same files as bmtk 1.2.0 building the same rule written on its
`all_to_one` / `one_to_all` node lists (the same random draws, call for call)."""

import numpy as np
import pandas as pd
import pytest

from ..conftest import require_module
from .oracle import assert_same_network

SCRIPT = """
table = os.environ['BUILDER_IMPL'] != 'bmtk'
net = NetworkBuilder('V1')
net.add_nodes(N=60, ei='e', model_type='biophysical', x=np.random.uniform(-200, 200, 60),
              z=np.random.uniform(-200, 200, 60), tuning_angle=np.linspace(0.0, 360.0, 60, endpoint=False))
net.add_nodes(N=25, ei='i', model_type='biophysical', x=np.random.uniform(-200, 200, 25),
              z=np.random.uniform(-200, 200, 25))


def counts(xs, zs, ids, node, p_max, d_max):
    r = np.hypot(xs - node['x'], zs - node['z'])
    p = np.clip(p_max * (1.0 - r / d_max), 0.0, None)
    p[ids == node['node_id']] = 0.0
    hit = np.random.random(len(p)) < p
    c = np.zeros(len(p), dtype=np.int64)
    c[hit] = np.random.randint(1, 6, int(hit.sum()))
    return c


def columns(nodes):
    if table:
        return nodes['x'].to_numpy(), nodes['z'].to_numpy(), nodes['node_id'].to_numpy()
    return (np.array([n['x'] for n in nodes]), np.array([n['z'] for n in nodes]),
            np.array([n['node_id'] for n in nodes]))


def to_target(sources, target, p_max, d_max):
    return counts(*columns(sources), target, p_max, d_max)


def from_source(source, targets, p_max, d_max):
    return counts(*columns(targets), source, p_max, d_max)


net.add_edges(source={'ei': 'e'}, target={'ei': 'i'}, iterator='all_to_one_table' if table else 'all_to_one',
              connection_rule=to_target, connection_params={'p_max': 0.8, 'd_max': 250.0},
              syn_weight=2e-4, delay=2.0, model_template='exp2syn', dynamics_params='e2i.json')
net.add_edges(source={'ei': 'e'}, target={'ei': 'e'}, iterator='one_to_all_table' if table else 'one_to_all',
              connection_rule=from_source, connection_params={'p_max': 0.5, 'd_max': 300.0},
              syn_weight=5e-5, delay=2.0, model_template='exp2syn', dynamics_params='e2e.json')
net.build()
net.save(output_dir='network')
"""


@pytest.mark.parametrize("seed", [1, 3])
def test_table_rules_build_what_bmtk_builds_from_lists(tmp_path, seed):
    require_module("bmtk")
    ref, new = assert_same_network(SCRIPT, tmp_path, seed=seed)
    import h5py

    with h5py.File(new / "network" / "V1_V1_edges.h5", "r") as f:
        types = f["edges/V1_to_V1/edge_type_id"][()]
    assert set(np.unique(types)) == {100, 101}, "both rules must have made edges"


def test_node_table_columns():
    from bmtk_rs.builder.networks import NetworkBuilder

    net = NetworkBuilder("net")
    net.add_nodes(N=3, pop_name="a", ei="e", x=[1.0, 2.0, 3.0])
    net.add_nodes(N=2, pop_name="b", y=np.array([5.0, 6.0]), note=None)
    t = net.node_table()
    assert list(t["node_id"]) == [0, 1, 2, 3, 4]
    assert list(t["pop_name"]) == ["a", "a", "a", "b", "b"]
    assert list(t["x"][:3]) == [1.0, 2.0, 3.0] and t["x"][3:].isna().all()
    assert list(t["node_type_id"]) == [100, 100, 100, 101, 101]
    sel = net.node_table(net.nodes(pop_name="b").positions())
    assert list(sel["node_id"]) == [3, 4] and list(sel["y"]) == [5.0, 6.0]
    assert isinstance(sel, pd.DataFrame)
    assert list(sel["note"]) == [None, None]


def test_table_rule_bad_return_names_the_node():
    from bmtk_rs.builder.networks import NetworkBuilder

    net = NetworkBuilder("net")
    net.add_nodes(N=4, ei="e")
    net.add_edges(source={"ei": "e"}, target={"ei": "e"}, iterator="all_to_one_table",
                  connection_rule=lambda sources, target: np.full(len(sources) - 1, 1))
    with pytest.raises(ValueError, match=r"all_to_one_table\) returned 3 counts for target node 0, expected 4"):
        net.build()
    net = NetworkBuilder("net")
    net.add_nodes(N=4, ei="e")
    net.add_edges(source={"ei": "e"}, target={"ei": "e"}, iterator="one_to_all_table",
                  connection_rule=lambda source, targets: -np.ones(len(targets), dtype=np.int64))
    with pytest.raises(ValueError, match=r"one_to_all_table\) for source node 0, entry 0 returned -1"):
        net.build()
