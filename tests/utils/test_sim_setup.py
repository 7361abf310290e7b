"""`python -m bmtk_rs.utils.sim_setup` against bmtk 1.2.0's `python -m bmtk.utils.sim_setup`.

Both run with the same arguments, from the same relative working directory, on the same network
folder; the configs they write must be the same json, keys and list entries in the same order (the
order of networks.nodes fixes BioNet's gids, and so the synapse-placement seeds), and the file trees
the same, byte for byte inside components/ (with bmtk installed, --include-examples copies bmtk's own
example files from its wheel), except for these deliberate differences:

- components/__pycache__/ and its `__pycache___dir` entry are not written: bmtk copies every folder
  beside its example scripts, Python's byte-code cache of run_bionet.py included.
- what --compile-mechanisms' nrnivmodl builds in components/mechanisms (bmtk-rs compiles nothing).
- run_<simulator>.py imports bmtk_rs, and defaults to the config just written (bmtk's has a
  literal '${CONFIG}' there).
- FilterNet honours --dt (bmtk writes dt 0.001 whatever --dt says); the tutorial's FilterNet
  command gives no --dt, so its configs are identical. PointNet honours --config-file (bmtk always
  writes config.json).

Without bmtk (or with example_components='bmtk_rs') the project's own examples fill the folders
they are made for, under their own names, and sim_setup says so.

The created FilterNet directory is run (run_filternet.py, bmtk-rs's FilterNet) on a 4-cell LGN
with a full-field flash, and bmtk's FilterNet runs the same directory: same rates.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from ..conftest import require_module

NOT_COMPONENTS = {"__pycache__"}
OUR_COMPONENTS = pathlib.Path(__file__).resolve().parents[2] / "components"


def _sim_setup(module, args, cwd, components=OUR_COMPONENTS):
    # the repository's components/ (an installed bmtk_rs has no source tree beside it)
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui", BMTK_RS_COMPONENTS=str(components))
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=900, check=False)


NETWORK = ("V1_nodes.h5", "V1_node_types.csv", "V1_V1_edges.h5", "V1_V1_edge_types.csv", "LGN_nodes.h5",
           "LGN_node_types.csv", "LGN_V1_edges.h5", "LGN_V1_edge_types.csv", "notes.txt", ".hidden_nodes.h5")


def _network(folder, names=NETWORK):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_text(n)


def _both(tmp_path, args, prepare=None):
    """Runs bmtk's and our sim_setup with `args` in tmp/bmtk and tmp/ours; returns the two folders."""
    require_module("bmtk")
    out = {}
    for name, module in (("bmtk", "bmtk.utils.sim_setup"), ("ours", "bmtk_rs.utils.sim_setup")):
        cwd = tmp_path / name
        cwd.mkdir()
        if prepare:
            prepare(cwd)
        res = _sim_setup(module, args, cwd)
        assert res.returncode == 0, f"{module}: {res.stdout[-2000:]}{res.stderr[-3000:]}"
        out[name] = (cwd, res)
    return out


def _load(path, base, root=None):
    """A config with the simulation folder's absolute path written as <BASE> (and the working
    folder's as <CWD>)."""
    text = path.read_text().replace(str(base), "<BASE>")
    return json.loads(text.replace(str(root), "<CWD>") if root else text)


def _ordered(value):
    """json with every object's key order kept (a dict compares equal whatever its order)."""
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def _tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _component_files(comp_dir):
    """Files under components/, less the byte-code cache and what nrnivmodl built in mechanisms/."""
    def kept(rel):
        parts = rel.parts
        if NOT_COMPONENTS & set(parts):
            return False
        return not (parts[0] == "mechanisms" and len(parts) > 1 and parts[1] != "modfiles")

    if not comp_dir.is_dir():
        return {}
    return {rel: (comp_dir / rel).read_bytes() if (comp_dir / rel).is_file() else None
            for rel in (p.relative_to(comp_dir) for p in comp_dir.rglob("*")) if kept(rel)}


