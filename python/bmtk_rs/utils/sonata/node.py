"""One node of a SONATA population and sets of nodes (``bmtk.utils.sonata.node``)."""


class Node:
    """A node's ids plus its group properties and node-type properties (``node['prop']`` looks in
    the group first, then in the node type)."""

    def __init__(self, node_id, pop_name, node_type_id, node_types_props, group_id, group_props, dynamics_params,
                 gid=None):
        self._node_id = node_id
        self._gid = gid
        self._node_type_id = node_type_id
        self._node_type_props = node_types_props
        self._group_id = group_id
        self._group_props = group_props
        self._pop_name = pop_name

    node_id = property(lambda self: self._node_id)
    gid = property(lambda self: self._gid)
    population_name = property(lambda self: self._pop_name)
    group_id = property(lambda self: self._group_id)
    node_type_id = property(lambda self: self._node_type_id)
    group_props = property(lambda self: self._group_props)
    node_type_properties = property(lambda self: self._node_type_props)

    @property
    def dynamics_params(self):
        raise NotImplementedError("Node.dynamics_params")

    def __getitem__(self, key):
        if key in self._group_props:
            return self._group_props[key]
        if key in self._node_type_props:
            return self._node_type_props[key]
        if key == "node_id":
            return self._node_id
        if key == "node_type_id":
            return self._node_type_id
        raise KeyError("Unknown property {} of node {} in population {}".format(key, self._node_id, self._pop_name))

    def __contains__(self, key):
        return key in self._group_props or key in self._node_type_props

    def __repr__(self):
        return "<Node {}/{}>".format(self._pop_name, self._node_id)


class NodeSet:
    """Nodes at given rows of a population, iterated lazily."""

    def __init__(self, node_indicies, population, **parameters):
        self._indicies = node_indicies
        self._population = population

    @property
    def node_ids(self):
        return self._population.inode_ids(self._indicies)

    @property
    def gids(self):
        return self._population.igids(self._indicies)

    @property
    def node_type_ids(self):
        return self._population.inode_type_ids(self._indicies)

    def get_properties(self, property_name):
        raise NotImplementedError("NodeSet.get_properties")

    def __len__(self):
        return len(self._indicies)

    def __iter__(self):
        return (self._population.get_row(i) for i in self._indicies)
