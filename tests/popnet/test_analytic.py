"""Steady states of one population under constant Poisson drive, against theory (no reference run
needed). The implicit (gmres) step's fixed point solves J p = 0 exactly, whatever dt, so these
checks measure the voltage discretisation and the model, not the time stepping.

- Small jumps: the diffusion approximation (Siegert's first-passage formula) holds as the jump w
  shrinks at fixed mean drive; the error is first order in w / sigma.
- Large jumps: for exponentially distributed jump sizes (mean a) the stationary density of the
  leaky integrator solves a first-order equation, giving the rate exactly (below); it is compared
  at a mean jump of half the threshold.
"""

import numpy as np
import pytest
from scipy import integrate, special, stats

from bmtk_rs import _native

THETA = 0.02
TAU = 0.02


def _steady_rate(weights, rate_hz, v_min, dv, nsyn=1.0, t_end=0.4, dt=0.002):
    pop = ([(TAU, 1.0)], v_min, THETA, dv, "gmres", None, 1e-13, "inf", 0.0)
    conns = [("external", 0, 0, nsyn, weights, [(0.0, 1.0)])]
    _, rates, _ = _native.popnet_simulate([pop], [rate_hz], conns, dt, 0.0, t_end)
    r = rates[0]
    assert abs(r[-1] - r[-2]) < 1e-9 * r[-1], "not yet stationary"
    return r[-1]


def siegert(mu, sigma):
    lo, hi = (0.0 - mu) / sigma, (THETA - mu) / sigma
    val, _ = integrate.quad(lambda u: special.erfcx(-u), lo, hi, limit=200)
    return 1.0 / (TAU * np.sqrt(np.pi) * val)


def shot_noise_exponential(rate_hz, a):
    """Exact rate of dV/dt = -V/tau + jumps (Poisson rate R, Exp(mean a) sizes), threshold THETA,
    reset 0. With G(V) = int_0^V P(u) e^(u/a) du the flux condition gives
    G(V) = r V^(R tau) [e^(THETA/a) THETA^(-R tau) / R + tau int_V^THETA u^(-R tau - 1) e^(u/a) du]
    and normalisation 1 = r / R + (1/a) int_0^THETA G(V) e^(-V/a) dV fixes r."""
    k = rate_hz * TAU

    def g_over_r(v):
        tail, _ = integrate.quad(lambda u: u ** (-k - 1) * np.exp(u / a), v, THETA, limit=200)
        return v ** k * (np.exp(THETA / a) * THETA ** (-k) / rate_hz + TAU * tail)

    inner, _ = integrate.quad(lambda v: g_over_r(v) * np.exp(-v / a), 0.0, THETA, limit=200)
    return 1.0 / (1.0 / rate_hz + inner / a)


def _exponential_weights(a, n):
    """n equal-probability bins of Exp(mean a), each at its conditional mean."""
    q = np.linspace(0.0, 1.0, n + 1)
    edges = stats.expon(scale=a).ppf(q)
    edges[-1] = np.inf
    upper = np.where(np.isinf(edges[1:]), 0.0, (edges[1:] + a) * np.exp(-edges[1:] / a))
    means = ((edges[:-1] + a) * np.exp(-edges[:-1] / a) - upper) * n
    return [(float(m), 1.0 / n) for m in means]


@pytest.mark.parametrize("w", [0.0004, 0.0002, 0.0001])
def test_small_jumps_approach_siegert(w):
    mu, sigma = 0.018, 0.0015          # mean and sd of the free membrane potential (V)
    rate_hz = mu / (TAU * w)            # mu = tau R w
    nsyn = 1.0
    sig = np.sqrt(TAU * rate_hz * w * w / 2)
    ours = _steady_rate([(w, 1.0)], rate_hz, -0.01, w / 10, nsyn)
    theory = siegert(mu, sig)
    err = abs(ours - theory) / theory
    print(f"w={w}: sigma={sig:.5f} dipde-rs {ours:.4f} Hz, Siegert {theory:.4f} Hz, rel err {err:.3%}")
    # the finite-jump correction is O(w / sigma) (w / sigma = 0.11, 0.08, 0.06 here)
    assert err < 1.5 * w / sig
    _ = sigma


def test_small_jump_error_shrinks():
    errs = []
    for w in (0.0004, 0.0001):
        rate_hz = 0.018 / (TAU * w)
        sig = np.sqrt(TAU * rate_hz * w * w / 2)
        errs.append(abs(_steady_rate([(w, 1.0)], rate_hz, -0.01, w / 10) - siegert(0.018, sig)))
    assert errs[1] < errs[0] / 1.8


@pytest.mark.parametrize("rate_hz", [20.0, 80.0])
def test_large_jumps_exact_shot_noise(rate_hz):
    a = THETA / 2
    ours = _steady_rate(_exponential_weights(a, 400), rate_hz, -0.001, 0.00005, t_end=0.5)
    theory = shot_noise_exponential(rate_hz, a)
    err = abs(ours - theory) / theory
    print(f"R={rate_hz} Hz, a={a}: dipde-rs {ours:.5f} Hz, exact {theory:.5f} Hz, rel err {err:.3%}")
    assert err < 0.01


def test_jumps_beyond_threshold_fire_every_event():
    # every event from the reset bin crosses threshold: the rate equals the input rate
    assert _steady_rate([(0.03, 1.0)], 37.0, -0.01, 0.0001) == pytest.approx(37.0, rel=1e-12)
