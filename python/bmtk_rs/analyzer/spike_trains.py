"""Spike plots (``bmtk.analyzer.spike_trains``): raster and firing rates from a simulation's config."""

import numpy as np

from . import _outputs


def to_dataframe(config_file, spikes_file=None, population=None):
    """The spikes of one population as a DataFrame (timestamps, population, node_ids)."""
    config = _outputs.load_config(config_file)
    return _outputs.load_spikes(config, spikes_file, population)[1]


def _setup(config_file, population, times, spikes_file, group_by, group_excludes, nodes_file, node_types_file):
    """(population, spikes, times or None, [(label, node ids)]) as bmtk's analyzer resolves them: times
    from the config's run (tstart, tstop) when not given, groups sorted by the group_by value, or one
    group of the nodes that spiked."""
    import matplotlib.pyplot as plt  # noqa: F401  (fail early with a clear ImportError)

    config = _outputs.load_config(config_file)
    pop, df = _outputs.load_spikes(config, spikes_file, population)
    if times is None and config is not None and "tstop" in config.run:
        times = (float(config.run.get("tstart", 0.0)), float(config.run["tstop"]))
    groups = _outputs.node_groups(config, pop, group_by, group_excludes, nodes_file, node_types_file)
    if groups is None:
        groups = [(None, np.unique(df["node_ids"].to_numpy()))]
    return pop, df, times, groups


def _selected(df, groups, times):
    ids = np.concatenate([np.asarray(g, dtype=np.int64) for _, g in groups]) if groups else np.zeros(0, np.int64)
    df = df[df["node_ids"].isin(ids)]
    if times is not None:
        df = df[(df["timestamps"] >= times[0]) & (df["timestamps"] <= times[1])]
    return df


def plot_raster(config_file=None, population=None, with_histogram=True, times=None, title=None, show=True,
                save_as=None, group_by=None, group_excludes=None, spikes_file=None, nodes_file=None,
                node_types_file=None, plt_style=None):
    """Raster of a population's spikes (with a 100-bin spike-time histogram below), one colour per
    ``group_by`` value, laid out as bmtk draws it. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if plt_style is not None:
        plt.style.use(plt_style)
    pop, df, times, groups = _setup(config_file, population, times, spikes_file, group_by, group_excludes,
                                    nodes_file, node_types_file)
    title = title if title is not None else "Nodes in network '{}'".format(pop)
    df = _selected(df, groups, times)
    ts = df["timestamps"].to_numpy(dtype=float)
    t0, t1 = times if times is not None else (float(np.min(ts)), float(np.max(ts)))
    if with_histogram:
        fig, (ax, axh) = plt.subplots(2, 1, gridspec_kw={"height_ratios": [7, 1]}, squeeze=True)
        bottom = axh
    else:
        fig, ax = plt.subplots(1, 1)
        axh, bottom = None, ax
    labelled = group_by is not None
    lo, hi = np.inf, -1
    for label, ids in groups:
        ids = np.asarray(ids)
        sel = df[df["node_ids"].isin(ids)]
        style = {"label": label} if labelled else {"c": "b"}
        lo, hi = min(lo, float(np.min(ids))), max(hi, float(np.max(ids)))
        ax.scatter(sel["timestamps"], sel["node_ids"], lw=1, s=12, marker="|", **style)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if labelled:
        ax.legend(loc="upper right", markerscale=1.5)
    if title:
        ax.set_title(title)
    ax.set_ylabel("node_ids")
    ax.set_ylim(lo - 0.5, hi + 1)
    ax.set_xlim(t0, t1 + 1)
    bottom.set_xlabel("timestamps (ms)")
    if axh is not None:
        axh.hist(ts, 100)
        axh.set_xlim(t0 - 0.5, t1 + 1)
        axh.axes.get_yaxis().set_visible(False)
        ax.set_xticks([])
    return _outputs.finish(fig, show, save_as)


def _moving_average(data, window_size=10):
    half = int(window_size / 2)
    n = len(data)
    return [np.mean(data[max(0, x - half):min(n, x + half)]) for x in range(n)]


def plot_rates(config_file=None, population=None, smoothing=False, smoothing_params=None, times=None, title=None,
               show=True, save_as=None, group_by=None, group_excludes=None, spikes_file=None, nodes_file=None,
               node_types_file=None, plt_style=None):
    """Firing rate (Hz) of every node that spiked within ``times``, one colour per ``group_by``
    value; ``smoothing`` True (a moving average, ``smoothing_params={'window_size': n}``) or a
    function. Laid out as bmtk draws it. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    if plt_style is not None:
        plt.style.use(plt_style)
    pop, df, times, groups = _setup(config_file, population, times, spikes_file, group_by, group_excludes,
                                    nodes_file, node_types_file)
    title = title if title is not None else "Nodes in network '{}'".format(pop)
    params = smoothing_params or {}
    if callable(smoothing):
        smooth = lambda d: smoothing(d, **params)  # noqa: E731
    elif smoothing:
        smooth = lambda d: _moving_average(d, **params)  # noqa: E731
    else:
        smooth = lambda d: d  # noqa: E731
    df = _selected(df, groups, times)
    ts = df["timestamps"].to_numpy(dtype=float)
    interval = (times[1] - times[0]) if times is not None else float(np.max(ts) - np.min(ts))
    fig, ax = plt.subplots()
    labelled = group_by is not None
    for label, ids in groups:
        sel = df[df["node_ids"].isin(np.asarray(ids))]
        rates = sel.groupby("node_ids").size() / (interval / 1000.0)
        style = {"label": label} if labelled else {"c": "b"}
        ax.plot(np.array(rates.index), smooth(rates), ".", **style)
    ax.set_ylabel("Firing Rates (Hz)")
    ax.set_xlabel("node_ids")
    if labelled:
        ax.legend()
    if title:
        ax.set_title(title)
    return _outputs.finish(fig, show, save_as)


