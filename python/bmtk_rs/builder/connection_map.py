"""ConnectionMap: the unevaluated rules of one ``add_edges`` call."""

import numpy as np

ITERATORS = ("one_to_one", "one_to_all", "all_to_one", "one_to_all_table", "all_to_one_table")
#: iterators whose rule gets the list side as one pandas DataFrame (node_id and every property)
TABLE_ITERATORS = ("one_to_all_table", "all_to_one_table")


class ConnectionMap:
    """Returned by ``add_edges``; ``add_properties`` adds per-synapse properties.

    The rules run when the network is built, in BMTK's order: the connection rule over all
    pairs first, then each property rule over every synapse, in the order they were added.
    """

    class ParamsRules:
        def __init__(self, names, rule, rule_params, dtypes, values=None):
            self.names = names
            self.rule = rule
            self.rule_params = rule_params or {}
            self.values = values
            if isinstance(names, (list, tuple)):
                if dtypes is None:
                    raise ValueError(
                        "add_properties({}): dtypes must be given, one per name".format(list(names))
                    )
                dtypes = list(dtypes)
                if len(dtypes) != len(names):
                    raise ValueError(
                        "add_properties({}): {} dtypes for {} names".format(list(names), len(dtypes), len(names))
                    )
                self.dtypes = dict(zip(names, dtypes))
            else:
                self.dtypes = {names: dtypes}

        @property
        def multiple(self):
            return isinstance(self.names, (list, tuple))

        def name_list(self):
            return list(self.names) if self.multiple else [self.names]

    def __init__(self, sources, targets, connector, connector_params, iterator, edge_type_properties):
        if iterator not in ITERATORS:
            raise ValueError(
                "add_edges: unknown iterator {!r}; expected one of {}".format(iterator, ", ".join(ITERATORS))
            )
        self._source_nodes = sources
        self._target_nodes = targets
        self._connector = connector
        self._connector_params = connector_params
        self._iterator = iterator
        self._edge_type_properties = edge_type_properties
        self._params = []
        self._param_keys = []

    @property
    def params(self):
        return self._params

    @property
    def source_nodes(self):
        return self._source_nodes

    @property
    def target_nodes(self):
        return self._target_nodes

    @property
    def source_network_name(self):
        return self._source_nodes.network_name

    @property
    def target_network_name(self):
        return self._target_nodes.network_name

    @property
    def connector(self):
        return self._connector

    @property
    def connector_params(self):
        return self._connector_params

    @property
    def iterator(self):
        return self._iterator

    @property
    def edge_type_properties(self):
        return self._edge_type_properties or {}

    @property
    def edge_type_id(self):
        return self._edge_type_properties["edge_type_id"]

    @property
    def property_names(self):
        return list(self._param_keys) if self._param_keys else ["nsyns"]

    def max_connections(self):
        return len(self._source_nodes) * len(self._target_nodes)

    def add_properties(self, names, rule=None, rule_params=None, values=None, dtypes=None):
        """Add per-synapse properties.

        ``rule(source, target, **rule_params)`` is called once per synapse and returns one value,
        or a tuple when ``names`` is a list (then ``dtypes`` is a list too). ``values`` gives
        the values directly, one per synapse; a scalar ``rule`` gives every synapse that value.
        """
        if (values is None) == (rule is None):
            raise ValueError('Please specify either the "rule" or "values" parameters')
        if isinstance(names, str):
            new = [names]
        else:
            new = list(names)
        for n in new:
            if n in self._param_keys:
                raise ValueError("add_properties: property {!r} is already defined for this edge type".format(n))
            if n == "nsyns":
                raise ValueError("add_properties: 'nsyns' is set by the connection rule")
        if values is None and isinstance(rule, (list, np.ndarray)):
            values, rule = rule, None
        self._params.append(self.ParamsRules(names, rule, rule_params, dtypes, values=values))
        self._param_keys += new