def _compare(bmtk_dir, our_dir, sim_dir=".", config="config.json"):
    """Asserts every difference between the two folders is one of the listed ones; returns our
    simulation and circuit configs."""
    b_base, o_base = (bmtk_dir / sim_dir).resolve(), (our_dir / sim_dir).resolve()
    stem = pathlib.Path(config).stem

    top_b, top_o = _load(b_base / config, b_base), _load(o_base / config, o_base)
    assert top_o == top_b == {"network": f"<BASE>/circuit_{stem}.json",
                              "simulation": f"<BASE>/simulation_{stem}.json"}

    circ_b = _load(b_base / f"circuit_{stem}.json", b_base)
    circ_o = _load(o_base / f"circuit_{stem}.json", o_base)
    circ_b["components"] = {k: v for k, v in circ_b["components"].items()
                            if k[:-len("_dir")] not in NOT_COMPONENTS}
    assert _ordered(circ_o) == _ordered(circ_b)
    if "mechanisms_dir" in circ_b["components"]:  # bionet: kept although bmtk-rs does not read them
        assert {"mechanisms_dir", "templates_dir"} <= set(circ_o["components"])

    sim_b = _load(b_base / f"simulation_{stem}.json", b_base, bmtk_dir)
    sim_o = _load(o_base / f"simulation_{stem}.json", o_base, our_dir)
    assert _ordered(sim_o) == _ordered(sim_b)
    assert _load(o_base / "node_sets.json", o_base) == _load(b_base / "node_sets.json", b_base)

    # the file tree: the same outside components/; inside it the same files with the same bytes
    def outside(root):
        return [p for p in _tree(root) if "components" not in p.split(os.sep)[:-1]]

    assert outside(our_dir) == outside(bmtk_dir)
    comp_b, comp_o = _component_files(b_base / "components"), _component_files(o_base / "components")
    assert sorted(comp_o) == sorted(comp_b)
    for rel, data in comp_b.items():
        assert comp_o[rel] == data, rel
    return sim_o, circ_o


def _check_run_script(path, sim, config):
    text = path.read_text()
    compile(text, str(path), "exec")
    assert f"from bmtk_rs.simulator import {sim}" in text
    assert "bmtk.simulator" not in text.replace("bmtk_rs.simulator", "")
    assert repr(config) in text


def test_tutorial_bionet_command(tmp_path):
    """The Mouse L4 tutorial's command, verbatim (bmtk also runs nrnivmodl for --compile-mechanisms)."""
    args = ["--network", "network", "--dt", "0.1", "--tstop", "2000.0", "--compile-mechanisms",
            "--include-examples", "--config=config.bionet.json", "bionet", "."]
    runs = _both(tmp_path, args, prepare=lambda d: _network(d / "network"))
    b, o = runs["bmtk"][0], runs["ours"][0]
    sim, circ = _compare(b, o, config="config.bionet.json")
    assert sim["run"] == {"tstart": 0.0, "tstop": 2000.0, "dt": 0.1, "dL": 20.0, "spike_threshold": -15.0,
                          "nsteps_block": 5000}
    assert sim["target_simulator"] == "NEURON"
    assert len(circ["networks"]["nodes"]) == 2 and len(circ["networks"]["edges"]) == 2
    assert "no compiled mechanisms" in runs["ours"][1].stdout
    assert "example components from bmtk 1.2.0" in runs["ours"][1].stdout
    _check_run_script(o / "run_bionet.py", "bionet", "config.bionet.json")
    # bmtk's example files, under bmtk's names, as bmtk's tutorials name them
    comps = o / "components"
    for rel in ("morphologies/Scnn1a_473845048_m.swc", "biophysical_neuron_models/472363762_fit.json",
                "filter_models/tOFF_TF15.json", "synaptic_models/AMPA_ExcToExc.json", "templates/Biophys1.hoc"):
        assert (comps / rel).is_file(), rel
    assert json.loads((comps / "synaptic_models" / "AMPA_ExcToExc.json").read_text())["tau1"] == json.loads(
        (b / "components" / "synaptic_models" / "AMPA_ExcToExc.json").read_text())["tau1"]
    assert any((comps / "mechanisms" / "modfiles").glob("*.mod"))