def _boxplot_groups(config, pop, group_by, group_excludes, nodes_file, node_types_file):
    """[(label, node ids)] in sorted label order (bmtk groups with DataFrame.groupby)."""
    import pandas as pd

    attr = _outputs.node_attribute(config, pop, group_by, nodes_file, node_types_file)
    attr = attr[attr.notna()]
    if attr.empty:
        raise ValueError("Could not find any nodes with group_by attribute {!r}".format(group_by))
    excludes = [group_excludes] if isinstance(group_excludes, str) else list(group_excludes or [])
    values = attr.to_numpy()
    return [(label, attr.index[values == label].to_numpy()) for label in sorted(pd.unique(values))
            if label not in excludes]


def plot_rates_boxplot(config_file=None, population=None, times=None, title=None, show=True, save_as=None,
                       group_by=None, group_excludes=None, spikes_file=None, nodes_file=None, node_types_file=None,
                       plt_style=None):
    """Box plot of the firing rates (Hz) of the nodes that spiked, one box per ``group_by`` value
    (or one 'All Nodes' box), over ``times`` (default: the config's run tstart..tstop, else the
    first to last spike). Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    if plt_style is not None:
        plt.style.use(plt_style)
    config = _outputs.load_config(config_file)
    pop, df = _outputs.load_spikes(config, spikes_file, population)
    title = title if title is not None else "Nodes in network '{}'".format(pop)
    if config is not None and times is None:
        times = (float(config.run.get("tstart", 0.0)), config.run.get("tstop"))
    if group_by is not None:
        groups = _boxplot_groups(config, pop, group_by, group_excludes, nodes_file, node_types_file)
    else:
        groups = [("All Nodes", np.unique(df["node_ids"].to_numpy()))]
    selected = np.concatenate([np.asarray(ids) for _, ids in groups]) if groups else np.zeros(0, dtype=np.int64)
    df = df[df["node_ids"].isin(selected)]
    if times is not None:
        interval = times[1] - times[0]
        df = df[(df["timestamps"] >= times[0]) & (df["timestamps"] <= times[1])]
    else:
        interval = np.max(df["timestamps"]) - np.min(df["timestamps"])
    fig, axes = plt.subplots()
    rates_data = []
    for _, ids in groups:
        sub = df[df["node_ids"].isin(ids)]
        rates_data.append(sub.groupby("node_ids").size() / (interval / 1000.0))
    axes.boxplot(rates_data)
    axes.set_ylabel("Firing Rates (Hz)")
    axes.set_xticklabels([label for label, _ in groups])
    if title:
        axes.set_title(title)
    return _outputs.finish(fig, show, save_as)


def spike_statistics(spikes_file, simulation=None, population=None, simulation_time=None, group_by=None,
                     network=None, config_file=None, **filterparams):
    """Spike count and mean inter-spike interval per (population, node_id), as bmtk's
    ``spike_statistics``; with a ``simulation`` (a BioSimulator after its run), the mean and std of
    firing_rate, count and isi per ``group_by`` value over the nodes matching ``filterparams``
    (silent nodes counted as 0)."""
    import pandas as pd

    config = _outputs.load_config(config_file) if spikes_file is None else None
    _, df = _outputs.load_spikes(config, spikes_file, population)
    ts = df["timestamps"].to_numpy(dtype=float)
    order = np.lexsort((ts, df["node_ids"].to_numpy()))
    df = df.iloc[order]
    keys = pd.MultiIndex.from_frame(df[["population", "node_ids"]])
    grouped = pd.Series(df["timestamps"].to_numpy(dtype=float), index=keys).groupby(level=[0, 1], sort=True)
    counts = grouped.size().astype(float)  # bmtk's per-node Series of (count, isi) makes it a float
    isi = grouped.apply(lambda t: float(np.mean(np.diff(t.to_numpy()))) if len(t) > 1 else 0.0)
    stats = pd.DataFrame({"count": counts, "isi": isi})
    stats.index.names = ["population", "node_id"]
    if simulation is None:
        return stats
    net = simulation.net
    frames = []
    for name, pop in net.populations.items():
        t = pop.table.copy()
        t.insert(0, "population", name)
        frames.append(t)
    nodes = pd.concat(frames, ignore_index=True)
    for key, want in filterparams.items():
        nodes = nodes[nodes[key].isin(want if isinstance(want, (list, tuple)) else [want])]
    nodes = nodes.set_index(["population", "node_id"])
    sim_s = (simulation_time if simulation_time is not None else simulation.tstop) / 1000.0
    stats["firing_rate"] = stats["count"] / sim_s
    vals = nodes.join(stats, how="left").fillna({"count": 0.0, "firing_rate": 0.0, "isi": 0.0})
    return vals.groupby(group_by)[["firing_rate", "count", "isi"]].agg(["mean", "std"])
