"""SONATA circuits as every bmtk-rs simulator reads them (BioNet, PopNet, ...): node populations
with their types merged in, edge populations with group columns over edge-type columns, node sets
and component files. One loader, read through the Rust SONATA reader; tables stay numpy/pandas
columns (a simulator never copies this code, it derives from :class:`SonataCircuit`).
"""

import ast
import json
import logging
import os

import numpy as np
import pandas as pd

from .. import sonata
from .sonata_config import ConfigError

_EDGE_KEY_BITS = 40


def _missing(v):
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _literal(v, what):
    """A list-valued types-table cell ("['basal', 'apical']", "[0.0, 50.0]") as a Python value."""
    if isinstance(v, (list, tuple)):
        return list(v)
    if _missing(v):
        return None
    try:
        return ast.literal_eval(str(v))
    except (ValueError, SyntaxError):
        try:
            return json.loads(str(v))
        except ValueError:
            raise ConfigError(f"{what}: cannot read {v!r} as a list") from None


def _unknown_ids(ids, known):
    """The sorted distinct `ids` not among `known` (np.setdiff1d's answer) in linear time and one byte
    per id: tens of millions of edge ends are checked at the Allen V1 model's size."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    known = np.asarray(known, dtype=np.int64)
    top = max(int(ids.max()), int(known.max(initial=-1))) + 1
    if int(ids.min()) < 0 or top > 4 * (len(ids) + len(known)) + (1 << 20):
        return np.setdiff1d(ids, known)
    is_known = np.zeros(top, dtype=bool)
    is_known[known] = True
    return np.unique(ids[~is_known[ids]])


class _Population:
    """One node population: a table with one row per node (type columns merged in)."""

    def __init__(self, name, raw, types, nodes_file):
        self.name = name
        self.nodes_file = nodes_file
        node_ids = np.asarray(raw["node_id"], dtype=np.int64)
        type_ids = np.asarray(raw["node_type_id"], dtype=np.int64)
        unknown = np.setdiff1d(type_ids, types["node_type_id"].to_numpy())
        if len(unknown):
            raise ConfigError(f"{nodes_file}: population {name} uses node_type_id {unknown.tolist()} "
                              "that the node types file does not define")
        t = types.set_index("node_type_id").loc[type_ids].reset_index()
        t.insert(0, "node_id", node_ids)
        grp_id = np.asarray(raw["node_group_id"])
        grp_ix = np.asarray(raw["node_group_index"])
        for g, cols in raw["groups"].items():
            mask = grp_id == g
            for col, data in cols.items():
                data = np.asarray(data)
                if data.ndim > 1:
                    continue
                if col not in t.columns:
                    t[col] = pd.Series([pd.NA] * len(t), dtype=object) if data.dtype.kind in "OSU" else np.nan
                vals = data[grp_ix[mask]]
                if t[col].dtype.kind != "O" and vals.dtype.kind in "OSU":
                    t[col] = t[col].astype(object)
                t.loc[mask, col] = vals
        if "model_type" not in t.columns:
            raise ConfigError(f"{nodes_file}: population {name} has no model_type column (node types or nodes)")
        self.table = t
        self.node_ids = node_ids
        self.row_of = {int(n): i for i, n in enumerate(node_ids)}
        # node id -> table row as an array, so edge-sized lookups stay in numpy
        self._row_index = np.full(int(node_ids.max()) + 1 if len(node_ids) else 0, -1, dtype=np.int64)
        self._row_index[node_ids] = np.arange(len(node_ids))
        self.model_type = t["model_type"].astype(str).to_numpy()
        # per node row, as booleans: edge-sized lookups gather these, not the strings (1 byte, not 50)
        self.is_virtual = self.model_type == "virtual"
        self.is_biophysical = self.model_type == "biophysical"
        self.n_ids = int(node_ids.max()) + 1 if len(node_ids) else 0
        self._dicts = None

    def rows(self, node_ids):
        """Table rows of an array of (existing) node ids."""
        return self._row_index[np.asarray(node_ids, dtype=np.int64)]

    @property
    def virtual_only(self):
        return bool(np.all(self.model_type == "virtual"))

    def node(self, node_id):
        if self._dicts is None:
            self._dicts = self.table.to_dict("records")
        return _Node(self, self._dicts[self.row_of[int(node_id)]])

    def select(self, filters, what):
        """Node ids matching a node-set dict's property filters."""
        mask = np.ones(len(self.table), dtype=bool)
        for key, val in filters.items():
            if key == "population":
                continue
            col = "node_id" if key in ("node_id", "node_ids") else key
            if col not in self.table.columns:
                return np.zeros(0, dtype=np.int64)
            values = self.table[col].to_numpy()
            if isinstance(val, (list, tuple, np.ndarray)):
                mask &= np.isin(values, list(val))
            else:
                mask &= values == val
        return self.node_ids[mask]