def test_tutorial_filternet_command(tmp_path):
    args = ["--network", "network", "--tstop", "2000.0", "--include-examples", "--config=config.filternet.json",
            "filternet", "."]
    runs = _both(tmp_path, args, prepare=lambda d: _network(d / "network", ("LGN_nodes.h5", "LGN_node_types.csv")))
    sim, circ = _compare(runs["bmtk"][0], runs["ours"][0], config="config.filternet.json")
    assert sim["target_simulator"] == "LGNModel" and sim["run"]["dt"] == 0.001
    assert circ["networks"]["edges"] == []
    _check_run_script(runs["ours"][0] / "run_filternet.py", "filternet", "config.filternet.json")


def test_reports_clamp_and_spike_inputs(tmp_path):
    """No network folder given or present (both create sim/network), a new simulation folder,
    membrane reports for a node list, a current clamp and two spike files (one inside, one
    outside the simulation folder)."""
    outside = tmp_path / "elsewhere.csv"
    args = ["--report-vars", "v,cai", "--report-nodes", "0,1,5", "--iclamp", "0.1,100,500", "--spikes-inputs",
            f"LGN:sim/inputs/lgn.h5,{outside}", "--dt", "0.025", "--tstop", "300", "bionet", "sim"]
    runs = _both(tmp_path, args)
    sim, _ = _compare(runs["bmtk"][0], runs["ours"][0], sim_dir="sim")
    assert set(sim["reports"]) == {"v_report", "cai_report"}
    assert sim["inputs"]["LGN_spikes"]["input_file"] == "$BASE_DIR/inputs/lgn.h5"
    assert sim["inputs"]["input_spikes"]["input_file"] == str(outside)
    assert sim["inputs"]["current_clamp"]["amp"] == 0.1
    _check_run_script(runs["ours"][0] / "sim" / "run_bionet.py", "bionet", "config.json")


def test_existing_circuit_folder_and_population_report(tmp_path):
    """Without --network an existing 'circuit' folder is used; one --report-nodes value is a population."""
    args = ["--report-vars", "v", "--report-nodes", "V1", "--iclamp", "1,100,500", "bionet", "."]
    runs = _both(tmp_path, args, prepare=lambda d: _network(d / "circuit"))
    sim, circ = _compare(runs["bmtk"][0], runs["ours"][0])
    assert circ["manifest"]["$NETWORK_DIR"] == "$BASE_DIR/circuit"
    nsets = json.loads((runs["ours"][0] / "node_sets.json").read_text())
    assert nsets["recorded_nodes"] == {"population": "V1"}


def test_absolute_network_folder_outside(tmp_path):
    net = tmp_path / "shared_net"
    _network(net)
    args = ["-n", str(net), "--config-file", "cfg.json", "bionet", "run1"]
    runs = _both(tmp_path, args)
    _, circ = _compare(runs["bmtk"][0], runs["ours"][0], sim_dir="run1", config="cfg.json")
    assert circ["manifest"]["$NETWORK_DIR"] == str(net)


def test_pointnet_layout(tmp_path):
    args = ["--include-examples", "--report-vars", "v", "--iclamp", "0.2,50,100", "pointnet", "."]
    runs = _both(tmp_path, args, prepare=lambda d: _network(d / "network"))
    sim, _ = _compare(runs["bmtk"][0], runs["ours"][0])
    assert sim["target_simulator"] == "NEST" and sim["output"]["quiet_simulator"] is True
    res = _sim_setup("bmtk_rs.utils.sim_setup", ["--config-file", "config.pointnet.json", "pointnet", "p2"], tmp_path)
    assert res.returncode == 0 and (tmp_path / "p2" / "simulation_config.pointnet.json").is_file()
    script = (runs["ours"][0] / "run_pointnet.py").read_text()
    assert "from bmtk_rs.simulator import pointnet" in script and "PointSimulator.from_config" in script


