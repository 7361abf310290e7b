"""bmtk_rs.utils.create_environment against bmtk 1.2.0's create_environment: same config files
(compared after resolving paths), same run sections, a run script, and the CLI."""

import json
import os
import subprocess
import sys

import pytest

SECTIONS = ["target_simulator", "run", "conditions", "inputs", "reports", "output"]


def _resolved(path):
    from bmtk_rs.simulator.sonata_config import SonataConfig

    conf = SonataConfig.from_json(str(path))
    return {k: conf.get(k) for k in SECTIONS}, conf.get("networks")


def _run_bmtk(base, kwargs):
    code = ("import json, sys; from bmtk.utils.create_environment import create_environment; "
            "create_environment(**json.loads(sys.argv[1]))")
    subprocess.run([sys.executable, "-c", code, json.dumps(kwargs)], cwd=base, check=True, capture_output=True)


@pytest.mark.parametrize("simulator,extra", [
    ("bionet", {"dt": 0.1, "tstop": 500.0, "report_vars": ["v"],
                "current_clamp": {"amp": 0.1, "delay": 10.0, "duration": 100.0}}),
    ("filternet", {"dt": 1.0, "tstop": 300.0}),
    ("pointnet", {"dt": 0.1, "spikes_inputs": [["LGN", "inputs/lgn.h5"]]}),
    ("popnet", {"dt": 0.0001, "config_name": "pop"}),
])
def test_create_environment_matches_bmtk(bmtk_data, tmp_path, simulator, extra):
    from bmtk_rs.utils.create_environment import create_environment

    net = bmtk_data / "tutorial_l4" / "network"
    results = {}
    for who in ("bmtk", "ours"):
        base = tmp_path / who
        base.mkdir()
        kwargs = dict(simulator=simulator, base_dir=".", network_dir=str(net), **extra)
        if who == "bmtk":
            _run_bmtk(base, kwargs)
        else:
            cwd = os.getcwd()
            os.chdir(base)
            try:
                create_environment(**kwargs)
            finally:
                os.chdir(cwd)
        name = "config.pop.json" if "config_name" in extra else "config.{}.json".format(simulator)
        assert (base / name).exists(), (who, sorted(os.listdir(base)))
        assert (base / "run_{}.py".format(simulator)).exists()
        sections, networks = _resolved(base / name)
        results[who] = (json.loads(json.dumps(sections).replace(str(base), "BASE")), networks)
    assert results["ours"] == results["bmtk"]


def test_cli_split_configs(bmtk_data, tmp_path):
    net = bmtk_data / "tutorial_l4" / "network"
    out = subprocess.run([sys.executable, "-m", "bmtk_rs.utils.create_environment", "--split-configs",
                          "--config-file", "config.json", "--tstop", "100", "--dt", "0.1", "-n", str(net),
                          "bionet", str(tmp_path / "sim")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    sim = tmp_path / "sim"
    for f in ("config.json", "config_circuit.json", "config_simulation.json", "run_bionet.py"):
        assert (sim / f).exists(), f
    from bmtk_rs.simulator.sonata_config import SonataConfig

    conf = SonataConfig.from_json(str(sim / "config.json"))
    assert conf.run["tstop"] == 100.0 and conf.target_simulator == "NEURON"
    assert len(conf.nodes) == 2


def test_unknown_simulator(tmp_path):
    from bmtk_rs.utils.create_environment import create_environment

    with pytest.raises(ValueError, match="nest"):
        create_environment("nest", base_dir=str(tmp_path))
