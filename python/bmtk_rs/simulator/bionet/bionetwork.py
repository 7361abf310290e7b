"""The BioNet network (``bmtk.simulator.bionet.BioNetwork``): the SONATA nodes and edges of a
configuration, read through the Rust reader and handed to the engine as arrays.

Cell and edge tables stay numpy/pandas columns; Python touches single edges only to call a user
``weight_function``. Every cell has BMTK's gid (population offsets in the order the populations
are read, each population taking max(node_id) + 1 ids); the gid is also the seed of the cell's
synapse-placement stream, as in BMTK.
"""

import ast
import json
import logging
import os

import numpy as np
import pandas as pd

from ... import sonata
from .. import _mpi
from . import pyfunction_cache as pfc
from .config import ConfigError

_SUPPORTED_TEMPLATES = "'ctdb:Biophys1.hoc' (with a model_processing), 'nml:<file>.cell.nml' and 'nrn:IntFire1'"
_EDGE_KEY_BITS = 40


class WeightFunctionError(RuntimeError):
    """A user weight_function raised or returned a non-number (the original error is chained)."""


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
        self.type_ids = np.asarray(raw["edge_type_id"], dtype=np.int64)
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
                out[has] = np.asarray(self.column(col, default)[idx][has], dtype=float)
                taken |= has
        return out

    def keys(self):
        return (np.int64(self.index) << _EDGE_KEY_BITS) + np.arange(len(self.source_ids), dtype=np.int64)

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


