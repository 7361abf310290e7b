"""Locating a simulation's outputs and node attributes from its SONATA config, for the plots."""

import os

import numpy as np
import pandas as pd

from .. import sonata
from ..simulator.sonata_config import SonataConfig
from ..utils.reports.spike_trains import SpikeTrains


def load_config(config_file):
    if config_file is None:
        return None
    if not os.path.exists(config_file):
        raise FileNotFoundError("config file {} does not exist".format(config_file))
    return SonataConfig.from_json(config_file)


def spikes_path(config, spikes_file):
    if spikes_file is not None:
        return spikes_file
    if config is None:
        raise ValueError("give either config_file or spikes_file")
    out = config.output
    path = out.get("spikes_file") or out.get("spikes_file_csv")
    if not path:
        raise ValueError("{}: the 'output' section names no spikes_file".format(config.get("config_path")))
    if not os.path.isabs(path) and not os.path.exists(path):
        path = os.path.join(config.output_dir, path)
    if not os.path.exists(path):
        raise FileNotFoundError("spikes file {} (from {}) does not exist; has the simulation run?".format(
            path, config.get("config_path")))
    return path


def load_spikes(config, spikes_file, population):
    trains = SpikeTrains.load(spikes_path(config, spikes_file))
    pops = list(trains.populations)
    if population is None:
        if not pops:
            raise ValueError("the spikes file holds no population")
        population = pops[0]
    elif population not in pops:
        raise ValueError("population {!r} is not in the spikes file (it has {})".format(population, pops))
    return population, trains.to_dataframe(populations=population)


def node_attribute(config, population, attribute, nodes_file=None, node_types_file=None):
    """node_id -> value of ``attribute`` for the nodes of ``population`` (per-node columns first,
    then the node-types table), as a pandas Series."""
    pairs = []
    if nodes_file is not None:
        pairs.append((nodes_file, node_types_file))
    elif config is not None:
        for n in config.nodes:
            pairs.append((n.get("nodes_file"), n.get("node_types_file")))
    for nf, ntf in pairs:
        if not nf or not os.path.exists(nf):
            continue
        pops = sonata.read_nodes(nf)
        if population not in pops:
            continue
        pop = pops[population]
        n = len(pop["node_id"])
        values = np.full(n, None, dtype=object)
        for gid, cols in pop["groups"].items():
            if attribute in cols:
                rows = np.nonzero(pop["node_group_id"] == gid)[0]
                values[rows] = np.asarray(cols[attribute], dtype=object)[pop["node_group_index"][rows].astype(int)]
        missing = np.array([v is None for v in values])
        if missing.any() and ntf and os.path.exists(ntf):
            types = sonata.read_types(ntf)
            if attribute in types.columns:
                lut = dict(zip(types["node_type_id"].tolist(), types[attribute].tolist()))
                for r in np.nonzero(missing)[0]:
                    values[r] = lut.get(int(pop["node_type_id"][r]))
        return pd.Series(values, index=pop["node_id"].astype(np.int64))
    raise ValueError("no nodes file of population {!r} found (looked in {})".format(population, [p[0] for p in pairs]))


def node_groups(config, population, group_by, group_excludes=None, nodes_file=None, node_types_file=None):
    """[(label, node ids)] for each value of ``group_by``, or one group of all nodes."""
    if group_by is None:
        return None
    attr = node_attribute(config, population, group_by, nodes_file, node_types_file)
    attr = attr[attr.notna()]
    if attr.empty:
        raise ValueError("no node of population {!r} has the attribute {!r}".format(population, group_by))
    excludes = [group_excludes] if isinstance(group_excludes, str) else list(group_excludes or [])
    groups = []
    for label in sorted(pd.unique(attr.to_numpy())):  # bmtk groups with DataFrame.groupby: sorted
        if label in excludes:
            continue
        groups.append((label, attr.index[attr.to_numpy() == label].to_numpy()))
    return groups


def finish(fig, show, save_as):
    import matplotlib.pyplot as plt

    if save_as:
        fig.savefig(save_as)
    if show:
        plt.show()
    return fig
