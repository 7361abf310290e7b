"""Spike files cross between bmtk-rs, bmtk 1.2.0, libsonata and pynwb with identical contents."""

import h5py
import numpy as np
import pytest
from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator, SpikeTrains, sort_order

from ..conftest import require_module
from .helpers import assert_same_spikes, libsonata_spikes, sorted_pairs, stored

BMTK_FILES = [
    "tutorial_l4/inputs/spikes.h5",
    "tutorial_l4/inputs/spikes.csv",
    "tutorial_l4/inputs/spikes.flash.h5",
    "tutorial_l4/inputs/spikes.flash.csv",
    "tutorial_l4/inputs/lgn_spikes.poisson.h5",
    "tutorial_l4/inputs/lgn_spikes.poisson.csv",
    "examples/spikes_inputs/tw_spikes.h5",
    "examples/bio_14cells/inputs/lgn_spikes.h5",
    "examples/bio_450cells/inputs/external_spikes.h5",
    "examples/bio_1cell/inputs/virt_spikes.h5",
    "examples/bio_1cell/inputs/virt_spikes.csv",
    "examples/bio_1cell/output_syns/spikes.h5",
    "examples/bio_intfire_ring/output/spikes.h5",
    "examples/bio_intfire_ring/output/spikes.csv",
]


def bmtk_st():
    return require_module("bmtk.utils.reports.spike_trains").utils.reports.spike_trains


@pytest.mark.parametrize("rel", BMTK_FILES)
def test_bmtk_data_files_load_identically(bmtk_data, rel):
    bst = bmtk_st()
    path = bmtk_data / rel
    ref = bst.SpikeTrains.load(str(path))
    rs = SpikeTrains.load(str(path))
    assert len(rs) == len(ref) > 0
    assert_same_spikes(rs, ref)


def _example_generators(bst):
    """The same spikes in a bmtk 1.2.0 generator and in a bmtk-rs SpikeTrains."""
    g = bst.PoissonSpikeGenerator(population="lgn", seed=11)
    g.add(node_ids=range(40), firing_rate=12.0, times=(0.0, 2.0))
    g.add(node_ids=[50, 51, 52], firing_rate=np.array([5.0, 60.0, 5.0]), times=np.array([0.0, 1.0, 2.0]),
          population="tw")
    rs = SpikeTrains()
    for p in g.populations:
        df = g.to_dataframe(populations=p, with_population_col=False)
        rs.add_spikes(df["node_ids"].to_numpy(), df["timestamps"].to_numpy(), population=p)
    return g, rs


@pytest.mark.parametrize("order", ["none", "by_id", "by_time"])
def test_bmtk_written_sonata_loads_in_bmtk_rs(tmp_path, order):
    bst = bmtk_st()
    g, _ = _example_generators(bst)
    path = tmp_path / "bmtk.h5"
    g.to_sonata(str(path), sort_order=bst.sort_order_lu[order])  # bmtk's default: gzip
    assert h5py.File(path, "r")["spikes/lgn/timestamps"].compression == "gzip"
    ref = bst.SpikeTrains.from_sonata(str(path))
    rs = SpikeTrains.from_sonata(str(path))
    assert_same_spikes(rs, ref)
    assert rs.sort_order("lgn").value == order


def test_bmtk_written_csv_loads_in_bmtk_rs(tmp_path):
    bst = bmtk_st()
    g, _ = _example_generators(bst)
    path = tmp_path / "bmtk.csv"
    g.to_csv(str(path))
    assert_same_spikes(SpikeTrains.from_csv(str(path)), bst.SpikeTrains.from_csv(str(path)))


@pytest.mark.parametrize("order", ["none", "by_id", "by_time"])
@pytest.mark.parametrize("compression", [None, "gzip"])
def test_bmtk_rs_sonata_loads_in_bmtk(tmp_path, order, compression):
    bst = bmtk_st()
    _, rs = _example_generators(bst)
    path = tmp_path / "rs.h5"
    rs.to_sonata(str(path), sort_order=order, compression=compression)
    ref = bst.SpikeTrains.from_sonata(str(path))
    back = SpikeTrains.from_sonata(str(path))
    assert_same_spikes(back, ref)
    assert ref.sort_order("lgn").value == order
    # The stored order is the requested one, computed here independently of bmtk-rs.
    for p in rs.populations:
        ids, ts = stored(rs, p)
        perm = {"none": np.arange(len(ids)), "by_id": np.argsort(ids, kind="stable"),
                "by_time": np.argsort(ts, kind="stable")}[order]
        got_ids, got_ts = stored(ref, p)
        np.testing.assert_array_equal(got_ids, ids[perm])
        np.testing.assert_array_equal(got_ts, ts[perm])
    with h5py.File(path, "r") as h:
        assert h.attrs["magic"] == 0x0A7A and list(h.attrs["version"]) == [0, 1]
        assert h["spikes/lgn/timestamps"].attrs["units"] == "ms"
        assert h["spikes/lgn/node_ids"].dtype == np.int64  # what bmtk 1.2.0 writes
        assert h["spikes/lgn/timestamps"].compression == ("gzip" if compression else None)


