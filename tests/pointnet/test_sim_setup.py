"""sim_setup's ``pointnet`` target gives a folder whose run_pointnet.py runs on bmtk-rs."""

import json
import os
import subprocess
import sys

import h5py

from . import networks


def test_sim_setup_folder_runs(tmp_path):
    from bmtk_rs.utils.sim_setup import build_env_pointnet

    src = tmp_path / "made"
    networks.build("iaf_psc_delta", str(src), tstop=60.0, dt=0.1, report=False)
    base = tmp_path / "sim"
    build_env_pointnet(base_dir=str(base), network_dir=str(src / "network"), tstop=60.0, dt=0.1,
                       current_clamp={"amp": 400.0, "delay": 10.0, "duration": 40.0},
                       spikes_inputs=[("inputs", str(src / "inputs" / "spikes.h5"))])
    with open(base / "circuit_config.json") as fh:
        circuit = json.load(fh)
    comp = circuit["components"]
    for key, sub in (("point_neuron_models_dir", "cell_models"), ("synaptic_models_dir", "synaptic_models")):
        folder = comp[key].replace("$COMPONENTS_DIR", str(base / "components")).replace("$BASE_DIR", str(base))
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(src / "components" / sub):
            (base / folder / name).write_text((src / "components" / sub / name).read_text())
    p = subprocess.run([sys.executable, str(base / "run_pointnet.py")], capture_output=True, text=True, cwd=str(base),
                       timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    with h5py.File(base / "output" / "spikes.h5", "r") as f:
        assert len(f["spikes/cells/timestamps"]) > 0


def test_module_entry_point(tmp_path):
    """``python -m bmtk_rs.simulator.pointnet config.json`` runs a config as run_pointnet.py does."""
    config = networks.build("glif_lif_asc", str(tmp_path), tstop=60.0, dt=0.1, report=False)
    p = subprocess.run([sys.executable, "-m", "bmtk_rs.simulator.pointnet", config], capture_output=True, text=True,
                       cwd=str(tmp_path), timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "Simulation finished" in p.stderr + p.stdout
    with h5py.File(tmp_path / "output" / "spikes.h5", "r") as f:
        assert "cells" in f["spikes"]
