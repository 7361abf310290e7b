"""``File(data_files, data_type_files)``: the nodes and edges of a SONATA network, as
``bmtk.utils.sonata.File`` presents them (``net.nodes['V1']``, ``net.edges[...]``)."""

import os

from ... import sonata as _sonata
from .population import EdgePopulation, NodePopulation
from .types_table import EdgeTypesTable, NodeTypesTable, load_csv

VERSION_NA = "NA"


def listify(files):
    return list(files) if isinstance(files, (list, tuple)) else [files]


def _read(path, kind):
    """Populations of ``kind`` ('nodes'/'edges') in one file; {} when the file has no such root."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError("SONATA file {} does not exist".format(path))
    reader = _sonata.read_nodes if kind == "nodes" else _sonata.read_edges
    try:
        return reader(path)
    except Exception as err:  # the Rust reader reports a missing /nodes or /edges root as an error
        if "/" + kind in str(err) or kind in str(err).lower():
            return None
        raise


def _version(path):
    try:
        import h5py
    except ImportError:
        return VERSION_NA
    with h5py.File(path, "r") as h5:
        v = h5.attrs.get("version")
    if v is None:
        return VERSION_NA
    return ".".join(str(x) for x in list(v))


class FileRoot:
    """The populations of one kind (nodes or edges) over all given files."""

    root_name = None

    def __init__(self, populations, types_table):
        self._raw = populations
        self._types_table = types_table
        self._cache = {}

    @property
    def population_names(self):
        return list(self._raw)

    @property
    def populations(self):
        return [self[n] for n in self.population_names]

    @property
    def types_table(self):
        return self._types_table

    def get_population(self, population_name, default=None):
        return self[population_name] if population_name in self else default

    def __contains__(self, population_name):
        return population_name in self._raw

    def __iter__(self):
        return iter(self.populations)

    def __getitem__(self, population_name):
        if population_name not in self:
            raise KeyError("{} does not contain a population with name {}.".format(self.root_name, population_name))
        if population_name not in self._cache:
            self._cache[population_name] = self._build(population_name, self._raw[population_name])
        return self._cache[population_name]


class NodesRoot(FileRoot):
    root_name = "nodes"
    has_gids = False

    @property
    def node_types_table(self):
        return self._types_table

    def _build(self, name, raw):
        return NodePopulation(name, raw, self._types_table)


class EdgesRoot(FileRoot):
    root_name = "edges"

    @property
    def edge_types_table(self):
        return self._types_table

    def get_populations(self, name=None, source=None, target=None):
        """Edge populations by name, or by source and/or target node population (name or object)."""
        if (name is None) == (source is None and target is None):
            raise ValueError("give either name or source/target")
        if name is not None:
            return [self[name]]
        names = self.population_names
        if source is not None:
            source = getattr(source, "name", source)
            names = [n for n in names if self._raw[n].get("source_population") == source]
        if target is not None:
            target = getattr(target, "name", target)
            names = [n for n in names if self._raw[n].get("target_population") == target]
        return [self[n] for n in names]

    def _build(self, name, raw):
        return EdgePopulation(name, raw, self._types_table)


class File:
    """Nodes and/or edges from SONATA h5 files plus their types csv files (read mode only)."""

    def __init__(self, data_files, data_type_files, mode="r", gid_table=None, require_magic=True):
        if mode != "r":
            raise ValueError("Currently only read mode is supported.")
        if gid_table is not None:
            raise NotImplementedError("gid_table is not supported")
        self._data_files = [os.fspath(f) for f in listify(data_files)]
        self._data_type_files = listify(data_type_files)
        versions = {_version(f) for f in self._data_files}
        self._version = versions.pop() if len(versions) == 1 else ",".join(sorted(versions)) or VERSION_NA
        node_types, edge_types = NodeTypesTable(), EdgeTypesTable()
        n_node_types = n_edge_types = 0
        for f in self._data_type_files:
            df = load_csv(f)
            has_n, has_e = "node_type_id" in df.columns, "edge_type_id" in df.columns
            if has_n and has_e:
                raise ValueError("types file {} has both node_type_id and edge_type_id column.".format(f))
            if has_n:
                node_types.add_table(df)
                n_node_types += 1
            elif has_e:
                edge_types.add_table(df)
                n_edge_types += 1
            else:
                print("Warning: Could not determine if file {} was an edge-types or node-types file. "
                      "Ignoring".format(f))
        nodes, edges = {}, {}
        for f in self._data_files:
            for kind, found in (("nodes", nodes), ("edges", edges)):
                pops = _read(f, kind)
                for name, raw in (pops or {}).items():
                    if name in found:
                        raise ValueError("Multiple {} populations with name {}.".format(kind, name))
                    found[name] = raw
        self._has_nodes, self._has_edges = bool(nodes), bool(edges)
        if not (nodes or edges):
            raise ValueError("Could not find neither nodes nor edges for the given file(s) {}.".format(
                self._data_files))
        if nodes and n_node_types == 0:
            raise ValueError("No nodes types csv files specified.")
        if edges and n_edge_types == 0:
            raise ValueError("No edges types csv files specified.")
        self._nodes = NodesRoot(nodes, node_types) if nodes else None
        self._edges = EdgesRoot(edges, edge_types) if edges else None

    nodes = property(lambda self: self._nodes)
    edges = property(lambda self: self._edges)
    has_nodes = property(lambda self: self._has_nodes)
    has_edges = property(lambda self: self._has_edges)
    version = property(lambda self: self._version)


__all__ = ["File", "NodesRoot", "EdgesRoot"]
