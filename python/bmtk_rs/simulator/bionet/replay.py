"""BMTK's `replay` input (input_type `replay_spikes`): synapses of an edges file driven by the spikes
a population fired in an earlier run, instead of by the live cells.

Each replayed source cell becomes a spike source of its own (a gid past the network's, one block per
source population), playing that cell's recorded spikes; the edges of the file whose source is in
`source_node_set` and whose target is in `target_node_set` (and on this rank) are made from it, after
the network's edges and the inputs listed before, as BMTK builds them. As in BMTK, a source cell
replayed by two inputs keeps the spikes of the first."""

import os

import numpy as np

from ...utils.reports.spike_trains import SpikeTrains
from ..sonata_config import ConfigError


def is_replay(inp):
    return inp.get("module") == "replay" or inp.get("input_type") == "replay_spikes"


class ReplaySources:
    """The replay inputs of a config: their edge files read and their source gids reserved before
    the engine is made (it needs the number of sources)."""

    def __init__(self, network, inputs):
        self.net = network
        self.edges = {}
        self.offset = {}
        self.trains = {}
        self.n_sources = network.n_gids
        first_index = len(network.edge_populations)
        for name, inp in inputs.items():
            if not is_replay(inp):
                continue
            if inp.get("module") != "replay":
                raise ConfigError(f"input '{name}': replay_spikes inputs need module 'replay', got "
                                  f"{inp.get('module')!r}")
            edges = inp.get("edges")
            if not isinstance(edges, dict) or "edges_file" not in edges or "edge_types_file" not in edges:
                raise ConfigError(f"input '{name}': replay needs 'edges': {{'edges_file': ..., "
                                  "'edge_types_file': ...}")
            spikes = inp.get("spikes_file")
            if spikes is None or not os.path.isfile(spikes):
                raise ConfigError(f"input '{name}': replay spikes_file {spikes!r} does not exist")
            try:
                eps = network.read_edge_populations(edges["edges_file"], edges["edge_types_file"], first_index)
            except ConfigError as e:
                raise ConfigError(f"input '{name}': {e}") from None
            first_index += len(eps)
            self.edges[name] = eps
            for ep in eps:
                if ep.source not in self.offset:
                    self.offset[ep.source] = self.n_sources
                    self.n_sources += network.populations[ep.source].n_ids

    def build(self, engine, name, inp, io):
        """Makes the synapses of replay input `name` on this rank."""
        net = self.net
        io.info(f'Building replay connections "{name}"')
        path = inp["spikes_file"]
        trains = SpikeTrains.load(path)
        file_pops = [str(p) for p in trains.populations]
        src_sel = net.get_node_set(inp.get("source_node_set", "all"))
        trg_sel = net.get_node_set(inp.get("target_node_set", "all"))
        for ep in self.edges[name]:
            if ep.source not in src_sel or ep.target not in trg_sel:
                continue
            keep = (np.isin(ep.source_ids, src_sel[ep.source]) & np.isin(ep.target_ids, trg_sel[ep.target])
                    & net._local_mask[ep.target][ep.target_ids])
            idx = np.flatnonzero(keep)
            if len(idx) == 0:
                continue
            if ep.source in file_pops:
                pop = ep.source
            elif len(file_pops) == 1:
                pop = file_pops[0]
            else:
                raise ConfigError(f"input '{name}': spikes file {path} has populations {file_pops}, none of them "
                                  f"the replayed edges' source population '{ep.source}'")
            for nid in np.unique(ep.source_ids[idx]):
                key = (ep.source, int(nid))
                if key not in self.trains:
                    times = np.sort(np.asarray(trains.get_times(int(nid), population=pop), dtype=np.float64))
                    if np.any(times < 0):
                        raise ConfigError(f"input '{name}': {path} has negative spike times for node {nid}")
                    self.trains[key] = times
            src = (self.offset[ep.source] + ep.source_ids[idx]).astype(np.uint32)
            net._add_edge_subset(engine, ep, idx, src_gids=src)

    def sources(self):
        """(gids, spike times) of every reserved replay source, silent ones included."""
        out = []
        for pop, base in self.offset.items():
            for nid in range(self.net.populations[pop].n_ids):
                out.append((base + nid, self.trains.get((pop, nid), np.zeros(0))))
        return out
