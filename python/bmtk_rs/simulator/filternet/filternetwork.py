"""FilterNetwork: reads the LGN nodes and resolves every cell's filter parameters.

Parameters are looked up as bmtk 1.2.0 does (node group attributes first, then node-type
columns, then the dynamics_params json), column by column with pandas; the per-cell work is
done by the Rust engine.
"""

import ast
import csv
import json
import os

import numpy as np

from ... import _native
from .config import Config, ConfigError

_SPONT_TABLE = os.path.join(os.path.dirname(__file__), "lgn_spont_rates.json")

# Column names bmtk accepts for the dominant / non-dominant temporal parameters, in priority order:
# a single column holding both values, or a pair of columns.
_DOM = {
    "weights": (["weights", "opt_wts", "weights_dom"], [("weight_dom_0", "weight_dom_1")], "opt_wts"),
    "kpeaks": (["kpeaks", "opt_kpeaks", "kpeaks_dom"], [("kpeaks_dom_0", "kpeaks_dom_1")], "opt_kpeaks"),
    "delays": (
        ["delays", "opt_delays", "delays_dom"],
        [("delays_dom_0", "delays_dom_1"), ("delay_dom_0", "delay_dom_1")],
        "opt_delays",
    ),
}
_NONDOM = {
    "weights": (["weights_non_dom"], [("weight_non_dom_0", "weight_non_dom_1")], "opt_wts"),
    "kpeaks": (["kpeaks_non_dom"], [("kpeaks_non_dom_0", "kpeaks_non_dom_1")], "opt_kpeaks"),
    "delays": (["delays_non_dom"], [("delay_non_dom_0", "delay_non_dom_1")], "opt_delays"),
}


def _pair(v):
    if isinstance(v, str):
        try:
            v = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            return (np.nan, np.nan)
    if v is None:
        return (np.nan, np.nan)
    if np.isscalar(v):
        return (float(v), float(v))
    v = list(v)
    if len(v) != 2:
        return (np.nan, np.nan)
    return (float(v[0]), float(v[1]))


# the strings pandas.read_csv reads as missing values
_NA_STRINGS = frozenset(["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                         "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"])


def _csv_value(text):
    """A node-types csv cell as pandas would read it: number, NaN when empty, else the string."""
    if text is None or text in _NA_STRINGS:
        return np.nan
    try:
        return float(text)
    except ValueError:
        return text


def _read_types_csv(path):
    """Node types table, space separated as bmtk reads it with pandas (empty fields allowed,
    double-quoted fields may contain spaces)."""
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh, delimiter=" ", quotechar='"') if r]
    if not rows:
        raise ConfigError(f"{path}: empty node types file")
    header = rows[0]
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise ConfigError(f"{path}: line {i} has {len(r)} fields, the header {len(header)}")
    return header, rows[1:]


def _is_missing(v):
    return v is None or (isinstance(v, float) and np.isnan(v))


class _JsonCache:
    def __init__(self, folder):
        self.folder = folder
        self.cache = {}

    def get(self, name, what):
        if _is_missing(name) or name == "":
            return None
        if isinstance(name, dict):
            return name
        if name not in self.cache:
            if self.folder is None:
                raise ConfigError(f"{what}: 'components.filter_models_dir' is not set in the configuration")
            path = os.path.join(self.folder, name)
            try:
                with open(path) as fh:
                    self.cache[name] = json.load(fh)
            except OSError as e:
                raise ConfigError(f"{what}: cannot read filter parameters {path}: {e}") from None
            except json.JSONDecodeError as e:
                raise ConfigError(f"{what}: filter parameters {path} are not valid json: {e}") from None
        return self.cache[name]


