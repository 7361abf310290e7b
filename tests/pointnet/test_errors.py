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


def test_allen_glif_json_on_glif_cond(case_dir):
    """bmtk converts Allen GLIF files for nest:glif_lif_*_psc only; on glif_cond the file is refused."""
    d, config = case_dir
    _edit_csv(d / "network" / "cells_node_types.csv", "model_template", "nest:glif_cond")
    with open(d / "components" / "cell_models" / "cell.json", "w") as fh:
        json.dump({"type": "GLIF", "El_reference": -0.07, "El": 0.0}, fh)
    _expect(config, d, "type GLIF", "glif_lif_psc", "glif_cond")


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


# ---- the models' own checks, each one NEST makes too (the oracle is asked in one subprocess) ------

# case -> (network case, cell parameters replacing the case's, words the error must contain)
BAD_PARAMS = {
    "iaf_cond_reset_above_threshold": ("iaf_cond_exp", {"V_reset": -50.0}, ("V_reset", "V_th")),
    "iaf_cond_alpha_negative_tau": ("iaf_cond_alpha", {"tau_syn_in": -1.0}, ("tau_syn_in",)),
    "aeif_peak_below_threshold": ("aeif_cond_alpha", {"V_peak": -60.0}, ("V_peak", "V_th")),
    "aeif_zero_tolerance": ("aeif_cond_exp", {"gsl_error_tol": 0.0}, ("gsl_error_tol",)),
    "aeif_exp_overflow": ("aeif_cond_exp", {"Delta_T": 0.001, "V_peak": 10.0}, ("Delta_T", "overflow")),
    "glif_cond_ports_mismatch": ("glif_cond_lif", {"tau_syn": [1.0, 2.0, 3.0], "E_rev": [0.0, -85.0]},
                                 ("E_rev", "tau_syn")),
    "glif_cond_bad_variant": ("glif_cond_lif", {"adapting_threshold": True}, ("adapting_threshold",)),
    "izhikevich_unknown_parameter": ("izhikevich", {"tau_m": 10.0}, ("tau_m",)),
}


def _nest_raises(items):
    import subprocess
    import sys

    from tests.conftest import require_module

    require_module("nest")
    p = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "nest_raises.py"), json.dumps(items)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def _cell_params(case, changes):
    model, params = networks.CASES[case][:2]
    if case.startswith("glif_cond"):
        params = {k: v for k, v in params.items() if k not in ("tau_syn", "E_rev")}
    return model, dict(params, **changes)


def test_nest_refuses_the_bad_parameters_too():
    items = [dict(zip(("model", "params"), _cell_params(case, changes)))
             for case, changes, _ in BAD_PARAMS.values()]
    refused = _nest_raises(items)
    assert all(refused), dict(zip(BAD_PARAMS, refused))


@pytest.mark.parametrize("name", sorted(BAD_PARAMS))
def test_bad_model_parameters(tmp_path, name):
    case, changes, words = BAD_PARAMS[name]
    config = networks.build(case, str(tmp_path), tstop=20.0, dt=0.1)
    with open(tmp_path / "components" / "cell_models" / "cell.json", "w") as fh:
        json.dump(_cell_params(case, changes)[1], fh)
    _expect(config, tmp_path, "node type", *words)


def test_receptor_of_conductance_models(tmp_path):
    """iaf_cond_*/aeif_cond_* have receptor 0 only, glif_cond ports 1..n: NEST refuses the others."""
    assert all(_nest_raises([{"model": "iaf_cond_alpha", "receptor": 1}, {"model": "glif_cond", "receptor": 0},
                             {"model": "aeif_cond_exp", "receptor": 2}]))
    for case, port in (("iaf_cond_alpha", 1), ("glif_cond_lif", 0), ("aeif_cond_exp", 2)):
        d = tmp_path / case
        config = networks.build(case, str(d), tstop=20.0, dt=0.1)
        with open(d / "components" / "synaptic_models" / "in.json", "w") as fh:
            json.dump({"receptor_type": port}, fh)
        _expect(config, d, f"receptor_type {port}", "inputs_cells")


def test_negative_weight_on_glif_cond(tmp_path):
    """NEST adds a negative weight on a glif_cond port as a negative conductance without a word (the
    membrane is pushed away from E_rev); bmtk-rs refuses it, naming the edges."""
    assert _nest_raises([{"model": "glif_cond", "weight": -5.0, "receptor": 1}]) == [None]
    config = networks.build("glif_cond_lif", str(tmp_path), tstop=20.0, dt=0.1)
    _edit_csv(tmp_path / "network" / "cells_cells_edge_types.csv", "syn_weight", -3.0)
    _expect(config, tmp_path, "cells_cells", "weight -3", "glif_cond")


def test_numerical_instability_stops_the_run(tmp_path):
    """An adaptation jump that NEST's aeif models call unstable (|w| > 1e6 pA) stops the run with an
    error naming the cell, as NEST stops with NumericalInstability; no spike file is left."""
    params = {"b": 2.0e6, "I_e": 1000.0}
    assert _nest_raises([{"model": "aeif_cond_exp", "params": params}]) == ["NumericalInstability"]
    config = networks.build("aeif_cond_exp", str(tmp_path), tstop=100.0, dt=0.1)
    with open(tmp_path / "components" / "cell_models" / "cell.json", "w") as fh:
        json.dump(params, fh)
    with pytest.raises(RuntimeError) as e:
        _build_and_run(config)
    assert "numerical instability" in str(e.value) and "cells" in str(e.value), str(e.value)
    assert not os.path.exists(tmp_path / "output" / "spikes.h5")