class _Node:
    """A node's properties, as BMTK passes them to weight functions (``node['x']``)."""

    def __init__(self, pop, props):
        self._pop = pop
        self._props = props

    @property
    def node_id(self):
        return int(self._props["node_id"])

    @property
    def population_name(self):
        return self._pop.name

    @property
    def model_type(self):
        return self._props["model_type"]

    def __getitem__(self, key):
        try:
            return self._props[key]
        except KeyError:
            raise KeyError(f"node {self.node_id} of population {self._pop.name} has no property '{key}'") from None

    def __contains__(self, key):
        return key in self._props

    def get(self, key, default=None):
        return self._props.get(key, default)


class _EdgeProps:
    """One edge's properties (edge columns over edge-type columns), as BMTK's edge_props."""

    def __init__(self, epop, i):
        self._epop = epop
        self._i = i

    def __getitem__(self, key):
        v = self._epop.value(key, self._i)
        if v is _NOKEY:
            raise KeyError(f"edge {self._i} of {self._epop.name} has no property '{key}'")
        return v

    def __contains__(self, key):
        return self._epop.value(key, self._i) is not _NOKEY

    def get(self, key, default=None):
        v = self._epop.value(key, self._i)
        return default if v is _NOKEY else v

    @property
    def source_node_id(self):
        return int(self._epop.source_ids[self._i])

    @property
    def target_node_id(self):
        return int(self._epop.target_ids[self._i])

    @property
    def edge_type_id(self):
        return int(self._epop.type_ids[self._i])


_NOKEY = object()


