"""Node/edge types tables (the ``*_types.csv`` files) and column descriptions, as
``bmtk.utils.sonata`` presents them."""

import math
import numbers

import numpy as np
import pandas as pd


class ColumnProperty:
    """A column's name, dtype, width (1 for plain columns) and row count."""

    def __init__(self, name, dtype, dimension, nrows=0, attrs=None):
        self._name = name
        self._dtype = dtype
        self._dim = dimension
        self._nrows = nrows
        self._attrs = attrs or {}

    name = property(lambda self: self._name)
    dtype = property(lambda self: self._dtype)
    dimension = property(lambda self: self._dim)
    nrows = property(lambda self: self._nrows)
    attributes = property(lambda self: self._attrs)

    @classmethod
    def from_array(cls, name, values):
        if isinstance(values, np.ndarray):
            return cls(name, values.dtype, 1 if values.ndim < 2 else values.shape[1], values.shape[0])
        return cls(name, np.dtype(object), 1, len(values))

    @classmethod
    def from_csv(cls, df):
        return [cls(name, df[name].to_numpy().dtype, 1) for name in df.columns]

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return "{}".format(self._name)

    def __eq__(self, other):
        return self._name == (other._name if isinstance(other, ColumnProperty) else other)


def load_csv(csvfile):
    """A types table as bmtk reads it: space separated, 'NONE' as missing."""
    if isinstance(csvfile, pd.DataFrame):
        return csvfile
    return pd.read_csv(csvfile, sep=" ", na_values="NONE")


class TypesTable:
    """The rows of one or more types csv files, looked up by type id."""

    index_column_name = None

    def __init__(self, parent=None):
        self._columns = {}
        self._type2df = {}
        self._column_map = {}
        self._dataframes = []
        self._cache = {}

    @property
    def type_ids(self):
        return list(self._type2df)

    @property
    def columns(self):
        return list(self._columns.values())

    def column(self, column_name):
        return self._columns[column_name]

    def add_table(self, df):
        if self.index_column_name not in df.columns:
            raise KeyError("types table has no {} column (columns: {})".format(self.index_column_name,
                                                                                 list(df.columns)))
        df = df.set_index(self.index_column_name)
        self._dataframes.append(df)
        for type_id in df.index:
            if type_id in self._type2df:
                raise ValueError("Multiple {}s with value {}.".format(self.index_column_name, type_id))
            self._type2df[type_id] = df
        for col in ColumnProperty.from_csv(df):
            self._columns[col.name] = col
            self._column_map.setdefault(col.name, []).append(df)

    def find(self, column_key, column_val, silent=False):
        """Type ids whose ``column_key`` equals ``column_val`` (or is in it, for a list)."""
        if column_key not in self._columns:
            if silent:
                return []
            raise KeyError(column_key)
        dtype = self._columns[column_key].dtype
        found = []
        for df in self._column_map[column_key]:
            # numpy dtypes on both sides: with pandas' string dtype bmtk 1.2.0 compares a pandas dtype
            # with a numpy one here and finds nothing for string columns
            if df[column_key].to_numpy().dtype != dtype:
                continue
            col = df[column_key]
            sel = col.isin(column_val) if isinstance(column_val, list) else col == column_val
            found.extend(df.index[sel.to_numpy()])
        return found

    def to_dataframe(self, cache=False):
        if not self._dataframes:
            return None
        if len(self._dataframes) == 1:
            return self._dataframes[0]
        merged = self._dataframes[0].reset_index()
        for df in self._dataframes[1:]:
            right = df.reset_index()
            try:
                merged = merged.merge(right, how="outer")
            except ValueError:
                for col in set(merged.columns) & set(right.columns):
                    if merged[col].dtype != right[col].dtype:
                        merged[col] = merged[col].astype(object)
                        right[col] = right[col].astype(object)
                merged = merged.merge(right, how="outer")
        return merged.set_index(self.index_column_name)

    def __getitem__(self, type_id):
        if isinstance(type_id, tuple):
            return [self[t] for t in type_id]
        if not isinstance(type_id, numbers.Integral):
            raise TypeError("types are looked up by integer {}, got {!r}".format(self.index_column_name, type_id))
        if type_id not in self._type2df:
            raise KeyError("{} {} not found".format(self.index_column_name, type_id))
        if type_id not in self._cache:
            row = self._type2df[type_id].loc[type_id].to_dict()
            # pandas reads empty cells as NaN; bmtk hands them out as None
            for k, v in row.items():
                if isinstance(v, numbers.Real) and math.isnan(v):
                    row[k] = None
            row[self.index_column_name] = type_id
            self._cache[type_id] = row
        return self._cache[type_id]

    def __iter__(self):
        return (self[t] for t in self.type_ids)

    def __contains__(self, type_id):
        return type_id in self._type2df

    def __repr__(self):
        return repr(self.to_dataframe())


class NodeTypesTable(TypesTable):
    index_column_name = "node_type_id"

    @property
    def node_type_ids(self):
        return self.type_ids


class EdgeTypesTable(TypesTable):
    index_column_name = "edge_type_id"

    @property
    def edge_type_ids(self):
        return self.type_ids
