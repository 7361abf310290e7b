"""Node objects handed to user rules: dict-like access to every property of one node."""


class Node(dict):
    """One node: its per-node parameters, its node-type properties and ``node_id``.

    Behaves like BMTK's Node, including its quirks that user code can observe: lookups
    (``node['tuning_angle']``, ``node.get(...)``, ``'ei' in node``) see the node's own parameters
    first, then its type's properties, while the dict itself stays empty, so ``keys()``,
    ``items()``, ``len()`` and iteration show nothing, exactly as in bmtk 1.2.0.
    """

    __slots__ = ("_params", "_type_props")

    def __init__(self, node_id, params, node_type_properties):
        super().__init__()
        params["node_id"] = node_id
        self._params = params
        self._type_props = node_type_properties

    @property
    def node_id(self):
        return self._params["node_id"]

    @property
    def node_type_id(self):
        return self._type_props["node_type_id"]

    @property
    def params(self):
        return self._params

    @property
    def node_type_properties(self):
        return self._type_props

    def get(self, key, default=None):
        if key in self._params:
            return self._params[key]
        return self._type_props.get(key, default)

    def __contains__(self, key):
        return key in self._type_props or key in self._params

    def __getitem__(self, key):
        if key in self._params:
            return self._params[key]
        return self._type_props[key]

    def __hash__(self):
        return hash(self._params["node_id"])

    def __repr__(self):
        merged = dict(self._type_props)
        merged.update(self._params)
        return repr(merged)
