"""Selections of nodes (``net.nodes(**filters)``), usable as ``source=``/``target=``."""

import numpy as np


class NodePool:
    def __init__(self, network, **properties):
        self._network = network
        self._properties = properties
        self._filter_str = None

    @property
    def network(self):
        return self._network

    @property
    def network_name(self):
        return self._network.name

    @property
    def properties(self):
        return self._properties

    @property
    def filter_str(self):
        """The query as written into the edge-types table (``ei=='e'&...``, ``*`` for all)."""
        if self._filter_str is None:
            if not self._properties:
                self._filter_str = "*"
            else:
                self._filter_str = "&".join("{}=='{}'".format(k, v) for k, v in self._properties.items())
        return self._filter_str

    def positions(self):
        """Indices (into the network's node order) of the selected nodes."""
        return self._network._select(self._properties)

    def node_ids(self):
        return self._network._all_node_ids()[self.positions()]

    def __iter__(self):
        nodes = self._network._node_objects()
        return (nodes[i] for i in self.positions().tolist())

    def __len__(self):
        return int(len(self.positions()))

    def __repr__(self):
        return "<NodePool {} ({})>".format(self.network_name, self.filter_str)


def as_positions(pool):
    return np.asarray(pool.positions(), dtype=np.int64)
