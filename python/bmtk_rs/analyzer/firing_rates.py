"""Firing-rate files (``bmtk.analyzer.firing_rates``): PopNet/FilterNet rate tables, their comparison
and plots.

Rates files come in two layouts: the PopNet text table (``gid time rate`` without a header, space
separated) read by :func:`convert_rates` / :func:`firing_rates_equal` / :func:`plot_rates_popnet`, and
FilterNet's ``rates.csv`` (header ``population node_id timestamps firing_rates``) or ``rates.h5``
(``/rates/<population>/{data, mapping/node_ids, mapping/time}``) read by :func:`plot_rates`.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["convert_rates", "firing_rates_equal", "plot_rates_popnet", "plot_rates"]


def convert_rates(rates_file):
    """{gid: {'start', 'end', 'dt', 'rates'}} from a headerless ``gid time rate`` table; ``dt`` is
    (end - start) / number of samples, as bmtk computes it."""
    df = pd.read_csv(rates_file, sep=" ", names=["gid", "time", "rate"])
    df = df.sort_values(["gid", "time"])
    gids = df["gid"].to_numpy()
    if len(gids) == 0:
        return {}
    # Group boundaries of the sorted table, then one dict per gid.
    starts = np.concatenate([[0], np.nonzero(gids[1:] != gids[:-1])[0] + 1])
    ends = np.concatenate([starts[1:], [len(gids)]])
    times = df["time"].to_numpy()
    rates = df["rate"].to_numpy()
    out = {}
    for b, e in zip(starts, ends):
        t0, t1 = times[b], times[e - 1]
        out[gids[b]] = {"start": t0, "end": t1, "dt": float(t1 - t0) / (e - b), "rates": np.array(rates[b:e])}
    return out


def firing_rates_equal(rates_file1, rates_file2, err=0.0001):
    """True when both tables hold the same gids with the same time axis and rates within ``err``."""
    a = convert_rates(rates_file1)
    b = convert_rates(rates_file2)
    if set(a) != set(b):
        return False
    for gid, ra in a.items():
        rb = b[gid]
        if ra["dt"] != rb["dt"] or ra["start"] != rb["start"] or ra["end"] != rb["end"]:
            return False
        n = min(len(ra["rates"]), len(rb["rates"]))
        if np.any(np.abs(ra["rates"][:n] - rb["rates"][:n]) > err):
            return False
    return True


def plot_rates_popnet(cell_models_file, rates_file, model_keys=None, save_as=None, show_plot=True):
    """One line per population of a PopNet rates table, labelled by ``model_keys`` (a column of the
    node-types file; default node_type_id). Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    pops_df = pd.read_csv(cell_models_file, sep=" ")
    lookup_col = model_keys if model_keys is not None else "node_type_id"
    if lookup_col not in pops_df.columns:
        raise KeyError("{}: no column {!r}".format(cell_models_file, lookup_col))
    labels = dict(zip(pops_df["node_type_id"].astype(str), pops_df[lookup_col]))
    rates_df = pd.read_csv(rates_file, sep=" ", names=["id", "times", "rates"])
    fig = plt.gcf()
    for key, grp in rates_df.groupby("id"):
        if str(key) not in labels:
            raise KeyError("{}: population id {} is not a node_type_id of {}".format(rates_file, key, cell_models_file))
        plt.plot(grp["times"], grp["rates"], label=labels[str(key)])
    plt.legend(fontsize="x-small")
    plt.xlabel("time (s)")
    plt.ylabel("firing rates (Hz)")
    if save_as is not None:
        plt.savefig(save_as)
    if show_plot:
        plt.show()
    return fig


def _rates_paths(config_file, rates_files):
    paths = []
    if isinstance(rates_files, (list, tuple, pd.Series)):
        paths.extend(Path(rf).absolute() for rf in rates_files)
    elif rates_files is not None:
        paths.append(Path(rates_files))
    if config_file:
        from ..simulator.sonata_config import SonataConfig

        cfg = SonataConfig.from_json(config_file)
        for k in ("rates_file", "rates_file_csv", "rates_file_h5"):
            if k in cfg.output:
                paths.append(Path(cfg.output.get("output_dir", ".")) / Path(cfg.output[k]))
                break
    unique = []
    for p in paths:
        if p not in unique:
            unique.append(p)
    return unique


def _is_hdf5(path):
    with open(path, "rb") as fh:
        return fh.read(8) == b"\x89HDF\r\n\x1a\n"


def _label(label_column, population, node_id, row_values):
    if label_column == "population":
        return population
    if label_column == "node_id":
        return node_id
    if row_values is not None and label_column in row_values:
        return row_values[label_column]
    return ""


def plot_rates(config_file=None, rates_files=None, population=None, times=None, label_column="node_id", title=None,
               show=True, save_as=None, group_by=None, group_excludes=None, nodes_file=None, node_types_file=None,
               plt_style=None):
    """A line per node of FilterNet rates files (csv or h5; from ``rates_files`` and/or the config's
    ``output.rates_file*``), labelled by ``label_column``. Returns the Figure (bmtk 1.2.0 returns
    None and ignores ``save_as``; here the figure is returned and saved when asked)."""
    import matplotlib.pyplot as plt

    if plt_style is not None:
        plt.style.use(plt_style)
    fig, ax = plt.subplots(1, 1)
    for rpath in _rates_paths(config_file, rates_files):
        if not os.path.exists(rpath):
            raise FileNotFoundError("rates file {} does not exist".format(rpath))
        if _is_hdf5(rpath):
            for pop in _read_rates_h5(rpath):
                for idx, node_id in enumerate(pop["node_ids"]):
                    ax.plot(pop["time"], pop["data"][:, idx], label=_label(label_column, pop["population"], node_id,
                                                                          None))
        else:
            df = pd.read_csv(rpath, sep=" ")
            for (pop, node_id), sub in df.groupby(["population", "node_id"]):
                first = sub.iloc[0]
                ax.plot(sub["timestamps"].values, sub["firing_rates"].values,
                        label=_label(label_column, pop, node_id, first))
    ax.legend()
    ax.set_ylabel("firing rates (Hz)")
    ax.set_xlabel("times (ms)")
    if title:
        ax.set_title(title)
    if save_as:
        fig.savefig(save_as)
    if show:
        plt.show()
    return fig


def _read_rates_h5(path):
    try:
        import h5py
    except ImportError:
        raise ImportError("reading the rates file {} (HDF5) needs h5py".format(path)) from None
    out = []
    with h5py.File(path, "r") as h5:
        if "rates" not in h5:
            raise KeyError("{}: no /rates group".format(path))
        for name, grp in h5["/rates"].items():
            out.append({"population": name, "time": grp["mapping/time"][()], "node_ids": grp["mapping/node_ids"][()],
                        "data": grp["data"][()]})
    return out
