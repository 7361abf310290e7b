"""BioNet's extracellular stimulation inputs (``module: xstim`` and ``module: comsol``) as bmtk 1.2.0
reads them, resolved to what the engine runs: a potential imposed at every segment centre of the
biophysical cells, e(segment, step) = sum over terms of coefficient x time course(step).

bmtk writes NEURON's ``e_extracellular`` after each step, so the value computed after step k-1
acts during step k and the first step runs without a field; the time courses here are laid out on
that grid. ``xstim``: point or mesh electrodes in an infinite homogeneous medium (resistivity
``resistance``, ohm cm) driven by one waveform (``dc``, ``sin``, or a csv/json file). ``comsol``: a
COMSOL export, either one time-dependent study (each segment takes its nearest COMSOL node's
potential, the study repeating) or stationary studies, each scaled by its csv waveform and
amplitude (linear interpolation between COMSOL nodes; outside their hull no field).
"""

import json
import math
import os
import re

import numpy as np
import pandas as pd

from ...builder.bionet.swc_reader import rotation_matrix
from .config import ConfigError


def placed_biophysical_cells(net, cells):
    """(gids, positions, rotations) of the local biophysical cells of `cells` ({population: ids})."""
    gids, pos, rot = [], [], []
    for pop, ids in cells.items():
        p = net.populations[pop]
        ids = np.asarray(ids, dtype=np.int64)
        rows = p.rows(ids)
        mine = p.is_biophysical[rows] & net._local_mask[pop][ids]
        t = p.table.iloc[rows[mine]]
        gids.append(net.gids(pop, ids[mine]))
        pos.append(cell_xyz(t, ["x", "y", "z"], pop))
        rot.append(cell_xyz(t, ["rotation_angle_xaxis", "rotation_angle_yaxis", "rotation_angle_zaxis"], pop,
                            default=0.0))
    if not gids:
        return np.zeros(0, np.uint32), np.zeros((0, 3)), np.zeros((0, 3))
    return np.concatenate(gids).astype(np.uint32), np.concatenate(pos), np.concatenate(rot)


def cell_xyz(table, cols, pop, default=None):
    out = np.zeros((len(table), 3))
    for k, c in enumerate(cols):
        if c in table.columns:
            out[:, k] = table[c].to_numpy(dtype=float)
        elif c[0] in "xyz" and "positions" in table.columns:
            out[:, k] = np.stack(table["positions"].to_numpy())[:, k]
        elif default is not None or len(table) == 0:
            out[:, k] = default or 0.0
        else:
            raise ConfigError(f"population {pop}: placing cells in space needs their positions ('{c}')")
    return out


# ---- waveforms (bmtk's xstim_waveforms vocabulary) ----

class _Pulse:
    def __init__(self, name, conf):
        try:
            self.amp = float(conf["amp"])
            self.delay = float(conf["del"])
            self.dur = float(conf["dur"])
        except KeyError as e:
            raise ConfigError(f"input '{name}': the waveform needs {e.args[0]!r}") from None
        except (TypeError, ValueError):
            raise ConfigError(f"input '{name}': the waveform's amp, del and dur must be numbers") from None

    def active(self, t):
        return (self.delay < t) & (t < self.delay + self.dur)


class _Dc(_Pulse):
    def __call__(self, t):
        return np.where(self.active(t), self.amp, 0.0)


class _Sin(_Pulse):
    def __init__(self, name, conf):
        super().__init__(name, conf)
        if "freq" not in conf:
            raise ConfigError(f"input '{name}': a 'sin' waveform needs 'freq' (Hz)")
        self.freq = float(conf["freq"])
        self.phase = float(conf.get("phase", np.pi))
        self.offset = float(conf.get("offset", 0.0))

    def __call__(self, t):
        f = self.freq / 1000.0
        wave = self.amp * np.sin(2 * np.pi * f * t + self.phase) + self.offset
        return np.where(self.active(t), wave, 0.0)


