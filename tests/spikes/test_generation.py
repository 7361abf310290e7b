"""Statistics of the Poisson generator, reproducibility of seeds, independence from threads."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator, SpikeTrains
from scipy import stats

from .helpers import stored


def per_node_times(g, pop):
    ids, ts = stored(g, pop)
    return {int(n): ts[ids == n] for n in np.unique(ids)}


@pytest.mark.parametrize("rate,window", [(15.0, (0.0, 4.0)), (2.5, (1.0, 11.0)), (80.0, (0.2, 0.7))])
def test_constant_rate_count_and_isi(rate, window):
    n_nodes = 2000
    g = PoissonSpikeGenerator(population="p", seed=123)
    g.add(node_ids=np.arange(n_nodes), firing_rate=rate, times=window)
    ids, ts = stored(g, "p")
    t0, t1 = window
    # Counts: Poisson with mean n*rate*T, so within 3 sigma.
    mean = n_nodes * rate * (t1 - t0)
    assert abs(len(ts) - mean) < 3 * np.sqrt(mean)
    # Times in ms, inside the window.
    assert ts.min() > t0 * 1000 and ts.max() <= t1 * 1000
    # Given the count, Poisson spike times are uniform on the window (exact KS test).
    assert stats.kstest(ts, "uniform", args=(t0 * 1000, (t1 - t0) * 1000)).pvalue > 1e-3
    # The latency of each node's first spike is Exp(rate) (truncation at the window end has
    # probability exp(-rate*T), negligible here).
    trains = per_node_times(g, "p")
    first = np.array([t[0] for t in trains.values()]) / 1000.0 - t0
    assert stats.kstest(first, "expon", args=(0, 1.0 / rate)).pvalue > 1e-3
    # ISI coefficient of variation ~1 (pooled within-window intervals: 1 - O(1/(rate*T))).
    isis = np.concatenate([np.diff(t) for t in trains.values()])
    assert np.all(isis > 0)
    cv = isis.std() / isis.mean()
    assert abs(cv - 1.0) < 0.05, cv
    # Per-node counts are Poisson: their variance matches their mean (dispersion test).
    counts = np.bincount(ids.astype(np.int64), minlength=n_nodes)
    disp = ((counts - counts.mean()) ** 2).sum() / counts.mean()
    assert stats.chi2.sf(disp, n_nodes - 1) > 1e-3 and stats.chi2.cdf(disp, n_nodes - 1) > 1e-3


def _chi_square_follows(times_ms, n_nodes, rate_fn_integral, t0, t1, n_bins):
    edges = np.linspace(t0, t1, n_bins + 1)
    observed, _ = np.histogram(times_ms / 1000.0, bins=edges)
    expected = n_nodes * np.array([rate_fn_integral(a, b) for a, b in zip(edges[:-1], edges[1:])])
    assert abs(observed.sum() - expected.sum()) < 3 * np.sqrt(expected.sum())
    live = expected > 0
    assert observed[~live].sum() == 0
    chi2 = ((observed[live] - expected[live]) ** 2 / expected[live]).sum()
    # p-value of the fit (no fitted parameter): not rejected at 0.1 %.
    p = stats.chi2.sf(chi2, live.sum())
    assert p > 1e-3, (chi2, p)
    return observed, expected


def _integral_of_samples(times, rates, fine=200001):
    grid = np.linspace(times[0], times[-1], fine)
    vals = np.interp(grid, times, rates)
    cum = np.concatenate([[0.0], np.cumsum((vals[1:] + vals[:-1]) / 2 * np.diff(grid))])
    return lambda a, b: np.interp(b, grid, cum) - np.interp(a, grid, cum)


def test_time_varying_rate_followed_bin_by_bin():
    times = np.linspace(0.0, 3.0, 31)
    rates = 5.0 + 40.0 * np.sin(np.pi * times / 1.5) ** 2
    rates[10:14] = 0.0  # a silent stretch
    n_nodes = 1500
    g = PoissonSpikeGenerator(population="p", seed=9)
    g.add(node_ids=np.arange(n_nodes), firing_rate=rates, times=times)
    _, ts = stored(g, "p")
    obs, _exp = _chi_square_follows(ts, n_nodes, _integral_of_samples(times, rates), 0.0, 3.0, 60)
    # Bins where the rate is zero throughout hold no spike at all.
    silent = (np.linspace(0, 3, 61)[:-1] >= times[10]) & (np.linspace(0, 3, 61)[1:] <= times[13])
    assert silent.any() and obs[silent].sum() == 0


def test_callable_rate_followed_bin_by_bin():
    def rate(t):
        return 30.0 * (1.0 + np.cos(2 * np.pi * 2.0 * t))

    n_nodes = 1000
    g = PoissonSpikeGenerator(population="p", seed=77)
    g.add(node_ids=np.arange(n_nodes), firing_rate=rate, times=(0.5, 2.5))
    _, ts = stored(g, "p")

    def antiderivative(t):
        return 30.0 * (t + np.sin(4 * np.pi * t) / (4 * np.pi))

    def integral(a, b):
        return antiderivative(b) - antiderivative(a)

    _chi_square_follows(ts, n_nodes, integral, 0.5, 2.5, 40)


def test_scalar_only_callable_is_sampled_too():
    g = PoissonSpikeGenerator(population="p", seed=1)
    g.add(node_ids=[0, 1], firing_rate=lambda t: 0.0 if t < 1.0 else 50.0, times=(0.0, 2.0))
    _, ts = stored(g, "p")
    assert len(ts) > 0 and ts.min() >= 1000.0 - 1.0


def test_absolute_refractory_period_and_rate_correction():
    rate, abs_ref, n_nodes, T = 40.0, 0.004, 1000, 5.0
    g = PoissonSpikeGenerator(population="p", seed=2)
    g.add(node_ids=np.arange(n_nodes), firing_rate=rate, times=(0.0, T), abs_ref=abs_ref)
    _ids, ts = stored(g, "p")
    mean = n_nodes * rate * T
    assert abs(len(ts) - mean) < 3 * np.sqrt(mean)
    for t in per_node_times(g, "p").values():
        assert np.all(np.diff(t) > abs_ref * 1000)
    with pytest.raises(ValueError, match="Cannot achieve firing rate"):
        g.add(node_ids=[0], firing_rate=1000.0, times=(0.0, 1.0), abs_ref=0.01)


def test_seeds_reproduce_exactly_and_differ():
    def make(seed):
        g = PoissonSpikeGenerator(population="p", seed=seed)
        g.add(node_ids=np.arange(200), firing_rate=20.0, times=(0.0, 2.0))
        g.add(node_ids=np.arange(200), firing_rate=[1.0, 30.0], times=[2.0, 3.0])
        return stored(g, "p")

    a, b, c = make(42), make(42), make(43)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert len(a[1]) != len(c[1]) or not np.array_equal(a[1], c[1])
    # Two add() calls on the same nodes draw different trains.
    g = PoissonSpikeGenerator(population="p", seed=42)
    g.add(node_ids=[0], firing_rate=20.0, times=(0.0, 2.0))
    g.add(node_ids=[0], firing_rate=20.0, times=(0.0, 2.0))
    t = g.get_times(0)
    half = len(t) // 2
    assert not np.array_equal(np.sort(t)[:half], np.sort(t)[half:2 * half])


def test_numpy_global_seed_reproduces_unseeded_generators():
    def make():
        np.random.seed(2024)
        g = PoissonSpikeGenerator(population="p")
        g.add(node_ids=np.arange(50), firing_rate=10.0, times=(0.0, 1.0))
        return stored(g, "p")[1]

    np.testing.assert_array_equal(make(), make())


def test_node_train_independent_of_other_nodes():
    g1 = PoissonSpikeGenerator(population="p", seed=5)
    g1.add(node_ids=np.arange(1000), firing_rate=10.0, times=(0.0, 3.0))
    g2 = PoissonSpikeGenerator(population="p", seed=5)
    g2.add(node_ids=[999, 17], firing_rate=10.0, times=(0.0, 3.0))
    for n in [17, 999]:
        np.testing.assert_array_equal(g1.get_times(n), g2.get_times(n))


SCRIPT = textwrap.dedent("""
    import sys, numpy as np
    from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator
    g = PoissonSpikeGenerator(population='p', seed=31)
    g.add(node_ids=np.arange(30000), firing_rate=7.0, times=(0.0, 2.0))
    g.add(node_ids=np.arange(5000), firing_rate=np.array([0.0, 40.0, 3.0]), times=[0.0, 1.0, 2.0])
    g.to_sonata(sys.argv[1])
