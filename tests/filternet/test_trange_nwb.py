"""Movie `t_range` (the movie's time axis) and NWB spike output, against bmtk 1.2.0.

t_range: bmtk's Movie takes it as the time axis: frame_rate = 1/mean(diff(t_range)), the temporal
kernels are sampled at these times, the exact evaluation spans its ends (frames beyond the movie
are blank) and refuses unevenly spaced axes, the separable one accepts them. Every case runs the
same config through bmtk (subprocess) and bmtk-rs and compares every cell's rates.

NWB spikes (`spikes_file_nwb`): the spike trains are random, so the files are compared by layout
(groups, datasets, attributes, dtypes; bmtk's cached schema under /specifications aside). bmtk
1.2.0's SpikeTrains.from_nwb must treat both files alike (it fails on the units table its own
writer makes); pynwb and bmtk-rs read bmtk-rs's file back to the spikes
of the SONATA file of the same run."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

from ..conftest import require_module
from ._cases import BMTK_RUNNER, compare_rates, flat_config, make_movie, movie_edit, run_bmtk, run_rs

N_FRAMES = 130


@pytest.fixture(scope="module", autouse=True)
def _oracle():
    require_module("bmtk")


def _movie_case(tmp_path, bmtk_data, t_range, options):
    movie = make_movie(tmp_path / "movie.npy", n_frames=N_FRAMES)
    base = movie_edit(movie)

    def edit(conf):
        base(conf)
        inp = conf["inputs"]["movie_input"]
        inp["t_range"] = [float(t) for t in t_range]
        inp["frame_rate"] = 12345.0  # ignored when t_range is given (as in bmtk)
        inp["evaluation_options"] = options

    ex = bmtk_data / "examples" / "filter_movie"
    return (flat_config(ex, "config.simulation.json", tmp_path / "bmtk", edit=edit),
            flat_config(ex, "config.simulation.json", tmp_path / "rs", edit=edit))


def _both(tmp_path, bmtk_data, t_range, options):
    pb, pr = _movie_case(tmp_path, bmtk_data, t_range, options)
    run_bmtk(pb, tmp_path)
    run_rs(pr)
    return compare_rates(tmp_path / "bmtk" / "rates.csv", tmp_path / "rs" / "rates.csv")


CASES = {
    # offset axis: kernels sampled at 0.02 + j/30 s, the window addressed by t * frame_rate
    "offset": (0.02 + np.arange(N_FRAMES) / 30.0, {"t_min": 3.0, "t_max": 4.0}),
    # longer than the movie: the evaluation runs past the last frame into blank frames
    "longer": (np.arange(N_FRAMES + 40) / 25.0, {"t_min": 4.5, "t_max": 6.2}),
    # shorter than the movie: fewer kernel samples, the window ends at t_range[-1]
    "shorter": (np.arange(N_FRAMES - 60) / 40.0, {"t_min": 1.0}),
    # unevenly spaced axis, separable evaluation (output on the frame grid)
    "uneven_separable": (np.cumsum(np.r_[0.0, 0.03 + 0.01 * np.sin(np.arange(N_FRAMES - 1))]),
                         {"separable": True}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_t_range(bmtk_data, tmp_path, case):
    t_range, options = CASES[case]
    df = _both(tmp_path, bmtk_data, t_range, options)
    assert df["firing_rates"].std() > 0.1


def test_uneven_t_range_exact_fails_like_bmtk(bmtk_data, tmp_path):
    """bmtk's exact evaluation asserts an evenly spaced axis; bmtk-rs refuses it with a message."""
    t_range = CASES["uneven_separable"][0]
    pb, pr = _movie_case(tmp_path, bmtk_data, t_range, {"t_min": 1.0, "t_max": 1.5})
    r = subprocess.run([sys.executable, "-c", BMTK_RUNNER, str(pb)], capture_output=True, text=True,
                       timeout=600, cwd=str(tmp_path))
    assert r.returncode != 0 and "AssertionError" in r.stderr, r.stderr[-2000:]
    with pytest.raises(Exception, match="t_range is not evenly spaced"):
        run_rs(pr)


def _nwb_layout(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if name.startswith("specifications"):
                # pynwb caches the schema in bmtk's file; the shared Rust NWB writer does not
                # (readers do not need it): compared apart from that
                return
            attrs = sorted(k for k in obj.attrs if k != "object_id")
            kind = type(obj).__name__
            dtype = obj.dtype.kind if isinstance(obj, h5py.Dataset) else None
            out[name] = (kind, attrs, dtype)
        f.visititems(visit)
    return out


def test_spikes_nwb(bmtk_data, tmp_path):
    require_module("pynwb")

    def edit(conf):
        ffm = conf["inputs"]["full_field_flash"]
        ffm["t_on"], ffm["t_off"] = 150.0, 350.0
        conf["output"]["spikes_file_nwb"] = "spikes.nwb"
        conf["output"]["spikes_file"] = "spikes.h5"
        conf["run"]["random_seed"] = 11

    ex = bmtk_data / "tutorial_l4"
    pb = flat_config(ex, "config.filternet.json", tmp_path / "bmtk", tstop=500.0, edit=edit)
    pr = flat_config(ex, "config.filternet.json", tmp_path / "rs", tstop=500.0, edit=edit)
    run_bmtk(pb, tmp_path)
    run_rs(pr)
    ref, ours = tmp_path / "bmtk" / "spikes.nwb", tmp_path / "rs" / "spikes.nwb"
    a, b = _nwb_layout(ref), _nwb_layout(ours)
    # units with spikes differ run to run; the layout must not
    assert sorted(a) == sorted(b), sorted(set(a) ^ set(b))
    for k in a:
        assert a[k] == b[k], (k, a[k], b[k])

    # bmtk 1.2.0's SpikeTrains.from_nwb reads only its older /processing/<trial>/spike_train layout,
    # not the units table its own to_nwb writes: it must treat both files alike
    script = """
import sys
from bmtk.utils.reports.spike_trains import SpikeTrains
try:
    print(len(SpikeTrains.from_nwb(sys.argv[1]).to_dataframe()))
except Exception as e:
    print('error', e)
"""
    outs = []
    for f in (ref, ours):
        r = subprocess.run([sys.executable, "-c", script, str(f)], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        outs.append(r.stdout.strip().splitlines()[-1])
    assert outs[0] == outs[1], outs

    # bmtk-rs's SpikeTrains reads the NWB file back to the spikes of the run's SONATA file
    from bmtk_rs.utils.reports.spike_trains import SpikeTrains

    df1 = SpikeTrains.from_nwb(ours).to_dataframe().sort_values(["node_ids", "timestamps"])
    df2 = SpikeTrains.from_sonata(tmp_path / "rs" / "spikes.h5").to_dataframe().sort_values(
        ["node_ids", "timestamps"])
    assert len(df1) == len(df2) > 100
    np.testing.assert_array_equal(df1["node_ids"].to_numpy(), df2["node_ids"].to_numpy())
    np.testing.assert_allclose(df1["timestamps"].to_numpy(), df2["timestamps"].to_numpy(), rtol=0, atol=1e-9)
    assert set(df1["population"]) == {"LGN"}

    import pynwb

    with pynwb.NWBHDF5IO(str(ours), "r") as io:
        units = io.read().units.to_dataframe()
    assert len(units) > 10 and set(units["population"]) == {"LGN"}
    assert (units.index.to_numpy() == units["node_id"].to_numpy()).all()
