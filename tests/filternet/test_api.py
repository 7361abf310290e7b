"""The bmtk-style entry points: an unchanged run_filternet.py under install_as_bmtk(), the
``python -m bmtk_rs.simulator.filternet`` runner, and Config manifest resolution."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
from ._cases import flat_config

RUN_FILTERNET = """
import sys
import bmtk_rs
bmtk_rs.install_as_bmtk()
from bmtk.simulator import filternet

def run(config_file):
    config = filternet.Config.from_json(config_file)
    config.build_env()
    net = filternet.FilterNetwork.from_config(config)
    sim = filternet.FilterSimulator.from_config(config, net)
    sim.run()

if __name__ == '__main__':
    run(sys.argv[-1])
"""


def _flash(bmtk_data, tmp_path, name):
    def edit(conf):
        conf["inputs"]["full_field_flash"].update(t_on=100.0, t_off=200.0)
    return flat_config(bmtk_data / "tutorial_l4", "config.filternet.json", tmp_path / name, tstop=300.0, edit=edit)


def test_run_filternet_script_as_bmtk(bmtk_data, tmp_path):
    script = tmp_path / "run_filternet.py"
    script.write_text(RUN_FILTERNET)
    cfg_a = _flash(bmtk_data, tmp_path, "a")
    cfg_b = _flash(bmtk_data, tmp_path, "b")
    r = subprocess.run([sys.executable, str(script), str(cfg_a)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "bmtk_rs.simulator.filternet", str(cfg_b)], capture_output=True,
                       text=True, check=False)
    assert r.returncode == 0, r.stderr
    a = pd.read_csv(tmp_path / "a" / "rates.csv", sep=" ")
    b = pd.read_csv(tmp_path / "b" / "rates.csv", sep=" ")
    assert len(a) == 100 * 301
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    assert (tmp_path / "a" / "spikes.flash.h5").exists() and (tmp_path / "a" / "spikes.flash.csv").exists()
    # build_env copies the resolved configuration into the output folder, as bmtk does
    copied = json.loads((tmp_path / "a" / cfg_a.name).read_text())
    assert copied["output"]["output_dir"] == str(tmp_path / "a") and "manifest" not in copied


def test_config_manifest_and_child_configs(tmp_path):
    from bmtk_rs.simulator import filternet

    (tmp_path / "circuit.json").write_text(json.dumps({
        "manifest": {"$NET": "${configdir}/net"},
        "networks": {"nodes": [{"nodes_file": "$NET/n.h5", "node_types_file": "$NET/t.csv"}]},
    }))
    (tmp_path / "sim.json").write_text(json.dumps({
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/out"},
        "run": {"tstop": 100.0, "dt": 0.1},
        "output": {"output_dir": "$OUTPUT_DIR", "spikes_file": "s.h5", "log_file": "log.txt"},
        "network": "circuit.json",
    }))
    cwd = os.getcwd()
    os.chdir(str(tmp_path.parent))
    try:
        cfg = filternet.Config.from_json(os.path.join(tmp_path.name, "sim.json"))
    finally:
        os.chdir(cwd)
    assert cfg.output_dir == str(tmp_path / "out")
    assert cfg.output["spikes_file"] == str(tmp_path / "out" / "s.h5")
    assert cfg.output["log_file"] == str(tmp_path / "out" / "log.txt")
    assert cfg.nodes[0]["nodes_file"] == str(tmp_path / "net" / "n.h5")
    assert cfg.tstop == 100.0