class FilterNetwork:
    """The LGN cells of a FilterNet simulation."""

    def __init__(self, config=None):
        self._config = config
        self._jitter = (1.0, 1.0)
        self._tables = []  # one DataFrame per population: node columns merged with node-type columns
        self._files = []

    @classmethod
    def from_config(cls, config):
        if not isinstance(config, Config):
            config = Config.load(config)
        if not config.with_networks:
            raise ConfigError("{}: no 'networks.nodes' files in the configuration".format(config.get("config_path")))
        net = cls(config)
        for entry in config.nodes:
            for key in ("nodes_file", "node_types_file"):
                if key not in entry:
                    raise ConfigError("{}: a 'networks.nodes' entry lacks '{}'".format(config.get("config_path"), key))
            net.add_nodes(entry["nodes_file"], entry["node_types_file"])
        if config.jitter is not None:
            net.jitter = config.jitter
        return net

    @property
    def jitter(self):
        return self._jitter

    @jitter.setter
    def jitter(self, val):
        if len(val) != 2 or val[0] > val[1]:
            raise ValueError("jitter must be (lower, upper) with lower <= upper")
        self._jitter = tuple(val)

    def add_nodes(self, nodes_file, node_types_file):
        if not os.path.exists(node_types_file):
            raise ConfigError(f"{node_types_file}: node types file not found")
        tcols, trows = _read_types_csv(node_types_file)
        if "node_type_id" not in tcols:
            raise ConfigError(f"{node_types_file}: no 'node_type_id' column")
        types = {c: [_csv_value(r[j]) for r in trows] for j, c in enumerate(tcols)}
        type_ids = np.asarray([int(v) for v in types["node_type_id"]], dtype=np.int64)
        order = np.argsort(type_ids)
        for pop in _native.read_nodes(nodes_file):
            n = len(pop["node_id"])
            ntid = np.asarray(pop["node_type_id"]).astype(np.int64)
            pos = np.searchsorted(type_ids[order], ntid)
            pos = np.clip(pos, 0, len(order) - 1)
            found = type_ids[order][pos] == ntid
            if not found.all():
                missing = sorted(set(ntid[~found].tolist()))
                raise ConfigError(f"{nodes_file}: node_type_id(s) {missing} not in {node_types_file}")
            trow = order[pos]
            table = {"node_id": np.asarray(pop["node_id"]), "node_type_id": ntid}
            for c in tcols:
                if c != "node_type_id":
                    table[c] = np.asarray(types[c], dtype=object)[trow]
            gids = np.asarray(pop["node_group_id"])
            gidx = np.asarray(pop["node_group_index"]).astype(np.int64)
            node_cols = set()
            node_cols_seen = set()
            for gid, gcols in pop["groups"].items():
                rows = np.nonzero(gids == int(gid))[0]
                sel = gidx[rows]
                for name, (dtype, data, width) in gcols.items():
                    node_cols.add(name)
                    if dtype == "str":
                        vals = np.asarray(data, dtype=object)[sel]
                    elif width > 1:
                        vals = np.empty(len(rows), dtype=object)
                        vals[:] = [tuple(v) for v in np.asarray(data)[sel]]
                    else:
                        vals = np.asarray(data)[sel]
                    col = table.get(name) if name in node_cols_seen else None
                    if col is None:
                        numeric = dtype not in ("str", "bool") and width == 1
                        col = np.full(n, np.nan, dtype=np.float64 if numeric else object)
                        table[name] = col
                        node_cols_seen.add(name)
                    elif col.dtype != object and vals.dtype == object:
                        col = col.astype(object)
                        table[name] = col
                    # node attributes take precedence over node-type columns
                    col[rows] = vals
            self._tables.append(_Table(pop["name"], table, node_cols, types, trow))
            self._files.append(nodes_file)

    def build_nodes(self):
        pass

    def cells(self):
        return [(t.pop, t.table) for t in self._tables]

    def cell_params(self, rng=None):
        """Per-cell filter parameters as numpy arrays, in the layout the engine expects.

        Values given per node type are resolved once per type and broadcast; numeric node
        attributes are handled as whole columns.
        """
        rng = rng if rng is not None else np.random
        cfg = self._config or {}
        folder = cfg.get("components", {}).get("filter_models_dir")
        jsons = _JsonCache(folder)
        with open(_SPONT_TABLE) as fh:
            spont_table = json.load(fh)["spont_rates"]
        parts = []
        for tab in self._tables:
            parts.append(_population_params(tab, jsons, folder, spont_table, rng))
        cells = {}
        for key in parts[0] if parts else ():
            if key in ("population", "model"):
                cells[key] = [v for p in parts for v in p[key]]
            else:
                cells[key] = np.ascontiguousarray(np.concatenate([p[key] for p in parts]))
        if not parts:
            raise ConfigError("the network has no nodes")
        return cells


