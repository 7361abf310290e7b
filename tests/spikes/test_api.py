"""The SpikeTrains API answers as bmtk 1.2.0's does for the same spikes."""

import numpy as np
import pytest
from bmtk_rs import install_as_bmtk  # noqa: F401  (the package imports)
from bmtk_rs.utils.reports.spike_trains import SpikeTrains, pop_na, sort_order

from ..conftest import require_module


def _pair(seed=0):
    bst = require_module("bmtk.utils.reports.spike_trains").utils.reports.spike_trains
    rng = np.random.default_rng(seed)
    ref = bst.SpikeTrains(default_population="v1")
    rs = SpikeTrains(default_population="v1")
    for pop, n in [("v1", 300), ("lgn", 120)]:
        ids = rng.integers(0, 40, n)
        ts = np.round(rng.uniform(0, 500, n), 3)
        ref.add_spikes(ids, ts, population=pop)
        rs.add_spikes(ids, ts, population=pop)
    ref.add_spike(7, 1.5)
    rs.add_spike(7, 1.5)
    return bst, ref, rs


def test_queries_match_bmtk():
    _bst, ref, rs = _pair()
    assert rs.populations == ref.populations
    assert len(rs) == len(ref)
    for p in ["v1", "lgn"]:
        assert rs.n_spikes(p) == ref.n_spikes(p)
        np.testing.assert_array_equal(rs.node_ids(p), ref.node_ids(p))
        for n in range(45):
            np.testing.assert_array_equal(rs.get_times(n, population=p), ref.get_times(n, population=p))
            np.testing.assert_array_equal(rs.get_times(n, population=p, time_window=(100, 300)),
                                          ref.get_times(n, population=p, time_window=(100, 300)))
    assert rs.n_spikes() == ref.n_spikes()  # default population
    np.testing.assert_array_equal(rs.get_times(7), ref.get_times(7))
    assert rs.units() == ref.units() == "ms"
    assert rs.n_spikes("absent") == ref.n_spikes("absent") == 0
    assert len(rs.node_ids("absent")) == len(ref.node_ids("absent")) == 0


@pytest.mark.parametrize("order", ["none", "by_id", "by_time"])
def test_to_dataframe_matches_bmtk(order):
    bst, ref, rs = _pair(1)
    for pops in [None, "lgn", ["lgn", "v1"]]:
        a = rs.to_dataframe(populations=pops, sort_order=order)
        b = ref.to_dataframe(populations=pops, sort_order=bst.sort_order_lu[order])
        assert sorted(a.columns) == sorted(b.columns)
        key = ["population", "node_ids", "timestamps"]
        pd_sorted = [df[key].sort_values(key).to_numpy().tolist() for df in (a, b)]
        assert pd_sorted[0] == pd_sorted[1]
        if order == "none":
            assert a[key].to_numpy().tolist() == b[key].to_numpy().tolist()
        else:
            col = {"by_id": "node_ids", "by_time": "timestamps"}[order]
            np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy())
    c = rs.to_dataframe(with_population_col=False)
    assert "population" not in c.columns


def test_comparisons_and_merge():
    _bst, ref, rs = _pair(2)
    assert rs == ref and ref == rs
    more = SpikeTrains(default_population="v1")
    more.merge(rs)
    assert more == rs
    more.add_spike(3, 999.0, population="lgn")
    assert rs < more and rs <= more and more > rs and not more <= rs
    assert rs != more
    # bmtk's own subset test agrees.
    assert ref <= more and ref < more


def test_spikes_iterator_and_time_range():
    bst, ref, rs = _pair(3)
    a = sorted((float(t), p, int(n)) for t, p, n in rs.spikes(sort_order=sort_order.by_time))
    b = sorted((float(t), p, int(n)) for t, p, n in ref.spikes(sort_order=bst.sort_order.by_time))
    assert a == b
    # Sorted within each population, populations one after another (as bmtk's in-memory trains).
    got = list(rs.spikes(sort_order="by_time"))
    assert got == [(t, p, n) for t, p, n in ref.spikes(sort_order=bst.sort_order.by_time)]
    for pop in rs.populations:
        ts = [t for t, p, _ in got if p == pop]
        assert ts == sorted(ts)
    lo, hi = rs.time_range()
    d = ref.to_dataframe(populations="v1")
    assert (lo, hi) == (d["timestamps"].min(), d["timestamps"].max())


def test_generator_population_defaults():
    bst = require_module("bmtk.utils.reports.spike_trains").utils.reports.spike_trains
    from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator

    ours = PoissonSpikeGenerator(seed=1)
    ours.add(node_ids=[0, 1], firing_rate=20.0, times=(0.0, 1.0))
    theirs = bst.PoissonSpikeGenerator(seed=1)
    theirs.add(node_ids=[0, 1], firing_rate=20.0, times=(0.0, 1.0))
    assert ours.populations == theirs.populations == [pop_na]
    assert ours.units() == theirs.units() == "ms"


def test_generator_reads_node_ids_from_a_nodes_file(bmtk_data):
    from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator

    nodes = bmtk_data / "tutorial_l4" / "network" / "LGN_nodes.h5"
    g = PoissonSpikeGenerator(population="LGN", seed=4)
    g.add(node_ids=str(nodes), firing_rate=50.0, times=(0.0, 1.0), population="LGN")
    bst = require_module("bmtk.utils.reports.spike_trains").utils.reports.spike_trains
    ref = bst.PoissonSpikeGenerator(population="LGN", seed=4)
    ref.add(node_ids=str(nodes), firing_rate=50.0, times=(0.0, 1.0), population="LGN")
    np.testing.assert_array_equal(g.node_ids(), ref.node_ids())


def test_bmtk_import_path_alias():
    """After install_as_bmtk(), BMTK's import path gives the bmtk-rs spike trains."""
    import subprocess
    import sys

    code = ("import bmtk_rs; bmtk_rs.install_as_bmtk(); "
            "from bmtk.utils.reports.spike_trains import PoissonSpikeGenerator, SpikeTrains, sort_order; "
            "import bmtk_rs.utils.reports.spike_trains as m; "
            "assert PoissonSpikeGenerator is m.PoissonSpikeGenerator and SpikeTrains is m.SpikeTrains; "
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
