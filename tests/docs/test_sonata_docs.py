"""Reading SONATA network files with bmtk.utils.sonata's File, as bmtk's SONATA pages and examples do
(`File(data_files=..., data_type_files=...)`, `net.nodes['v1'].get_node_id(0)['orientation']`), on the
Mouse L4 tutorial's network read in place, and the same on a network a block builds and saves."""

import pytest

from ._compare import same_records
from ._harness import Group

_READ = """
from bmtk.utils.sonata import File
net = File(data_files=[{nodes}, {edges}], data_type_files=[{node_types}, {edge_types}])
record('has', [net.has_nodes, net.has_edges])
record('node_pops', sorted(net.nodes.population_names))
record('edge_pops', sorted(net.edges.population_names))
v1 = net.nodes[{pop!r}]
record('n_nodes', len(v1))
first = v1.get_node_id(0)
record('first', {{k: first[k] for k in {node_keys!r}}})
record('first_ids', [first.node_id, first.node_type_id, first.group_id])
record('filtered', [n.node_id for n in v1.filter({filt})])
frame = v1.to_dataframe()
record('frame_columns', sorted(frame.columns))
record('frame_len', len(frame))
edges = net.edges[{edge_pop!r}]
record('edge_count', len(edges))
into0 = [(e.source_node_id, e.target_node_id, e.edge_type_id, e[{edge_key!r}]) for e in edges.get_target(0)]
record('into0', sorted(into0))
record('from1', len(list(edges.get_source(1))))
"""


_BUILT = """
import numpy as np
from bmtk.builder.networks import NetworkBuilder
net = NetworkBuilder('v1')
net.add_nodes(N=6, orientation=np.linspace(0.0, 150.0, 6), ei='e', model_type='biophysical')
net.add_nodes(N=3, orientation=[10.0, 20.0, 30.0], ei='i', model_type='point_process')
net.add_edges(source={'ei': 'e'}, target={'ei': 'i'}, connection_rule=2, syn_weight=0.5, delay=1.5)
net.add_edges(source={'ei': 'i'}, target={'ei': 'e'}, connection_rule=1, syn_weight=-1.0, delay=1.0)
net.build()
net.save(output_dir='network')
""" + _READ.format(nodes="'network/v1_nodes.h5'", edges="'network/v1_v1_edges.h5'",
                   node_types="'network/v1_node_types.csv'", edge_types="'network/v1_v1_edge_types.csv'",
                   pop="v1", node_keys=["orientation", "ei", "model_type"], filt="orientation=30.0",
                   edge_pop="v1_to_v1", edge_key="syn_weight")


@pytest.fixture(scope="module")
def group(oracle, bmtk_data, tmp_path_factory):
    """Both blocks of this file, run once per side."""
    d = bmtk_data / "tutorial_l4" / "network"
    tutorial = _READ.format(
        nodes=repr(str(d / "V1_nodes.h5")), edges=repr(str(d / "V1_V1_edges.h5")),
        node_types=repr(str(d / "V1_node_types.csv")), edge_types=repr(str(d / "V1_V1_edge_types.csv")),
        pop="V1", node_keys=["pop_name", "x", "y", "z", "tuning_angle", "model_type", "morphology"],
        filt="tuning_angle=0.0", edge_pop="V1_to_V1", edge_key="syn_weight")
    return Group({"tutorial": tutorial, "built": _BUILT}, tmp_path_factory.mktemp("sonata_docs"))


def test_read_tutorial_network(group):
    """The Mouse L4 network written by an older bmtk: populations, nodes by id, filters, edges into a
    cell and out of a cell."""
    _, recs = group("tutorial")
    same_records(recs)


def test_read_network_just_built(group):
    """A network the builder saves, read back with File (the two sides read their own files)."""
    _, recs = group("built")
    same_records(recs)
