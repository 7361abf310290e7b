"""Bad PopNet inputs: a clear error naming the file and key, and no rates table left behind."""

import json
import shutil

import pytest

from bmtk_rs.simulator import popnet
from bmtk_rs.simulator.sonata_config import ConfigError

from ._cases import ref_config, ref_dir


def _run(cfg):
    popnet.run(str(cfg))


def _fails(cfg, *words, exc=ConfigError):
    with pytest.raises(exc) as info:
        _run(cfg)
    msg = str(info.value)
    for w in words:
        assert str(w) in msg, msg
    assert not (cfg.parent / "output" / "spike_rates.csv").exists()
    return msg


def _components(bmtk_data, tmp_path, edit_model):
    """A copy of the reference's population models, one of them edited."""
    src = ref_dir(bmtk_data, "default").parent / "pop_components"
    dst = tmp_path / "pop_components"
    shutil.copytree(src, dst)
    path = dst / "pop_models" / "exc_model.json"
    model = json.loads(path.read_text())
    edit_model(model)
    path.write_text(json.dumps(model))
    return dst, path


def test_missing_rates_file(bmtk_data, tmp_path):
    def edit(c):
        c["inputs"]["external_pop_rates"]["rates"] = str(tmp_path / "nowhere.csv")
    _fails(ref_config(bmtk_data, "default", tmp_path, edit), "nowhere.csv")


def test_rates_table_without_the_population(bmtk_data, tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("gid firing_rate\n999 15.0\n")

    def edit(c):
        c["inputs"]["external_pop_rates"]["rates"] = str(rates)
    _fails(ref_config(bmtk_data, "default", tmp_path, edit), "rates.csv", "100")


@pytest.mark.parametrize("key,value,words", [
    ("update_method", "crank", ["update_method", "crank"]),
    ("tau_m", "abc", ["tau_m"]),
    ("dv", -0.001, ["dv"]),
    ("approx_order", 0, ["approx_order"]),
    ("colour", "red", ["colour"]),
])
def test_bad_population_model(bmtk_data, tmp_path, key, value, words):
    comps, path = _components(bmtk_data, tmp_path, lambda m: m.__setitem__(key, value))

    def edit(c):
        c["components"]["population_models_dir"] = str(comps / "pop_models")
    _fails(ref_config(bmtk_data, "default", tmp_path, edit), path.name, *words)


def test_missing_population_model_file(bmtk_data, tmp_path):
    (tmp_path / "empty").mkdir()

    def edit(c):
        c["components"]["population_models_dir"] = str(tmp_path / "empty")
    _fails(ref_config(bmtk_data, "default", tmp_path, edit), "exc_model.json")


def test_edge_types_without_delay(bmtk_data, tmp_path):
    net = ref_dir(bmtk_data, "default") / "network"
    types = tmp_path / "internal_internal_edge_types.csv"
    lines = (net / "internal_internal_edge_types.csv").read_text().splitlines()
    types.write_text("\n".join(" ".join(line.split()[:-1]) for line in lines) + "\n")

    def edit(c):
        c["networks"]["edges"][0]["edge_types_file"] = str(types)
    _fails(ref_config(bmtk_data, "default", tmp_path, edit), "internal_internal_edges.h5", "delay")


def test_unsupported_target_simulator(bmtk_data, tmp_path):
    _fails(ref_config(bmtk_data, "default", tmp_path, lambda c: c.__setitem__("target_simulator", "SSN")),
           "SSN", "target_simulator")


def test_missing_run_key(bmtk_data, tmp_path):
    _fails(ref_config(bmtk_data, "default", tmp_path, lambda c: c["run"].pop("dt")), "dt")


def test_input_on_internal_population(bmtk_data, tmp_path):
    def edit(c):
        c["inputs"]["external_pop_rates"]["node_set"] = "internal"
    _fails(ref_config(bmtk_data, "default", tmp_path, edit), "internal", "virtual")
