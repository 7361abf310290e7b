"""PointNet's current clamps (``module: IClamp``): the amplitude schedule of one NEST
step_current_generator per input, in pA as NEST takes it, read through BioNet's clamp reader.

``current_clamp`` gives amp/delay/duration (each step switches off after its duration unless the
next one starts first); ``csv`` a table of timestamps and amplitudes; ``nwb``/``allen`` a sweep.
As in bmtk, amplitude changes at or before one dt are dropped (NEST cannot take them)."""

import logging

import numpy as np
import pandas as pd

from ..bionet.current_clamps import ClampInput
from ..sonata_config import ConfigError

_io = logging.getLogger("bmtk_rs.pointnet")


class PointClamp(ClampInput):
    """One IClamp input: node set, and (times, amplitudes) of its step current generator."""

    def _read_csv(self, p):
        # the table as written: a step generator takes its changes at the listed times
        path = p.get("file")
        if path is None:
            raise ConfigError(f"input '{self.name}': a csv current clamp needs 'file'")
        ts_col, amp_col = p.get("timestamps_column", "timestamps"), p.get("amplitudes_column", "amps")
        try:
            df = pd.read_csv(path, sep=p.get("separator", " "))
        except (OSError, ValueError) as e:
            raise ConfigError(f"input '{self.name}': cannot read current clamp file {path}: {e}") from None
        for col in (ts_col, amp_col):
            if col not in df.columns:
                raise ConfigError(f"input '{self.name}': {path} has no column '{col}' (columns: {list(df.columns)})")
        self.table = (df[ts_col].to_numpy(dtype=float), df[amp_col].to_numpy(dtype=float))

    def schedule(self, dt):
        """(amplitude times, amplitudes) for the step current generator."""
        if self.steps is not None:
            delays = [s[1] for s in self.steps]
            times, amps = [], []
            for i, (amp, delay, dur) in enumerate(self.steps):
                if delay <= dt:
                    _io.warning(f"input '{self.name}': IClamp onset at {delay} ms is not after dt; skipped")
                    continue
                times.append(delay)
                amps.append(amp)
                stop = delay + dur
                if i + 1 == len(self.steps) or stop <= delays[i + 1]:
                    times.append(stop)
                    amps.append(0.0)
            return np.asarray(times, dtype=float), np.asarray(amps, dtype=float)
        if getattr(self, "table", None) is not None:
            times, amps = self.table
        else:
            samples, dt_in, delay, _ = self.played
            times = np.arange(len(samples)) * dt_in + delay
            amps = np.asarray(samples, dtype=float)
        keep = times > dt
        if not keep.all():
            _io.warning(f"input '{self.name}': IClamp values at or before dt are skipped")
        return np.asarray(times[keep], dtype=float), np.asarray(amps[keep], dtype=float)
