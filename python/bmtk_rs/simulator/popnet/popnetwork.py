"""The PopNet network (``bmtk.simulator.popnet.PopNetwork``): SONATA nodes grouped into
populations (by node_type_id unless told otherwise), SONATA edges reduced to one connection per
(source population, target population) pair, read through the shared circuit loader."""

import logging

import numpy as np
import pandas as pd

from ..circuit import _NOKEY, SonataCircuit, _missing
from ..sonata_config import ConfigError
from .populations import ExtPopulation, PopConnection, Population


class PopNetwork(SonataCircuit):
    logger_name = "bmtk_rs.popnet"

    def __init__(self, group_by="node_type_id"):
        super().__init__()
        self._group_key = group_by
        self._internal = {}       # group key -> Population (shared by every internal node population)
        self._external = {}       # node population -> {group key: ExtPopulation}
        self._members = {}        # node population -> (node ids, population object per node)
        self._connections = {}
        self._all_populations = []
        self._all_connections = []

    @classmethod
    def from_config(cls, conf, **properties):
        target = conf.get("target_simulator")
        if target is None:
            logging.getLogger(cls.logger_name).warning(
                "Unspecified PopNet 'target_simulator': running DiPDE (bmtk-rs has no SSN engine)")
        elif str(target).lower() != "dipde":
            raise ConfigError(f"{conf.get('config_path')}: target_simulator '{target}' is not supported; "
                              "bmtk-rs PopNet runs 'DiPDE'")
        net = super().from_config(conf)
        net._group_key = properties.get("group_by", "node_type_id")
        return net

    @property
    def target_simulator(self):
        return "DiPDE"

    @property
    def populations(self):
        return self._all_populations

    @property
    def internal_populations(self):
        return list(self._internal.values())

    @property
    def external_populations(self):
        return [p for m in self._external.values() for p in m.values()]

    @property
    def connections(self):
        return self._all_connections

    # ---- grouping --------------------------------------------------------------------------------
    def _keys(self, pop):
        """The group key of every node of a node population (its node ids when grouping by node)."""
        if self._group_key in (None, "node_id"):
            return pop.node_ids
        if self._group_key not in pop.table.columns:
            raise ConfigError(f"{pop.nodes_file}: population {pop.name} has no '{self._group_key}' column "
                              "to group nodes into PopNet populations")
        keys = pop.table[self._group_key].to_numpy()
        if any(_missing(k) for k in keys):
            raise ConfigError(f"{pop.nodes_file}: population {pop.name}: some nodes lack '{self._group_key}'")
        return keys

    def build_nodes(self):
        for name, pop in self._node_pops.items():
            if pop.virtual_only:
                continue
            if np.any(pop.model_type == "virtual"):
                raise ConfigError(f"{pop.nodes_file}: population {name} mixes virtual and non-virtual nodes; "
                                  "PopNet needs each node population to be one or the other")
            keys = self._keys(pop)
            uniques, firsts = _first_of_each(keys)
            for key, first in zip(uniques, firsts):
                if key not in self._internal:
                    row = pop.table.iloc[first]
                    what = f"{pop.nodes_file}: node {int(row['node_id'])} of {name}"
                    if str(row["model_type"]) != "population":
                        raise ConfigError(f"{what}: model_type '{row['model_type']}' is not 'population'")
                    params_name = row.get("dynamics_params")
                    if _missing(params_name):
                        raise ConfigError(f"{what}: a PopNet population needs dynamics_params (a "
                                          f"json file in "
                                          "components.population_models_dir)")
                    params = self._component_json("population_models_dir", str(params_name), what)
                    path = self._component_path("population_models_dir", str(params_name), what)
                    popobj = Population(key, params, path)
                    self._internal[key] = popobj
                    self._all_populations.append(popobj)
            self._register(name, pop, keys, uniques, [self._internal[k] for k in uniques])

    def _register(self, name, pop, keys, uniques, objs):
        """Node -> population lookup of node population `name` (one code per node, no per-node
        objects), and each population's node ids."""
        codes = pd.Index(pd.Series(uniques, dtype=object)).get_indexer(pd.Series(keys, dtype=object))
        for j, obj in enumerate(objs):
            obj.nodes.extend(pop.node_ids[codes == j].tolist())
        self._members[name] = (pop.node_ids, codes, objs)

    # ---- edges -----------------------------------------------------------------------------------
    def _connect(self, ep, kind):
        """Adds one connection per new (source, target) population pair of edge population `ep`."""
        if ep.target not in self._members or ep.source not in self._members:
            return
        s_ids, s_codes, s_objs = self._members[ep.source]
        t_ids, t_codes, t_objs = self._members[ep.target]
        if len(ep.source_ids) == 0:
            return
        src = s_codes[pd.Index(s_ids).get_indexer(ep.source_ids)]
        trg = t_codes[pd.Index(t_ids).get_indexer(ep.target_ids)]
        # first edge of each (source population, target population) pair, in edge order
        _, first = np.unique(src.astype(np.int64) * len(t_objs) + trg, return_index=True)
        first = np.sort(first)
        cols = {}
        for col in ("nsyns", "delay", "syn_weight"):
            if col not in ep.columns and col not in ep.types.columns:
                raise ConfigError(f"{ep.edges_file}: edges {ep.name} have no '{col}' (PopNet "
                                  f"connections need "
                                  "nsyns, delay and syn_weight, in the edges or the edge types file)")
            cols[col] = True
        for i in first.tolist():
            sp, tp = s_objs[src[i]], t_objs[trg[i]]
            key = (id(sp), id(tp))
            if key in self._connections:
                continue
            what = f"{ep.edges_file}: edge {i} of {ep.name}"
            vals = {}
            for col in cols:
                v = ep.value(col, i)
                if v is _NOKEY or v is None or _missing(v):
                    raise ConfigError(f"{what}: no value for '{col}'")
                vals[col] = v
            conn = PopConnection(sp, tp, vals["nsyns"], vals["delay"], vals["syn_weight"], what)
            self._connections[key] = conn
            self._all_connections.append(conn)

    def build_recurrent_edges(self):
        for ep in self.edge_populations:
            internal = [n for n in (ep.source, ep.target) if n in self._members and n not in self._external]
            if len(internal) == 2:
                self._connect(ep, "recurrent")

    # ---- inputs ----------------------------------------------------------------------------------
    def _virtual_pops(self, node_set, what):
        names = list(self.get_node_set(node_set))
        for n in names:
            if not self._node_pops[n].virtual_only:
                raise ConfigError(f"{what}: node_set {node_set!r} selects population '{n}', which "
                                  f"is not made of "
                                  "virtual nodes (inputs drive external populations only)")
        return names

    def _add_external(self, name, rate_of, source):
        pop = self._node_pops[name]
        if name in self._external:
            return
        keys = self._keys(pop)
        uniques, _ = _first_of_each(keys)
        ext = {}
        for key in uniques:
            e = ExtPopulation(key, rate_of(key), source)
            ext[key] = e
            self._all_populations.append(e)
        self._external[name] = ext
        self._register(name, pop, keys, uniques, [ext[k] for k in uniques])
        for ep in self.edge_populations:
            if ep.source == name:
                self._connect(ep, "external")

    def add_rates(self, rates, node_set, name="inputs"):
        """External populations of `node_set` fire at the rates of a pop_rates table (``gid
        firing_rate``, space separated, gid being the population's group key)."""
        path = rates
        try:
            df = pd.read_csv(path, sep=" ")
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
            raise ConfigError(f"inputs.{name}: cannot read rates file {path}: {e}") from None
        for col in ("gid", "firing_rate"):
            if col not in df.columns:
                raise ConfigError(f"{path}: rates table lacks column '{col}' (expected 'gid firing_rate')")
        table = {str(g): r for g, r in zip(df["gid"].tolist(), df["firing_rate"].tolist())}

        def rate_of(key):
            k = str(int(key)) if isinstance(key, (int, np.integer)) else str(key)
            if k not in table:
                raise ConfigError(f"{path}: no firing_rate for population {key} (gid column)")
            return table[k]

        for pop_name in self._virtual_pops(node_set, f"inputs.{name}"):
            self._add_external(pop_name, rate_of, path)

    def add_spike_trains(self, spikes, node_set, name="inputs"):
        """External populations of `node_set` fire at the mean rate of their nodes' spike trains,
        as bmtk computes it: 1000 * mean spike count (over nodes that spiked) / (last - first spike
        time of the population, ms)."""
        for pop_name in self._virtual_pops(node_set, f"inputs.{name}"):
            pop = self._node_pops[pop_name]
            keys = self._keys(pop)
            spk_pops = list(spikes.populations)
            spk_pop = pop_name if pop_name in spk_pops else (spk_pops[0] if len(spk_pops) == 1 else None)
            if spk_pop is None:
                raise ConfigError(f"inputs.{name}: the spike file has no population '{pop_name}' "
                                  f"(it has {spk_pops})")
            df = spikes.to_dataframe(populations=[spk_pop], with_population_col=False)
            counts = df.groupby("node_ids")["timestamps"].agg(["count", "min", "max"])

            def rate_of(key, counts=counts, keys=keys, pop=pop, pop_name=pop_name):
                ids = pop.node_ids[keys == key]
                c = counts.reindex(ids).dropna()
                c = c[c["count"] > 0]
                span = c["max"].max() - c["min"].min() if len(c) else 0.0
                if len(c) == 0 or not span > 0:
                    raise ConfigError(f"inputs.{name}: external population {key} of {pop_name} has "
                                      f"too few spikes "
                                      "to give a firing rate")
                return 1.0e3 * c["count"].mean() / span

            self._add_external(pop_name, rate_of, f"inputs.{name}")

    def get_population(self, node_set, gid):
        ids, codes, objs = self._members[node_set]
        return objs[codes[int(np.nonzero(ids == gid)[0][0])]]


def _first_of_each(keys):
    """Distinct keys in order of first appearance, with the index of that appearance."""
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
    _, first = np.unique(codes, return_index=True)
    order = np.sort(first)
    return [keys[i] for i in order], order