class _Table:
    """One population: node attributes (node_cols) over node-type columns (types, trow)."""

    def __init__(self, pop, table, node_cols, types, trow):
        self.pop, self.table, self.node_cols, self.types, self.trow = pop, table, node_cols, types, trow
        self.n = len(table["node_id"])

    def has(self, c):
        return c in self.node_cols or c in self.types

    def map(self, c, fn):
        """fn applied to column c (once per node type for type columns), as an object array."""
        if c in self.node_cols:
            vals = self.table[c]
            out = np.empty(self.n, dtype=object)
            out[:] = [fn(v, f"node {nid} of population '{self.pop}'")
                      for v, nid in zip(vals, self.table["node_id"])]
            return out
        tvals = self.types.get(c)
        tids = self.types["node_type_id"]
        if tvals is None:
            tvals = [None] * len(tids)
        per_type = np.empty(len(tvals), dtype=object)
        per_type[:] = [fn(v, f"node type {int(t)} of population '{self.pop}'")
                       for v, t in zip(tvals, tids)]
        return per_type[self.trow]

    def floats(self, c, default=np.nan):
        if c in self.node_cols:
            col = self.table[c]
            return np.asarray([default if _is_missing(v) else v for v in col], dtype=np.float64) \
                if col.dtype == object else col.astype(np.float64)
        if c in self.types:
            per_type = np.asarray([default if _is_missing(v) else v for v in self.types[c]], dtype=np.float64)
            return per_type[self.trow]
        return np.full(self.n, default, dtype=np.float64)

    def pairs(self, c):
        if c in self.node_cols and self.table[c].dtype != object:
            v = self.table[c].astype(np.float64)
            return np.column_stack([v, v])
        return _as_pairs(self.map(c, lambda v, what: _pair(v)))


def _as_pairs(obj):
    return np.asarray(obj.tolist(), dtype=np.float64).reshape(-1, 2)


def _model_name(t, what):
    if _is_missing(t):
        return None
    parts = str(t).split(":")
    if len(parts) != 2 or parts[0] != "lgnmodel":
        raise ConfigError(f"{what}: unknown model_template '{t}' (expected 'lgnmodel:<model name>')")
    return parts[1]


def _check_processing(p, what):
    if not _is_missing(p) and p not in ("default", "preset_params"):
        raise ConfigError(f"{what}: model_processing '{p}' is not supported")


_TWO_SUBUNIT = ("sONsOFF_001", "sONsOFF", "sONtOFF_001", "sONtOFF")


def _temporal_params(t, spec, json_col, jsons, folder, required):
    single, pairs, key = spec
    for c in single:
        if t.has(c):
            return t.pairs(c)
    for a, b in pairs:
        if t.has(a) and t.has(b):
            return np.column_stack([t.floats(a), t.floats(b)])

    def from_json(name, what):
        params = jsons.get(name, what) or {}
        if key in params:
            return _pair(params[key])
        if required:
            raise ConfigError(f"{what}: filter parameters {os.path.join(str(folder), str(name))} lack the key '{key}'")
        return (np.nan, np.nan)

    return _as_pairs(t.map(json_col, from_json))