def test_popnet_layout(tmp_path):
    runs = _both(tmp_path, ["popnet", "."])
    _compare(runs["bmtk"][0], runs["ours"][0])
    script = (runs["ours"][0] / "run_popnet.py").read_text()
    assert "from bmtk_rs.simulator import popnet" in script and "PopSimulator.from_config" in script


def test_existing_configs_are_kept(tmp_path):
    """A second run keeps existing configs (as bmtk), and says so."""
    from bmtk_rs.utils.sim_setup import build_env_bionet

    build_env_bionet(base_dir=tmp_path, tstop=100.0, config_file="config.json")
    first = (tmp_path / "simulation_config.json").read_text()
    build_env_bionet(base_dir=tmp_path, tstop=500.0, config_file="config.json")
    assert (tmp_path / "simulation_config.json").read_text() == first
    build_env_bionet(base_dir=tmp_path, tstop=500.0, config_file="config.json", overwrite_config=True)
    assert json.loads((tmp_path / "simulation_config.json").read_text())["run"]["tstop"] == 500.0


def test_functions_match_bmtk(tmp_path):
    """build_env_bionet with the arguments only the Python API has (clamp reports, file and voltage
    clamps, absolute paths) writes what bmtk 1.2.0's function writes."""
    require_module("bmtk")
    from bmtk.utils import sim_setup as bmtk_setup

    from bmtk_rs.utils import sim_setup as ours

    kwargs = dict(network_dir=None, include_examples=False, tstart=5.0, tstop=50.0, dt=0.05, dL=10.0,
                  spikes_threshold=-20.0, nsteps_block=100, v_init=-70.0, celsius=30.0, report_vars=["v"],
                  report_nodes=[3, 4], clamp_reports=["se"],
                  current_clamp={"amp": 0.3, "delay": 1.0, "duration": 2.0, "gids": [3]},
                  se_voltage_clamp={"amps": [[-70, -50]], "durations": [[10, 20]], "rs": 0.01, "name": "vc"},
                  spikes_inputs=[("LGN", "lgn.h5")], config_file="config.x.json")
    cwd = os.getcwd()
    try:
        for name, mod in (("bmtk", bmtk_setup), ("ours", ours)):
            d = tmp_path / name
            d.mkdir()
            os.chdir(d)
            mod.build_env_bionet(base_dir="sim", **kwargs)
            mod.build_env_bionet(base_dir="abs", use_relative_paths=False, **kwargs)
    finally:
        os.chdir(cwd)
    _compare(tmp_path / "bmtk", tmp_path / "ours", sim_dir="sim", config="config.x.json")
    _compare(tmp_path / "bmtk", tmp_path / "ours", sim_dir="abs", config="config.x.json")
    sim = json.loads((tmp_path / "ours" / "sim" / "simulation_config.x.json").read_text())
    assert sim["inputs"]["vc"]["rs"] == 0.01 and "se_clamp_report" in sim["reports"]


