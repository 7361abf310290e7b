"""Gap junctions as bmtk 1.2.0's BioNet makes them from ``networks.gap_juncs`` and the edges whose
edge type says ``is_gap_junction``.

An edge (source s, target t) becomes two halves, each a conductance ``syn_weight`` (uS) at the middle
(x = 0.5) of a section of its own cell: the target's half while the target's edges are built (its
section drawn from the target's placement stream by the edge's target_sections/distance_range, in
file order among the target's synapses), then the source's half when the edge population's local
sources are visited (drawn from the source's stream by the same rule). Preselected edges put both
halves on the section afferent_section_id. Each half reads the other cell's voltage: the gap file's
row (s, t) gives the pair of ids, and bmtk's ids become two slots per row here, numbered alike on
every rank (slot 2k carries the target's voltage, 2k + 1 the source's)."""

import os

import numpy as np

from ... import _native
from .. import _mpi
from ..circuit import _literal, _missing
from .config import ConfigError


def gap_mask(ep):
    """Per edge of `ep`: whether its edge type marks it as a gap junction."""
    if "is_gap_junction" not in ep.types.columns and "is_gap_junction" not in ep.columns:
        return np.zeros(len(ep.source_ids), dtype=bool)
    vals = ep.column("is_gap_junction", None)

    def truthy(v):
        if _missing(v):
            return False
        if isinstance(v, str):
            return v.strip().lower() in ("true", "1")
        return bool(v)

    return np.fromiter((truthy(v) for v in vals), dtype=bool, count=len(vals))


def runs(idx, flags):
    """(indices, flag) of each run of equal flags along `idx` (file order kept)."""
    if len(idx) == 0:
        return
    flags = np.asarray(flags, dtype=bool)
    cuts = np.flatnonzero(flags[1:] != flags[:-1]) + 1
    starts = np.r_[0, cuts]
    for part, f in zip(np.split(idx, cuts), flags[starts]):
        yield part, bool(f)


class GapJunctionTables:
    """The config's gap junction files, keyed by network (population) name as bmtk keys them (the
    file name before ``_gap_juncs.h5``), with every row's slots."""

    def __init__(self, config):
        self.tables = {}
        self.n_rows = 0
        for entry in getattr(config, "gap_juncs", None) or []:
            path = entry.get("gap_juncs_file") if isinstance(entry, dict) else None
            if path is None:
                raise ConfigError("networks.gap_juncs: an entry lacks 'gap_juncs_file'")
            if not os.path.isfile(path):
                raise ConfigError(f"networks.gap_juncs: gap_juncs_file {path} does not exist")
            name = os.path.basename(path)
            if "_gap_juncs.h5" not in name:
                raise ConfigError(f"networks.gap_juncs: {path}: the file name must be <population>_gap_juncs.h5 "
                                  "(bmtk takes the population from it)")
            network = name[:name.find("_gap_juncs.h5")]
            src, trg, _, _ = _native.read_gap_junctions(path)
            lookup = {}
            for k, pair in enumerate(zip(src.tolist(), trg.tolist())):
                lookup.setdefault(pair, []).append(self.n_rows + k)
            self.tables[network] = (path, lookup)
            self.n_rows += len(src)

    def row(self, network, src, trg, what):
        """The global row of the junction src -> trg of `network` (bmtk's get_gj_id checks)."""
        if src == trg:
            raise ConfigError(f"{what}: cells cannot have gap junctions with themselves (node {src})")
        if network not in self.tables:
            raise ConfigError(f"{what}: the edge is a gap junction but networks.gap_juncs has no "
                              f"{network}_gap_juncs.h5 file for population '{network}'")
        path, lookup = self.tables[network]
        rows = lookup.get((src, trg), [])
        if len(rows) > 1:
            raise ConfigError(f"{what}: {path} has {len(rows)} gap junctions from node {src} to node {trg} "
                              "(bmtk makes one per source/target pair: nsyns must be 1)")
        if not rows:
            raise ConfigError(f"{what}: {path} has no gap junction from node {src} to node {trg} of '{network}'")
        return rows[0]


