"""A network built here with bmtk-rs's NetworkBuilder, with filter parameters given per node
(spont_fr, spatial_size, tuning angle, jitter bounds on the nodes; model and json per type) and per type,
run by bmtk 1.2.0 and bmtk-rs on a flash."""

import json

import numpy as np
import pytest
from ._cases import compare_rates, run_bmtk, run_rs
from ..conftest import require_module


def _network(tmp_path, jitter):
    from bmtk_rs.builder.networks import NetworkBuilder

    rng = np.random.default_rng(3)
    net = NetworkBuilder("lgn")
    n = 6
    for model in ("tOFF_TF8", "tOFF_TF15"):
        props = {"x": rng.uniform(20, 100, 3), "y": rng.uniform(20, 60, 3), "spatial_size": rng.uniform(2, 6, 3)}
        if jitter:
            props.update(jitter_lower=np.ones(3), jitter_upper=np.ones(3))
        net.add_nodes(N=3, model_type="virtual", model_template="lgnmodel:" + model,
                      dynamics_params=model + ".json", spont_fr=rng.uniform(1.0, 5.0, 3), **props)
    props = {"x": rng.uniform(20, 100, n), "y": rng.uniform(20, 60, n), "spatial_size": rng.uniform(2, 6, n)}
    if jitter:
        props.update(jitter_lower=np.ones(n), jitter_upper=np.ones(n))
    net.add_nodes(N=n, model_type="virtual", model_template="lgnmodel:sONsOFF_001",
                  dynamics_params="sOFF_TF4.json", non_dom_params="sON_TF4.json", sf_sep=6.0,
                  tuning_angle=rng.uniform(0, 360, n), **props)
    net.build()
    out = tmp_path / ("net_j" if jitter else "net")
    net.save_nodes(output_dir=str(out))
    return out


def _config(bmtk_data, tmp_path, netdir, name):
    conf = {
        "manifest": {"$BASE_DIR": str(tmp_path)},
        "networks": {"nodes": [{"nodes_file": str(netdir / "lgn_nodes.h5"),
                                "node_types_file": str(netdir / "lgn_node_types.csv")}]},
        "components": {"filter_models_dir": str(bmtk_data / "tutorial_l4" / "components" / "filter_models")},
        "run": {"tstop": 400.0, "dt": 0.1},
        "inputs": {"flash": {"input_type": "movie", "module": "full_field_flash", "row_size": 80, "col_size": 120,
                             "t_on": 100.0, "t_off": 250.0, "max_intensity": 1.0, "frame_rate": 1000.0}},
        "output": {"output_dir": str(tmp_path / name), "rates_csv": "rates.csv"},
    }
    path = tmp_path / (name + ".json")
    path.write_text(json.dumps(conf))
    return path


@pytest.mark.parametrize("jitter", [False, True])
def test_node_level_parameters(bmtk_data, tmp_path, jitter):
    require_module("bmtk")
    if not (bmtk_data / "tutorial_l4" / "components" / "filter_models" / "sON_TF4.json").exists():
        pytest.skip("filter json not available")
    netdir = _network(tmp_path, jitter)
    run_bmtk(_config(bmtk_data, tmp_path, netdir, "bmtk"), tmp_path)
    run_rs(_config(bmtk_data, tmp_path, netdir, "rs"))
    df = compare_rates(tmp_path / "bmtk" / "rates.csv", tmp_path / "rs" / "rates.csv")
    assert df["node_id"].nunique() == 12
