"""Extracellular potential plots (``bmtk.analyzer.ecp``) from a simulation's ECP report."""

import os

import numpy as np

from . import _outputs
from .. import _native

_ECP_MODULES = ("extracellular", "ecp")


def _report_file_name(name, params):
    # bmtk's default: <report name>.h5, or the name itself when it already is a file name.
    if "file_name" in params:
        return params["file_name"]
    if name.endswith((".h5", ".hdf", ".hdf5")):
        return name
    return name + ".h5"


def _ecp_path(config, report_name, ecp_path):
    if ecp_path is not None:
        if not os.path.exists(ecp_path):
            raise FileNotFoundError("ECP file {} does not exist".format(ecp_path))
        return ecp_path
    if config is None:
        raise ValueError("give either config_file or ecp_path")
    where = config.get("config_path")
    reports = {k: v for k, v in config.get("reports", {}).items()
               if isinstance(v, dict) and v.get("module") in _ECP_MODULES and v.get("enabled", True)}
    if not reports:
        raise ValueError("{} has no extracellular (ECP) report; give ecp_path instead".format(where))
    if report_name is None:
        if len(reports) != 1:
            raise ValueError("{} has {} ECP reports ({}); choose one with report_name".format(
                where, len(reports), sorted(reports)))
        report_name = next(iter(reports))
    elif report_name not in reports:
        raise ValueError("report {!r} is not in {} (its ECP reports: {})".format(
            report_name, where, sorted(reports)))
    fname = _report_file_name(report_name, reports[report_name])
    path = fname if os.path.isabs(fname) else os.path.join(config.output_dir, fname)
    if not os.path.exists(path):
        raise FileNotFoundError("ECP file {} (report {!r} of {}) does not exist; has the simulation run?".format(
            path, report_name, where))
    return path


def load_ecp(config_file=None, report_name=None, ecp_path=None):
    """(times in ms, channel ids, data in mV with one row per time and one column per channel).

    Times follow the file's ``/ecp/time`` = [tstart, tstop, dt]: row k at tstart + k * dt."""
    config = _outputs.load_config(config_file)
    path = _ecp_path(config, report_name, ecp_path)
    rep = _native.read_ecp_file(path)
    data = rep["data"]
    if rep["time"] is None:
        raise ValueError("{} has no /ecp/time: not an ECP report (a per-cell contribution file?)".format(path))
    t0, _, dt = rep["time"]
    times = t0 + dt * np.arange(data.shape[0])
    channels = rep["channel_id"]
    if channels is None:
        channels = np.arange(data.shape[1])
    return times, channels, data


def plot_ecp(config_file=None, report_name=None, ecp_path=None, title=None, show=True, save_as=None,
             channels=None, times=None):
    """One trace per electrode channel, stacked, on a common potential scale with a scale bar
    (mV) on the top trace. ``channels`` picks channel ids, ``times`` a (start, stop) window in
    ms. Returns the matplotlib Figure."""
    import matplotlib.font_manager as fm
    import matplotlib.pyplot as plt
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    t, ids, data = load_ecp(config_file, report_name, ecp_path)
    if channels is not None:
        wanted = [int(c) for c in np.atleast_1d(channels)]
        missing = sorted(set(wanted) - set(int(i) for i in ids))
        if missing:
            raise ValueError("channels {} are not in the ECP report (it has {} channels: {}..{})".format(
                missing, len(ids), int(ids[0]) if len(ids) else None, int(ids[-1]) if len(ids) else None))
        col = {int(i): k for k, i in enumerate(ids)}
        cols = [col[c] for c in wanted]
        ids, data = np.asarray(wanted), data[:, cols]
    if len(ids) == 0:
        raise ValueError("the ECP report has no channel to plot")
    mask = np.ones(len(t), dtype=bool) if times is None else (t >= times[0]) & (t <= times[1])
    t, data = t[mask], data[mask]
    v_min, v_max = (float(data.min()), float(data.max())) if data.size else (0.0, 0.0)
    pad = 0.0 if v_max > v_min else max(abs(v_max), 1e-12)

    n = len(ids)
    fig, axes = plt.subplots(n, 1, figsize=(8, max(4.0, 0.25 * n)), sharex=True, squeeze=False)
    axes = axes[:, 0]
    fig.text(0.02, 0.5, "channel id", va="center", rotation="vertical")
    for k, (ax, ch) in enumerate(zip(axes, ids)):
        ax.plot(t, data[:, k], lw=0.8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_yticks([])
        ax.set_ylabel(str(int(ch)), rotation=0, ha="right", va="center", fontsize="x-small")
        ax.set_ylim(v_min - pad, v_max + pad)
        if k + 1 != n:
            ax.spines["bottom"].set_visible(False)
            ax.tick_params(axis="x", bottom=False)
        else:
            ax.set_xlabel("timestamps (ms)")
    size = (v_max - v_min) / 2.0
    if size > 0:
        # a vertical bar: half the common potential range tall, a sliver of the time axis wide
        width = 0.004 * (t[-1] - t[0]) if len(t) > 1 else 1e-3
        # drawn right of the top trace, outside the stacked axes so no trace hides it
        axes[0].add_artist(AnchoredSizeBar(
            axes[0].transData, size=width, label="{:.2E} mV".format(size), loc="upper left", pad=0.1,
            borderpad=0.0, sep=3, frameon=False, size_vertical=size, bbox_to_anchor=(1.01, 1.0),
            bbox_transform=axes[0].transAxes, fontproperties=fm.FontProperties(size="x-small")))
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(hspace=0.0, left=0.12, right=0.86)
    return _outputs.finish(fig, show, save_as)