class GapJunctionBuilder:
    """Adds the halves of a network's gap junctions to the engine, in bmtk's order."""

    def __init__(self, network, engine):
        self.net = network
        self.engine = engine
        self.tables = GapJunctionTables(network._config)
        self._rules = {}
        self.made = 0
        self.masks = [gap_mask(ep) for ep in network.edge_populations]
        self.active = any(m.any() for m in self.masks)
        if self.active:
            engine.set_gap_slots(2 * self.tables.n_rows)

    def check_population(self, k):
        """Rejects gap edges bmtk cannot make (across populations, to virtual or point cells)."""
        ep, mask = self.net.edge_populations[k], self.masks[k]
        if not mask.any():
            return
        j = int(np.flatnonzero(mask)[0])
        what = f"{ep.edges_file} ({ep.name}), edge {j}"
        if ep.source != ep.target:
            raise ConfigError(f"{what}: gap junctions must join cells of one population ({ep.source} -> {ep.target})")
        pop = self.net.populations[ep.source]
        for side, ids in (("source", ep.source_ids[mask]), ("target", ep.target_ids[mask])):
            mt = pop.model_type[pop.rows(ids)]
            bad = mt != "biophysical"
            if bad.any():
                raise ConfigError(f"{ep.edges_file} ({ep.name}): a gap junction's {side} node {int(ids[bad][0])} is "
                                  f"{mt[bad][0]}; gap junctions join biophysical cells")

    def _sites(self, ep, idx, what):
        """(placement rule or -1, section id or -1) per edge."""
        preselected = ep.preselected()[idx]
        sid = ep.group_column(idx, ("sec_id", "afferent_section_id"), np.nan)
        rule = np.full(len(idx), -1, dtype=np.int64)
        sec = np.where(np.isnan(sid), -1, sid).astype(np.int64)
        if (preselected & (sec < 0)).any():
            j = idx[np.flatnonzero(preselected & (sec < 0))[0]]
            raise ConfigError(f"{what}: gap junction edge {j} has neither an afferent_section_id nor an nsyns "
                              "column to place it by target_sections and distance_range")
        tsec = ep.column("target_sections", None)[idx]
        drange = ep.column("distance_range", None)[idx]
        for j in np.flatnonzero(~preselected):
            key = (str(tsec[j]), str(drange[j]))
            if key not in self._rules:
                secs = _literal(tsec[j], f"{what}: target_sections")
                rng = _literal(drange[j], f"{what}: distance_range")
                if not secs or rng is None or len(rng) != 2:
                    raise ConfigError(f"{what}: gap junction edges need target_sections and a [min, max] "
                                      f"distance_range, got target_sections={tsec[j]!r} "
                                      f"distance_range={drange[j]!r}")
                self._rules[key] = self.engine.add_placement_rule([str(s) for s in secs],
                                                                  (float(rng[0]), float(rng[1])))
            rule[j] = self._rules[key]
            sec[j] = -1
        return rule, sec

    def _add(self, ep, idx, source_side):
        what = f"{ep.edges_file} ({ep.name})"
        nsyns = np.asarray(ep.column("nsyns", 1.0)[idx], dtype=float)
        idx = idx[~(nsyns < 1)]  # bmtk makes no junction for nsyns < 1
        if len(idx) == 0:
            return
        rows = np.array([self.tables.row(ep.source, int(s), int(t), f"{what}, edge {i}")
                         for i, s, t in zip(idx, ep.source_ids[idx], ep.target_ids[idx])], dtype=np.int64)
        g = self.net._weights(ep, idx, swap=source_side)
        rule, sec = self._sites(ep, idx, what)
        cell_ids = ep.source_ids[idx] if source_side else ep.target_ids[idx]
        cells = self.net.gids(ep.source, cell_ids).astype(np.uint32)
        own = 2 * rows + (1 if source_side else 0)
        other = 2 * rows + (0 if source_side else 1)
        try:
            self.engine.add_gaps(cells, rule, sec, np.asarray(g, dtype=float), own.astype(np.uint32),
                                 other.astype(np.uint32))
        except ValueError as e:
            raise ConfigError(f"{what}: {e}") from None
        self.made += len(idx)

    def add_target_side(self, ep, idx):
        """The target cells' halves of the gap edges `idx` (local targets, file order)."""
        self._add(ep, idx, source_side=False)

    def add_source_side(self, k):
        """The source cells' halves of population k's gap edges whose source is on this rank, source by
        source, each source's edges in file order (bmtk's pass over the population's sources)."""
        ep, mask = self.net.edge_populations[k], self.masks[k]
        if not mask.any():
            return
        local = self.net._local_mask[ep.source][ep.source_ids]
        idx = np.flatnonzero(mask & local)
        idx = idx[np.lexsort((idx, ep.source_ids[idx]))]
        self._add(ep, idx, source_side=True)

    def finish(self):
        """Checks, over every rank, that each half's partner exists; returns the exchange of the slot
        voltages for the run (None: a single process or no gap junctions)."""
        if not self.active:
            return None
        published = np.asarray(self.engine.gap_local_slots(), dtype=np.int64)
        read = np.asarray(self.engine.gap_read_slots(), dtype=np.int64)
        comm = _mpi.world()
        parts = comm.allgather((published, read)) if comm is not None else [(published, read)]
        all_pub = np.concatenate([p[0] for p in parts])
        all_read = np.concatenate([p[1] for p in parts])
        if len(np.unique(all_pub)) != len(all_pub):
            raise ConfigError("networks.gap_juncs: a gap junction id is used by two junctions")
        missing = np.setdiff1d(all_read, all_pub)
        if len(missing):
            row = int(missing[0]) // 2
            raise ConfigError(f"networks.gap_juncs: row {row} of the gap junction tables has only one side made "
                              "(its partner cell has no matching gap junction edge)")
        if comm is None:
            return None
        counts = [len(p[0]) for p in parts]
        n_slots = 2 * self.tables.n_rows
        recv = np.empty(int(sum(counts)), dtype=np.float64)
        full = np.full(n_slots, np.nan)

        def exchange(values):
            comm.Allgatherv(np.ascontiguousarray(values, dtype=np.float64), [recv, counts])
            full[all_pub] = recv
            return full

        return exchange