@pytest.mark.parametrize("order", ["none", "by_id", "by_time"])
def test_bmtk_rs_sonata_loads_in_libsonata(tmp_path, order):
    require_module("libsonata")
    bst = bmtk_st()
    _, rs = _example_generators(bst)
    path = tmp_path / "rs.h5"
    rs.to_sonata(str(path), sort_order=order)
    got = libsonata_spikes(path)
    assert sorted(got) == sorted(rs.populations)
    for p in rs.populations:
        assert got[p][0] == order
        assert got[p][1] == sorted_pairs(rs, p)


def test_bmtk_rs_csv_loads_in_bmtk(tmp_path):
    bst = bmtk_st()
    _, rs = _example_generators(bst)
    for order in ["none", "by_time", "by_id"]:
        path = tmp_path / f"rs_{order}.csv"
        rs.to_csv(str(path), sort_order=order)
        ref = bst.SpikeTrains.from_csv(str(path))
        back = SpikeTrains.from_csv(str(path))
        assert_same_spikes(back, ref)
        # Populations one after another, each sorted, as bmtk's in-memory trains write it.
        col = {"by_time": "timestamps", "by_id": "node_ids"}.get(order)
        df = ref.to_dataframe()
        assert list(dict.fromkeys(df["population"])) == rs.populations
        for p in rs.populations:
            if col:
                assert np.all(np.diff(df[df["population"] == p][col].to_numpy()) >= 0)
        for p in rs.populations:
            assert sorted_pairs(back, p) == sorted_pairs(rs, p)


def test_generated_trains_round_trip_all_formats(tmp_path):
    require_module("pynwb")
    g = PoissonSpikeGenerator(population="lgn", seed=5)
    g.add(node_ids=np.arange(30), firing_rate=8.0, times=(0.5, 3.0))
    g.add(node_ids=[3, 4], firing_rate=lambda t: 20 * (1 + np.sin(2 * np.pi * t)), times=(0.0, 2.0),
          population="other")
    for name in ["a.h5", "a.csv", "a.nwb"]:
        path = tmp_path / name
        getattr(g, {"h5": "to_sonata", "csv": "to_csv", "nwb": "to_nwb"}[name.split(".")[1]])(str(path))
        back = SpikeTrains.load(str(path))
        assert back == g
        for p in g.populations:
            assert sorted_pairs(back, p) == sorted_pairs(g, p)


def test_bmtk_rs_nwb_reads_in_pynwb(tmp_path):
    pynwb = require_module("pynwb")
    bst = bmtk_st()
    _, rs = _example_generators(bst)
    path = tmp_path / "rs.nwb"
    rs.to_nwb(str(path))
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        units = io.read().units.to_dataframe()
    expected = [(p, int(n)) for p in rs.populations for n in rs.node_ids(population=p)]
    assert list(zip(units["population"], units["node_id"].astype(int))) == expected
    for (p, n), times in zip(expected, units["spike_times"]):
        np.testing.assert_array_equal(np.asarray(times), rs.get_times(n, population=p))


def test_bmtk_written_nwb_loads_in_bmtk_rs(tmp_path):
    pynwb = require_module("pynwb")
    bst = bmtk_st()
    g, _ = _example_generators(bst)
    path = tmp_path / "bmtk.nwb"
    g.to_nwb(str(path))
    rs = SpikeTrains.from_nwb(str(path))
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        units = io.read().units.to_dataframe()
    assert list(rs.populations) == list(dict.fromkeys(units["population"]))
    for p, n, times in zip(units["population"], units["node_id"], units["spike_times"]):
        np.testing.assert_array_equal(rs.get_times(int(n), population=p), np.asarray(times))
    for p in g.populations:
        assert sorted_pairs(rs, p) == sorted(zip(*[a.tolist() for a in stored(g, p)]))
    only = SpikeTrains.from_nwb(str(path), population="tw")
    assert only.populations == ["tw"] and only.n_spikes("tw") == g.n_spikes("tw")


