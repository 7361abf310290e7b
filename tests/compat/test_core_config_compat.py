"""bmtk_rs.simulator.core.SimulationConfig and the config attributes (mechanisms_dir, log_file,
gap_juncs, overwrite_output, target_simulator, ...) against bmtk 1.2.0's SimulationConfig."""

import json

import pytest

ATTRS = ["mechanisms_dir", "templates_dir", "log_file", "gap_juncs", "overwrite_output", "target_simulator",
         "output_dir", "nodes", "edges", "networks", "reports", "inputs", "components", "conditions", "run",
         "node_sets", "tstart", "dt", "gid_mappings", "with_networks"]


def _configs(bmtk_data, tmp_path):
    out = [bmtk_data / "tutorial_l4" / "config.bionet.json", bmtk_data / "tutorial_l4" / "config.filternet.json",
           bmtk_data / "examples" / "bio_14cells" / "config.simulation.json"]
    extra = {"manifest": {"$BASE": str(tmp_path)}, "target_simulator": "NEURON",
             "run": {"tstop": 10.0, "dt": 0.025},
             "components": {"mechanisms_dir": "$BASE/mech", "templates_dir": "$BASE/tmpl"},
             "output": {"output_dir": "$BASE/out", "log_file": "log.txt", "overwrite_output_dir": True},
             "networks": {"nodes": [], "gap_juncs": [{"gap_juncs_file": "$BASE/gj.h5"}]}}
    p = tmp_path / "extra.json"
    p.write_text(json.dumps(extra))
    return out + [p]


def test_simulation_config_attributes_match_bmtk(bmtk_data, tmp_path, monkeypatch):
    from bmtk.simulator.core.simulation_config import SimulationConfig as Ref

    from bmtk_rs.simulator.bionet import Config as BioConfig
    from bmtk_rs.simulator.core.simulation_config import SimulationConfig
    from bmtk_rs.simulator.filternet import Config as FilterConfig
    from bmtk_rs.simulator.sonata_config import SonataConfig

    for path in _configs(bmtk_data, tmp_path):
        monkeypatch.chdir(path.parent)
        ref = Ref.from_json(str(path))
        for cls in (SimulationConfig, SonataConfig, BioConfig, FilterConfig):
            ours = cls.from_json(str(path))
            for attr in ATTRS:
                if cls is BioConfig and attr in ("tstart", "dt"):
                    assert getattr(ours, attr) == float(getattr(ref, attr)), (path, attr)
                    continue
                assert getattr(ours, attr) == getattr(ref, attr), (cls.__name__, path.name, attr)


def test_build_env_and_io(tmp_path, monkeypatch):
    from bmtk_rs.simulator.core.io_tools import io
    from bmtk_rs.simulator.core.simulation_config import SimulationConfig

    cfg = {"run": {"tstop": 1.0}, "output": {"output_dir": str(tmp_path / "out"), "log_file": "log.txt"}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    conf = SimulationConfig.from_json(str(path))
    conf.build_env()
    io.log_info("hello from the test")
    assert (tmp_path / "out" / "config.json").exists()
    assert "hello from the test" in (tmp_path / "out" / "log.txt").read_text()
    with pytest.raises(Exception, match="boom"):
        io.log_exception("boom")


def test_node_sets_over_sonata_file(bmtk_data):
    from bmtk_rs.simulator.core.node_sets import NodeSet, NodeSetAll, network_of
    from bmtk_rs.utils import sonata as rs

    net = bmtk_data / "tutorial_l4" / "network"
    f = rs.File(data_files=str(net / "V1_nodes.h5"), data_type_files=str(net / "V1_node_types.csv"))
    adapter = network_of(f)
    every = NodeSetAll(adapter)
    assert len(every) == 300 and every.population_names() == ["V1"]
    df = f.nodes["V1"].to_dataframe()
    scnn = NodeSet({"population": "V1", "pop_name": "Scnn1a"}, adapter)
    assert sorted(int(n) for n in scnn.node_ids) == sorted(df.index[df["pop_name"] == "Scnn1a"].astype(int))
    assert [int(n) for n in NodeSet([3, 4], adapter).node_ids] == [3, 4]
