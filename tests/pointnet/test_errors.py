"""Bad PointNet inputs stop the build with an error that names the culprit, before any output."""

import json
import os

import pandas as pd
import pytest

from bmtk_rs.simulator import pointnet
from bmtk_rs.utils.reports.spike_trains import SpikeTrains

from . import networks


def _build_and_run(config):
    conf = pointnet.Config.from_json(config)
    conf.build_env()
    net = pointnet.PointNetwork.from_config(conf)
    sim = pointnet.PointSimulator.from_config(conf, net)
    sim.run()


def _edit_csv(path, col, value):
    df = pd.read_csv(path, sep=" ")
    df[col] = value
    df.to_csv(path, sep=" ", index=False)


@pytest.fixture
def case_dir(tmp_path):
    config = networks.build("iaf_psc_alpha", str(tmp_path), tstop=20.0, dt=0.1)
    return tmp_path, config


def _expect(config, tmp_path, *words):
    with pytest.raises(pointnet.ConfigError) as e:
        _build_and_run(config)
    for w in words:
        assert w in str(e.value), str(e.value)
    assert not os.path.exists(tmp_path / "output" / "spikes.h5")


def test_unknown_model(case_dir):
    d, config = case_dir
    _edit_csv(d / "network" / "cells_node_types.csv", "model_template", "nest:hh_psc_alpha")
    _expect(config, d, "hh_psc_alpha", "iaf_psc_alpha", "glif_psc")


def test_unknown_parameter(case_dir):
    d, config = case_dir
    with open(d / "components" / "cell_models" / "cell.json", "w") as fh:
        json.dump({"tau_mem": 10.0}, fh)
    _expect(config, d, "tau_mem", "node type")


def test_glif_json_missing_keys(case_dir):
    d, config = case_dir
    _edit_csv(d / "network" / "cells_node_types.csv", "model_template", "nest:glif_lif_asc_psc")
    with open(d / "components" / "cell_models" / "cell.json", "w") as fh:
        json.dump({"type": "GLIF", "El_reference": -0.07, "El": 0.0}, fh)
    _expect(config, d, "coeffs", "cell.json")


def test_delay_below_dt(case_dir):
    d, config = case_dir
    _edit_csv(d / "network" / "cells_cells_edge_types.csv", "delay", 0.04)
    _expect(config, d, "below the resolution", "cells_cells")


def test_receptor_port_out_of_range(case_dir):
    d, config = case_dir
    with open(d / "components" / "synaptic_models" / "in.json", "w") as fh:
        json.dump({"receptor_type": 3}, fh)
    _expect(config, d, "receptor_type 3")


def test_spike_file_of_unknown_population(case_dir):
    d, config = case_dir
    trains = SpikeTrains()
    trains.add_spikes([0, 1], [5.0, 6.0], population="lgn")
    trains.add_spikes([0], [5.0], population="tw")
    trains.to_sonata(str(d / "inputs" / "spikes.h5"))
    _expect(config, d, "inputs", "lgn")


def test_glif_conversion_matches_bmtk():
    """convert_aibs2nest on an Allen-style GLIF json gives bmtk 1.2.0's NEST parameters."""
    from tests.conftest import require_module
    require_module("nest")
    from bmtk.simulator.pointnet.glif_utils import convert_aibs2nest as bmtk_convert

    from bmtk_rs.simulator.pointnet.glif_utils import convert_aibs2nest

    cfg = {"type": "GLIF", "El_reference": -0.0712, "El": 0.0, "th_inf": 0.0262, "R_input": 2.1e8, "C": 9.3e-11,
           "spike_cut_length": 30, "dt": 5e-05, "init_AScurrents": [0.0, 0.0], "asc_tau_array": [0.33, 0.01],
           "asc_amp_array": [-2.1e-11, -1.3e-10],
           "coeffs": {"th_inf": 1.02, "G": 1.0, "C": 1.1, "asc_amp_array": [1.0, 0.9], "a": 1.3, "b": 0.8},
           "threshold_dynamics_method": {"params": {"a_spike": 0.002, "b_spike": 90.0, "a_voltage": 5.0,
                                                    "b_voltage": 40.0}},
           "voltage_reset_method": {"params": {"a": 0.5, "b": 0.004}}}
    for variant in ("glif_lif_psc", "glif_lif_r_psc", "glif_lif_asc_psc", "glif_lif_r_asc_psc",
                    "glif_lif_r_asc_a_psc"):
        ref_t, ref = bmtk_convert(f"nest:{variant}", dict(cfg))
        got_t, got = convert_aibs2nest(f"nest:{variant}", dict(cfg))
        assert got_t == ref_t == "nest:glif_psc"
        assert set(got) == set(ref), variant
        for k, v in ref.items():
            assert got[k] == pytest.approx(list(v) if hasattr(v, "__len__") else v, rel=1e-12), (variant, k)
