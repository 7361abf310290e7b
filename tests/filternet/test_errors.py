"""Bad input gives a clear Python exception naming the file/key, and leaves no output file."""

import json

import numpy as np
import pytest
from ._cases import flat_config, run_rs


def _setup(bmtk_data, tmp_path, example="filter_movie", edit=None):
    return flat_config(bmtk_data / "examples" / example, "config.simulation.json", tmp_path / "out", edit=edit)


def _movie_cfg(path, **extra):
    def edit(conf):
        inp = conf["inputs"]["movie_input"]
        inp["data_file"] = str(path)
        inp.pop("evaluation_options", None)
        inp.update(extra)
    return edit


def _no_outputs(tmp_path):
    out = tmp_path / "out"
    return not out.exists() or not any(p.name.startswith(("rates", "spikes", ".rates", ".spikes"))
                                       for p in out.iterdir())


def test_movie_wrong_ndim(bmtk_data, tmp_path):
    mp = tmp_path / "flat.npy"
    np.save(mp, np.zeros((10, 20)))
    cfg = _setup(bmtk_data, tmp_path, edit=_movie_cfg(mp, frame_rate=30.0))
    with pytest.raises(ValueError, match=r"flat\.npy.*3-d array.*2 dimension"):
        run_rs(cfg)
    assert _no_outputs(tmp_path)


def test_movie_without_frame_rate(bmtk_data, tmp_path):
    mp = tmp_path / "m.npy"
    np.save(mp, np.zeros((5, 40, 40)))

    def edit(conf):
        _movie_cfg(mp)(conf)
        conf["inputs"]["movie_input"].pop("frame_rate", None)

    cfg = _setup(bmtk_data, tmp_path, edit=edit)
    with pytest.raises(ValueError, match=r"movie_input.*m\.npy.*'frame_rate'"):
        run_rs(cfg)
    assert _no_outputs(tmp_path)


def test_filter_json_missing_key(bmtk_data, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "lgn_on_off_model.json").write_text(json.dumps({"opt_wts": [0.4, -0.3], "opt_delays": [1.0, 2.0]}))
    mp = tmp_path / "m.npy"
    np.save(mp, np.zeros((5, 40, 40)))

    def edit(conf):
        _movie_cfg(mp, frame_rate=30.0)(conf)
        conf["components"]["filter_models_dir"] = str(models)

    cfg = _setup(bmtk_data, tmp_path, edit=edit)
    with pytest.raises(ValueError, match=r"lgn_on_off_model\.json.*'opt_kpeaks'"):
        run_rs(cfg)
    assert _no_outputs(tmp_path)


def test_filter_json_missing_file(bmtk_data, tmp_path):
    def edit(conf):
        conf["components"]["filter_models_dir"] = str(tmp_path / "nowhere")

    cfg = _setup(bmtk_data, tmp_path, example="filter_graitings", edit=edit)
    with pytest.raises(ValueError, match=r"nowhere.*tOFF_TF15"):
        run_rs(cfg)
    assert _no_outputs(tmp_path)


def test_unknown_model(bmtk_data, tmp_path):
    # a copy of the example's node types naming a model that does not exist
    src = bmtk_data / "examples" / "filter_graitings" / "network"
    types = (src / "lgn_node_types.csv").read_text().replace("lgnmodel:tOFF_TF15", "lgnmodel:bogus_TF15")
    (tmp_path / "types.csv").write_text(types)

    def edit(conf):
        conf["networks"]["nodes"][0]["node_types_file"] = str(tmp_path / "types.csv")

    cfg = _setup(bmtk_data, tmp_path, example="filter_graitings", edit=edit)
    with pytest.raises(ValueError, match=r"unknown lgnmodel cell model 'bogus_TF15'"):
        run_rs(cfg)
    assert _no_outputs(tmp_path)


def test_unknown_template_prefix(bmtk_data, tmp_path):
    src = bmtk_data / "examples" / "filter_graitings" / "network"
    types = (src / "lgn_node_types.csv").read_text().replace("lgnmodel:tOFF_TF15", "nosuch:tOFF_TF15")
    (tmp_path / "types.csv").write_text(types)

    def edit(conf):
        conf["networks"]["nodes"][0]["node_types_file"] = str(tmp_path / "types.csv")

    cfg = _setup(bmtk_data, tmp_path, example="filter_graitings", edit=edit)
    with pytest.raises(ValueError, match=r"model_template 'nosuch:tOFF_TF15'"):
        run_rs(cfg)


def test_unknown_movie_module(bmtk_data, tmp_path):
    def edit(conf):
        conf["inputs"]["LGN_spikes"]["module"] = "fireworks"

    cfg = _setup(bmtk_data, tmp_path, example="filter_graitings", edit=edit)
    with pytest.raises(ValueError, match=r"LGN_spikes.*unknown movie type 'fireworks'"):
        run_rs(cfg)
