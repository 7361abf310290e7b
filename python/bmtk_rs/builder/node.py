"""Node objects handed to user rules: dict-like access to every property of one node."""


class Node(dict):
    """One node: its per-node parameters, its node-type properties and ``node_id``.

    Behaves like BMTK's Node: ``node['tuning_angle']``, ``node.get(...)``, ``'ei' in node``,
    ``node.node_id``, ``node.node_type_id``.
    """

    __slots__ = ("_params", "_type_props")

    def __init__(self, node_id, params, node_type_properties):
        merged = dict(node_type_properties)
        merged.update(params)
        merged["node_id"] = node_id
        super().__init__(merged)
        self._params = params
        self._type_props = node_type_properties

    @property
    def node_id(self):
        return self["node_id"]

    @property
    def node_type_id(self):
        return self._type_props["node_type_id"]

    @property
    def params(self):
        return self._params

    @property
    def node_type_properties(self):
        return self._type_props

    def __hash__(self):
        return hash(self["node_id"])
