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
    """Traces of each cell's first recorded element ("origin", the soma), drawn as bmtk draws them:
    with ``node_ids`` one line per node; otherwise (bmtk's default, even with ``average=False``)
    every selected cell in light grey behind the mean of each ``group_by`` group, or of all cells
    ("averaged"). Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    config = _outputs.load_config(config_file)
    reports = read_compartment_report(_report_path(config, report_name, report_path))
    if population is None:
        population = next(iter(reports))
    elif population not in reports:
        raise ValueError("population {!r} is not in the report (it has {})".format(population, sorted(reports)))
    rep = reports[population]
    t0, t1, _ = rep["time"]
    data = rep["data"]
    report_ids = [int(n) for n in rep["node_ids"]]
    first_col = {n: int(rep["index_pointer"][i]) for i, n in enumerate(report_ids)}
    # bmtk's reader spreads the samples evenly over [tstart, tstop], end included
    t = np.linspace(t0, t1, num=data.shape[0], endpoint=True)
    window = times if times is not None else (t[0], t[-1])
    mask = (t >= window[0]) & (t <= window[1])
    name = _report_name(config, report_name, report_path)
    title = title if title is not None else "{} ({})".format(name, population)
    fig, ax = plt.subplots()
    ids = None if node_ids is None else [int(n) for n in np.atleast_1d(node_ids)]
    if ids is not None:
        missing = [n for n in ids if n not in first_col]
        if missing:
            raise ValueError("node(s) {} are not in the report of population {!r}".format(missing, population))
    if ids is not None and not (average and len(ids) > 1):
        for n in ids:
            ax.plot(t[mask], data[mask, first_col[n]], label=n)
        show_it = (show_legend is None and len(ids) <= 10) or show_legend
    else:
        if ids is not None:
            groups = [(average, ids, {})]
        else:
            by = _outputs.node_groups(config, population, group_by, group_excludes, nodes_file, node_types_file)
            groups = ([(label, list(g), {}) for label, g in by] if by is not None
                      else [("averaged", report_ids, {"c": "b"})])
        selected = {int(n) for _, g, _ in groups for n in g}
        cols = [first_col[n] for n in report_ids if n in selected]
        ax.plot(t[mask], data[mask][:, cols], c="lightgray")
        for label, g, style in groups:
            gcols = [first_col[n] for n in report_ids if n in {int(x) for x in g}]
            if gcols:
                ax.plot(t[mask], data[mask][:, gcols].mean(axis=1), label=label, **style)
        ax.set_ylabel(rep.get("variable") or "")
        show_it = show_legend is None or show_legend
    ax.set_xlim(window[0], window[1])
    ax.set_xlabel("time (ms)")
    if show_it:
        ax.legend()
    if title:
        ax.set_title(title)
    return _outputs.finish(fig, show, save_as)
