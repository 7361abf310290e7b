"""Node and edge populations read through the Rust SONATA reader, with ``bmtk.utils.sonata``'s
access patterns (iteration, ``get_node_id``, ``filter``, ``get_target``/``get_source``,
``to_dataframe``)."""

import numpy as np
import pandas as pd

from .edge import Edge
from .group import EdgeGroup, NodeGroup
from .node import Node, NodeSet


class Population:
    """Columns shared by node and edge populations: type ids, group ids and group indices."""

    _group_cls = None

    def __init__(self, pop_name, raw, types_table, kind):
        self._pop_name = pop_name
        self._types_table = types_table
        self._type_ids = np.asarray(raw["{}_type_id".format(kind)])
        self._group_ids = np.asarray(raw["{}_group_id".format(kind)])
        self._group_index = np.asarray(raw["{}_group_index".format(kind)])
        self._group_columns = raw["groups"]
        self._groups = {}
        self._rows_by_group = None

    name = property(lambda self: self._pop_name)
    types_table = property(lambda self: self._types_table)
    group_id_ds = property(lambda self: self._group_ids)
    group_index_ds = property(lambda self: self._group_index)

    @property
    def group_ids(self):
        return sorted(int(g) for g in self._group_columns)

    @property
    def groups(self):
        return [self.get_group(g) for g in self.group_ids]

    @property
    def type_ids(self):
        return self._type_ids.copy()

    def get_group(self, group_id):
        group_id = int(group_id)
        if group_id not in self._groups:
            if group_id not in self._group_columns:
                raise KeyError("population {} has no group {}".format(self._pop_name, group_id))
            self._groups[group_id] = self._group_cls(group_id, self._group_columns[group_id], self)
        return self._groups[group_id]

    def group_rows(self, group_id):
        """Population rows (ascending) that belong to ``group_id``."""
        if self._rows_by_group is None:
            order = np.argsort(self._group_ids, kind="stable")
            keys, starts = np.unique(self._group_ids[order], return_index=True)
            bounds = list(starts) + [len(order)]
            self._rows_by_group = {int(k): order[bounds[i]:bounds[i + 1]] for i, k in enumerate(keys)}
        return self._rows_by_group.get(int(group_id), np.zeros(0, dtype=np.int64))

    def group_indicies(self, group_id, build_cache=False):
        return self.group_rows(group_id)

    def igroup_ids(self, rows):
        return self._group_ids[np.asarray(rows, dtype=np.int64)]

    def igroup_indicies(self, rows):
        return self._group_index[np.asarray(rows, dtype=np.int64)]

    def _group_props(self, group_id, group_index):
        return self.get_group(group_id)[group_index]

    def __len__(self):
        return len(self._type_ids)


class NodePopulation(Population):
    """``net.nodes['V1']``: nodes by row, by node_id, by filter, or as one DataFrame."""

    _group_cls = NodeGroup

    def __init__(self, pop_name, raw, node_types_table):
        super().__init__(pop_name, raw, node_types_table, "node")
        self._node_ids = np.asarray(raw["node_id"])
        self._row_of = None

    group_id_column = "node_group_id"
    group_index_column = "node_group_index"
    type_ids_column = "node_type_id"
    index_column_name = "node_id"
    has_gids = False
    gids = None

    @property
    def node_ids(self):
        return self._node_ids.copy()

    @property
    def n_nodes(self):
        return len(self._node_ids)

    @property
    def node_types_table(self):
        return self._types_table

    def to_dataframe(self, index_by_id=True):
        groups = self.groups
        if len(groups) == 1:
            df = groups[0].to_dataframe()
        else:
            df = pd.concat([g.to_dataframe() for g in groups], sort=False) if groups else pd.DataFrame()
        return df.set_index("node_id") if index_by_id else df

    def get_row(self, row_indx):
        row_indx = int(row_indx)
        type_id = self._type_ids[row_indx]
        group_id = self._group_ids[row_indx]
        return Node(self._node_ids[row_indx], self._pop_name, type_id, self._types_table[type_id], group_id,
                    self._group_props(group_id, self._group_index[row_indx]), None, gid=None)

    def get_rows(self, row_indicies):
        return NodeSet(row_indicies, self)

    def inode_ids(self, rows):
        return self._node_ids[np.asarray(rows, dtype=np.int64)]

    def igids(self, rows):
        return None

    def inode_type_ids(self, rows):
        return self._type_ids[np.asarray(rows, dtype=np.int64)]

    def get_node_id(self, node_id):
        """The Node whose node_id is ``node_id``."""
        if self._row_of is None:
            self._row_of = pd.Series(np.arange(len(self._node_ids)), index=self._node_ids)
        try:
            row = self._row_of.loc[node_id]
        except KeyError:
            raise KeyError("node_id {} is not in population {}".format(node_id, self._pop_name)) from None
        return self.get_row(row)

    def get_gid(self, gid):
        raise KeyError("population {} has no gid table".format(self._pop_name))

    def filter(self, **filter_props):
        for grp in self.groups:
            yield from grp.filter(**filter_props)

    def __iter__(self):
        return (self.get_row(i) for i in range(len(self._node_ids)))

    def __getitem__(self, item):
        if isinstance(item, slice):
            return NodeSet(range(*item.indices(len(self._node_ids))), self)
        if isinstance(item, (int, np.integer)):
            return self.get_row(item)
        if isinstance(item, list):
            return NodeSet(item, self)
        raise TypeError("Unable to get item using {}.".format(type(item)))

    def __repr__(self):
        return "<SONATA node population {} ({} nodes)>".format(self._pop_name, len(self))


