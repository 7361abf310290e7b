"""Plots and loaders for simulation outputs (``bmtk.analyzer``).

The package-level helpers are the ones bmtk's ``bmtk.analyzer`` module offers: ``nodes_table`` and
``node_types_table`` (a population's nodes / node types as DataFrames) and ``spikes_table``.
"""

import numpy as np
import pandas as pd

from .. import sonata as _sonata

__all__ = ["nodes_table", "node_types_table", "spikes_table"]


def _population(nodes_file, population):
    pops = _sonata.read_nodes(nodes_file)
    if population not in pops:
        raise KeyError("population {!r} is not in {} (it has {})".format(population, nodes_file, sorted(pops)))
    return pops[population]


def nodes_table(nodes_file, population):
    """One row per node of ``population`` in file order: node_id, node_type_id, then the columns of
    the node's group (rows of other groups get NaN there), as bmtk 1.2.0 lays the table out.

    A column that several groups share is filled from each group (bmtk 1.2.0 raises ValueError
    'columns overlap' for such files)."""
    pop = _population(nodes_file, population)
    root = pd.DataFrame({"node_id": pop["node_id"], "node_type_id": pop["node_type_id"],
                         "node_group_id": pop["node_group_id"], "node_group_index": pop["node_group_index"]})
    root = root.set_index(["node_group_id", "node_group_index"])
    for grp_id in np.unique(pop["node_group_id"]):
        cols = pop["groups"].get(int(grp_id), {})
        grp = pd.DataFrame()
        # bmtk walks the HDF5 group in name order; 2-D columns do not fit one DataFrame column there.
        for name in sorted(cols):
            values = cols[name]
            if isinstance(values, np.ndarray) and values.ndim > 1:
                raise ValueError("{}: /nodes/{}/{}/{} is 2-D; nodes_table takes 1-D columns only".format(
                    nodes_file, population, grp_id, name))
            grp[name] = np.asarray(values) if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
        if len(grp) > 0:
            grp["node_group_id"] = [grp_id] * len(grp)
            grp["node_group_index"] = range(len(grp))
            grp = grp.set_index(["node_group_id", "node_group_index"])
            shared = [c for c in grp.columns if c in root.columns]
            if not shared:
                root = root.join(other=grp, how="left")
                continue
            # bmtk 1.2.0 raises here (pandas refuses overlapping columns); a column present in several
            # groups is filled from each group's rows instead.
            joined = root[[]].join(other=grp, how="left")
            for col in grp.columns:
                root[col] = joined[col] if col not in shared else root[col].fillna(joined[col])
    return root.reset_index(drop=True)


def node_types_table(node_types_file, population):
    """The node-types csv as a DataFrame (``population`` is accepted for bmtk's signature)."""
    return pd.read_csv(node_types_file, sep=" ")


def spikes_table(config_file, spikes_file=None):
    """Spikes as a DataFrame with columns ``gid`` and ``spike time (ms)``.

    bmtk 1.2.0 reads only the pre-SONATA ``/spikes/gids`` layout and ignores ``spikes_file``; here
    any spikes file SpikeTrains reads is accepted, and ``spikes_file`` wins over the config.
    """
    from ..utils.reports.spike_trains import SpikeTrains
    from . import _outputs

    if spikes_file is None:
        config = config_file if isinstance(config_file, dict) else _outputs.load_config(config_file)
        spikes_file = config["output"]["spikes_file"]
    df = SpikeTrains.load(spikes_file).to_dataframe(with_population_col=False)
    return pd.DataFrame(data={"gid": np.asarray(df["node_ids"], dtype=np.uint),
                              "spike time (ms)": np.asarray(df["timestamps"], dtype=float)})
