"""SONATA network files the way ``bmtk.utils.sonata`` presents them::

    net = File(data_files=['network/V1_nodes.h5', 'network/V1_V1_edges.h5'],
               data_type_files=['network/V1_node_types.csv', 'network/V1_V1_edge_types.csv'])
    v1 = net.nodes['V1']
    for node in v1: ...
    v1.get_node_id(0)['model_type']
    v1.to_dataframe()
    net.edges['V1_to_V1'].get_target(0)

Read through the Rust SONATA reader (bmtk_rs.sonata), so files of any BMTK version open.
"""

from .edge import Edge, EdgeSet
from .file import File
from .node import Node, NodeSet

__all__ = ["Edge", "EdgeSet", "File", "Node", "NodeSet"]
