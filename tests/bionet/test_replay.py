"""BMTK's `replay` input: the recurrent synapses of bio_14cells driven by the spikes of an earlier run
instead of by the live cells. The network is run once (bmtk-rs) to record its spikes; then a config
without the v1->v1 edges replays them through the v1->v1 edges file. bmtk 1.2.0 + NEURON 9.0.2 and
bmtk-rs run the replay config: same spike counts per cell, times within 0.5 ms. Bad replay inputs are
errors before the run."""

import json
import os

import h5py
import numpy as np
import pytest

from ..conftest import require_module
from .network_configs import localize, run_config

TSTOP = 150.0
V1_EDGES = "v1_v1_edges.h5"


def _without_recurrent_edges(config_dir):
    path = os.path.join(config_dir, "config.circuit.json")
    with open(path) as fh:
        conf = json.load(fh)
    conf["networks"]["edges"] = [e for e in conf["networks"]["edges"]
                                 if os.path.basename(e["edges_file"]) != V1_EDGES]
    with open(path, "w") as fh:
        json.dump(conf, fh, indent=2)


def _replay_config(ex, out_dir, recorded_spikes, **replay):
    net = ex / "network"

    def edit(conf):
        conf["inputs"]["v1_replay"] = dict({
            "input_type": "replay_spikes", "module": "replay", "spikes_file": str(recorded_spikes),
            "edges": {"edges_file": str(net / V1_EDGES), "edge_types_file": str(net / "v1_v1_edge_types.csv")},
            "source_node_set": {"population": "v1"}, "target_node_set": {"population": "v1"}}, **replay)
        conf.pop("reports", None)

    cfg = localize(ex, "config.simulation.json", out_dir, tstop=TSTOP, edit=edit)
    _without_recurrent_edges(out_dir)
    return cfg


def _spikes(path):
    with h5py.File(path, "r") as f:
        g = f["spikes/v1"]
        return np.asarray(g["node_ids"][()], dtype=np.int64), np.asarray(g["timestamps"][()], dtype=float)


@pytest.fixture(scope="module")
def recorded(bmtk_data, tmp_path_factory):
    """The full network's spikes (the earlier run whose activity is replayed)."""
    base = tmp_path_factory.mktemp("replay_rec")
    ex = bmtk_data / "examples" / "bio_14cells"
    cfg = localize(ex, "config.simulation.json", base, tstop=TSTOP, edit=lambda c: c.pop("reports", None))
    run_config(cfg)
    return ex, base / "output" / "spikes.h5"


@pytest.mark.parametrize("case", ["all", "subset"])
def test_replay_matches_neuron(recorded, nrnmech_dir, tmp_path, case):
    require_module("bmtk")
    ex, spikes = recorded
    extra = {} if case == "all" else {"source_node_set": [0, 2, 4, 6, 8], "target_node_set": [1, 3, 5, 7, 9]}
    ours = _replay_config(ex, tmp_path / "rs", spikes, **extra)
    ref = _replay_config(ex, tmp_path / "nrn", spikes, **extra)
    run_config(ours)
    run_config(ref, nrnmech_dir)
    a_ids, a_t = _spikes(tmp_path / "rs" / "output" / "spikes.h5")
    b_ids, b_t = _spikes(tmp_path / "nrn" / "output" / "spikes.h5")
    assert len(b_t) > 0, "the replay run fires no spike: the test would not see a lost synapse"
    for n in range(14):
        ta, tb = np.sort(a_t[a_ids == n]), np.sort(b_t[b_ids == n])
        assert len(ta) == len(tb), f"cell {n}: {len(ta)} spikes, NEURON {len(tb)}"
        if len(tb):
            assert np.max(np.abs(ta - tb)) < 0.5, f"cell {n}: {ta} vs {tb}"


def _build(cfg):
    from bmtk_rs.simulator import bionet

    conf = bionet.Config.from_json(cfg)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    return bionet, conf, net


def test_replay_edges_that_do_not_match_the_network_are_an_error(recorded, tmp_path):
    ex, spikes = recorded
    # lgn->v1 edges replayed into a network whose lgn nodes exist: fine; a file naming a population the
    # network lacks is refused
    bad_types = tmp_path / "bad_edge_types.csv"
    bad_edges = tmp_path / "bad_edges.h5"
    with h5py.File(ex / "network" / V1_EDGES, "r") as src, h5py.File(bad_edges, "w") as dst:
        src.copy("edges", dst)
        pop = next(iter(dst["edges"]))
        dst["edges"][pop]["source_node_id"].attrs["node_population"] = "v2"
    with open(ex / "network" / "v1_v1_edge_types.csv") as fh:
        bad_types.write_text(fh.read())
    cfg = _replay_config(ex, tmp_path / "rs", spikes,
                         edges={"edges_file": str(bad_edges), "edge_types_file": str(bad_types)})
    bionet, conf, net = _build(cfg)
    with pytest.raises(Exception, match=r"input 'v1_replay'.*source population 'v2'"):
        bionet.BioSimulator.from_config(conf, network=net)
    assert not (tmp_path / "rs" / "output" / "spikes.h5").exists()


@pytest.mark.parametrize("change, message", [
    ({"spikes_file": "/nonexistent/spikes.h5"}, r"replay spikes_file '/nonexistent/spikes.h5' does not exist"),
    ({"edges": {"edges_file": "x.h5"}}, r"replay needs 'edges'"),
    ({"module": "spikes"}, r"replay_spikes inputs need module 'replay'"),
])
def test_bad_replay_inputs_are_errors(recorded, tmp_path, change, message):
    ex, spikes = recorded
    cfg = _replay_config(ex, tmp_path / "rs", spikes, **change)
    bionet, conf, net = _build(cfg)
    with pytest.raises(Exception, match=message):
        bionet.BioSimulator.from_config(conf, network=net)


@pytest.mark.mpi
def test_replay_is_identical_on_two_ranks_and_two_threads(recorded, tmp_path):
    """The replay run gives the same spikes file serially, with 2 threads and on 2 MPI ranks."""
    import subprocess
    import sys

    from ..conftest import run_mpi

    ex, spikes = recorded
    outs = []
    for label, threads, ranks in (("serial", 1, None), ("threads", 2, None), ("ranks", 1, 2)):
        cfg = _replay_config(ex, tmp_path / label, spikes, source_node_set=[0, 2, 4, 6, 8])
        cmd = [sys.executable, "-m", "bmtk_rs.simulator.bionet", cfg]
        env = dict(os.environ, BMTK_RS_THREADS=str(threads))
        if ranks:
            run = run_mpi(ranks, cmd, capture_output=True, text=True, env=env, timeout=900)
        else:
            run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        outs.append(_spikes(tmp_path / label / "output" / "spikes.h5"))
    assert len(outs[0][1]) > 0
    for ids, t in outs[1:]:
        np.testing.assert_array_equal(ids, outs[0][0])
        np.testing.assert_array_equal(t, outs[0][1])
