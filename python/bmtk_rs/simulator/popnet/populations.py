"""PopNet's populations and connections (what bmtk hands to dipde), with their parameters read
and checked: every error names the file and key it comes from."""

import json
import numbers

import numpy as np

from ..sonata_config import ConfigError

# dipde's InternalPopulation defaults (SI units: seconds, volts).
INTERNAL_DEFAULTS = {
    "tau_m": 0.02,
    "v_min": -0.1,
    "v_max": 0.02,
    "dv": 0.0001,
    "record": True,
    "initial_firing_rate": 0.0,
    "update_method": "approx",
    "approx_order": None,
    "tol": 1e-12,
    "norm": "inf",
}
_IGNORED_KEYS = {"metadata", "class", "module", "rank"}
_METHODS = ("approx", "exact", "gmres")


def distribution(value, what):
    """A weight, delay or tau_m as dipde accepts it: a number, ``[values, probabilities]`` (or
    bin edges and probabilities), ``{"distribution": "delta", "weight": w}``, or either of those as
    a json string. Returns a list of (value, probability)."""
    if isinstance(value, bool):
        raise ConfigError(f"{what}: expected a number or a distribution, got {value!r}")
    if isinstance(value, numbers.Real):
        v = float(value)
        if not np.isfinite(v):
            raise ConfigError(f"{what}: {value!r} is not a finite number")
        return [(v, 1.0)]
    if isinstance(value, str):
        try:
            return distribution(float(value), what)
        except ValueError:
            pass
        try:
            return distribution(json.loads(value), what)
        except json.JSONDecodeError:
            raise ConfigError(f"{what}: cannot read {value!r} as a number or a distribution") from None
    if isinstance(value, dict):
        if value.get("distribution") == "delta" and "weight" in value:
            return distribution(value["weight"], what)
        raise ConfigError(f"{what}: only {{'distribution': 'delta', 'weight': w}} dicts are "
                          f"understood, got {value!r}")
    pair = isinstance(value, (list, tuple)) and len(value) == 2
    if pair and all(isinstance(x, (list, tuple)) for x in value):
        vals, probs = (np.asarray(x, dtype=float) for x in value)
        if len(vals) == len(probs) + 1:
            vals = (vals[1:] + vals[:-1]) / 2
        if len(vals) != len(probs) or len(vals) == 0:
            raise ConfigError(f"{what}: values and probabilities of {value!r} do not pair up")
        if np.any(probs < 0) or abs(probs.sum() - 1.0) > 1e-12:
            raise ConfigError(f"{what}: probabilities of {value!r} must be >= 0 and sum to 1")
        return [(float(v), float(p)) for v, p in zip(vals, probs)]
    raise ConfigError(f"{what}: expected a number or a distribution, got {value!r}")