class TabulatedWaveform:
    """A waveform from a space-separated csv with columns ``time`` (ms) and ``amplitude``."""

    def __init__(self, name, path):
        try:
            table = pd.read_csv(path, sep=r"\s+")
        except (OSError, ValueError) as e:
            raise ConfigError(f"input '{name}': cannot read waveform file {path}: {e}") from None
        for col in ("time", "amplitude"):
            if col not in table.columns:
                raise ConfigError(f"input '{name}': waveform file {path} has no '{col}' column "
                                  f"(columns: {list(table.columns)})")
        self.time = table["time"].to_numpy(dtype=float)
        self.amplitude = table["amplitude"].to_numpy(dtype=float)
        if len(self.time) == 0 or not (np.all(np.isfinite(self.time)) and np.all(np.isfinite(self.amplitude))):
            raise ConfigError(f"input '{name}': waveform file {path} is empty or holds values that are not numbers")

    def __call__(self, t):
        return np.interp(t, self.time, self.amplitude)


def waveform(name, conf):
    """The waveform a config gives (a dict, or a .csv / .json file name) as a function of t (ms)."""
    if isinstance(conf, str):
        ext = os.path.splitext(conf)[1]
        if not os.path.isfile(conf):
            raise ConfigError(f"input '{name}': waveform file {conf} does not exist")
        if ext == ".csv":
            return TabulatedWaveform(name, conf)
        if ext != ".json":
            raise ConfigError(f"input '{name}': waveform file {conf} must be a .csv or .json file")
        with open(conf) as f:
            conf = json.load(f)
    if not isinstance(conf, dict) or "shape" not in conf:
        raise ConfigError(f"input '{name}': the waveform needs a 'shape' ('dc' or 'sin')")
    shapes = {"dc": _Dc, "sin": _Sin}
    shape = str(conf["shape"]).lower()
    if shape not in shapes:
        raise ConfigError(f"input '{name}': waveform shape {conf['shape']!r} is not known (dc, sin)")
    return shapes[shape](name, conf)


# ---- xstim ----

def _read_space_table(name, path, what):
    if not os.path.isfile(path):
        raise ConfigError(f"input '{name}': {what} {path} does not exist")
    try:
        return pd.read_csv(path, sep=r"\s+")
    except (OSError, ValueError) as e:
        raise ConfigError(f"input '{name}': cannot read {what} {path}: {e}") from None


def _columns(name, table, cols, path):
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ConfigError(f"input '{name}': {path} lacks the column(s) {missing} (has {list(table.columns)})")
    values = table[cols].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ConfigError(f"input '{name}': {path} has values in {cols} that are not numbers")
    return values


class XStim:
    """Electrodes (points or meshes) in a homogeneous medium, all driven by one waveform."""

    def __init__(self, name, params):
        self.name = name
        path = params.get("positions_file")
        if path is None:
            raise ConfigError(f"input '{name}': the xstim module needs 'positions_file'")
        if "waveform" not in params:
            raise ConfigError(f"input '{name}': the xstim module needs 'waveform'")
        self.waveform = waveform(name, params["waveform"])
        self.rho = float(params.get("resistance", 300.0))
        mesh_dir = params.get("mesh_files_dir") or os.path.dirname(os.path.realpath(path))
        table = _read_space_table(name, path, "electrode positions file")
        pos = _columns(name, table, ["pos_x", "pos_y", "pos_z"], path)
        rot = _columns(name, table, ["rotation_x", "rotation_y", "rotation_z"], path)
        self.meshes = []
        for el in range(len(table)):
            if "electrode_mesh_file" in table.columns:
                f = str(table["electrode_mesh_file"].iloc[el])
                f = f if os.path.isabs(f) else os.path.join(mesh_dir, f)
                mesh = _columns(name, _read_space_table(name, f, "electrode mesh file"),
                                ["x_pos", "y_pos", "z_pos"], f).T
                if mesh.shape[1] == 0:
                    raise ConfigError(f"input '{name}': electrode mesh file {f} has no points")
            else:
                mesh = np.zeros((3, 1))
            r = (rotation_matrix([1, 0, 0], rot[el, 0]).dot(rotation_matrix([0, 1, 0], rot[el, 1]))
                 .dot(rotation_matrix([0, 0, 1], rot[el, 2])))
            mesh = r.dot(mesh)
            mesh = mesh + (pos[el] - mesh.mean(axis=1))[:, None]
            self.meshes.append(mesh)
        if not self.meshes:
            raise ConfigError(f"input '{name}': electrode positions file {path} lists no electrode")

    def series(self, dt, n_steps):
        """The waveform during each step: the value bmtk computes after the step before."""
        k = np.arange(n_steps, dtype=float)
        table = self.waveform(dt * k).astype(float)
        table[0] = 0.0
        return table[None, :], False

    def terms(self, gid, centres, first_series):
        """Segment coefficients (mV per unit of waveform) of one cell, as bmtk's transfer resistance."""
        coeff = np.zeros(len(centres))
        for mesh in self.meshes:
            acc = np.zeros(len(centres))
            for k in range(mesh.shape[1]):
                r = np.sqrt(np.sum((mesh[:, k][None, :] - centres) ** 2, axis=1))
                if np.any(r < 10):
                    raise ConfigError(f"input '{self.name}': an electrode point lies within 10 um of a "
                                      f"segment of cell {gid} (bmtk: 'External electrode is too close')")
                acc += 1.0 / r
            coeff += acc * ((self.rho / (4 * math.pi)) * 0.01) / mesh.shape[1]
        coeff *= 1e6
        segs = np.arange(len(centres), dtype=np.uint64)
        return segs, np.full(len(centres), first_series, np.uint32), coeff


