"""BioNet's ``SEClamp`` input (NEURON's single-electrode voltage clamp) as bmtk 1.2.0 runs it,
resolved to per-step target voltages and series resistances for the engine.

bmtk makes an SEClamp on every selected cell but keeps a reference only to the last one it made
(the last gid of ``list(set(gids))``), so NEURON frees all the others: one clamp per input acts.
It holds 0 mV for ``delay`` ms, then ``amp`` mV for ``duration`` ms, then is off; bmtk's per-step
hook sets its ``rs`` after each step k to ``resistance`` while ``delay <= k*dt <= delay + duration``
and to 1e21 MOhm (effectively open) otherwise, while the very first step runs with NEURON's default
rs of 1 MOhm. Reproduced here as BMTK runs it, so results match NEURON's.
"""

import numpy as np

from .config import ConfigError
from .current_clamps import ClampSite

_OPEN_RS = 10.0e20  # the resistance bmtk's hook sets outside the clamp window (MOhm)
_DEFAULT_RS = 1.0   # NEURON's SEClamp rs


class VoltageClampInput(ClampSite):
    def __init__(self, name, params):
        self.name = name
        for key in ("delay", "amp", "duration"):
            if key not in params:
                raise ConfigError(f"input '{name}': SEClamp needs '{key}'")
        try:
            self.delay = float(params["delay"])
            self.amp = float(params["amp"])
            self.duration = float(params["duration"])
            self.rs = float(params.get("resistance", 1.0))
        except (TypeError, ValueError):
            raise ConfigError(f"input '{name}': SEClamp delay, amp, duration and resistance must be numbers") \
                from None
        if not self.rs > 0:
            raise ConfigError(f"input '{name}': SEClamp resistance must be positive, got {self.rs}")
        self.node_set = params.get("node_set", "all")
        self.section_name = params.get("section_name", "soma")
        self.section_index = params.get("section_index", 0)
        self.section_dist = float(params.get("section_dist", 0.5))
        self.ranged = isinstance(self.section_index, (list, tuple))

    def steps(self, dt, n_steps):
        """(target mV, series MOhm; inf: off) per step of the one clamp that acts."""
        t_mid = np.cumsum(np.full(2 * n_steps, 0.5 * dt))[0::2]
        tc2 = self.delay + self.duration
        vc = np.where(t_mid < self.delay, 0.0, np.where(t_mid < tc2, self.amp, 0.0))
        on = t_mid < tc2
        t_hook = dt * (np.arange(n_steps) - 1)
        rs = np.where((self.delay <= t_hook) & (t_hook <= tc2), self.rs, _OPEN_RS)
        rs[0] = _DEFAULT_RS
        return np.ascontiguousarray(vc), np.ascontiguousarray(np.where(on, rs, np.inf))
