"""BioNet's current-clamp inputs (``module: IClamp``) as bmtk 1.2.0 reads them, resolved to what
the engine runs: step clamps (amp, delay, duration) or a current played step by step.

``input_type`` ``current_clamp`` gives amp/delay/duration (numbers or lists); ``csv``/``file`` a
table of timestamps and amplitudes; ``nwb``/``allen`` a sweep of an Allen Cell Types NWB file. The
tables and sweeps become NEURON's ``Vector.play(&clamp.amp, Dt)`` into one IClamp: sample i takes
effect at time i*Dt (counted from 0, whatever the clamp's delay) once a step's midpoint reaches it,
and the IClamp passes it while delay <= t < delay + dur. Played that way on the step grid here, the
currents are the ones NEURON injects, step for step.
"""

import logging
import math

import numpy as np
import pandas as pd

from ... import _native
from .config import ConfigError

_io = logging.getLogger("bmtk_rs.bionet")
_TYPES = ("current_clamp", "csv", "file", "nwb", "allen")


def _as_list(v):
    return list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v]


class ClampSite:
    """Where a clamp of a config goes: ``section_name[section_index](section_dist)``, or a segment
    drawn within a [min, max] um range when section_index is a list (BMTK's choose_sections)."""

    def node(self, engine, gid, placement_rule):
        """The node this clamp goes to on cell `gid`."""
        try:
            if self.ranged:
                return engine.choose_node(gid, placement_rule)
            return engine.cell_node(gid, str(self.section_name), int(self.section_index), self.section_dist)
        except ValueError as e:
            raise ConfigError(f"input '{self.name}': {e}") from None

    def placement(self, engine):
        """The placement rule of a ranged section_index (BMTK's choose_sections), else None."""
        if not self.ranged:
            return None
        if len(self.section_index) != 2:
            raise ConfigError(f"input '{self.name}': a ranged section_index is [min, max] um from the soma")
        names = [str(s) for s in _as_list(self.section_name)]
        return engine.add_placement_rule(names, (float(self.section_index[0]), float(self.section_index[1])))