class Population:
    """An internal population: the nodes sharing one group key, with the dynamics_params of the
    first of them (as bmtk)."""

    def __init__(self, pop_id, params, params_file):
        self.pop_id = pop_id
        self.params_file = params_file
        self.nodes = []
        self._params = dict(params)
        unknown = sorted(set(params) - set(INTERNAL_DEFAULTS) - _IGNORED_KEYS - {"p0"})
        if unknown:
            raise ConfigError(f"{params_file}: population {pop_id}: unknown parameter(s) {unknown} "
                              f"(DiPDE internal populations take {sorted(INTERNAL_DEFAULTS)})")
        if "p0" in params and params["p0"] not in (None, [[0.0], [1.0]], [[0], [1]]):
            raise ConfigError(f"{params_file}: population {pop_id}: 'p0' other than a delta at 0 is "
                              f"not supported")
        p = {**INTERNAL_DEFAULTS, **{k: v for k, v in params.items() if v is not None or k in ("approx_order", "norm")}}
        what = f"{params_file}: population {pop_id}"
        self.tau_m = distribution(p["tau_m"], f"{what}: 'tau_m'")
        for key in ("v_min", "v_max", "dv", "tol", "initial_firing_rate"):
            if isinstance(p[key], bool) or not isinstance(p[key], numbers.Real):
                raise ConfigError(f"{what}: '{key}' must be a number, got {p[key]!r}")
        self.v_min, self.v_max, self.dv = float(p["v_min"]), float(p["v_max"]), float(p["dv"])
        self.tol = float(p["tol"])
        self.initial_firing_rate = float(p["initial_firing_rate"])
        if not (self.v_min <= 0.0 < self.v_max) or self.dv <= 0:
            raise ConfigError(f"{what}: need v_min <= 0 < v_max and dv > 0 "
                              f"(v_min={self.v_min}, v_max={self.v_max}, dv={self.dv})")
        self.update_method = p["update_method"]
        if self.update_method not in _METHODS:
            raise ConfigError(f"{what}: 'update_method' must be one of {list(_METHODS)}, got "
                              f"{self.update_method!r}")
        order = p["approx_order"]
        bad_order = isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 1
        if order is not None and bad_order:
            raise ConfigError(f"{what}: 'approx_order' must be a positive integer or null, got {order!r}")
        self.approx_order = None if order is None else int(order)
        norm = p["norm"]
        if norm is None:
            norm = "2"  # dipde hands norm=None to scipy's norm: the 2-norm
        elif norm in ("inf", float("inf")):
            norm = "inf"
        elif isinstance(norm, numbers.Real):
            norm = str(int(norm))
        if norm not in ("inf", "1", "2", "fro"):
            raise ConfigError(f"{what}: 'norm' must be inf, 1, 2 or 'fro', got {p['norm']!r}")
        self.norm = norm
        self.record = bool(p["record"])

    def __getitem__(self, item):
        return self._params[item]

    def __setitem__(self, key, value):
        self._params[key] = value

    def get_gids(self):
        yield from self.nodes

    def engine_tuple(self):
        return (self.tau_m, self.v_min, self.v_max, self.dv, self.update_method, self.approx_order, self.tol,
                self.norm, self.initial_firing_rate)

    def __repr__(self):
        return str(self.pop_id)


class ExtPopulation:
    """An external population of virtual nodes firing at a constant rate (Hz)."""

    def __init__(self, pop_id, firing_rate, source):
        self.pop_id = pop_id
        self.nodes = []
        rate = firing_rate
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not np.isfinite(rate) or rate < 0:
            raise ConfigError(f"{source}: external population {pop_id}: firing rate {firing_rate!r} "
                              f"must be a "
                              "number >= 0 (Hz)")
        self.firing_rate = float(rate)

    @property
    def record(self):
        return False

    def get_gids(self):
        yield from self.nodes

    def __repr__(self):
        return str(self.pop_id)


class PopConnection:
    """Source population -> target population with the nsyns, delay and syn_weight of the first
    SONATA edge between them (bmtk uses that edge only)."""

    def __init__(self, src_pop, trg_pop, nsyns, delay, weight, what):
        self.src_pop = src_pop
        self.trg_pop = trg_pop
        number = not isinstance(nsyns, bool) and isinstance(nsyns, numbers.Real)
        if not (number and np.isfinite(nsyns) and nsyns >= 0):
            raise ConfigError(f"{what}: 'nsyns' must be a number >= 0, got {nsyns!r}")
        self.nsyns = float(nsyns)
        self.delays = distribution(delay, f"{what}: 'delay'")
        if any(d < 0 for d, _ in self.delays):
            raise ConfigError(f"{what}: 'delay' must be >= 0 (seconds), got {delay!r}")
        self.weights = distribution(weight, f"{what}: 'syn_weight'")
        self.delay = delay
        self.weight = weight

    def __repr__(self):
        props = f"weight: {self.weight}, delay: {self.delay}, nsyns: {self.nsyns}"
        return f"{self.src_pop} --> {self.trg_pop} {{{props}}}"
