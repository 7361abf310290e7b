"""One edge of a SONATA edge population (``bmtk.utils.sonata.edge``)."""


class Edge:
    """An edge's endpoints plus its group and edge-type properties (``edge['prop']`` looks in the
    group first, then in the edge type)."""

    def __init__(self, src_node_id, trg_node_id, source_pop, target_pop, group_id, group_props, edge_types_props):
        self._src_node_id = src_node_id
        self._trg_node_id = trg_node_id
        self._source_population = source_pop
        self._target_population = target_pop
        self._group_props = group_props
        self._group_id = group_id
        self._edge_type_props = edge_types_props

    source_node_id = property(lambda self: self._src_node_id)
    target_node_id = property(lambda self: self._trg_node_id)
    source_population = property(lambda self: self._source_population)
    target_population = property(lambda self: self._target_population)
    group_id = property(lambda self: self._group_id)
    group_props = property(lambda self: self._group_props)
    edge_type_properties = property(lambda self: self._edge_type_props)

    @property
    def edge_type_id(self):
        return self._edge_type_props["edge_type_id"]

    @property
    def dynamics_params(self):
        raise NotImplementedError("Edge.dynamics_params")

    def __getitem__(self, key):
        if key in self._group_props:
            return self._group_props[key]
        if key in self._edge_type_props:
            return self._edge_type_props[key]
        raise KeyError("Property {} not found in edge {} -> {}.".format(key, self._src_node_id, self._trg_node_id))

    def __contains__(self, key):
        return key in self._group_props or key in self._edge_type_props

    def __repr__(self):
        return "<Edge {}:{} -> {}:{}>".format(self._source_population, self._src_node_id, self._target_population,
                                            self._trg_node_id)


class EdgeSet:
    """Edges at given rows of a population."""

    def __init__(self, edge_ids, population):
        self._edge_ids = edge_ids
        self._population = population

    def __len__(self):
        return len(self._edge_ids)

    def __iter__(self):
        return (self._population.get_row(i) for i in self._edge_ids)
