"""The PointNet network (``bmtk.simulator.pointnet.PointNetwork``): SONATA nodes built as point
neurons of NEST's models, SONATA edges as static synapses, virtual nodes as spike generators, all
on the Rust engine. Nodes, edges and node sets are read through the shared circuit loader."""

import functools

import numpy as np
import pandas as pd

from .. import _mpi
from ..circuit import _NOKEY, SonataCircuit, _missing
from ..sonata_config import ConfigError
from .glif_utils import convert_aibs2nest, is_allen_glif

_NEURON_MODEL_TYPES = ("point_neuron", "point_process")
_SYNAPSE_KEYS = ("receptor_type", "weight", "delay")
_EDGE_CHUNK = 1 << 22  # edges handed to the engine at once


def _default_weight(edges, source_nodes, target_nodes):
    return np.asarray(edges["syn_weight"], dtype=float) * np.asarray(edges["nsyns"], dtype=float)


# weight functions known to every network: name -> f(edges, source_nodes, target_nodes) -> weights
_WEIGHT_FUNCTIONS = {"default_weight_fnc": _default_weight, "set_syn_weight": _default_weight,
                     "wmax": _default_weight}


def add_weight_function(func, name=None, overwrite=True):
    """Registers a vectorised weight function for the edge types whose ``weight_function`` names it:
    ``func(edges_df, source_nodes_df, target_nodes_df)`` returns one weight per edge row."""
    key = name if name is not None else func.__name__
    if key in _WEIGHT_FUNCTIONS and not overwrite and _WEIGHT_FUNCTIONS[key] is not func:
        return
    _WEIGHT_FUNCTIONS[key] = func


def synaptic_weight(*wargs, **wkwargs):
    """Decorator form of :func:`add_weight_function` (bmtk's ``@synaptic_weight``)."""
    if len(wargs) == 1 and callable(wargs[0]):
        add_weight_function(wargs[0])
        return wargs[0]

    def deco(func):
        add_weight_function(func, wkwargs.get("name"))
        return func
    return deco


