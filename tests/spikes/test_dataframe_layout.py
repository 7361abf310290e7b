"""What user code sees of a spike table: to_dataframe's column order and node id dtype depend on
where bmtk 1.2.0's SpikeTrains got the spikes (in memory, a SONATA file, a csv, an NWB file), and the
SONATA file's node_ids type and sorting label. Both packages read the same files here."""

import h5py
import numpy as np
import pytest
from bmtk_rs.utils.reports.spike_trains import SpikeTrains, sort_order

from ..conftest import require_module

IDS = [2, 0, 1, 0, 3]
TIMES = [5.0, 1.0, 3.0, 2.0, 0.5]


@pytest.fixture(scope="module")
def bst():
    return require_module("bmtk.utils.reports.spike_trains").utils.reports.spike_trains


def _filled(cls):
    st = cls(population="V1")
    st.add_spikes(node_ids=IDS[:4], timestamps=TIMES[:4])
    st.add_spike(node_id=IDS[4], timestamp=TIMES[4])
    return st


def _same_frame(ours, ref):
    assert list(ours.columns) == list(ref.columns)
    for c in ref.columns:
        assert ours[c].dtype.kind == ref[c].dtype.kind or c == "population", (c, ours[c].dtype, ref[c].dtype)
        if c != "population":
            assert ours[c].dtype == ref[c].dtype, (c, ours[c].dtype, ref[c].dtype)
        np.testing.assert_array_equal(ours[c].to_numpy().astype(str), ref[c].to_numpy().astype(str))


def test_in_memory_columns(bst):
    _same_frame(_filled(SpikeTrains).to_dataframe(), _filled(bst.SpikeTrains).to_dataframe())


@pytest.mark.parametrize("kind", ["h5", "csv"])
def test_loaded_columns(bst, tmp_path, kind):
    """(bmtk 1.2.0 cannot load the NWB units table its own to_nwb writes, so NWB is left out here.)"""
    src = _filled(bst.SpikeTrains)
    path = tmp_path / f"spikes.{kind}"
    if kind == "h5":
        src.to_sonata(str(path), sort_order=bst.sort_order.by_time)
    else:
        src.to_csv(str(path))
    ref = bst.SpikeTrains.load(str(path))
    ours = SpikeTrains.load(str(path))
    for kwargs in ({}, {"with_population_col": False}):
        _same_frame(ours.to_dataframe(**kwargs), ref.to_dataframe(**kwargs))


def test_written_file_types(bst, tmp_path):
    """node_ids are int64 as bmtk writes them; bmtk reads the same sorting label from our file as
    from its own. Our group attribute is the SONATA spec's enum (libsonata refuses bmtk's string
    there) and the string sits on node_ids, where bmtk's reader looks first."""
    libsonata = require_module("libsonata")
    for order in ("by_time", "by_id", "none"):
        ours_path, ref_path = tmp_path / f"ours_{order}.h5", tmp_path / f"ref_{order}.h5"
        _filled(SpikeTrains).to_sonata(str(ours_path), sort_order=order)
        _filled(bst.SpikeTrains).to_sonata(str(ref_path), sort_order=getattr(bst.sort_order, order))
        with h5py.File(ours_path, "r") as a, h5py.File(ref_path, "r") as b:
            assert a["spikes/V1/node_ids"].dtype == b["spikes/V1/node_ids"].dtype
            assert a["spikes/V1/timestamps"].dtype == b["spikes/V1/timestamps"].dtype
        assert (bst.SpikeTrains.load(str(ours_path)).sort_order(population="V1")
                == bst.SpikeTrains.load(str(ref_path)).sort_order(population="V1"))
        assert str(libsonata.SpikeReader(str(ours_path))["V1"].sorting) == order
    assert sort_order.by_time.value == "by_time"