class EdgePopulation(Population):
    """``net.edges['V1_to_V1']``: edges by row, by target or source node, or as one DataFrame."""

    _group_cls = EdgeGroup

    def __init__(self, pop_name, raw, edge_types_table):
        super().__init__(pop_name, raw, edge_types_table, "edge")
        self._src = np.asarray(raw["source_node_id"])
        self._trg = np.asarray(raw["target_node_id"])
        self._source_population = raw.get("source_population")
        self._target_population = raw.get("target_population")
        self._index = {}

    group_id_column = "edge_group_id"
    group_index_column = "edge_group_index"
    type_ids_column = "edge_type_id"

    source_population = property(lambda self: self._source_population)
    target_population = property(lambda self: self._target_population)
    source_node_ids = property(lambda self: self._src)
    target_node_ids = property(lambda self: self._trg)

    @property
    def edge_types_table(self):
        return self._types_table

    def to_dataframe(self):
        parts = [self.get_group(g).to_dataframe() for g in self.group_ids]
        df = pd.concat([pd.DataFrame()] + parts, sort=False)
        df["source_population"] = self._source_population
        df["target_population"] = self._target_population
        return df

    def get_row(self, index):
        index = int(index)
        type_id = self._type_ids[index]
        group_id = self._group_ids[index]
        return Edge(trg_node_id=self._trg[index], src_node_id=self._src[index],
                    source_pop=self._source_population, target_pop=self._target_population, group_id=group_id,
                    group_props=self._group_props(group_id, self._group_index[index]),
                    edge_types_props=self._types_table[type_id])

    def _rows_of(self, which, node_id):
        """Rows (ascending) of edges whose ``which`` node id is ``node_id``; one sort per direction."""
        if which not in self._index:
            ids = self._trg if which == "target" else self._src
            order = np.argsort(ids, kind="stable")
            self._index[which] = (ids[order], order)
        sorted_ids, order = self._index[which]
        beg = np.searchsorted(sorted_ids, node_id, side="left")
        end = np.searchsorted(sorted_ids, node_id, side="right")
        return order[beg:end]

    def filter(self, **filter_props):
        """Edges whose edge-type and group properties equal the given values."""
        mask = np.ones(len(self), dtype=bool)
        if "edge_type_id" in filter_props:
            mask &= self._type_ids == filter_props.pop("edge_type_id")
        if "group_id" in filter_props:
            mask &= np.isin(self._group_ids, np.atleast_1d(filter_props.pop("group_id")))
        for key, val in filter_props.items():
            in_groups = [g for g in self.group_ids if key in self._group_columns[g]]
            if in_groups:
                hit = np.zeros(len(self), dtype=bool)
                for g in in_groups:
                    rows = self.group_rows(g)
                    col = np.asarray(self._group_columns[g][key])
                    hit[rows] = col[self._group_index[rows]] == val
                mask &= hit
            elif key in self._types_table.columns:
                mask &= np.isin(self._type_ids, self._types_table.find(key, val))
            else:
                raise KeyError("Could not find property {} in edge population {}".format(key, self._pop_name))
        for row in np.nonzero(mask)[0]:
            yield self.get_row(row)

    def get_target(self, target_node_id):
        """Edges onto ``target_node_id``, in file order."""
        return (self.get_row(r) for r in self._rows_of("target", target_node_id))

    def get_targets(self, target_node_ids):
        for node_id in target_node_ids:
            yield from self.get_target(node_id)

    def get_source(self, source_node_id):
        """Edges from ``source_node_id``, in file order."""
        return (self.get_row(r) for r in self._rows_of("source", source_node_id))

    def get_sources(self, source_node_ids):
        for node_id in source_node_ids:
            yield from self.get_source(node_id)

    def __iter__(self):
        return (self.get_row(i) for i in range(len(self)))

    def __repr__(self):
        return "<SONATA edge population {} ({} edges)>".format(self._pop_name, len(self))