class PointNetwork(SonataCircuit):
    logger_name = "bmtk_rs.pointnet"

    def __init__(self, **properties):
        super().__init__()
        self._weight_functions = {}
        self._engine_ids = {}      # population -> engine id per node id (-1: not built)
        self._virtual_ids = {}     # population -> engine id per node id of its spike generators
        self._built_edges = set()
        self._models = {}          # population -> model name per node id
        self._local = {}           # population -> per node id: simulated on this MPI rank
        self.min_delay = None      # smallest connection delay made (ms)

    def add_weight_function(self, fnc, name=None, **kwargs):
        self._weight_functions[name if name is not None else fnc.__name__] = functools.partial(fnc)

    def set_default_weight_function(self, fnc):
        self.add_weight_function(fnc, "default_weight_fnc")

    def get_weight_function(self, name):
        if name in self._weight_functions:
            return self._weight_functions[name]
        if name in _WEIGHT_FUNCTIONS:
            return _WEIGHT_FUNCTIONS[name]
        raise ConfigError(f"weight_function '{name}' is not registered (add_weight_function); known: "
                          f"{sorted(set(self._weight_functions) | set(_WEIGHT_FUNCTIONS))}")

    def get_nodes_df(self, population):
        return self._node_pops[population].table.set_index("node_id", drop=False)

    # ---- nodes -----------------------------------------------------------------------------------
    def _cell_params(self, row, what):
        template = row.get("model_template")
        if _missing(template) or ":" not in str(template):
            raise ConfigError(f"{what}: model_template {template!r} is not 'nest:<model>'")
        schema, model = str(template).split(":", 1)
        if schema != "nest":
            raise ConfigError(f"{what}: model_template '{template}' is not a NEST model ('nest:<model>')")
        dyn = row.get("dynamics_params")
        params = {}
        if not _missing(dyn):
            if isinstance(dyn, dict):
                params = dict(dyn)
            else:
                params = dict(self._component_json("point_neuron_models_dir", str(dyn), what))
        if is_allen_glif(template, params):
            template, params = convert_aibs2nest(template, params, source=f"{what} ({dyn})")
            model = template.split(":", 1)[1]
        return model, params

    def build_nodes(self, engine):
        """Every node on every rank (the same engine ids everywhere); under MPI each rank simulates
        every size-th cell of each population (round robin) and holds the others as stand-ins."""
        rank, size = _mpi.rank(), _mpi.size()
        for name, pop in self._node_pops.items():
            eids = np.full(pop.n_ids, -1, dtype=np.int64)
            models = np.full(pop.n_ids, None, dtype=object)
            local = np.zeros(pop.n_ids, dtype=bool)
            mt = pop.model_type
            bad = ~np.isin(mt, _NEURON_MODEL_TYPES + ("virtual",))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ConfigError(f"{pop.nodes_file}: node {int(pop.node_ids[i])} of {name} has model_type "
                                  f"'{mt[i]}'; PointNet builds {list(_NEURON_MODEL_TYPES)} and 'virtual' nodes")
            real = np.flatnonzero(mt != "virtual")
            local[pop.node_ids[real[rank::size]]] = True
            if len(real):
                types = pop.table["node_type_id"].to_numpy()[real]
                for nt in sorted(set(types.tolist())):
                    rows = real[types == nt]
                    row = pop.table.iloc[int(rows[0])]
                    what = f"{pop.nodes_file}: node type {nt} of {name}"
                    model, params = self._cell_params(row, what)
                    ids = pop.node_ids[rows]
                    try:
                        first = engine.add_neurons(model, params, len(rows), local[ids] if size > 1 else None)
                    except ValueError as e:
                        raise ConfigError(f"{what}: {e}") from None
                    eids[ids] = first + np.arange(len(rows))
                    models[ids] = model
            self._engine_ids[name] = eids
            self._models[name] = models
            self._local[name] = local

    def local_mask(self, population):
        """Per node id of `population`: True for the cells this MPI rank simulates."""
        return self._local[population]

    # ---- edges -----------------------------------------------------------------------------------
    def _edge_dataframe(self, ep, idx):
        df = pd.DataFrame({"edge_type_id": ep.type_ids[idx], "source_node_id": ep.source_ids[idx],
                           "target_node_id": ep.target_ids[idx]})
        for col in list(ep.columns) + [c for c in ep.types.columns if c not in ep.columns]:
            if col not in df.columns:
                df[col] = ep.column(col)[idx]
        if "nsyns" not in df.columns:
            df["nsyns"] = 1
        df.index = idx
        return df

    def _edge_type_value(self, ep, col, i):
        """`col` of edge `i` (its group's column, else its edge type's), None where missing."""
        v = ep.value(col, i)
        return None if v is _NOKEY or _missing(v) else v

    def _edge_type_rules(self, ep, et, first):
        """(synapse parameters, weight function or None) of edge type `et`, read at its edge `first`."""
        what = f"{ep.edges_file}: edge type {int(et)} of {ep.name}"
        tmpl = self._edge_type_value(ep, "model_template", first)
        tmpl = "static_synapse" if tmpl is None else str(tmpl)
        tmpl = tmpl[5:] if tmpl.startswith("nest:") else tmpl
        if tmpl != "static_synapse":
            raise ConfigError(f"{what}: synapse model '{tmpl}' is not supported (bmtk-rs PointNet has "
                              "static_synapse)")
        dyn = self._edge_type_value(ep, "dynamics_params", first)
        params = {}
        if dyn is not None:
            params = self._component_json("synaptic_models_dir", str(dyn), what)
        unknown = sorted(set(params) - set(_SYNAPSE_KEYS))
        if unknown:
            raise ConfigError(f"{what}: static_synapse parameters {unknown} in {dyn} are not "
                              f"supported (supported: {list(_SYNAPSE_KEYS)})")
        fname = self._edge_type_value(ep, "weight_function", first)
        return what, params, (None if fname is None else str(fname))

    def _connect_population(self, engine, ep, source_eids):
        if ep.index in self._built_edges:
            return
        self._built_edges.add(ep.index)
        target_eids = self._engine_ids[ep.target]
        n = len(ep.source_ids)
        if n == 0:
            return
        bad = np.flatnonzero(target_eids[ep.target_ids] < 0)
        if len(bad):
            i = int(bad[0])
            raise ConfigError(f"{ep.edges_file}: edge {i} of {ep.name} targets virtual node "
                              f"{int(ep.target_ids[i])} of {ep.target}")
        types, first = np.unique(ep.type_ids, return_index=True)
        rules = {int(et): self._edge_type_rules(ep, et, int(f)) for et, f in zip(types, first)}
        # Edges go to the engine in parts (each part makes a dozen edge-sized temporaries: at the
        # Allen V1 model's size, tens of millions of edges, whole-population arrays would double the
        # set-up's peak memory), in file order, so the engine's connection lists are the same. A
        # weight function sees all edges of its type at once, as in one part.
        chunk = n if any(r[2] is not None for r in rules.values()) else _EDGE_CHUNK
        for a in range(0, n, chunk):
            self._connect_part(engine, ep, source_eids, target_eids, rules, np.arange(a, min(a + chunk, n)))

    def _connect_part(self, engine, ep, source_eids, target_eids, rules, part):
        src = source_eids[ep.source_ids[part]]
        trg = target_eids[ep.target_ids[part]]
        delays = np.asarray(ep.column_at("delay", part, np.nan), dtype=float)
        weights = np.zeros(len(part))
        receptors = np.zeros(len(part), dtype=np.uint32)
        tids = ep.type_ids[part]
        for et in np.unique(tids):
            what, params, fname = rules[int(et)]
            local = np.flatnonzero(tids == et)
            idx = part[local]
            if fname is not None:
                fn = self.get_weight_function(fname)
                edges = self._edge_dataframe(ep, idx)
                src_df = self.get_nodes_df(ep.source).loc[ep.source_ids[idx]]
                trg_df = self.get_nodes_df(ep.target).loc[ep.target_ids[idx]]
                w = np.asarray(fn(edges, src_df, trg_df), dtype=float)
                if w.ndim == 0:
                    w = np.full(len(idx), float(w))
                if w.shape != (len(idx),):
                    raise ConfigError(f"{what}: weight_function '{fname}' returned {w.shape[0]} weights for "
                                      f"{len(idx)} edges")
            else:
                sw = np.asarray(ep.column_at("syn_weight", idx, np.nan), dtype=float)
                if np.any(np.isnan(sw)):
                    raise ConfigError(f"{what}: no syn_weight (in the edges or the edge types file)")
                w = np.asarray(ep.column_at("nsyns", idx, 1.0), dtype=float) * sw
            if "weight" in params:
                w = np.full(len(idx), float(params["weight"]))
            if "delay" in params:
                delays[local] = float(params["delay"])
            weights[local] = w
            receptors[local] = int(params.get("receptor_type", 0))
        if np.any(np.isnan(delays)):
            i = int(part[np.flatnonzero(np.isnan(delays))[0]])
            raise ConfigError(f"{ep.edges_file}: edge {i} of {ep.name} has no delay")
        if np.any(~np.isfinite(weights)):
            raise ConfigError(f"{ep.edges_file}: edges of {ep.name} have non-finite weights")
        low = float(delays.min())
        self.min_delay = low if self.min_delay is None else min(self.min_delay, low)
        try:
            engine.connect(src.astype(np.uint32), trg.astype(np.uint32), weights, delays, receptors)
        except ValueError as e:
            raise ConfigError(f"{ep.edges_file}: edges {ep.name}: {e}") from None

    def build_recurrent_edges(self, engine):
        for ep in self.edge_populations:
            if self._node_pops[ep.source].virtual_only:
                continue
            self._connect_population(engine, ep, self._engine_ids[ep.source])

    # ---- inputs ----------------------------------------------------------------------------------
    def add_spike_trains(self, engine, spike_trains, node_set, name="inputs"):
        """Spike generators for the virtual nodes of every population `node_set` selects (bmtk takes
        whole populations), fed from `spike_trains`, then the edges leaving those populations."""
        file_pops = list(spike_trains.populations)
        for pop_name in self.get_node_set(node_set):
            if pop_name in self._virtual_ids:
                continue
            pop = self._node_pops[pop_name]
            if pop_name in file_pops:
                src = pop_name
            elif len(file_pops) == 1:
                src = file_pops[0]
            else:
                raise ConfigError(f"input '{name}': the spike file has populations {file_pops}, none is "
                                  f"'{pop_name}'")
            df = spike_trains.to_dataframe(populations=[src], with_population_col=False)
            nid = df["node_ids"].to_numpy(dtype=np.int64)
            ts = df["timestamps"].to_numpy(dtype=np.float64)
            ids = np.sort(pop.node_ids[pop.model_type == "virtual"])
            keep = np.isin(nid, ids)
            nid, ts = nid[keep], ts[keep]
            if np.any(ts <= 0.0):
                bad = int(nid[np.flatnonzero(ts <= 0.0)[0]])
                raise ConfigError(f"input '{name}': node {bad} of {pop_name} has a spike at time <= 0 ms, "
                                  "which NEST's spike generators cannot emit")
            order = np.lexsort((ts, nid))
            nid, ts = nid[order], ts[order]
            lo = np.searchsorted(nid, ids, side="left")
            hi = np.searchsorted(nid, ids, side="right")
            offsets = np.concatenate([[0], np.cumsum(hi - lo)]).astype(np.int64)
            times = np.concatenate([ts[a:b] for a, b in zip(lo, hi)]) if len(ids) else np.zeros(0)
            first = engine.add_spike_generators(offsets, np.ascontiguousarray(times, dtype=np.float64))
            veids = np.full(pop.n_ids, -1, dtype=np.int64)
            veids[ids] = first + np.arange(len(ids))
            self._virtual_ids[pop_name] = veids
            for ep in self.edge_populations:
                if ep.source == pop_name:
                    self._connect_population(engine, ep, veids)

    def engine_ids(self, population, node_ids):
        eids = self._engine_ids[population][np.asarray(node_ids, dtype=np.int64)]
        return eids
