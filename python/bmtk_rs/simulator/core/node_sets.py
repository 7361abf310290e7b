"""``bmtk.simulator.core.node_sets``: a named selection of nodes (a config ``node_sets`` entry).

The network is anything with ``get_node_population(name)`` / ``get_node_populations()`` whose
populations have ``name`` and ``filter(**props)`` yielding nodes with ``node_id`` (e.g. a
``bmtk_rs.utils.sonata.File``'s nodes, wrapped by :func:`network_of`)."""

from .io_tools import io


def to_list(val):
    return val if isinstance(val, list) else [val]


def _filter(pop, props):
    return pop.filter(**props)


class NodeSet:
    def __init__(self, filter_params, network):
        self._network = network
        self._preselected_gids = None
        if isinstance(filter_params, list):
            filter_params = {"node_id": filter_params}
        if not isinstance(filter_params, dict):
            io.log_exception("Unknown node set params type {}".format(type(filter_params)))
        self._filter = dict(filter_params)
        self._populations = self._find_populations()

    def _find_populations(self):
        for key in ("population", "populations"):
            if key in self._filter:
                names = to_list(self._filter.pop(key))
                return [self._network.get_node_population(n) for n in names]
        return list(self._network.get_node_populations())

    def populations(self):
        return self._populations

    def population_names(self):
        return [p.name for p in self._populations]

    def fetch_nodes(self):
        for pop in self._populations:
            yield from _filter(pop, self._filter)

    @property
    def node_ids(self):
        return [node.node_id for node in self.fetch_nodes()]

    def gids(self):
        if self._preselected_gids is not None:
            yield from self._preselected_gids
            return
        pool = getattr(self._network, "gid_pool", None)
        for pop in self._populations:
            for node in _filter(pop, self._filter):
                yield node.node_id if pool is None else pool.get_gid(name=pop.name, node_id=node.node_id)

    def nodes(self):
        return None

    def __len__(self):
        return len(self.node_ids)


class NodeSetAll(NodeSet):
    def __init__(self, network):
        super().__init__({}, network)


class network_of:
    """Adapts a ``bmtk_rs.utils.sonata.File`` (or its ``nodes``) to what NodeSet asks of a network."""

    def __init__(self, sonata_file):
        self._nodes = getattr(sonata_file, "nodes", sonata_file)

    def get_node_population(self, name):
        return self._nodes[name]

    def get_node_populations(self):
        return self._nodes.populations
