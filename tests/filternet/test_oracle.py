"""Oracle: bmtk 1.2.0's FilterNet and bmtk-rs on the same configs; every cell's rate time course
must agree within 1e-6 relative (1e-9 absolute). bmtk runs in a subprocess; tstop is shortened
for test time; data are read in place and outputs go to tmp dirs."""

import h5py
import numpy as np
import pytest
from ._cases import compare_rates, flat_config, make_movie, movie_edit, run_bmtk, run_rs
from ..conftest import require_module


@pytest.fixture(scope="module", autouse=True)
def _oracle():
    require_module("bmtk")


def _run_both(tmp_path, example_dir, sim_name, tstop=None, edit=None):
    pb = flat_config(example_dir, sim_name, tmp_path / "bmtk", tstop=tstop, edit=edit)
    pr = flat_config(example_dir, sim_name, tmp_path / "rs", tstop=tstop, edit=edit)
    run_bmtk(pb, tmp_path)
    sim = run_rs(pr)
    return tmp_path / "bmtk", tmp_path / "rs", sim


def _flash_edit(conf):
    ffm = conf["inputs"]["full_field_flash"]
    ffm["t_on"], ffm["t_off"] = 150.0, 350.0
    conf["output"]["rates_h5"] = "rates.h5"


def test_tutorial_flash(bmtk_data, tmp_path):
    """The Mouse L4 tutorial's LGN (100 cells, sON/sOFF) on a full-field flash, exact evaluation."""
    ref, out, _ = _run_both(tmp_path, bmtk_data / "tutorial_l4", "config.filternet.json", tstop=500.0,
                            edit=_flash_edit)
    df = compare_rates(ref / "rates.csv", out / "rates.csv")
    assert df["node_id"].nunique() == 100
    # the flash must drive the cells away from their spontaneous rates (the test is not vacuous)
    spread = df.groupby("node_id")["firing_rates"].agg(lambda r: r.max() - r.min())
    assert (spread > 1.0).all()
    # the csv has bmtk's layout: same header, CRLF lines, node/population/time fields written alike
    la = (ref / "rates.csv").read_bytes().split(b"\r\n")
    lb = (out / "rates.csv").read_bytes().split(b"\r\n")
    assert len(la) == len(lb) and la[0] == lb[0]
    assert [x.rsplit(b" ", 1)[0] for x in la] == [x.rsplit(b" ", 1)[0] for x in lb]
    with h5py.File(ref / "rates.h5", "r") as a, h5py.File(out / "rates.h5", "r") as b:
        ga, gb = a["firing_rates/LGN"], b["firing_rates/LGN"]
        np.testing.assert_array_equal(ga["node_id"][()], gb["node_id"][()])
        np.testing.assert_array_equal(ga["times"][()], gb["times"][()])
        assert ga["firing_rates_Hz"].shape == gb["firing_rates_Hz"].shape
        np.testing.assert_allclose(gb["firing_rates_Hz"][()], ga["firing_rates_Hz"][()], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("example", ["filter_graitings", "filter_graitings_preset"])
def test_gratings(bmtk_data, tmp_path, example):
    """Drifting gratings on tOFF, sONsOFF and sONtOFF cells (separable evaluation), with
    parameters from dynamics_params json or preset on the nodes."""
    ref, out, _ = _run_both(tmp_path, bmtk_data / "examples" / example, "config.simulation.json", tstop=500.0)
    df = compare_rates(ref / "rates.csv", out / "rates.csv")
    assert df["node_id"].nunique() == 84


def test_looming(bmtk_data, tmp_path):
    """The looming disc (evaluated separably: bmtk's exact evaluation of 1.5 s takes > 10 min)."""

    def edit(conf):
        conf["inputs"]["LGN_spikes"]["evaluation_options"] = {"separable": True}

    ref, out, _ = _run_both(tmp_path, bmtk_data / "examples" / "filter_looming", "config.simulation.json",
                            edit=edit)
    compare_rates(ref / "rates.csv", out / "rates.csv")


@pytest.mark.parametrize("normalize", [True, False])
def test_movie(bmtk_data, tmp_path, normalize):
    """LGNOnOFFCell on a movie file made here (8-bit, normalised to [-1, 1] or kept as 0..255,
    30 frames/s, pixel pitch 4 deg, evaluated exactly on a t_min..t_max window)."""
    movie = make_movie(tmp_path / "movie.npy")
    ref, out, _ = _run_both(tmp_path, bmtk_data / "examples" / "filter_movie", "config.simulation.json",
                            edit=movie_edit(movie, normalize=normalize))
    df = compare_rates(ref / "rates.csv", out / "rates.csv")
    assert df["timestamps"].min() == pytest.approx(3.0)
    assert df["firing_rates"].std() > 0.1


def test_gratings_rotated_fields_and_options(bmtk_data, tmp_path):
    """Rotated receptive fields (spatial_rotation), a grating at 500 frames/s with other
    orientation, phase, y_dir and an explicit pixel pitch; exact (non-separable) evaluation
    on a downsampled grid."""
    example = bmtk_data / "examples" / "filter_graitings"
    lines = (example / "network" / "lgn_node_types.csv").read_text().splitlines()
    rot = ["30.0", "75.0", "150.0"]
    out_lines = [lines[0] + " spatial_rotation"] + [ln + " " + rot[i % 3] for i, ln in enumerate(lines[1:])]
    (tmp_path / "types.csv").write_text("\n".join(out_lines) + "\n")

    def edit(conf):
        conf["networks"]["nodes"][0]["node_types_file"] = str(tmp_path / "types.csv")
        g = conf["inputs"]["LGN_spikes"]
        g.update(frame_rate=500.0, theta=30.0, phase=45.0, y_dir="up", degrees_per_pixel=3.0, cpd=0.05,
                 gray_screen_dur=100.0)
        g["evaluation_options"] = {"downsample": 5}

    ref, out, _ = _run_both(tmp_path, example, "config.simulation.json", tstop=400.0, edit=edit)
    df = compare_rates(ref / "rates.csv", out / "rates.csv")
    assert df["firing_rates"].std() > 0.1
