"""Analyzer plots from a simulation's config: BMTK's stored NEURON outputs (bio_1cell) and a
FilterNet run; each writes a non-empty image, and bad names give clear errors."""

import json

import matplotlib
import numpy as np
import pytest

from bmtk_rs.analyzer.compartment import plot_traces
from bmtk_rs.analyzer.spike_trains import plot_raster, plot_rates, to_dataframe
from ..conftest import require_module

matplotlib.use("Agg")


@pytest.fixture
def bio_1cell(bmtk_data, monkeypatch):
    # bmtk resolves the config's "$BASE_DIR": "." against the working directory.
    monkeypatch.chdir(bmtk_data / "examples" / "bio_1cell")
    return "config.simulation_iclamp.json"


def test_raster_rates_and_traces_from_stored_outputs(bio_1cell, tmp_path):
    h5py = require_module("h5py")
    df = to_dataframe(bio_1cell)
    with h5py.File("output_iclamp/spikes.h5", "r") as h:
        pop = list(h["spikes"])[0]
        np.testing.assert_array_equal(np.sort(df["timestamps"].to_numpy()), np.sort(h["spikes"][pop]["timestamps"][()]))
    for fn, name in ((plot_raster, "raster.png"), (plot_rates, "rates.png")):
        fig = fn(config_file=bio_1cell, show=False, save_as=str(tmp_path / name))
        assert fig is not None and (tmp_path / name).stat().st_size > 5000
    fig = plot_traces(config_file=bio_1cell, report_name="membrane_potential", show=False,
                      save_as=str(tmp_path / "traces.png"))
    line = fig.axes[0].lines[-1]  # the mean trace of the one cell = its soma trace
    with h5py.File("output_iclamp/membrane_potential.h5", "r") as h:
        np.testing.assert_allclose(line.get_ydata(), h["report/biocell/data"][()][:, 0])
    assert (tmp_path / "traces.png").stat().st_size > 5000


def test_group_by_and_errors(bio_1cell, tmp_path):
    fig = plot_raster(config_file=bio_1cell, group_by="model_type", show=False)
    assert fig.axes[0].get_legend() is not None
    with pytest.raises(ValueError, match="report 'ecp' is not in"):
        plot_traces(config_file=bio_1cell, report_name="ecp", show=False)
    with pytest.raises(ValueError, match="has the attribute 'no_such_attribute'"):
        plot_raster(config_file=bio_1cell, group_by="no_such_attribute", show=False)
    with pytest.raises(FileNotFoundError, match="missing.json"):
        plot_raster(config_file=str(tmp_path / "missing.json"), show=False)


def test_filternet_output_raster_by_model_template(bmtk_data, tmp_path, monkeypatch):
    from bmtk_rs.simulator import filternet

    tut = bmtk_data / "tutorial_l4"
    (tmp_path / "network").symlink_to(tut / "network")
    (tmp_path / "components").symlink_to(tut / "components")
    conf = json.loads((tut / "config.filternet.json").read_text())
    conf["run"]["tstop"] = 1000.0
    conf["run"]["random_seed"] = 3
    (tmp_path / "config.filternet.json").write_text(json.dumps(conf))
    monkeypatch.chdir(tmp_path)
    c = filternet.Config.from_json("config.filternet.json")
    c.build_env()
    sim = filternet.FilterSimulator.from_config(c, filternet.FilterNetwork.from_config(c))
    sim.run()
    fig = plot_raster(config_file="config.filternet.json", group_by="model_template", show=False,
                      save_as=str(tmp_path / "lgn.png"))
    labels = sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    assert labels == ["lgnmodel:sOFF_TF8", "lgnmodel:sON_TF8"]
    assert (tmp_path / "lgn.png").stat().st_size > 5000