def test_old_nwb_layout_matches_bmtk_reader(tmp_path):
    """BMTK 1.2.0's from_nwb reads /processing/<trial>/spike_train/<node_id>/data."""
    bst = bmtk_st()
    path = tmp_path / "old.nwb"
    rng = np.random.default_rng(3)
    with h5py.File(path, "w") as h:
        st = h.create_group("processing/trial_0/spike_train")
        for n in [0, 2, 10]:
            st.create_group(str(n)).create_dataset("data", data=np.sort(rng.uniform(0, 1000, 7 + n)))
    ref = bst.SpikeTrains.from_nwb(str(path))
    rs = SpikeTrains.from_nwb(str(path))
    assert rs.populations == list(ref.populations) == [bst.pop_na]
    assert len(rs) == len(ref)
    for n in [0, 2, 10, 5]:
        np.testing.assert_array_equal(rs.get_times(n, population=bst.pop_na), np.asarray(ref.get_times(n)))


def test_old_sonata_layout_and_empty_file(tmp_path):
    bst = bmtk_st()
    old = tmp_path / "old.h5"
    with h5py.File(old, "w") as h:
        h.create_dataset("spikes/gids", data=np.array([3, 1, 3], dtype=np.uint32))
        h.create_dataset("spikes/timestamps", data=np.array([5.0, 1.0, 9.0]))
    ref = bst.SpikeTrains.from_sonata(str(old))
    rs = SpikeTrains.from_sonata(str(old))
    assert rs.populations == list(ref.populations)
    np.testing.assert_array_equal(stored(rs, bst.pop_na)[0], stored(ref, bst.pop_na)[0])
    np.testing.assert_array_equal(stored(rs, bst.pop_na)[1], stored(ref, bst.pop_na)[1])
    np.testing.assert_array_equal(rs.get_times(3), ref.get_times(3))

    empty = tmp_path / "empty.h5"
    with h5py.File(empty, "w") as h:
        h.create_group("spikes")
    ref = bst.SpikeTrains.from_sonata(str(empty))
    rs = SpikeTrains.from_sonata(str(empty))
    assert rs.populations == list(ref.populations) == []
    assert len(rs) == 0 and len(rs.to_dataframe()) == 0


def test_sorting_attribute_is_read_from_either_place(tmp_path):
    """The SONATA enum on the group (libsonata's files) and BMTK's string are both understood."""
    path = tmp_path / "enum.h5"
    with h5py.File(path, "w") as h:
        g = h.create_group("spikes/p")
        g.create_dataset("timestamps", data=[1.0, 2.0]).attrs["units"] = "ms"
        g.create_dataset("node_ids", data=np.array([4, 4], dtype=np.uint64))
        g.attrs.create("sorting", 1, dtype=h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype="u1"))
    assert SpikeTrains.from_sonata(str(path)).sort_order("p") == sort_order.by_id


@pytest.mark.parametrize("order", ["none", "by_id", "by_time"])
def test_csv_text_identical_to_bmtk(tmp_path, order):
    """Same spikes in memory: bmtk 1.2.0 and bmtk-rs write the same CSV, byte for byte.

    bmtk 1.2.0's to_csv passes its sort order under a name its writer does not read, so it always
    writes the stored order; bmtk-rs honours sort_order, so its sorted tables hold the same rows,
    each population sorted."""
    bst = bmtk_st()
    g, rs = _example_generators(bst)
    a, b, c = tmp_path / "bmtk.csv", tmp_path / "rs.csv", tmp_path / "rs_sorted.csv"
    g.to_csv(str(a), sort_order=bst.sort_order_lu[order])
    rs.to_csv(str(b))
    assert a.read_text() == b.read_text()
    rs.to_csv(str(c), sort_order=order)
    ra, rc = a.read_text().splitlines(), c.read_text().splitlines()
    assert ra[0] == rc[0] and sorted(ra) == sorted(rc)
    if order != "none":
        col = {"by_id": 2, "by_time": 0}[order]
        for p in rs.populations:
            keys = [float(r.split()[col]) for r in rc[1:] if r.split()[1] == p]
            assert keys == sorted(keys)


def test_comma_separated_csv_like_bmtk(tmp_path):
    bst = bmtk_st()
    path = tmp_path / "comma.csv"
    path.write_text("timestamps,population,node_ids\n0.5,lgn,3\n2.25,lgn,1\n1.0,v1,3\n")
    ref = bst.SpikeTrains.from_csv(str(path), sep=",")
    rs = SpikeTrains.from_csv(str(path), sep=",")
    assert_same_spikes(rs, ref)
    with pytest.raises(ValueError, match="sep"):
        SpikeTrains.from_csv(str(path), sep=",,")
