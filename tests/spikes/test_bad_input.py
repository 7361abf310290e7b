"""Bad input gives a clear exception naming the file or key, and never leaves a partial file."""

import os
import shutil

import numpy as np
import pytest
from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator, SpikeTrains


def listing(d):
    return sorted(os.listdir(d))


@pytest.mark.parametrize("rate", [-1.0, np.array([1.0, -2.0]), float("nan")])
def test_negative_or_nan_rate(rate):
    g = PoissonSpikeGenerator(population="p", seed=1)
    times = (0.0, 1.0)
    with pytest.raises(ValueError, match="negative"):
        g.add(node_ids=[0, 1], firing_rate=rate, times=times)
    assert len(g) == 0


def test_callable_rate_going_negative():
    g = PoissonSpikeGenerator(population="p", seed=1)
    with pytest.raises(ValueError, match="negative"):
        g.add(node_ids=[0], firing_rate=lambda t: np.sin(2 * np.pi * t), times=(0.0, 1.0))


@pytest.mark.parametrize("times", [(2.0, 1.0), (1.0, 1.0), -3.0])
def test_times_reversed(times):
    g = PoissonSpikeGenerator(population="p", seed=1)
    with pytest.raises(ValueError, match="start and stop"):
        g.add(node_ids=[0], firing_rate=5.0, times=times)


