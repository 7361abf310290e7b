"""Node and edge groups (``/nodes/<pop>/<group id>``): the per-row property columns of one model."""

import numpy as np
import pandas as pd

from .node import NodeSet
from .types_table import ColumnProperty


def _column_values(values):
    return values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)


class Group:
    """Columns of one group of a population; rows are reached through the population."""

    def __init__(self, group_id, columns, parent):
        self._group_id = int(group_id)
        self._parent = parent
        self._types_table = parent.types_table
        # bmtk lists a group's datasets in HDF5 name order
        self._table = {name: _column_values(columns[name]) for name in sorted(columns)}
        self._group_columns = [ColumnProperty.from_array(n, v) for n, v in self._table.items()]
        self._all_columns = self._group_columns + self._types_table.columns
        rows = {c.nrows for c in self._group_columns}
        if len(rows) > 1:
            raise ValueError("properties in {}/{} have different lengths".format(parent.name, group_id))
        self._nrows = rows.pop() if rows else 0
        self._rows = None

    group_id = property(lambda self: self._group_id)
    columns = property(lambda self: self._group_columns)
    group_columns = property(lambda self: self._group_columns)
    all_columns = property(lambda self: self._all_columns)
    parent = property(lambda self: self._parent)
    has_gids = property(lambda self: self._parent.has_gids)

    @property
    def has_dynamics_params(self):
        return False

    def get_dataset(self, column_name):
        return self._table[column_name]

    def column(self, column_name, group_only=False):
        for c in self._group_columns:
            if c.name == column_name:
                return c
        if not group_only and column_name in self._types_table.columns:
            return self._types_table.column(column_name)
        raise KeyError("column {!r} is not in group {}/{}".format(column_name, self._parent.name, self._group_id))

    def build_indicies(self, force=False):
        if self._rows is None or force:
            self._rows = self._parent.group_rows(self._group_id)

    def _properties_frame(self):
        frame = {}
        for col in self._group_columns:
            values = self._table[col.name]
            if col.dimension > 1:
                for i in range(col.dimension):
                    frame["{}.{}".format(col.name, i)] = pd.Series(values[:, i])
            else:
                frame[col.name] = pd.Series(values)
        return pd.DataFrame(frame)

    def _with_types(self, df, type_col):
        types = self._types_table.to_dataframe()
        keep = [c.name for c in self._types_table.columns if c not in self._group_columns]
        return df.merge(types[keep], how="left", left_on=type_col, right_index=True)

    def __len__(self):
        return self._nrows

    def __getitem__(self, group_index):
        return {name: values[group_index] for name, values in self._table.items()}

    def __contains__(self, prop_name):
        return any(c.name == prop_name for c in self._group_columns)

    def __repr__(self):
        return "<SONATA population subgroup: {}/{}>".format(self._parent.name, self._group_id)


class NodeGroup(Group):
    @property
    def node_ids(self):
        self.build_indicies()
        return self._parent.inode_ids(self._rows)

    @property
    def node_type_ids(self):
        self.build_indicies()
        return self._parent.inode_type_ids(self._rows)

    @property
    def gids(self):
        self.build_indicies()
        return self._parent.igids(self._rows)

    def get_values(self, property_name, filtered_indicies=True):
        """A property's values in population order (``filtered_indicies=False``: the raw column)."""
        self.build_indicies()
        if property_name in self._table:
            values = self._table[property_name]
            return values.copy() if not filtered_indicies else values[self._parent.igroup_indicies(self._rows)]
        if property_name in self._types_table.columns:
            lut = self._types_table.to_dataframe()[property_name]
            return lut.reindex(self.node_type_ids).to_numpy()
        raise KeyError("property {!r} is in neither group {}/{} nor the node types".format(
            property_name, self._parent.name, self._group_id))

    def to_dataframe(self):
        """node_type_id, node_id, then the group's columns and the node-type columns, one row per node."""
        self.build_indicies()
        root = pd.DataFrame({"node_type_id": pd.Series(self.node_type_ids), "node_id": pd.Series(self.node_ids),
                             "node_group_index": pd.Series(self._parent.igroup_indicies(self._rows))})
        df = root.merge(self._properties_frame(), how="left", left_on="node_group_index", right_index=True)
        df = df.drop("node_group_index", axis=1)
        return self._with_types(df, "node_type_id")

    def _mask(self, **filter_props):
        n = len(self._rows)
        mask = np.ones(n, dtype=bool)
        node_ids = []
        type_ids = self.node_type_ids
        for key, val in filter_props.items():
            if key in self._table:
                col = self._table[key][self._parent.igroup_indicies(self._rows)]
                mask &= np.asarray(col == val, dtype=bool).reshape(n) if n else mask
            elif key in self._types_table.columns:
                mask &= np.isin(type_ids, self._types_table.find(key, val))
            elif key in ("node_id", "node_ids"):
                node_ids += list(val)
            else:
                print("Could not find property {} in either group or types table. Ignoring.".format(key))
        if node_ids:
            mask &= np.isin(self.node_ids, node_ids)
        return mask

    def filter(self, **filter_props):
        """Nodes of this group whose properties equal the given values."""
        self.build_indicies()
        for row in np.asarray(self._rows)[self._mask(**filter_props)]:
            yield self._parent.get_row(row)

    def __iter__(self):
        self.build_indicies()
        return iter(NodeSet(self._rows, self._parent))


class EdgeGroup(Group):
    def _parent_values(self, values):
        self.build_indicies()
        return values[self._rows]

    @property
    def src_node_ids(self):
        return self._parent_values(self._parent.source_node_ids)

    @property
    def trg_node_ids(self):
        return self._parent_values(self._parent.target_node_ids)

    @property
    def edge_type_ids(self):
        return self._parent_values(self._parent.type_ids)

    def get_values(self, property_name, all_rows=False):
        if property_name not in self._table:
            raise KeyError("property {!r} is not in edge group {}/{}".format(property_name, self._parent.name,
                                                                               self._group_id))
        values = self._table[property_name]
        if all_rows:
            return values.copy()
        # bmtk reads the group column at the population's row positions of this group
        self.build_indicies()
        return values[self._rows]

    def to_dataframe(self):
        """edge_type_id, source_node_id, target_node_id, the group's columns and the edge-type columns.

        As in bmtk 1.2.0, group columns are matched by the edges' row positions in the population
        (equal to edge_group_index for single-group files)."""
        self.build_indicies()
        root = pd.DataFrame({"edge_type_id": pd.Series(self.edge_type_ids),
                             "source_node_id": pd.Series(self.src_node_ids),
                             "target_node_id": pd.Series(self.trg_node_ids),
                             "edge_group_index": pd.Series(np.asarray(self._rows))})
        df = root.merge(self._properties_frame(), how="left", left_on="edge_group_index", right_index=True)
        df = df.drop("edge_group_index", axis=1)
        return self._with_types(df, "edge_type_id")

    def filter(self, **filter_props):
        raise NotImplementedError("EdgeGroup.filter; use EdgePopulation.filter")

    def __iter__(self):
        self.build_indicies()
        return (self._parent.get_row(i) for i in self._rows)