# ---- comsol ----

def _scipy_interpolate(name):
    try:
        from scipy import interpolate
    except ImportError:
        raise ConfigError(f"input '{name}': the comsol module needs scipy (pip install scipy)") from None
    return interpolate


def read_comsol(name, path):
    """(node coordinates (n x 3, um), potentials (n x studies, mV), study times (ms) or None)."""
    if not os.path.isfile(path):
        raise ConfigError(f"input '{name}': COMSOL file {path} does not exist")
    with open(path) as f:
        lines = f.readlines()
    if len(lines) < 10:
        raise ConfigError(f"input '{name}': {path} is not a COMSOL export (9 header lines, then nodes)")
    headers = [h for h in re.split(r"\s{3,}", lines[8].strip()) if h]
    try:
        data = np.loadtxt(path, skiprows=9, ndmin=2)
    except ValueError as e:
        raise ConfigError(f"input '{name}': cannot read the nodes of COMSOL file {path}: {e}") from None
    if data.shape[1] < 4 or len(headers) != data.shape[1]:
        raise ConfigError(f"input '{name}': COMSOL file {path} has {data.shape[1]} columns and "
                          f"{len(headers)} column names; expected x, y, z and potentials")
    pot = data[:, 3:].copy()
    if len(headers[3]) > 3 and headers[3][3] == "V":
        pot *= 1000.0  # exported in V
    times = None
    if pot.shape[1] > 1:
        times = []
        for h in headers[3:]:
            digits = [i for i, ch in enumerate(h) if ch.isdigit()]
            try:
                times.append(1000.0 * float(h[digits[0]:]))
            except (IndexError, ValueError):
                raise ConfigError(f"input '{name}': COMSOL column {h!r} of {path} names no time") from None
        times = np.array(times)
    return data[:, :3], pot, times


