"""Spike trains drawn from the rates: SONATA layout, reproducible per seed, and statistically
consistent with the rate time courses."""

import h5py
import numpy as np
import pandas as pd
from ._cases import flat_config, run_rs
from ..conftest import require_module


def _run(bmtk_data, tmp_path, name, seed):
    def edit(conf):
        conf["run"]["random_seed"] = seed
        conf["output"]["spikes_file"] = "spikes.h5"
        conf["output"]["spikes_file_csv"] = "spikes.csv"

    cfg = flat_config(bmtk_data / "tutorial_l4", "config.filternet.json", tmp_path / name, tstop=2000.0, edit=edit)
    run_rs(cfg)
    return tmp_path / name


def test_spikes_follow_rates(bmtk_data, tmp_path):
    out = _run(bmtk_data, tmp_path, "a", seed=11)
    rates = pd.read_csv(out / "rates.csv", sep=" ")
    with h5py.File(out / "spikes.h5", "r") as h5:
        grp = h5["spikes/LGN"]
        assert h5py.check_enum_dtype(grp.attrs.get_id("sorting").dtype) == {"none": 0, "by_id": 1, "by_time": 2}
        assert grp.attrs["sorting"] == 1  # by_id
        assert grp["timestamps"].attrs["units"] == "ms"
        ts = grp["timestamps"][()]
        ids = grp["node_ids"][()]
    assert np.all(np.diff(ids.astype(np.int64)) >= 0)
    csv = pd.read_csv(out / "spikes.csv", sep=" ")
    assert list(csv.columns) == ["timestamps", "population", "node_ids"]
    np.testing.assert_allclose(csv["timestamps"].to_numpy(), ts)
    assert (csv["node_ids"].to_numpy() == ids).all()
    assert ts.min() >= 0.0 and ts.max() <= 2000.0

    # expected counts: the rate at t[k] holds on [t[k], t[k+1])
    n_total_expected = 0.0
    z = []
    for nid, g in rates.groupby("node_id"):
        t_ms = g["timestamps"].to_numpy() * 1000.0
        r = g["firing_rates"].to_numpy()
        lam = np.sum(r[:-1] * np.diff(t_ms) / 1000.0)
        n = np.sum(ids == nid)
        z.append((n - lam) / np.sqrt(max(lam, 1.0)))
        n_total_expected += lam
    z = np.asarray(z)
    assert np.abs(z).max() < 5.0
    assert abs(len(ts) - n_total_expected) < 5 * np.sqrt(n_total_expected)
    # the time course matters too: spikes during the flash (t_on=500, t_off=1500 ms) vs. expected
    sel = (rates["timestamps"] >= 0.5) & (rates["timestamps"] < 1.5)
    lam_on = rates.loc[sel, "firing_rates"].sum() * 0.001
    n_on = np.sum((ts >= 500.0) & (ts < 1500.0))
    assert abs(n_on - lam_on) < 5 * np.sqrt(lam_on)


def test_spikes_readable_by_bmtk(bmtk_data, tmp_path):
    """The spikes file feeds bmtk's spike-train reader (what BioNet's spike inputs use)."""
    require_module("bmtk")
    from bmtk.utils.reports.spike_trains import SpikeTrains

    out = _run(bmtk_data, tmp_path, "a", seed=3)
    with h5py.File(out / "spikes.h5", "r") as h5:
        n = len(h5["spikes/LGN/timestamps"])
    st = SpikeTrains.load(str(out / "spikes.h5"))
    assert list(st.populations) == ["LGN"]
    df = st.to_dataframe()
    assert len(df) == n > 0
    assert set(df["node_ids"]) <= set(range(100))
    st_csv = SpikeTrains.load(str(out / "spikes.csv"))
    assert len(st_csv.to_dataframe()) == n
    libsonata = require_module("libsonata")
    pop = libsonata.SpikeReader(str(out / "spikes.h5"))["LGN"]
    assert len(pop.get()) == n


def test_spikes_reproducible_per_seed(bmtk_data, tmp_path):
    a = _run(bmtk_data, tmp_path, "a", seed=5)
    b = _run(bmtk_data, tmp_path, "b", seed=5)
    c = _run(bmtk_data, tmp_path, "c", seed=6)
    assert (a / "spikes.csv").read_bytes() == (b / "spikes.csv").read_bytes()
    assert (a / "spikes.csv").read_bytes() != (c / "spikes.csv").read_bytes()