def _population_params(t, jsons, folder, spont_table, rng):
    n = t.n
    t.map("model_processing", _check_processing)
    names = t.map("model_template", _model_name)
    missing = np.fromiter((n is None for n in names), dtype=bool, count=len(names))
    if missing.any():
        pop_names = t.map("pop_name", lambda v, what: None if _is_missing(v) else str(v))
        names = np.where(missing, pop_names, names)
        still = np.fromiter((n is None for n in names), dtype=bool, count=len(names))
        if still.any():
            i = int(np.nonzero(still)[0][0])
            raise ConfigError("node {} of population '{}': no 'model_template' (or pop_name) to choose the "
                              "cell model".format(t.table["node_id"][i], t.pop))
    names = names.astype(str)
    two = np.isin(names, _TWO_SUBUNIT)

    w, k, d = (_temporal_params(t, _DOM[x], "dynamics_params", jsons, folder, True)
               for x in ("weights", "kpeaks", "delays"))
    wn, kn, dn = (_temporal_params(t, _NONDOM[x], "non_dom_params", jsons, folder, False)
                  for x in ("weights", "kpeaks", "delays"))
    bad = two & (np.isnan(wn).any(1) | np.isnan(kn).any(1) | np.isnan(dn).any(1))
    if bad.any():
        i = int(np.nonzero(bad)[0][0])
        raise ConfigError("node {} of population '{}': two-subunit model '{}' needs non-dominant filter "
                          "parameters (non_dom_params json with opt_wts/opt_kpeaks/opt_delays, or "
                          "weight_non_dom_0/1, kpeaks_non_dom_0/1, delay_non_dom_0/1)".format(
                              t.table["node_id"][i], t.pop, names[i]))
    # spatial size: node/type 'spatial_size', then 'sigma', then dynamics_params, else 1 degree
    if t.has("spatial_size"):
        sig = t.pairs("spatial_size")
    elif t.has("sigma"):
        sig = t.pairs("sigma")
    else:
        sig = _as_pairs(t.map("dynamics_params", lambda name, what: _pair(
            (jsons.get(name, what) or {}).get("spatial_size", (1.0, 1.0)))))
    sig = sig / 3.0
    sf = t.floats("sf_sep")
    lo_hi = (t.has("jitter_lower"), t.has("jitter_upper"))
    if all(lo_hi):
        lo, hi = t.floats("jitter_lower")[:, None], t.floats("jitter_upper")[:, None]
        def jit(a, lo, hi):
            # uniform in [a*lo, a*hi]; NaN (absent) values stay NaN
            return a * lo + rng.uniform(size=a.shape) * (a * hi - a * lo)

        w, k, d, wn, kn, dn = (jit(a, lo, hi) for a in (w, k, d, wn, kn, dn))
        sf = np.where(two, jit(sf, lo[:, 0], hi[:, 0]), sf)
    elif any(lo_hi):
        raise ConfigError(f"population '{t.pop}': need both jitter_lower and jitter_upper (or neither)")
    # spontaneous rate: node 'spont_fr', else the experimental table by cell type and TF class
    uniq, inv = np.unique(names, return_inverse=True)

    def table_rate(name):
        parts = name.split("_")
        ctype, tf = (parts[0], "TF8") if len(parts) == 1 else (parts[0], parts[1])
        return spont_table.get(ctype, {}).get(tf, np.nan)

    spont = np.asarray([table_rate(u) for u in uniq], dtype=np.float64)[inv.reshape(-1)]
    if t.has("spont_fr"):
        given = t.floats("spont_fr")
        spont = np.where(np.isnan(given), spont, given)
    spont = np.where(two, np.nan, spont)
    ta = t.floats("tuning_angle") if t.has("tuning_angle") else rng.uniform(0.0, 360.0, n)
    return {
        "node_id": np.asarray(t.table["node_id"], dtype=np.uint64),
        "population": [t.pop] * n,
        "model": names.tolist(),
        "x": t.floats("x"),
        "y": t.floats("y"),
        "rotation": t.floats("spatial_rotation", default=0.0),
        "spont": spont,
        "tuning_angle": np.asarray(ta, dtype=np.float64),
        "sf_sep": sf,
        "sigma": sig,
        "sigma_on": t.pairs("sigma_on") if t.has("sigma_on") else np.full((n, 2), np.nan),
        "sigma_off": t.pairs("sigma_off") if t.has("sigma_off") else np.full((n, 2), np.nan),
        "weights": w, "kpeaks": k, "delays": d,
        "weights_nd": wn, "kpeaks_nd": kn, "delays_nd": dn,
    }