class BioNetwork:
    """Nodes and edges of a BioNet simulation."""

    def __init__(self):
        self._config = None
        self.populations = {}
        self.edge_populations = []
        self.gid_offset = {}
        self.n_gids = 0
        self.io = logging.getLogger("bmtk_rs.bionet")
        self._json_cache = {}
        # (edge population, edge indices, target gids, weights, sec ids, sec x) of every synapse made,
        # kept only when a save_synapses report asks for them
        self.made_synapses = None

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
            if name in self.populations:
                raise ConfigError(f"{nodes_file}: node population {name} is defined twice")
            pop = _Population(name, raw, types, nodes_file)
            self.populations[name] = pop
            self.gid_offset[name] = self.n_gids
            self.n_gids += pop.n_ids

    def add_edges(self, edges_file, edge_types_file):
        self._need_file(edges_file, "edges_file")
        self._need_file(edge_types_file, "edge_types_file")
        types = sonata.read_types(edge_types_file)
        if "edge_type_id" not in types.columns:
            raise ConfigError(f"{edge_types_file}: no edge_type_id column")
        for name, raw in sonata.read_edges(edges_file).items():
            ep = _EdgePopulation(name, raw, types, edges_file, len(self.edge_populations))
            for side, pop, ids in (("source", ep.source, ep.source_ids), ("target", ep.target, ep.target_ids)):
                if pop not in self.populations:
                    raise ConfigError(f"{edges_file}: edges {name} have {side} population '{pop}', which is not "
                                      f"among the node populations {sorted(self.populations)}")
                known = self.populations[pop].node_ids
                bad = np.setdiff1d(ids, known)
                if len(bad):
                    raise ConfigError(f"{edges_file}: edges {name} point to {side} node(s) {bad[:5].tolist()} that "
                                      f"population '{pop}' does not have")
            self.edge_populations.append(ep)

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
            elif spec in self.populations:
                spec = {"population": spec}
            elif spec == "all":
                spec = {}
            else:
                raise ConfigError(f"node_set '{node_set}' is neither a node_sets entry nor a population "
                                  f"(populations: {sorted(self.populations)})")
        if isinstance(spec, (list, tuple, np.ndarray)):
            spec = {"node_id": list(spec)}
        if not isinstance(spec, dict):
            raise ConfigError(f"node_set {node_set!r}: expected a name, a dict of filters or a list of node ids")
        pops = [spec["population"]] if "population" in spec else list(self.populations)
        out = {}
        for p in pops:
            if p not in self.populations:
                raise ConfigError(f"node_set {node_set!r}: unknown population '{p}' "
                                  f"(populations: {sorted(self.populations)})")
            ids = self.populations[p].select(spec, node_set)
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

    # ---- building the engine -------------------------------------------------------------------
    def local_cells(self, population):
        """Node ids of this rank's non-virtual cells (BMTK's round-robin split per population)."""
        pop = self.populations[population]
        rank, size = _mpi.rank(), _mpi.size()
        ids = pop.node_ids[rank::size]
        mt = pop.model_type[rank::size]
        return ids[mt != "virtual"]

    def build_nodes(self, engine):
        """Adds every cell to the engine: biophysical models (one per distinct model), IntFire1
        cells, remote cells of other ranks; virtual cells are added with their inputs."""
        self._local = {}
        self._local_mask = {}
        models = {}
        dL = self._config.dL
        self.n_local_bio = 0
        for name, pop in self.populations.items():
            local = set(self.local_cells(name).tolist())
            self._local[name] = local
            mask = np.zeros(pop.n_ids, dtype=bool)
            mask[np.fromiter(local, dtype=np.int64, count=len(local))] = True
            self._local_mask[name] = mask
            t = pop.table
            mt = pop.model_type
            remote = [n for n, m in zip(pop.node_ids, mt) if m != "virtual" and int(n) not in local]
            if remote:
                engine.add_remote(self.gids(name, remote).astype(np.uint32))
            bad = sorted(set(mt) - {"biophysical", "virtual", "point_process", "point_neuron"})
            if bad:
                raise ConfigError(f"{pop.nodes_file}: population {name} has model_type {bad}; bmtk-rs BioNet "
                                  "supports biophysical, point_process/point_neuron (nrn:IntFire1) and virtual")
            sel = np.array([int(n) in local for n in pop.node_ids], dtype=bool)
            bio = sel & (mt == "biophysical")
            if bio.any():
                cols = ["model_template", "morphology", "dynamics_params", "model_processing"]
                for c in cols:
                    if c not in t.columns:
                        t[c] = pd.NA
                keyed = t.loc[bio, ["node_id"] + cols].copy()
                for key, rows in keyed.groupby(cols, dropna=False, sort=False):
                    mid = models.get(key)
                    if mid is None:
                        mid = self._add_model(engine, name, key, int(rows["node_id"].iloc[0]), dL)
                        models[key] = mid
                    ids = rows["node_id"].to_numpy()
                    engine.add_biophysical(self.gids(name, ids).astype(np.uint32), mid,
                                           self.gids(name, ids).astype(np.uint64))
                    self.n_local_bio += len(ids)
            pp = sel & np.isin(mt, ["point_process", "point_neuron"])
            if pp.any():
                taus, refr = [], []
                for _, row in t.loc[pp].iterrows():
                    tmpl = row.get("model_template")
                    if tmpl != "nrn:IntFire1":
                        raise ConfigError(f"{pop.nodes_file}: node {row['node_id']} of {name}: point cells need "
                                          f"model_template 'nrn:IntFire1', got {tmpl!r}")
                    params = self._component_json("point_neuron_models_dir", row["dynamics_params"],
                                                  f"node {row['node_id']} of {name}")
                    for k in ("tau", "refrac"):
                        if k not in params:
                            raise ConfigError(f"IntFire1 parameters {row['dynamics_params']}: missing '{k}' (seconds)")
                    taus.append(float(params["tau"]) * 1000.0)
                    refr.append(float(params["refrac"]) * 1000.0)
                ids = t.loc[pp, "node_id"].to_numpy()
                engine.add_intfire1(self.gids(name, ids).astype(np.uint32), np.array(taus), np.array(refr))
        # gids of node ids a population does not use are silent sources
        used = np.zeros(self.n_gids, dtype=bool)
        for name, pop in self.populations.items():
            used[self.gids(name, pop.node_ids)] = True
        self._virtual_trains = {}
        self._unused_gids = np.flatnonzero(~used)

    def _add_model(self, engine, pop, key, node_id, dL):
        template, morphology, dyn, processing = key
        what = f"population {pop} node {node_id}"
        if _missing(template):
            raise ConfigError(f"{what}: biophysical cell without model_template (supported: {_SUPPORTED_TEMPLATES})")
        if _missing(morphology):
            raise ConfigError(f"{what}: biophysical cell without a morphology")
        swc = self._component_path("morphologies_dir", morphology, what)
        if template.startswith("nml:"):
            fit = self._component_path("biophysical_neuron_models_dir", template[4:], what)
            proc = "aibs_perisomatic"
        elif template in ("ctdb:Biophys1.hoc", "ctdb:Biophys1"):
            if _missing(dyn):
                raise ConfigError(f"{what}: model_template {template} needs dynamics_params (a fit json)")
            fit = self._component_path("biophysical_neuron_models_dir", dyn, what)
            if _missing(processing):
                raise ConfigError(f"{what}: model_template {template} needs model_processing "
                                  "(aibs_perisomatic, aibs_allactive, ..._directed)")
            proc = str(processing)
        else:
            raise ConfigError(f"{what}: unknown model_template {template!r}; supported: {_SUPPORTED_TEMPLATES}")
        try:
            return engine.add_model(swc, fit, proc, dL)
        except ValueError as e:
            raise ConfigError(f"{what}: {e}") from None

    def _syn_params(self, names, what):
        """tau1, tau2, erev per dynamics_params file name."""
        out = {}
        for n in names:
            if _missing(n):
                raise ConfigError(f"{what}: edges to biophysical cells need dynamics_params (an exp2syn json)")
            p = self._component_json("synaptic_models_dir", n, what)
            for k in ("tau1", "tau2", "erev"):
                if k not in p:
                    raise ConfigError(f"{what}: synaptic model {n} lacks '{k}'")
            out[n] = (float(p["tau1"]), float(p["tau2"]), float(p["erev"]))
        return out

    def _weights(self, ep, idx):
        """syn_weight of the edges `idx`, through each edge type's weight_function."""
        lacking = ~ep.groups_having("weight_function", "syn_weight")[idx]
        if lacking.any():
            j = idx[np.flatnonzero(lacking)[0]]
            raise ConfigError(f"{ep.edges_file}: edge {j} of {ep.name} (group {int(ep.group_ids[j])}) has neither a "
                              "syn_weight nor a weight_function column (in its group or the edge types table)")
        w = np.asarray(ep.column("syn_weight", np.nan)[idx], dtype=float)
        fnames = ep.column("weight_function", None)[idx]
        out = w.copy()
        names = pd.unique(pd.Series(fnames, dtype=object).where(pd.notna(fnames), None))
        for name in names:
            sel = np.array([(f is None or _missing(f)) if name is None else f == name for f in fnames])
            fn = pfc.weight_function(name)
            if fn is None:
                raise ConfigError(f"{ep.edges_file}: edges {ep.name} use weight_function '{name}', which is not "
                                  "registered (bionet.add_weight_function(func, name))")
            if fn is pfc.PLAIN_WEIGHT:
                continue
            src_pop, trg_pop = self.populations[ep.source], self.populations[ep.target]
            for j in np.flatnonzero(sel):
                i = idx[j]
                try:
                    val = fn(_EdgeProps(ep, i), src_pop.node(ep.source_ids[i]), trg_pop.node(ep.target_ids[i]))
                    out[j] = float(val)
                except Exception as e:
                    raise WeightFunctionError(
                        f"weight_function '{name}' failed on edge {i} of {ep.name} "
                        f"({ep.source} {ep.source_ids[i]} -> {ep.target} {ep.target_ids[i]}): "
                        f"{type(e).__name__}: {e}") from e
        if np.any(np.isnan(out)):
            j = int(np.flatnonzero(np.isnan(out))[0])
            raise ConfigError(f"{ep.edges_file}: edge {idx[j]} of {ep.name} has no syn_weight")
        return out

    def _add_edge_subset(self, engine, ep, idx):
        """Edges `idx` of `ep` (their targets local to this rank) in file order."""
        if len(idx) == 0:
            return
        tpop = self.populations[ep.target]
        rows = tpop.rows(ep.target_ids[idx])
        tmt = tpop.model_type[rows]
        src = self.gids(ep.source, ep.source_ids[idx]).astype(np.uint32)
        trg = self.gids(ep.target, ep.target_ids[idx]).astype(np.uint32)
        keys = ep.keys()[idx].astype(np.uint64)
        delay = np.asarray(ep.column("delay", np.nan)[idx], dtype=float)
        if np.any(np.isnan(delay)):
            raise ConfigError(f"{ep.edges_file}: edges {ep.name} lack a delay")
        preselected = ep.preselected()[idx]
        nsyns = np.asarray(ep.column("nsyns", 1.0)[idx], dtype=float)
        bad_nsyns = ~preselected & np.isnan(nsyns)
        if bad_nsyns.any():
            raise ConfigError(f"{ep.edges_file}: edge {idx[np.flatnonzero(bad_nsyns)[0]]} of {ep.name} has no nsyns "
                              "value although its group has an nsyns column")
        nsyns = np.where(preselected, 1, np.nan_to_num(nsyns)).astype(np.int64)
        weight = self._weights(ep, idx)
        what = f"{ep.edges_file} ({ep.name})"
        dyn = ep.column("dynamics_params", None)[idx]
        bio = tmt == "biophysical"
        if bio.any():
            b = np.flatnonzero(bio)
            tmpl = ep.column("model_template", None)[idx][b]
            bad = {str(x) for x in tmpl if _missing(x) or str(x).lower() != "exp2syn"}
            if bad:
                raise ConfigError(f"{what}: unknown synaptic model_template {sorted(bad)} for edges to biophysical "
                                  "cells; supported: exp2syn (Exp2Syn)")
            params = self._syn_params(sorted({str(x) for x in dyn[b]}), what)
            p = np.array([params[str(x)] for x in dyn[b]]).reshape(-1, 3)
            explicit = preselected[b]
            sid = ep.group_column(idx[b], ("sec_id", "afferent_section_id"), np.nan)
            sx = ep.group_column(idx[b], ("sec_x", "afferent_section_pos"), np.nan)
            unplaceable = explicit & (np.isnan(sid) | np.isnan(sx))
            if unplaceable.any():
                j = idx[b][np.flatnonzero(unplaceable)[0]]
                raise ConfigError(
                    f"{what}: edge {j} (group {int(ep.group_ids[j])}, edge type {int(ep.type_ids[j])}) targets a "
                    "biophysical cell but has no afferent_section_id/afferent_section_pos (or sec_id/sec_x) "
                    "value, and its group has no nsyns column to place synapses by target_sections and "
                    "distance_range: the synapse cannot be made")
            sid = np.where(np.isnan(sid), -1, sid).astype(np.int64)
            rule = np.full(len(b), -1, dtype=np.int64)
            placed = np.flatnonzero(~explicit)
            if len(placed):
                tsec = ep.column("target_sections", None)[idx][b][placed]
                drange = ep.column("distance_range", None)[idx][b][placed]
                cache = {}
                for j, ts, dr in zip(placed, tsec, drange):
                    k = (str(ts), str(dr))
                    if k not in cache:
                        secs = _literal(ts, f"{what}: target_sections")
                        rng = _literal(dr, f"{what}: distance_range")
                        if not secs or rng is None or len(rng) != 2:
                            raise ConfigError(f"{what}: edges to biophysical cells need target_sections and a "
                                              f"[min, max] distance_range (or afferent_section_id/pos), got "
                                              f"target_sections={ts!r} distance_range={dr!r}")
                        cache[k] = engine.add_placement_rule([str(s) for s in secs], (float(rng[0]), float(rng[1])))
                    rule[j] = cache[k]
            made = engine.add_bio_edges(src[b], trg[b], keys[b], weight[b], delay[b],
                                        np.ascontiguousarray(p[:, 0]), np.ascontiguousarray(p[:, 1]),
                                        np.ascontiguousarray(p[:, 2]), rule, nsyns[b], sid, sx)
            self.synapses_made += len(made[0])
            self._warn_skipped(engine, ep)
            if self.made_synapses is not None:
                # one row per synapse: the edge it came from, its weight, where it sits
                eidx = (made[0].astype(np.int64) & ((1 << _EDGE_KEY_BITS) - 1))
                pos = np.searchsorted(idx, eidx)
                self.made_synapses.append((ep, eidx, trg[pos].astype(np.int64), weight[pos], made[1], made[2]))
        pp = ~bio
        if pp.any():
            q = np.flatnonzero(pp)
            signs = []
            for n in dyn[q]:
                params = self._component_json("synaptic_models_dir", n, what) if not _missing(n) else {}
                signs.append(float(params.get("sign", 1.0)))
            w = np.where(preselected[q], weight[q], weight[q] * np.array(signs) * nsyns[q])
            engine.add_intfire_edges(src[q], trg[q], keys[q], w, delay[q])
            if self.made_synapses is not None:
                self.made_synapses.append((ep, idx[q], trg[q].astype(np.int64), w, None, None))

    def _warn_skipped(self, engine, ep):
        keys = engine.skipped_edges()
        seen = getattr(self, "_skipped_seen", 0)
        self._skipped_seen = len(keys)
        new = keys[seen:]
        if len(new) == 0:
            return
        types = np.unique(ep.type_ids[(new.astype(np.int64) & ((1 << _EDGE_KEY_BITS) - 1))])
        for t in types:
            self.io.warning(f"Could not find target synaptic location for edge-type {int(t)} of {ep.name}, please "
                            "check target_sections and/or distance_range properties (no synapse was made for "
                            "these edges, as in BMTK)")

    def build_recurrent_edges(self, engine):
        """Edges whose sources are simulated cells, in BMTK's order (edge populations as read)."""
        self.synapses_made = 0
        for ep in self.edge_populations:
            src_pop = self.populations[ep.source]
            src_virtual = src_pop.model_type[src_pop.rows(ep.source_ids)] == "virtual"
            is_local = self._local_mask[ep.target][ep.target_ids]
            self._add_edge_subset(engine, ep, np.flatnonzero(~src_virtual & is_local))

    def add_spike_trains(self, engine, population, node_ids, offsets, times):
        """Spike trains of virtual cells of `population`, and the edges they drive (BMTK builds
        them input by input, after the recurrent edges)."""
        trains = self._virtual_trains
        for i, n in enumerate(node_ids):
            trains.setdefault((population, int(n)), []).append(times[offsets[i]:offsets[i + 1]])
        for ep in self.edge_populations:
            if ep.source != population:
                continue
            src_pop = self.populations[ep.source]
            src_virtual = src_pop.model_type[src_pop.rows(ep.source_ids)] == "virtual"
            is_local = self._local_mask[ep.target][ep.target_ids]
            self._add_edge_subset(engine, ep, np.flatnonzero(src_virtual & is_local))

    def finish_virtual(self, engine):
        """Adds every virtual cell with the spikes its inputs gave (none when no input named it)."""
        ids, offs, ts = [], [0], []
        for name, pop in self.populations.items():
            for n in pop.node_ids[pop.model_type == "virtual"]:
                chunks = self._virtual_trains.get((name, int(n)), [])
                t = np.sort(np.concatenate(chunks)) if chunks else np.zeros(0)
                ids.append(self.gid_offset[name] + int(n))
                ts.append(t)
                offs.append(offs[-1] + len(t))
        for g in self._unused_gids:
            ids.append(int(g))
            ts.append(np.zeros(0))
            offs.append(offs[-1])
        if ids:
            engine.add_virtual(np.asarray(ids, dtype=np.uint32), np.asarray(offs, dtype=np.uint64),
                               np.ascontiguousarray(np.concatenate(ts), dtype=np.float64))
