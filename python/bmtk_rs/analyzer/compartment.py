"""Membrane traces (``bmtk.analyzer.compartment``) from a simulation's compartment reports."""

import os

import numpy as np

from . import _outputs
from ..utils.reports.compartment import read_compartment_report


def _report_name(config, report_name, report_path):
    """The name bmtk puts in the plot title: the report's config name, or the path given."""
    if report_path is not None:
        return report_path
    if report_name is not None or config is None:
        return report_name
    reports = [k for k, v in config.get("reports", {}).items()
               if v.get("module") in ("membrane_report", "multimeter_report", "compartment_report")]
    return reports[0] if len(reports) == 1 else None


def _report_path(config, report_name, report_path):
    if report_path is not None:
        return report_path
    if config is None:
        raise ValueError("give either config_file or report_path")
    reports = {k: v for k, v in config.get("reports", {}).items()
               if v.get("module") in ("membrane_report", "multimeter_report", "compartment_report")}
    if report_name is None:
        if len(reports) != 1:
            raise ValueError("{} has {} compartment reports ({}); choose one with report_name".format(
                config.get("config_path"), len(reports), sorted(reports)))
        report_name = next(iter(reports))
    elif report_name not in reports:
        raise ValueError("report {!r} is not in {} (its compartment reports: {})".format(
            report_name, config.get("config_path"), sorted(reports)))
    fname = reports[report_name].get("file_name", report_name + ".h5")
    path = fname if os.path.isabs(fname) else os.path.join(config.output_dir, fname)
    if not os.path.exists(path):
        raise FileNotFoundError("report file {} does not exist; has the simulation run?".format(path))
    return path


def plot_traces(config_file=None, report_name=None, population=None, report_path=None, group_by=None,
                group_excludes=None, nodes_file=None, node_types_file=None, node_ids=None, sections="origin",
                average=False, times=None, title=None, show_legend=None, show=True, save_as=None):
    """One panel per group (or one for the chosen node_ids): each cell's first recorded element
    ("origin", the soma) in grey and the group mean in colour. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    config = _outputs.load_config(config_file)
    reports = read_compartment_report(_report_path(config, report_name, report_path))
    if population is None:
        population = next(iter(reports))
    elif population not in reports:
        raise ValueError("population {!r} is not in the report (it has {})".format(population, sorted(reports)))
    rep = reports[population]
    t0, t1, dt = rep["time"]
    data = rep["data"]
    t = t0 + dt * np.arange(data.shape[0])
    first_col = {int(n): int(rep["index_pointer"][i]) for i, n in enumerate(rep["node_ids"])}
    if node_ids is not None:
        groups = [(None, [int(n) for n in np.atleast_1d(node_ids)])]
    else:
        groups = _outputs.node_groups(config, population, group_by, group_excludes, nodes_file, node_types_file)
        if groups is None:
            groups = [(None, list(first_col))]
    groups = [(label, [int(n) for n in ids if int(n) in first_col]) for label, ids in groups]
    groups = [(label, ids) for label, ids in groups if ids]
    if not groups:
        raise ValueError("none of the selected nodes is in the report")
    mask = np.ones(len(t), dtype=bool) if times is None else (t >= times[0]) & (t <= times[1])
    fig, axes = plt.subplots(len(groups), 1, figsize=(10, 2.5 * len(groups)), sharex=True, squeeze=False)
    variable = rep.get("variable") or "value"
    for ax, (label, ids) in zip(axes[:, 0], groups):
        traces = np.stack([data[mask, first_col[n]] for n in ids])
        if not average:
            for tr in traces:
                ax.plot(t[mask], tr, color="0.7", lw=0.5)
        ax.plot(t[mask], traces.mean(axis=0), lw=1.2, label="mean" if label is None else str(label))
        units = rep.get("units")
        ax.set_ylabel("{} ({})".format(variable, units) if units else variable)
        if show_legend or (show_legend is None and label is not None):
            ax.legend(loc="upper right")
    axes[-1, 0].set_xlabel("time (ms)")
    name = _report_name(config, report_name, report_path)
    axes[0, 0].set_title(title if title is not None else "{} ({})".format(name, population))
    fig.tight_layout()
    return _outputs.finish(fig, show, save_as)