""")


def test_same_trains_with_one_and_two_threads(tmp_path):
    out = {}
    for n in (1, 2):
        env = dict(os.environ, RAYON_NUM_THREADS=str(n))
        path = tmp_path / f"t{n}.h5"
        subprocess.run([sys.executable, "-c", SCRIPT, str(path)], env=env, check=True)
        out[n] = stored(SpikeTrains.from_sonata(str(path)), "p")
    assert len(out[1][1]) > 100000
    np.testing.assert_array_equal(out[1][0], out[2][0])
    np.testing.assert_array_equal(out[1][1], out[2][1])


def test_output_units_seconds(tmp_path):
    g = PoissonSpikeGenerator(population="p", seed=3, output_units="s")
    g.add(node_ids=np.arange(20), firing_rate=10.0, times=(0.0, 2.0))
    ts = stored(g, "p")[1]
    assert ts.max() <= 2.0 and g.units() == "s"
    path = tmp_path / "s.h5"
    g.to_sonata(str(path))
    back = SpikeTrains.from_sonata(str(path))
    assert back.units("p") == "s"
    np.testing.assert_array_equal(stored(back, "p")[1], ts)
    ms = PoissonSpikeGenerator(population="p", seed=3)
    ms.add(node_ids=np.arange(20), firing_rate=10.0, times=(0.0, 2.0))
    np.testing.assert_allclose(stored(ms, "p")[1], ts * 1000.0, rtol=1e-12)


@pytest.mark.parametrize("shape", [0.5, 1.0, 4.0])
def test_gamma_renewal_intervals(shape):
    from bmtk_rs.utils.reports.spike_trains import GammaSpikeGenerator

    rate, n_nodes, window = 12.0, 2000, (0.0, 5.0)
    g = GammaSpikeGenerator(population="p", seed=17)
    g.add(node_ids=np.arange(n_nodes), firing_rate=rate, a=shape, times=window)
    trains = per_node_times(g, "p")
    # The first interval (from the window start) is Gamma(a, 1/(a*rate)), as in BMTK.
    first = np.array([t[0] for t in trains.values()]) / 1000.0
    assert stats.kstest(first, "gamma", args=(shape, 0, 1.0 / (shape * rate))).pvalue > 1e-3
    # Mean rate: counts of a renewal process have variance ~ mean * CV^2 = mean / a.
    n = sum(len(t) for t in trains.values())
    mean = n_nodes * rate * (window[1] - window[0])
    assert abs(n - mean) < 3 * np.sqrt(mean / shape) + 3 * np.sqrt(mean)
    isis = np.concatenate([np.diff(t) for t in trains.values()])
    assert abs(isis.std() / isis.mean() - 1 / np.sqrt(shape)) < 0.05
    with pytest.raises(ValueError, match="stationary"):
        g.add(node_ids=[0], firing_rate=[1.0, 2.0], a=2.0, times=[0.0, 1.0])
    with pytest.raises(ValueError, match="positive"):
        g.add(node_ids=[0], firing_rate=1.0, a=-1.0)