class _EdgePopulation:
    def __init__(self, name, raw, types, edges_file, index):
        self.name = name
        self.edges_file = edges_file
        self.index = index
        self.source = raw["source_population"]
        self.target = raw["target_population"]
        self.source_ids = np.asarray(raw["source_node_id"], dtype=np.int64)
        self.target_ids = np.asarray(raw["target_node_id"], dtype=np.int64)
        tids = np.asarray(raw["edge_type_id"])
        # kept as read (SONATA's uint32: 4 bytes per edge, not 8) unless it is wider or not an integer
        self.type_ids = tids if tids.dtype.kind in "iu" and tids.dtype.itemsize <= 4 else tids.astype(np.int64)
        unknown = np.setdiff1d(self.type_ids, types["edge_type_id"].to_numpy())
        if len(unknown):
            raise ConfigError(f"{edges_file}: population {name} uses edge_type_id {unknown.tolist()} "
                              "that the edge types file does not define")
        self.types = types.set_index("edge_type_id")
        self.type_rows = {int(k): r for k, r in self.types.to_dict("index").items()}
        n = len(self.source_ids)
        self.columns = {}
        grp_id = np.asarray(raw["edge_group_id"])
        grp_ix = np.asarray(raw["edge_group_index"])
        self.group_ids = grp_id
        # BMTK decides how an edge is made from the columns of its group plus every column of the
        # edge types table (its "all_columns"), group by group, never from the population as a whole.
        type_cols = set(types.columns) - {"edge_type_id"}
        self.group_all_columns = {int(g): set(cols) | type_cols for g, cols in raw["groups"].items()}
        unknown_groups = np.setdiff1d(np.unique(grp_id), np.array(list(self.group_all_columns), dtype=np.int64))
        if len(unknown_groups):
            raise ConfigError(f"{edges_file}: population {name} assigns edges to edge_group_id "
                              f"{unknown_groups.tolist()}, which the file does not have")
        for g, cols in raw["groups"].items():
            mask = grp_id == g
            for col, data in cols.items():
                data = np.asarray(data)
                if data.ndim > 1:
                    continue
                if col not in self.columns:
                    self.columns[col] = (np.full(n, np.nan) if data.dtype.kind in "fiub" else
                                         np.full(n, None, dtype=object), np.zeros(n, dtype=bool))
                vals, has = self.columns[col]
                vals[mask] = data[grp_ix[mask]]
                has[mask] = True

    def groups_having(self, *cols):
        """Per edge: whether its group's columns (with the edge types table's) include any of `cols`."""
        having = [g for g, all_cols in self.group_all_columns.items() if any(c in all_cols for c in cols)]
        return np.isin(self.group_ids, np.asarray(having, dtype=self.group_ids.dtype))

    def preselected(self):
        """Per edge: BMTK's preselected_targets (the edge names its section, or its group has no nsyns),
        where the edge makes exactly one synapse and point-cell weights are not scaled by sign * nsyns."""
        return self.groups_having("sec_id", "afferent_section_id") | ~self.groups_having("nsyns")

    def group_column(self, idx, names, default):
        """Per edge of `idx`: the first of `names` that the edge's group has (BMTK prefers the old
        sec_id/sec_x names to afferent_section_id/pos when a group has both)."""
        out = np.full(len(idx), default, dtype=float)
        taken = np.zeros(len(idx), dtype=bool)
        for col in names:
            has = self.groups_having(col)[idx] & ~taken
            if has.any():
                out[has] = np.asarray(self.column_at(col, idx[has], default), dtype=float)
                taken |= has
        return out

    def keys(self, idx=None):
        """Engine keys (population index, edge index) of all edges, or of the edges `idx`."""
        pos = np.arange(len(self.source_ids), dtype=np.int64) if idx is None else np.asarray(idx, dtype=np.int64)
        return (np.int64(self.index) << _EDGE_KEY_BITS) + pos

    def column(self, col, default=None):
        """Per-edge values: the edge column where the edge's group has it, else the edge type's."""
        n = len(self.source_ids)
        if col in self.types.columns:
            tv = self.types[col].reindex(self.type_ids).to_numpy()
            out = tv.astype(object) if tv.dtype.kind == "O" else tv.astype(float)
        else:
            out = np.full(n, default, dtype=object if not isinstance(default, (int, float)) else float)
        if col in self.columns:
            vals, has = self.columns[col]
            if out.dtype.kind != "O" and vals.dtype.kind == "O":
                out = out.astype(object)
            out[has] = vals[has]
        return out

    def _type_lookup(self, idx):
        """(distinct edge type ids of the edges `idx`, each edge's position among them), in O(len(idx))."""
        tids = self.type_ids[idx]
        if len(tids) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        lo = int(tids.min())
        present = np.zeros(int(tids.max()) - lo + 1, dtype=bool)
        present[tids - lo] = True
        rank = np.cumsum(present) - 1
        return np.flatnonzero(present) + lo, rank[tids - lo]

    def column_at(self, col, idx, default=None):
        """``column(col, default)[idx]``, without building the column of the whole population."""
        if col in self.types.columns:
            ut, inv = self._type_lookup(idx)
            tv = self.types[col].reindex(ut).to_numpy()
            out = (tv.astype(object) if tv.dtype.kind == "O" else tv.astype(float))[inv]
        else:
            out = np.full(len(idx), default, dtype=object if not isinstance(default, (int, float)) else float)
        if col in self.columns:
            vals, has = self.columns[col]
            h = has[idx]
            if h.any():
                if out.dtype.kind != "O" and vals.dtype.kind == "O":
                    out = out.astype(object)
                out[h] = vals[idx[h]]
        return out

    def distinct(self, idx, cols, default=None):
        """The distinct value tuples of `cols` over the edges `idx` and, per edge, the position of its
        tuple: from the edge types when no group overrides the columns (the usual case, linear
        time), else edge by edge."""
        if not any(c in self.columns for c in cols):
            ut, inv = self._type_lookup(idx)
            rows = []
            for t in ut.tolist():
                row = self.type_rows[t]
                rows.append(tuple(default if _missing(row.get(c)) else row.get(c) for c in cols))
            return rows, inv
        per_col = [self.column_at(c, idx, default) for c in cols]
        found, rows = {}, []
        inv = np.empty(len(idx), dtype=np.int64)
        for j, key in enumerate(zip(*per_col)):
            key = tuple(default if _missing(v) else v for v in key)
            k = found.get(key)
            if k is None:
                k = found[key] = len(rows)
                rows.append(key)
            inv[j] = k
        return rows, inv

    def value(self, col, i):
        if col in self.columns and self.columns[col][1][i]:
            v = self.columns[col][0][i]
            return v.item() if hasattr(v, "item") else v
        row = self.type_rows[int(self.type_ids[i])]
        if col in row:
            v = row[col]
            return None if _missing(v) else v
        if col == "edge_type_id":
            return int(self.type_ids[i])
        return _NOKEY


