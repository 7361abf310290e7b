"""Spike trains from rates (``bmtk...lgnmodel.poissongeneration``): homogeneous Poisson processes
piecewise in time, and time rescaling of a rate function.

Random numbers come from numpy's global generator (``seed`` reseeds it), drawn in the same order
as bmtk draws them, so a seeded call gives bmtk's spike times.
"""

import warnings

import numpy as np


def generate_renewal_process(t0, t1, renewal_distribution):
    """Event times in (t0, t1] with intervals drawn from ``renewal_distribution()``."""
    times = []
    last = t0
    gap = float(renewal_distribution())
    while last + gap <= t1:
        times.append(last + gap)
        last = times[-1]
        gap = float(renewal_distribution())
    return times


def generate_poisson_process(t0, t1, rate):
    """A homogeneous Poisson process of ``rate`` (events per time unit) on (t0, t1]."""
    if rate is None:
        raise ValueError("Rate cannot be None")
    if rate > 10000:
        warnings.warn("Very high rate encountered: {}".format(rate), stacklevel=2)
    if not rate >= 0:
        raise ValueError("Negative rate ({}) not allowed".format(rate))
    if not rate < np.inf:
        raise ValueError("Rate ({}) must be finite".format(rate))
    if rate == 0:
        return []
    scale = 1.0 / rate
    return generate_renewal_process(t0, t1, lambda: np.random.exponential(scale))


def generate_inhomogenous_poisson(t_range, y_range, seed=None):
    """Spikes of a rate that is y_range[i] on [t_range[i], t_range[i + 1])."""
    if seed is not None:
        np.random.seed(seed)
    spikes = []
    for t_lo, t_hi, rate in zip(t_range[:-1], t_range[1:], y_range[:-1]):
        spikes += generate_poisson_process(t_lo, t_hi, rate)
    return spikes


def _scipy():
    try:
        import scipy.integrate
        import scipy.interpolate
        import scipy.optimize
    except ImportError as exc:
        raise ImportError("time-rescaled Poisson generation integrates the rate with scipy; install scipy") \
            from exc
    return scipy


def generate_poisson_rescaling(t, y, seed=None):
    """Spikes of the rate sampled as (t, y) (linear in between) by time rescaling."""
    y, t = np.array(y), np.array(t)
    if np.any(y < 0):
        raise ValueError("rates must not be negative")
    rate = _scipy().interpolate.interp1d(t, y, fill_value=0, bounds_error=False)
    return generate_poisson_rescaling_function(lambda _y, tt: rate(tt), t[0], t[-1], seed=seed)


def generate_poisson_rescaling_function(f, t_min, t_max, seed=None):
    """Spikes of the rate ``f(_, t)`` on [t_min, t_max]: each next spike is where the integrated
    rate since the last one reaches a unit-exponential draw."""
    sp = _scipy()
    if seed is not None:
        np.random.seed(seed)

    def integral(t0, t1):
        return sp.integrate.odeint(f, 0, [t0, t1])[1][0]

    spikes = []
    while t_min < t_max:
        target = np.random.exponential()

        def residual(tt, target=target, start=t_min):
            # the solver passes a 1-element array; odeint needs plain time points
            return [target - integral(start, float(np.ravel(tt)[0]))]

        with warnings.catch_warnings(record=True):
            result = sp.optimize.root(residual, .1)
        # bmtk gives up when the solver fails although a spike is due before t_max; when none is due
        # it takes the solver's last point anyway
        if not result.success and target < integral(t_min, t_max):
            break
        t_min = result.x[0]
        spikes.append(t_min)
    return np.array(spikes)
