"""BMTK's `syn_activity` input: spontaneous synaptic activity. Every synapse of a recurrent edge whose
source matches `precell_filter` (and target `postcell_filter`) is driven at `timestamps` (ms) instead of
by its source cell; every other recurrent synapse is silenced (made, with weight 0), as BMTK does.
Edges from virtual cells are untouched.

bmtk 1.2.0 only honours this for biophysical targets (its point-cell variant fails with an
UnboundLocalError); bmtk-rs applies the same rule to IntFire1 targets."""

import numpy as np

from ..sonata_config import ConfigError


def find_syn_activity(inputs):
    """(name, params) of the config's syn_activity input, or None; more than one is an error (BMTK
    keeps only the last)."""
    found = [(n, p) for n, p in inputs.items()
             if p.get("input_type") == "syn_activity" or p.get("module") == "syn_activity"]
    if len(found) > 1:
        raise ConfigError(f"inputs {[n for n, _ in found]}: only one syn_activity input is possible")
    return found[0] if found else None


def _matching(network, filters, population, what):
    """Node ids of `population` matching a filter dict ('population' compared with its name)."""
    pop = network.populations[population]
    want = filters.get("population")
    if want is not None:
        names = list(want) if isinstance(want, (list, tuple)) else [want]
        if population not in names:
            return np.zeros(0, dtype=np.int64)
    for key in filters:
        if key not in ("population", "node_id", "node_ids") and key not in pop.table.columns:
            raise ConfigError(f"{what}: nodes of population '{population}' have no attribute '{key}'")
    return pop.select(filters, what)


class SpontaneousSynapses:
    def __init__(self, network, name, params, source_gid):
        self.name = name
        self.net = network
        self.gid = source_gid
        pre = params.get("precell_filter")
        post = params.get("postcell_filter") or {}
        if not isinstance(pre, dict):
            raise ConfigError(f"input '{name}': syn_activity needs a 'precell_filter' dict, got {pre!r}")
        if not isinstance(post, dict):
            raise ConfigError(f"input '{name}': syn_activity 'postcell_filter' must be a dict, got {post!r}")
        if "timestamps" not in params:
            raise ConfigError(f"input '{name}': syn_activity needs 'timestamps' (ms)")
        ts = np.atleast_1d(np.asarray(params["timestamps"], dtype=float))
        if not np.all(np.isfinite(ts)) or np.any(ts < 0):
            raise ConfigError(f"input '{name}': syn_activity timestamps must be finite and >= 0 ms, got "
                              f"{ts.tolist()}")
        self.times = np.sort(ts)
        self.pre, self.post = pre, post
        self._cache = {}

    def _ids(self, filters, population, side):
        key = (side, population)
        if key not in self._cache:
            self._cache[key] = _matching(self.net, filters, population, f"input '{self.name}' ({side}cell_filter)")
        return self._cache[key]

    def sources_and_scale(self, ep, idx):
        """For recurrent edges `idx` of `ep`: the source gids (the spontaneous source where the edge
        matches) and the weight factor (1 where it matches, 0 where the synapse is silenced)."""
        match = (np.isin(ep.source_ids[idx], self._ids(self.pre, ep.source, "pre"))
                 & np.isin(ep.target_ids[idx], self._ids(self.post, ep.target, "post")))
        src = self.net.gids(ep.source, ep.source_ids[idx]).astype(np.uint32)
        src[match] = self.gid
        return src, match.astype(float)