class SonataCircuit:
    """Nodes and edges of a configuration's ``networks`` section."""

    logger_name = "bmtk_rs"

    def __init__(self):
        self._config = None
        self._node_pops = {}
        self.edge_populations = []
        self.gid_offset = {}
        self.n_gids = 0
        self.io = logging.getLogger(self.logger_name)
        self._json_cache = {}

    @property
    def populations(self):
        """{name: node population} (PopNet's network shadows this with bmtk's population list)."""
        return self._node_pops

    @property
    def node_populations(self):
        return self._node_pops

    @classmethod
    def from_config(cls, conf, **properties):
        net = cls()
        net._config = conf
        if not conf.nodes:
            raise ConfigError(f"{conf.get('config_path')}: 'networks.nodes' is empty: nothing to simulate")
        for entry in conf.nodes:
            net.add_nodes(entry.get("nodes_file"), entry.get("node_types_file"))
        for entry in conf.edges:
            net.add_edges(entry.get("edges_file"), entry.get("edge_types_file"))
        return net

    # ---- reading -------------------------------------------------------------------------------
    @staticmethod
    def _need_file(path, what):
        if path is None:
            raise ConfigError(f"networks: an entry lacks '{what}'")
        if not os.path.isfile(path):
            raise ConfigError(f"{what} {path} does not exist")

    def add_nodes(self, nodes_file, node_types_file):
        self._need_file(nodes_file, "nodes_file")
        self._need_file(node_types_file, "node_types_file")
        types = sonata.read_types(node_types_file)
        if "node_type_id" not in types.columns:
            raise ConfigError(f"{node_types_file}: no node_type_id column")
        for name, raw in sonata.read_nodes(nodes_file).items():
            if name in self._node_pops:
                raise ConfigError(f"{nodes_file}: node population {name} is defined twice")
            pop = _Population(name, raw, types, nodes_file)
            self._node_pops[name] = pop
            self.gid_offset[name] = self.n_gids
            self.n_gids += pop.n_ids

    def add_edges(self, edges_file, edge_types_file):
        self.edge_populations.extend(self.read_edge_populations(edges_file, edge_types_file,
                                                                len(self.edge_populations)))

    def read_edge_populations(self, edges_file, edge_types_file, first_index):
        """The edge populations of a file, checked against the nodes (numbered from `first_index`)."""
        self._need_file(edges_file, "edges_file")
        self._need_file(edge_types_file, "edge_types_file")
        types = sonata.read_types(edge_types_file)
        if "edge_type_id" not in types.columns:
            raise ConfigError(f"{edge_types_file}: no edge_type_id column")
        out = []
        for name, raw in sonata.read_edges(edges_file).items():
            ep = _EdgePopulation(name, raw, types, edges_file, first_index + len(out))
            for side, pop, ids in (("source", ep.source, ep.source_ids), ("target", ep.target, ep.target_ids)):
                if pop not in self._node_pops:
                    raise ConfigError(f"{edges_file}: edges {name} have {side} population '{pop}', which is not "
                                      f"among the node populations {sorted(self._node_pops)}")
                bad = _unknown_ids(ids, self._node_pops[pop].node_ids)
                if len(bad):
                    raise ConfigError(f"{edges_file}: edges {name} point to {side} node(s) {bad[:5].tolist()} that "
                                      f"population '{pop}' does not have")
            out.append(ep)
        return out

    # ---- queries -------------------------------------------------------------------------------
    def gids(self, population, node_ids):
        return (self.gid_offset[population] + np.asarray(node_ids, dtype=np.int64)).astype(np.int64)

    def gid_to_node(self, gids):
        """(population names, node ids) of an array of gids."""
        names = list(self.gid_offset)
        offsets = np.array([self.gid_offset[n] for n in names], dtype=np.int64)
        k = np.searchsorted(offsets, gids, side="right") - 1
        return [names[i] for i in k], np.asarray(gids, dtype=np.int64) - offsets[k]

    def get_node_set(self, node_set):
        """{population: node ids} selected by a node set (a name in the config's node_sets, a
        population name, a dict of filters, or a list of node ids)."""
        spec = node_set
        if isinstance(spec, str):
            sets = self._config.node_sets if self._config is not None else {}
            if spec in sets:
                spec = sets[spec]
            elif spec in self._node_pops:
                spec = {"population": spec}
            elif spec == "all":
                spec = {}
            else:
                raise ConfigError(f"node_set '{node_set}' is neither a node_sets entry nor a population "
                                  f"(populations: {sorted(self._node_pops)})")
        if isinstance(spec, (list, tuple, np.ndarray)):
            spec = {"node_id": list(spec)}
        if not isinstance(spec, dict):
            raise ConfigError(f"node_set {node_set!r}: expected a name, a dict of filters or a list of node ids")
        pops = [spec["population"]] if "population" in spec else list(self._node_pops)
        out = {}
        for p in pops:
            if p not in self._node_pops:
                raise ConfigError(f"node_set {node_set!r}: unknown population '{p}' "
                                  f"(populations: {sorted(self._node_pops)})")
            ids = self._node_pops[p].select(spec, node_set)
            if len(ids):
                out[p] = ids
        if not out:
            raise ConfigError(f"node_set {node_set!r} selects no cells")
        return out

    # ---- components ----------------------------------------------------------------------------
    def _component_json(self, folder_key, name, what):
        folder = self._config.component_dir(folder_key)
        path = os.path.join(folder, name)
        if path not in self._json_cache:
            try:
                with open(path) as fh:
                    self._json_cache[path] = json.load(fh)
            except OSError as e:
                raise ConfigError(f"{what}: cannot read {path}: {e}") from None
            except json.JSONDecodeError as e:
                raise ConfigError(f"{what}: {path} is not valid json: {e}") from None
        return self._json_cache[path]

    def _component_path(self, folder_key, name, what):
        path = os.path.join(self._config.component_dir(folder_key), str(name))
        if not os.path.isfile(path):
            raise ConfigError(f"{what}: component file {path} does not exist")
        return path