BAD = [
    (["bionet"], "sim_dir"),
    (["bionet", "a", "b"], "unrecognized arguments"),
    (["neuron", "."], "unknown target simulator 'neuron'"),
    (["--iclamp", "0.1,100", "bionet", "."], "needs three numbers"),
    (["--iclamp", "0.1", "bionet", "."], "needs three numbers"),
    (["--iclamp", "a,b,c", "bionet", "."], "must be numbers"),
    (["--spikes-inputs", "LGN:x:y.h5", "bionet", "."], "cannot parse 'LGN:x:y.h5'"),
    (["--tstop", "-5", "bionet", "."], "must be positive"),
    (["--dt", "fast", "bionet", "."], "invalid float value: 'fast'"),
    (["--nope", "bionet", "."], "unrecognized arguments: --nope"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments(tmp_path, args, message):
    res = _sim_setup("bmtk_rs.utils.sim_setup", args, tmp_path)
    assert res.returncode == 2
    assert message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "config.json").exists()


def test_bad_simulation_folder(tmp_path):
    (tmp_path / "afile").write_text("x")
    res = _sim_setup("bmtk_rs.utils.sim_setup", ["bionet", "afile"], tmp_path)
    assert res.returncode == 2 and "is an existing file, not a folder" in res.stderr
    from bmtk_rs.utils.sim_setup import SimSetupError, build_env_bionet

    with pytest.raises(SimSetupError, match="current_clamp: missing delay, duration"):
        build_env_bionet(base_dir=tmp_path / "x", current_clamp={"amp": 1.0})
    with pytest.raises(SimSetupError, match=r"spikes_inputs: \(1, 2, 3\)"):
        build_env_bionet(base_dir=tmp_path / "y", spikes_inputs=[(1, 2, 3)])


def test_missing_example_components(tmp_path):
    res = _sim_setup("bmtk_rs.utils.sim_setup", ["--include-examples", "--example-components", "bmtk-rs", "bionet",
                                                 "sim"], tmp_path, components=tmp_path / "nowhere")
    assert res.returncode == 2 and "example components folder" in res.stderr
    assert not (tmp_path / "sim" / "config.json").exists()  # checked before anything is written


def _lgn_network(folder):
    from bmtk_rs.builder.networks import NetworkBuilder

    lgn = NetworkBuilder("LGN")
    for tmpl, xs in (("sON_TF8", [40.0, 120.0]), ("sOFF_TF8", [80.0, 200.0])):
        lgn.add_nodes(N=2, model_type="virtual", model_template="lgnmodel:" + tmpl, dynamics_params=tmpl + ".json",
                      x=np.array(xs), y=np.array([30.0, 90.0]), spatial_size=1.0)
    lgn.build()
    lgn.save(output_dir=str(folder))


def _filternet_dir(sim_dir):
    """A 4-cell LGN, sim_setup's FilterNet folder around it, and the flash the user adds."""
    _lgn_network(sim_dir / "network")
    res = _sim_setup("bmtk_rs.utils.sim_setup", ["--network", "network", "--tstop", "300", "--dt", "1.0",
                                                 "--include-examples", "--config", "config.filternet.json",
                                                 "filternet", "."], sim_dir)
    assert res.returncode == 0, res.stderr
    sim_path = sim_dir / "simulation_config.filternet.json"
    conf = json.loads(sim_path.read_text())
    assert conf["run"]["dt"] == 1.0
    conf["inputs"] = {"full_field_flash": {"input_type": "movie", "module": "full_field_flash", "row_size": 120,
                                           "col_size": 240, "t_on": 100.0, "t_off": 200.0, "max_intensity": 1.0,
                                           "frame_rate": 1000.0}}
    # bmtk's sim_setup names the rates file 'rates_file_csv', a key neither FilterNet reads
    # (both read 'rates_csv'); the tutorial's own config uses 'rates_csv'
    conf["output"]["rates_csv"] = "rates.csv"
    sim_path.write_text(json.dumps(conf, indent=2))


def test_filternet_directory_runs(tmp_path):
    """sim_setup's FilterNet folder, given a 4-cell LGN and a flash, runs with its run_filternet.py;
    bmtk 1.2.0's FilterNet gives the same rates on a folder made the same way."""
    require_module("bmtk")
    sim_dir = tmp_path / "lgn_sim"
    _filternet_dir(sim_dir)
    run = subprocess.run([sys.executable, "run_filternet.py", "config.filternet.json"], cwd=sim_dir,
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    ours = pd.read_csv(sim_dir / "output" / "rates.csv", sep=" ")
    assert (sim_dir / "output" / "spikes.h5").is_file() and (sim_dir / "output" / "spikes.csv").is_file()

    # bmtk's config.json names its circuit/simulation configs by absolute path (so does ours):
    # the reference gets a folder of its own rather than a copy
    ref_dir = tmp_path / "bmtk_run"
    _filternet_dir(ref_dir)
    runner = ("import sys\nfrom bmtk.simulator import filternet\nc = filternet.Config.from_json(sys.argv[1])\n"
              "c.build_env()\nn = filternet.FilterNetwork.from_config(c)\n"
              "filternet.FilterSimulator.from_config(c, n).run()\n")
    env = dict(os.environ, MPLBACKEND="Agg")
    ref = subprocess.run([sys.executable, "-c", runner, "config.filternet.json"], cwd=ref_dir, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert ref.returncode == 0, ref.stderr[-3000:]
    theirs = pd.read_csv(ref_dir / "output" / "rates.csv", sep=" ")
    assert len(ours) == len(theirs) == 4 * 301
    np.testing.assert_allclose(ours["firing_rates"].to_numpy(), theirs["firing_rates"].to_numpy(), rtol=1e-6,
                               atol=1e-9)
    on = ours[ours["node_id"] < 2]
    ms = on.groupby("node_id").cumcount()  # one row per 1 ms frame
    during = on[(ms >= 120) & (ms < 200)]["firing_rates"].mean()
    before = on[ms < 100]["firing_rates"].mean()
    assert during > before  # ON cells answer the flash


# -- the order of the network files ----------------------------------------------------------------

# created in this (unsorted) order: the folder's listing order is then neither sorted nor creation
# order on most file systems, and the upper/lower case and digit names sort differently under
# different orderings
SCRAMBLED = ("v1_nodes.h5", "LGN_V1_edges.h5", "Zeta_node_types.csv", "b10_nodes.h5", "V1_node_types.csv",
             "v1_v1_edge_types.csv", "b2_nodes.h5", "a_nodes.h5", "LGN_nodes.h5", "b10_node_types.csv",
             "Zeta_nodes.h5", "v1_v1_edges.h5", "LGN_V1_edge_types.csv", "b2_node_types.csv", "V1_nodes.h5",
             "a_node_types.csv", "LGN_node_types.csv", "b2_a_edges.h5", "a_b2_edge_types.csv", "a_b2_edges.h5",
             "V1_gap_juncs.h5", "README.txt", ".V1_nodes.h5")


def test_network_files_in_bmtks_order(tmp_path):
    """Both sim_setups on the very same network folder write the same networks section, entries and
    their keys in the same order (bmtk's: the folder's listing order, which fixes BioNet's gids); a
    sub-folder is walked as bmtk walks it, gap junction files keep their absolute path."""
    net = tmp_path / "net"
    _network(net, SCRAMBLED)
    _network(net / "old", ("LGN_nodes.h5", "only_here_nodes.h5"))
    listing = [f for f in os.listdir(net) if f.endswith((".h5", ".csv")) and not f.startswith(".")]
    assert listing != sorted(listing) and listing != sorted(listing, key=str.lower)  # the test can tell
    runs = _both(tmp_path, ["-n", str(net), "--include-examples", "bionet", "sim"])
    _, circ = _compare(runs["bmtk"][0], runs["ours"][0], sim_dir="sim")
    nodes = circ["networks"]["nodes"]
    assert len(nodes) == 7 and len(circ["networks"]["edges"]) == 4
    # a name found at the top and in old/ is taken from old/ (walked after the top), as bmtk does
    lgn = next(e for e in nodes if "LGN_node_types" in e.get("node_types_file", ""))
    assert lgn["nodes_file"] == "$NETWORK_DIR/old/LGN_nodes.h5"
    assert not any("only_here" in v for e in nodes for v in e.values())
    assert circ["networks"]["gap_juncs"] == [{"gap_juncs_file": str(net / "V1_gap_juncs.h5")}]

    # the API reads the folder the same way
    from bmtk_rs.utils.sim_setup import build_env_bionet

    build_env_bionet(base_dir=tmp_path / "api", network_dir=str(net))
    api = _load(tmp_path / "api" / "circuit_config.json", tmp_path / "api")
    assert _ordered(api["networks"]) == _ordered(circ["networks"])


# -- which example components ----------------------------------------------------------------------


def _own_files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_own_examples_without_bmtk(tmp_path, monkeypatch, capsys):
    """No bmtk installed: --include-examples copies the project's own files (own names) into bmtk's
    folders and says so; the circuit config still has all of bmtk's component folders."""
    from bmtk_rs.utils import sim_setup

    monkeypatch.setattr(sim_setup, "installed_bmtk", lambda: None)
    monkeypatch.setenv("BMTK_RS_COMPONENTS", str(OUR_COMPONENTS))
    sim_setup.build_env_bionet(base_dir=tmp_path / "bio", include_examples=True)
    out = capsys.readouterr().out
    assert "bmtk-rs's own, bmtk is not installed" in out and "bmtk-rs[examples]" in out
    comps = tmp_path / "bio" / "components"
    for name in ("biophysical_neuron_models", "morphologies", "synaptic_models", "filter_models"):
        assert _own_files(comps / name) == _own_files(OUR_COMPONENTS / name), name
    for name in ("mechanisms", "templates", "point_neuron_models"):
        assert not any((comps / name).iterdir()), name
    circ = json.loads((tmp_path / "bio" / "circuit_config.json").read_text())

    # the same component folders as bmtk 1.2.0 writes (its own run, in-process)
    require_module("bmtk")
    from bmtk.utils import sim_setup as bmtk_setup

    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        bmtk_setup.build_env_bionet(base_dir="ref", config_file="config.json")
    finally:
        os.chdir(cwd)
    ref = json.loads((tmp_path / "ref" / "circuit_config.json").read_text())
    assert set(circ["components"]) == set(ref["components"]) - {"__pycache___dir"}
    assert {"mechanisms_dir", "templates_dir"} <= set(circ["components"])

    sim_setup.build_env_filternet(base_dir=tmp_path / "lgn", include_examples=True)
    assert "bmtk-rs's own" in capsys.readouterr().out
    assert _own_files(tmp_path / "lgn" / "components" / "filter_models") == _own_files(
        OUR_COMPONENTS / "filter_models")

    with pytest.raises(sim_setup.SimSetupError, match=r"bmtk is not installed.*bmtk-rs\[examples\]"):
        sim_setup.build_env_bionet(base_dir=tmp_path / "x", include_examples=True, example_components="bmtk")
    assert not (tmp_path / "x" / "config.json").exists()


def test_own_examples_on_request(tmp_path, monkeypatch, capsys):
    """example_components='bmtk_rs' copies the project's files even with bmtk installed; bmtk's
    example files are never among them."""
    require_module("bmtk")
    from bmtk_rs.utils import sim_setup

    assert sim_setup.installed_bmtk() is not None
    monkeypatch.setenv("BMTK_RS_COMPONENTS", str(OUR_COMPONENTS))
    sim_setup.build_env_bionet(base_dir=tmp_path, include_examples=True, example_components="bmtk_rs")
    assert "as asked (example_components='bmtk_rs')" in capsys.readouterr().out
    syn = tmp_path / "components" / "synaptic_models"
    assert _own_files(syn) == _own_files(OUR_COMPONENTS / "synaptic_models")
    bmtk_names = {p.name for p in (sim_setup.installed_bmtk() / "utils" / "scripts").rglob("*") if p.is_file()}
    assert not {p.name for p in (tmp_path / "components").rglob("*")} & bmtk_names
    with pytest.raises(sim_setup.SimSetupError, match="example_components='nest'"):
        sim_setup.build_env_bionet(base_dir=tmp_path / "y", include_examples=True, example_components="nest")


def test_bmtk_examples_found_without_importing_bmtk(tmp_path):
    """After install_as_bmtk() ('import bmtk' is bmtk_rs) sim_setup still finds the real bmtk's
    example files, and the real bmtk is never imported."""
    require_module("bmtk")
    code = ("import sys, bmtk_rs\nbmtk_rs.install_as_bmtk()\n"
            "from bmtk.utils.sim_setup import build_env_filternet\n"
            "build_env_filternet(base_dir='sim', include_examples=True)\n"
            "assert sys.modules['bmtk'] is bmtk_rs\n"
            "assert all(m.__name__.startswith('bmtk_rs') for k, m in sys.modules.items() if k.startswith('bmtk.'))\n")
    res = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "example components from bmtk 1.2.0" in res.stdout
    assert (tmp_path / "sim" / "components" / "filter_models" / "tOFF_TF15.json").is_file()