def test_rate_series_times_not_increasing_or_mismatched():
    g = PoissonSpikeGenerator(population="p", seed=1)
    with pytest.raises(ValueError, match=r"times\[2\]"):
        g.add(node_ids=[0], firing_rate=[1.0, 2.0, 3.0], times=[0.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="equal length"):
        g.add(node_ids=[0], firing_rate=[1.0, 2.0, 3.0], times=[0.0, 2.0])


def test_bad_node_ids_and_refractory():
    g = PoissonSpikeGenerator(population="p", seed=1)
    with pytest.raises(ValueError, match="negative"):
        g.add(node_ids=[-1, 2], firing_rate=1.0)
    with pytest.raises(ValueError, match="integers"):
        g.add(node_ids=[0.5], firing_rate=1.0)
    with pytest.raises(ValueError, match="cannot be negative"):
        g.add(node_ids=[0], firing_rate=1.0, abs_ref=-0.1)
    with pytest.raises(ValueError, match="output_units"):
        PoissonSpikeGenerator(output_units="hours")
    st = SpikeTrains()
    with pytest.raises(ValueError, match="same length"):
        st.add_spikes([0, 1], [1.0])


def _tutorial_copy(bmtk_data, tmp_path):
    src = bmtk_data / "tutorial_l4" / "inputs" / "spikes.h5"
    dst = tmp_path / "spikes.h5"
    shutil.copy(src, dst)
    os.chmod(dst, 0o644)
    return dst


def test_unknown_population_on_read(bmtk_data, tmp_path):
    path = _tutorial_copy(bmtk_data, tmp_path)
    with pytest.raises(ValueError) as e:
        SpikeTrains.from_sonata(str(path), population="V1")
    assert "V1" in str(e.value) and str(path) in str(e.value)
    rs = SpikeTrains.from_sonata(str(path), population="LGN")
    assert rs.populations == ["LGN"]
    csv = bmtk_data / "tutorial_l4" / "inputs" / "spikes.csv"
    with pytest.raises(ValueError, match="V1"):
        SpikeTrains.from_nwb(str(_nwb(tmp_path)), population="V1")
    assert SpikeTrains.from_csv(str(csv)).n_spikes("V1") == 0


def _nwb(tmp_path):
    st = SpikeTrains(default_population="LGN")
    st.add_spikes([1, 2], [3.0, 4.0])
    path = tmp_path / "x.nwb"
    st.to_nwb(str(path))
    return path


def test_corrupt_and_truncated_files(bmtk_data, tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(OSError) as e:
        SpikeTrains.from_sonata(str(junk))
    assert str(junk) in str(e.value)

    whole = _tutorial_copy(bmtk_data, tmp_path)
    data = whole.read_bytes()
    for frac in (0.9, 0.5, 0.1):
        cut = tmp_path / f"cut{int(frac * 100)}.h5"
        cut.write_bytes(data[: int(len(data) * frac)])
        with pytest.raises((OSError, ValueError)) as e:
            SpikeTrains.from_sonata(str(cut))
        assert str(cut) in str(e.value)

    missing = tmp_path / "nope.h5"
    with pytest.raises(OSError, match="no such file"):
        SpikeTrains.from_sonata(str(missing))
    with pytest.raises(OSError, match="no such file"):
        SpikeTrains.from_csv(str(tmp_path / "nope.csv"))

    not_spikes = tmp_path / "nodes.h5"
    shutil.copy(bmtk_data / "tutorial_l4" / "network" / "LGN_nodes.h5", not_spikes)
    with pytest.raises(ValueError, match="/spikes"):
        SpikeTrains.from_sonata(str(not_spikes))
    with pytest.raises(ValueError, match="NWB"):
        SpikeTrains.from_nwb(str(not_spikes))


def test_malformed_csv_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("timestamps population node_ids\n1.0 a 3\n2.0 a\n")
    with pytest.raises(ValueError, match="line 3"):
        SpikeTrains.from_csv(str(path))
    path.write_text("timestamps population node_ids\n1.0 a x3\n")
    with pytest.raises(ValueError, match="node id"):
        SpikeTrains.from_csv(str(path))


def test_failed_write_leaves_no_partial_file(tmp_path):
    st = SpikeTrains(default_population="a")
    st.add_spikes([0, 1], [1.0, 2.0])
    st.add_spikes([0], [3.0], population="b")
    # Units with a NUL byte cannot be stored: the error comes while the file is being written.
    st.set_units("m\x00s", population="b")
    before = listing(tmp_path)
    with pytest.raises(ValueError, match="units"):
        st.to_sonata(str(tmp_path / "s.h5"))
    assert listing(tmp_path) == before
    # NWB: a population name with a NUL byte fails while the units table is being written.
    nul = SpikeTrains(default_population="a")
    nul.add_spikes([0], [1.0])
    nul.add_spikes([1], [2.0], population="b\x00")
    with pytest.raises(ValueError, match="cannot be stored"):
        nul.to_nwb(str(tmp_path / "s.nwb"))
    assert listing(tmp_path) == before

    # A population name that cannot be a CSV field or an HDF5 group: refused, nothing written.
    bad = SpikeTrains(default_population="has space")
    bad.add_spikes([0], [1.0])
    with pytest.raises(ValueError, match="has space"):
        bad.to_csv(str(tmp_path / "x.csv"))
    slash = SpikeTrains(default_population="a/b")
    slash.add_spikes([0], [1.0])
    with pytest.raises(ValueError, match="a/b"):
        slash.to_sonata(str(tmp_path / "x.h5"))
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.h5").exists()
    assert not [f for f in listing(tmp_path) if f.endswith(".partial")]


def test_existing_file_survives_a_failed_overwrite(tmp_path):
    good = SpikeTrains(default_population="a")
    good.add_spikes([0, 1], [1.0, 2.0])
    path = tmp_path / "s.h5"
    good.to_sonata(str(path))
    bad = SpikeTrains(default_population="a")
    bad.add_spikes([5], [9.0])
    bad.set_units("m\x00s")
    with pytest.raises(ValueError):
        bad.to_sonata(str(path))
    assert SpikeTrains.from_sonata(str(path)) == good
    assert not [f for f in listing(tmp_path) if f.endswith(".partial")]


def test_unsupported_options():
    st = SpikeTrains()
    with pytest.raises(ValueError, match="mode"):
        st.to_sonata("x.h5", mode="a")
    with pytest.raises(ValueError, match="sort order"):
        st.to_sonata("x.h5", sort_order="sideways")
    with pytest.raises(ValueError, match="compression"):
        st.to_sonata("x.h5", compression="lzf")
    with pytest.raises(ValueError, match="file_type"):
        SpikeTrains.load("spikes.dat")


def test_destination_is_a_folder(tmp_path):
    """The rename into place fails: an error naming the path, and no temporary file left."""
    st = SpikeTrains(default_population="a")
    st.add_spikes([0], [1.0])
    target = tmp_path / "out.csv"
    target.mkdir()
    with pytest.raises(OSError, match="out.csv"):
        st.to_csv(str(target))
    assert listing(tmp_path) == ["out.csv"]
