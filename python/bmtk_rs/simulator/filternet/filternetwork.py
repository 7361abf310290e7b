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


def _csv_value(text):
    """A node-types csv cell as pandas would read it: number, NaN when empty, else the string."""
    if text == "" or text is None:
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


def _temporal(ctx, spec, params, required):
    """Dominant or non-dominant (weights | kpeaks | delays) of every cell of one population."""
    df, columns, what, folder = ctx
    n = len(df["node_id"])

    def col(c):
        return list(df[c]) if c in df else [None] * n

    single, pairs, key = spec
    for c in single:
        if c in columns:
            return [_pair(v) for v in col(c)]
    for a, b in pairs:
        if a in columns and b in columns:
            return [(float(x), float(y)) for x, y in zip(col(a), col(b))]
    res = []
    src = col("dynamics_params")
    for i in range(n):
        if key in params[i]:
            res.append(_pair(params[i][key]))
        elif required:
            raise ConfigError(f"{what[i]}: filter parameters {os.path.join(str(folder), str(src[i]))} lack the key '{key}'")
        else:
            res.append((np.nan, np.nan))
    return res


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
                        vals = np.asarray(data)[sel].astype(object)
                    col = table.get(name)
                    if col is None or name in ("node_id", "node_type_id"):
                        col = np.full(n, np.nan, dtype=object)
                        table[name] = col
                    # node attributes take precedence over node-type columns
                    col[rows] = vals
            self._tables.append((pop["name"], table, node_cols | set(tcols)))
            self._files.append(nodes_file)

    def build_nodes(self):
        pass

    def cells(self):
        return [(name, table) for name, table, _ in self._tables]

    def cell_params(self, rng=None):
        """Per-cell filter parameters as numpy arrays, in the layout the engine expects."""
        rng = rng if rng is not None else np.random
        cfg = self._config or {}
        folder = cfg.get("components", {}).get("filter_models_dir")
        jsons = _JsonCache(folder)
        with open(_SPONT_TABLE) as fh:
            spont_table = json.load(fh)["spont_rates"]
        out = {k: [] for k in ("node_id", "population", "model")}
        num = {k: [] for k in ("x", "y", "rotation", "spont", "tuning_angle", "sf_sep")}
        prs = {k: [] for k in ("sigma", "sigma_on", "sigma_off", "weights", "kpeaks", "delays",
                               "weights_nd", "kpeaks_nd", "delays_nd")}
        for pop, df, columns in self._tables:
            n = len(df["node_id"])
            what = [f"node {nid} of population '{pop}'" for nid in df["node_id"]]

            def col(c, df=df, n=n):
                return list(df[c]) if c in df else [None] * n

            # model template -> model name
            templ = col("model_template")
            procs = col("model_processing")
            names = []
            for i in range(n):
                t = templ[i]
                p = procs[i]
                if not _is_missing(p) and p not in ("default", "preset_params"):
                    raise ConfigError(f"{what[i]}: model_processing '{p}' is not supported")
                if _is_missing(t):
                    pn = col("pop_name")[i]
                    if _is_missing(pn):
                        raise ConfigError(f"{what[i]}: no 'model_template' (or pop_name) to choose the cell model")
                    names.append(str(pn))
                    continue
                parts = str(t).split(":")
                if len(parts) != 2 or parts[0] != "lgnmodel":
                    raise ConfigError(
                        f"{what[i]}: unknown model_template '{t}' (expected 'lgnmodel:<model name>')")
                names.append(parts[1])
            dyn = [jsons.get(v, what[i]) or {} for i, v in enumerate(col("dynamics_params"))]
            nondom = [jsons.get(v, what[i]) or {} for i, v in enumerate(col("non_dom_params"))]

            two = [m in ("sONsOFF_001", "sONsOFF", "sONtOFF_001", "sONtOFF") for m in names]
            ctx = (df, columns, what, folder)
            w, k, d = (_temporal(ctx, _DOM[x], dyn, True) for x in ("weights", "kpeaks", "delays"))
            wn, kn, dn = (_temporal(ctx, _NONDOM[x], nondom, False) for x in ("weights", "kpeaks", "delays"))
            for i in range(n):
                if two[i] and any(np.isnan(v).any() for v in (wn[i], kn[i], dn[i])):
                    raise ConfigError(f"{what[i]}: two-subunit model '{names[i]}' needs non-dominant filter parameters "
                                      "(non_dom_params json with opt_wts/opt_kpeaks/opt_delays, or "
                                      "weight_non_dom_0/1, kpeaks_non_dom_0/1, delay_non_dom_0/1)")
            # spatial size: node/type 'spatial_size', then 'sigma', then dynamics_params
            sig = []
            ss, sg = col("spatial_size"), col("sigma")
            for i in range(n):
                if "spatial_size" in columns:
                    v = ss[i]
                elif "sigma" in columns:
                    v = sg[i]
                elif "spatial_size" in dyn[i]:
                    v = dyn[i]["spatial_size"]
                else:
                    v = (1.0, 1.0)
                a, b = _pair(v)
                sig.append((a / 3.0, b / 3.0))
            # jitter defined on the nodes
            if "jitter_lower" in columns and "jitter_upper" in columns:
                lo = np.asarray(col("jitter_lower"), dtype=float)
                hi = np.asarray(col("jitter_upper"), dtype=float)
                for arrs in (w, k, d, wn, kn, dn):
                    for i in range(n):
                        arrs[i] = tuple(rng.uniform(x * lo[i], x * hi[i]) if not np.isnan(x) else x for x in arrs[i])
            elif ("jitter_lower" in columns) ^ ("jitter_upper" in columns):
                raise ConfigError(f"population '{pop}': need both jitter_lower and jitter_upper (or neither)")
            # spontaneous rate: node 'spont_fr' or the experimental table
            spont = []
            sp = col("spont_fr")
            for i in range(n):
                if "spont_fr" in columns and not _is_missing(sp[i]):
                    spont.append(float(sp[i]))
                    continue
                parts = names[i].split("_")
                ctype, tf = (parts[0], "TF8") if len(parts) == 1 else (parts[0], parts[1])
                spont.append(spont_table.get(ctype, {}).get(tf, np.nan) if not two[i] else np.nan)
            if "tuning_angle" in columns:
                ta = [float(v) if not _is_missing(v) else np.nan for v in col("tuning_angle")]
            else:
                ta = list(rng.uniform(0.0, 360.0, n))
            sf = [float(v) if not _is_missing(v) else np.nan for v in col("sf_sep")]
            if "jitter_lower" in columns and "jitter_upper" in columns:
                sf = [rng.uniform(lo[i] * s, hi[i] * s) if two[i] else s for i, s in enumerate(sf)]
            rot = [float(v) if not _is_missing(v) else 0.0 for v in col("spatial_rotation")]
            out["node_id"].extend(int(v) for v in df["node_id"])
            out["population"].extend([pop] * n)
            out["model"].extend(names)
            num["x"].extend(float(v) for v in col("x"))
            num["y"].extend(float(v) for v in col("y"))
            num["rotation"].extend(rot)
            num["spont"].extend(spont)
            num["tuning_angle"].extend(ta)
            num["sf_sep"].extend(sf)
            prs["sigma"].extend(sig)
            prs["sigma_on"].extend(_pair(v) for v in col("sigma_on"))
            prs["sigma_off"].extend(_pair(v) for v in col("sigma_off"))
            for key, vals in (("weights", w), ("kpeaks", k), ("delays", d),
                              ("weights_nd", wn), ("kpeaks_nd", kn), ("delays_nd", dn)):
                prs[key].extend(vals)
        cells = {"node_id": np.asarray(out["node_id"], dtype=np.uint64),
                 "population": out["population"], "model": out["model"]}
        for key, vals in num.items():
            cells[key] = np.asarray(vals, dtype=np.float64)
        for key, vals in prs.items():
            cells[key] = np.asarray(vals, dtype=np.float64).reshape(-1, 2)
        return cells