class ClampInput(ClampSite):
    """One IClamp input of a config: where it goes and what it injects."""

    def __init__(self, name, params):
        self.name = name
        itype = params.get("input_type")
        if itype not in _TYPES:
            raise ConfigError(f"input '{name}': IClamp input_type {itype!r} is not one of {list(_TYPES)}")
        self.node_set = params.get("node_set", "all")
        self.section_name = params.get("section_name", "soma")
        self.section_index = params.get("section_index", 0)
        self.section_dist = float(params.get("section_dist", 0.5))
        self.ranged = isinstance(self.section_index, (list, tuple))
        self.steps = None      # [(amp, delay, dur)]
        self.played = None     # (samples, Dt, delay, dur)
        if itype == "current_clamp":
            self._read_steps(params)
        elif itype in ("csv", "file"):
            self._read_csv(params)
        else:
            self._read_nwb(params)

    # ---- the three sources ---------------------------------------------------------------------
    def _read_steps(self, p):
        try:
            amps, delays, durs = (_as_list(p[k]) for k in ("amp", "delay", "duration"))
        except KeyError as e:
            raise ConfigError(f"input '{self.name}': current clamp parameter {e} is missing") from None
        if not (len(amps) == len(delays) == len(durs)):
            raise ConfigError(f"input '{self.name}': amp, delay and duration must have the same length")
        try:
            self.steps = [(float(a), float(d), float(u)) for a, d, u in zip(amps, delays, durs)]
        except (TypeError, ValueError):
            raise ConfigError(f"input '{self.name}': amp, delay and duration must be numbers") from None

    def _read_csv(self, p):
        path = p.get("file")
        if path is None:
            raise ConfigError(f"input '{self.name}': a csv current clamp needs 'file'")
        ts_col = p.get("timestamps_column", "timestamps")
        amp_col = p.get("amplitudes_column", "amps")
        try:
            df = pd.read_csv(path, sep=p.get("separator", " "))
        except (OSError, ValueError) as e:
            raise ConfigError(f"input '{self.name}': cannot read current clamp file {path}: {e}") from None
        for key, col in (("timestamps_column", ts_col), ("amplitudes_column", amp_col)):
            if col not in df.columns:
                raise ConfigError(f"input '{self.name}': {path} has no column '{col}' (set '{key}'; columns: "
                                  f"{list(df.columns)})")
        if len(df) < 2:
            raise ConfigError(f"input '{self.name}': {path} needs two or more rows")
        try:
            times = df[ts_col].to_numpy(dtype=float)
            amps = df[amp_col].to_numpy(dtype=float)
        except ValueError:
            raise ConfigError(f"input '{self.name}': {path} has non-numeric timestamps or amplitudes") from None
        if not (np.all(np.isfinite(times)) and np.all(np.isfinite(amps))):
            raise ConfigError(f"input '{self.name}': {path} has missing or non-finite values")
        steps = np.unique(np.diff(times))
        if len(steps) > 1:
            _io.warning(f"input '{self.name}': {path} timestamps are not evenly spaced; bmtk plays them every "
                        f"{steps[0]} ms as NEURON's Vector.play does")
        dt_in, start = float(steps[0]), float(times[0])
        if not dt_in > 0:
            raise ConfigError(f"input '{self.name}': {path} timestamps must increase")
        if start < 0:
            raise ConfigError(f"input '{self.name}': {path} starts at {start} ms; the onset cannot be negative")
        last = float(times[-1])
        if start > 0:
            if start - dt_in == 0.0:
                amps = np.concatenate(([0.0], amps))
            else:
                # bmtk refines the play interval to the gcd of the (integer) interval and onset
                if dt_in != math.floor(dt_in) or start != math.floor(start):
                    raise ConfigError(f"input '{self.name}': {path} starts at {start} ms, not on its {dt_in} ms "
                                      "interval; bmtk can only realign whole-millisecond values")
                g = math.gcd(int(dt_in), int(start))
                amps = np.concatenate((np.zeros(int(start) // g), np.repeat(amps, int(dt_in) // g)))
                dt_in = float(g)
            _io.info(f"input '{self.name}': stimulus onset at {start} ms; played from 0 ms every {dt_in} ms")
        stop = last + dt_in if amps[-1] != 0 else last
        if amps[-1] != 0:
            _io.warning(f"input '{self.name}': {path} does not end with 0.0; the clamp turns off at {stop} ms")
        self.played = (amps, dt_in, 0.0, stop)

    def _read_nwb(self, p):
        path, sweep = p.get("file"), p.get("sweep_id")
        if path is None or sweep is None:
            raise ConfigError(f"input '{self.name}': an nwb current clamp needs 'file' and 'sweep_id'")
        try:
            sweep = f"Sweep_{int(sweep)}"
        except (TypeError, ValueError):
            sweep = str(sweep)
        try:
            data, rate = _native.read_allen_sweep(str(path), sweep)
        except ValueError as e:
            raise ConfigError(f"input '{self.name}': {e}") from None
        dt_in = 1000.0 / rate
        amps = data * 1.0e9
        times = np.arange(len(amps)) * dt_in
        down = p.get("downsample")
        if down is not None and down > dt_in:
            stride = int(np.round(down / dt_in))
            amps, times, dt_in = amps[::stride], times[::stride], float(down)
        window = p.get("sweep_window")
        if window is not None:
            if len(window) != 2 or not (0 <= window[0] < window[1]):
                raise ConfigError(f"input '{self.name}': sweep_window must be [start, stop] with "
                                  "0 <= start < stop")
            keep = (times >= window[0]) & (times <= window[1])
            if not keep.any():
                raise ConfigError(f"input '{self.name}': sweep_window {window} holds no sample of {sweep}")
            lo, hi = np.flatnonzero(keep)[[0, -1]]
            amps, times = amps[lo:hi + 1], times[lo:hi + 1]
        delay = float(p.get("delay", 0.0))
        # bmtk 1.2.0 turns the clamp off after len * Dt * 1000 ms (a units slip): kept, as BMTK runs it
        self.played = (amps, dt_in, delay, len(times) * dt_in * 1000.0)

    # ---- on the engine -------------------------------------------------------------------------
    def per_step(self, dt, n_steps):
        """The played current for each step (nA), with NEURON's accumulated step midpoints."""
        amps, dt_in, delay, dur = self.played
        t_mid = np.cumsum(np.full(2 * n_steps, 0.5 * dt))[0::2]
        events = np.arange(len(amps)) * dt_in
        k = np.clip(np.searchsorted(events, t_mid, side="right") - 1, 0, len(amps) - 1)
        on = (t_mid >= delay) & (t_mid < delay + dur)
        return np.where(on, amps[k], 0.0)