class Comsol:
    """Potentials from COMSOL exports: one time-dependent study, or stationary studies x waveforms."""

    def __init__(self, name, params):
        self.name = name
        files = params.get("comsol_files")
        if files is None:
            raise ConfigError(f"input '{name}': the comsol module needs 'comsol_files'")
        waves = params.get("waveforms")
        amps = params.get("amplitudes", 1)
        interp = _scipy_interpolate(name)
        if waves is None:
            if isinstance(files, list):
                raise ConfigError(f"input '{name}': without waveforms, comsol_files is one time-dependent study")
            if isinstance(amps, list):
                raise ConfigError(f"input '{name}': a time-dependent study takes one amplitude")
            xyz, pot, times = read_comsol(name, files)
            if times is None:
                raise ConfigError(f"input '{name}': {files} is a stationary study; give it 'waveforms'")
            self.time_dependent = True
            self.nearest = interp.NearestNDInterpolator(xyz, np.arange(len(xyz)))
            self.pot, self.times, self.amp = pot, times, float(amps)
        else:
            files = files if isinstance(files, list) else [files]
            waves = waves if isinstance(waves, list) else [waves]
            amps = amps if isinstance(amps, list) else [amps]
            amps = amps * len(files) if len(amps) == 1 else amps
            if not len(files) == len(waves) == len(amps):
                raise ConfigError(f"input '{name}': comsol_files, waveforms and amplitudes differ in length")
            self.time_dependent = False
            self.linear, self.waves, self.amps = [], [], [float(a) for a in amps]
            for f, w in zip(files, waves):
                xyz, pot, times = read_comsol(name, f)
                if times is not None:
                    raise ConfigError(f"input '{name}': {f} is a time-dependent study; stationary studies "
                                      "go with waveforms")
                wf = waveform(name, w)
                if not isinstance(wf, TabulatedWaveform):
                    raise ConfigError(f"input '{name}': comsol waveforms are csv files (time, amplitude)")
                self.linear.append(interp.LinearNDInterpolator(xyz, pot[:, 0]))
                self.waves.append(wf)
        self.used_nodes = {}

    def series(self, dt, n_steps):
        if self.time_dependent:
            return None, True  # made per node when the cells are known (see node_series)
        k = np.arange(n_steps)
        table = np.zeros((len(self.waves), n_steps))
        s = (k - 1).astype(float)
        for i, wf in enumerate(self.waves):
            period = (wf.time[-1] - wf.time[0]) / dt + 1
            s = s % period
            table[i] = wf(s * dt) * self.amps[i]
        table[:, 0] = 0.0
        return table, False

    def node_series(self, dt):
        """For a time-dependent study: the potential of each node used, per step of one period."""
        tb = np.arange(self.times[0], self.times[-1] + dt, dt)
        period = int((tb[-1] - tb[0]) / dt)
        if period < 1:
            raise ConfigError(f"input '{self.name}': the COMSOL study lasts less than one time step")
        nodes = sorted(self.used_nodes)
        table = np.array([np.interp(tb, self.times, self.pot[n]) * self.amp for n in nodes])
        return table[:, :period]

    def terms(self, gid, centres, first_series):
        n = len(centres)
        segs = np.arange(n, dtype=np.uint64)
        if self.time_dependent:
            nn = np.asarray(self.nearest(centres), dtype=np.int64)
            for node in nn:
                self.used_nodes.setdefault(int(node), None)
            return segs, nn, np.ones(n)  # series indices resolved once all cells are seen
        coeffs = np.array([lin(centres) for lin in self.linear])  # studies x segments
        outside = np.any(np.isnan(coeffs), axis=0)
        coeffs[:, outside] = 0.0
        series = np.repeat(np.arange(len(self.linear), dtype=np.uint32) + first_series, n)
        return np.tile(segs, len(self.linear)), series, coeffs.ravel()


def add_extracellular_stimulus(sim, name, params, module):
    """Builds an xstim / comsol input on every local biophysical cell of `sim`."""
    net, engine = sim.net, sim.engine
    stim = XStim(name, params) if module == "xstim" else Comsol(name, params)
    if params.get("node_set") not in (None, "all"):
        sim.io.warning(f"input '{name}': bmtk 1.2.0 applies {module} to every biophysical cell and ignores "
                       "'node_set'; bmtk-rs does the same")
    cells = net.get_node_set(params["cells"]) if params.get("cells") is not None else net.get_node_set("all")
    gids, pos, rot = placed_biophysical_cells(net, cells)
    table, periodic = stim.series(sim.dt, engine.n_steps)
    first = engine.add_extracellular_series(np.ascontiguousarray(table), periodic) if table is not None else 0
    per_cell = []
    for gid, p, r in zip(gids, pos, rot):
        centres = np.asarray(engine.segment_centres(int(gid), [float(x) for x in p], [float(x) for x in r]))
        per_cell.append((int(gid), *stim.terms(int(gid), centres, first)))
    if module == "comsol" and stim.time_dependent:
        nodes = sorted(stim.used_nodes)
        if nodes:
            first = engine.add_extracellular_series(np.ascontiguousarray(stim.node_series(sim.dt)), True)
        index = {n: first + i for i, n in enumerate(nodes)}
        per_cell = [(g, s, np.array([index[int(n)] for n in nn], np.uint32), c) for g, s, nn, c in per_cell]
    for gid, segs, series, coeffs in per_cell:
        engine.add_extracellular(gid, np.ascontiguousarray(segs, np.uint64), np.ascontiguousarray(series, np.uint32),
                                 np.ascontiguousarray(coeffs, float))
    sim.io.info(f"Building extracellular stimulation {name!r} ({module}) on {len(gids)} cells")
