"""Events of users' .mod files inside a BioNet network, against bmtk 1.2.0 + NEURON 9.0.2 with the
same files compiled by nrnivmodl (tests/nmodl/test_net_send.py's files, written there, and NEURON's
demo invlfire.mod from the neuron wheel):

- `counter`, an ARTIFICIAL_CELL, as point_process nodes (`model_template: nrn:counter`, per-node
  parameters from dynamics_params): it receives virtual inputs through NET_RECEIVE with the edge's
  weight, keeps a periodic self event (INITIAL's `net_send`) and fires by `net_event`; one counter
  listens to the others, so their spikes travel through the network. bmtk has no built-in cell
  function for such a template: the NEURON side registers one (`add_cell_model`), as a user would.
- `IntervalFire` (invlfire.mod), an ARTIFICIAL_CELL whose inputs move its pending self event by
  `net_move`, as one more node.
- `delsyn`, a POINT_PROCESS whose NET_RECEIVE defers every input by `net_send`, and `xcount`,
  one whose WATCH on its segment's v halves its conductance at each threshold crossing, as the
  edge synapses of a biophysical cell driven by the counters.

The artificial cells' spike times must equal NEURON's (1e-9 ms); the biophysical cell's spikes and soma v
follow (same spikes within 0.025 ms, v within 1e-4 mV)."""

import json

import h5py
import numpy as np
import pytest

from ..conftest import compiled_mechanisms, require_module
from ..nmodl.test_net_send import COUNTER, DELAYED, WATCHER, _wheel_invlfire
from .network_configs import run_config
from .sonata_writer import write_edges, write_nodes, write_spikes, write_types

TSTOP = 300.0
N_INPUTS = 6
# arts 0-3: counters driven by the inputs, 4: a counter driven by 0-3, 5: NEURON's IntervalFire
# (invlfire.mod of the neuron wheel: net_move) driven by the inputs
N_COUNTERS = 5
N_ARTS = 6


def _network(base):
    net = base / "network"
    net.mkdir(parents=True)
    write_types(net / "arts_node_types.csv", [
        {"node_type_id": 10, "model_type": "point_process", "model_template": "nrn:counter",
         "dynamics_params": "counter_slow.json", "pop_name": "slow"},
        {"node_type_id": 11, "model_type": "point_process", "model_template": "nrn:counter",
         "dynamics_params": "counter_fast.json", "pop_name": "fast"},
        {"node_type_id": 12, "model_type": "point_process", "model_template": "nrn:IntervalFire",
         "dynamics_params": "interval.json", "pop_name": "interval"}], "node_type_id")
    write_nodes(net / "arts_nodes.h5", "arts", [10, 11, 10, 11, 11, 12])
    write_types(net / "bio_node_types.csv", [
        {"node_type_id": 100, "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
         "model_processing": "aibs_perisomatic", "morphology": "Scnn1a_473845048_m.swc",
         "dynamics_params": "472363762_fit.json", "pop_name": "Scnn1a"}], "node_type_id")
    write_nodes(net / "bio_nodes.h5", "bio", [100])
    write_types(net / "inputs_node_types.csv", [{"node_type_id": 200, "model_type": "virtual", "pop_name": "in"}],
                "node_type_id")
    write_nodes(net / "inputs_nodes.h5", "inputs", [200] * N_INPUTS)

    # inputs -> counters 0-3 (each input onto two counters, weights varied)
    src = np.array([k for k in range(N_INPUTS) for _ in (0, 1)] + [0, 3])
    trg = np.array([(k + j) % 4 for k in range(N_INPUTS) for j in (0, 1)] + [5, 5])
    w = 0.55 + 0.1 * (np.arange(len(src)) % 4)
    write_types(net / "inputs_arts_edge_types.csv", [{"edge_type_id": 1, "delay": 1.25, "syn_weight": 0.6,
                                                                 "dynamics_params": "to_counter.json"}],
                "edge_type_id")
    write_edges(net / "inputs_arts_edges.h5", "inputs_to_arts", "inputs", "arts", src, trg, np.ones(len(src), int),
                {0: {"syn_weight": w}}, np.zeros(len(src), int), N_INPUTS, N_ARTS)
    # counters 0-3 -> counter 4 and every counter -> the biophysical soma through delsyn
    a_src, a_trg = np.arange(4), np.full(4, 4)
    b_src, b_trg = np.arange(N_ARTS), np.zeros(N_ARTS, int)
    write_types(net / "arts_arts_edge_types.csv", [{"edge_type_id": 2, "delay": 1.0, "syn_weight": 0.9,
                                                               "dynamics_params": "to_counter.json"}],
                "edge_type_id")
    write_edges(net / "arts_arts_edges.h5", "arts_to_arts", "arts", "arts", a_src, a_trg, np.full(4, 2),
                {0: {"syn_weight": np.full(4, 0.9)}}, np.zeros(4, int), N_ARTS, N_ARTS)
    write_types(net / "arts_bio_edge_types.csv", [
        {"edge_type_id": 3, "model_template": "delsyn", "dynamics_params": "delsyn.json", "delay": 1.5,
         "syn_weight": 0.02},
        {"edge_type_id": 4, "model_template": "xcount", "dynamics_params": "xcount.json", "delay": 1.5,
         "syn_weight": 0.02}], "edge_type_id")
    n = len(b_src)
    write_edges(net / "arts_bio_edges.h5", "arts_to_bio", "arts", "bio", b_src, b_trg, np.array([3, 4, 3, 4, 4, 3]),
                {0: {"afferent_section_id": np.zeros(n, dtype=np.int64), "afferent_section_pos": np.full(n, 0.5),
                     "syn_weight": np.full(n, 0.004)}}, np.zeros(n, int), N_ARTS, 1)
    return net


def _inputs(base):
    rng = np.random.RandomState(11)
    ids, ts = [], []
    for k in range(N_INPUTS):
        t = np.cumsum(rng.exponential(1000.0 / 40.0, 30))
        t = t[t < TSTOP - 5.0]
        ids.append(np.full(len(t), k))
        ts.append(np.round(t, 4))
    path = base / "inputs" / "spikes.h5"
    path.parent.mkdir(parents=True)
    write_spikes(path, "inputs", np.concatenate(ids), np.concatenate(ts))
    return path


def _components(base):
    point = base / "point_neuron_models"
    point.mkdir(parents=True)
    (point / "counter_slow.json").write_text(json.dumps({"thr": 2.5, "period": 7.3}))
    (point / "counter_fast.json").write_text(json.dumps({"thr": 1.5, "period": 5.1}))
    (point / "interval.json").write_text(json.dumps({"tau": 4.0, "invl": 12.0}))
    syn = base / "synaptic_models"
    syn.mkdir()
    (syn / "to_counter.json").write_text(json.dumps({"sign": 1}))
    (syn / "delsyn.json").write_text(json.dumps({"tau": 3.0, "e": 0.0, "delay": 2.5}))
    (syn / "xcount.json").write_text(json.dumps({"tau": 4.0, "e": 0.0, "vth": -62.0}))
    mech = base / "mechanisms"
    (mech / "modfiles").mkdir(parents=True)
    (mech / "modfiles" / "counter.mod").write_text(COUNTER)
    (mech / "modfiles" / "delsyn.mod").write_text(DELAYED)
    (mech / "modfiles" / "xcount.mod").write_text(WATCHER)
    # a temporary copy of the neuron wheel's file (the test's own folder, for both runs)
    (mech / "modfiles" / "invlfire.mod").write_text(_wheel_invlfire().read_text())
    return point, syn, mech


def _config(base, net, spikes, comps, point, syn, mech, dt):
    pops = ("arts", "bio", "inputs")
    conf = {
        "run": {"tstop": TSTOP, "dt": dt, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 5000},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "inputs": {"spikes": {"input_type": "spikes", "module": "sonata", "input_file": str(spikes),
                              "node_set": "inputs"},
                   "clamp": {"input_type": "current_clamp", "module": "IClamp", "node_set": "bio",
                             "amp": 0.1, "delay": 0.0, "duration": TSTOP}},
        "reports": {"soma_v": {"module": "membrane_report", "variable_name": "v", "sections": "soma",
                               "cells": "bio", "file_name": "soma_v.h5"}},
        "output": {"log_file": "log.txt", "output_dir": str(base / "output"), "spikes_file": "spikes.h5",
                   "overwrite_output_dir": True},
        "components": {"morphologies_dir": str(comps / "morphologies"),
                       "biophysical_neuron_models_dir": str(comps / "biophysical_neuron_models"),
                       "point_neuron_models_dir": str(point), "synaptic_models_dir": str(syn),
                       "mechanisms_dir": str(mech)},
        "networks": {
            "nodes": [{"nodes_file": str(net / f"{p}_nodes.h5"), "node_types_file": str(net / f"{p}_node_types.csv")}
                      for p in pops],
            "edges": [{"edges_file": str(net / f"{e}_edges.h5"), "edge_types_file": str(net / f"{e}_edge_types.csv")}
                      for e in ("inputs_arts", "arts_arts", "arts_bio")],
        },
        "node_sets": {p: {"population": p} for p in pops},
    }
    base.mkdir(parents=True, exist_ok=True)
    path = base / "config.json"
    path.write_text(json.dumps(conf, indent=1))
    return path


def _spikes(config, pop, n):
    with h5py.File(config.parent / "output" / "spikes.h5", "r") as f:
        if pop not in f["spikes"]:
            return [np.zeros(0)] * n
        g = f["spikes"][pop]
        ids, ts = g["node_ids"][()], g["timestamps"][()]
    return [np.sort(ts[ids == k]) for k in range(n)]


@pytest.mark.parametrize("dt", (0.025, 0.1))
def test_artificial_cells_and_self_events_vs_neuron(bmtk_data, nrnmech_dir, tmp_path, dt):
    require_module("bmtk")
    comps = bmtk_data / "tutorial_l4" / "components"
    point, syn, mech = _components(tmp_path / "components")
    user_nrn = compiled_mechanisms(sorted((mech / "modfiles").glob("*.mod")))
    net = _network(tmp_path / "net")
    spikes = _inputs(tmp_path)
    ours_cfg = _config(tmp_path / "rs", net, spikes, comps, point, syn, mech, dt)
    ref_cfg = _config(tmp_path / "nrn", net, spikes, comps, point, syn, mech, dt)
    run_config(ours_cfg)
    # bmtk has no cell function for nrn:counter nor synapse functions for our files: the oracle
    # registers them, as a user would
    run_config(ref_cfg, nrnmech_dir, oracle_args=["--user-mechs", str(user_nrn), "--cell", "counter",
                                                  "--cell", "IntervalFire", "--synapse", "delsyn",
                                                  "--synapse", "xcount"])

    ours, ref = _spikes(ours_cfg, "arts", N_ARTS), _spikes(ref_cfg, "arts", N_ARTS)
    for k in range(N_ARTS):
        assert len(ref[k]) >= 3, f"cell {k}: NEURON fired {len(ref[k])} times; too few to compare"
        assert len(ours[k]) == len(ref[k]), (k, ours[k], ref[k])
        np.testing.assert_allclose(ours[k], ref[k], rtol=0, atol=1e-9, err_msg=f"cell {k}")
    bo, br = _spikes(ours_cfg, "bio", 1)[0], _spikes(ref_cfg, "bio", 1)[0]
    assert len(br) >= 10, f"the biophysical cell fired {len(br)} times in NEURON; too few to compare"
    assert len(bo) == len(br), (bo, br)
    assert np.max(np.abs(bo - br)) < 0.025, (bo, br)
    with h5py.File(ours_cfg.parent / "output" / "soma_v.h5", "r") as fo, \
            h5py.File(ref_cfg.parent / "output" / "soma_v.h5", "r") as fr:
        vo, vr = fo["report/bio/data"][()].astype(float), fr["report/bio/data"][()].astype(float)
    assert vo.shape == vr.shape
    assert np.max(np.abs(vo - vr)) < 1e-4, np.max(np.abs(vo - vr))


@pytest.mark.mpi
def test_artificial_cells_identical_for_threads_and_ranks(bmtk_data, tmp_path):
    """The same spikes (bytes of spikes.h5) with 1 thread, 2 threads and 2 MPI ranks: the counters
    and the biophysical cell sit on different ranks, the synapses' self events stay on theirs."""
    require_module("mpi4py")
    from .test_network import _run_bmtk_rs

    comps = bmtk_data / "tutorial_l4" / "components"
    point, syn, mech = _components(tmp_path / "components")
    net = _network(tmp_path / "net")
    spikes = _inputs(tmp_path)
    got = {}
    for tag, kw in {"t1": dict(threads=1), "t2": dict(threads=2), "mpi2": dict(threads=1, np_ranks=2)}.items():
        cfg = _config(tmp_path / tag, net, spikes, comps, point, syn, mech, 0.025)
        _run_bmtk_rs(str(cfg), **kw)
        with h5py.File(cfg.parent / "output" / "spikes.h5", "r") as f:
            got[tag] = {p: (g["node_ids"][()].tobytes(), g["timestamps"][()].tobytes())
                        for p, g in f["spikes"].items()}
    assert got["t1"]["arts"][0] and got["t1"]["bio"][0], "no spikes: the comparison would be empty"
    assert got["t1"] == got["t2"]
    assert got["t1"] == got["mpi2"]


BAD_FILES = [
    # (file replaced, its new text, what the error must say besides the file's name)
    ("counter.mod", COUNTER.replace("m = m + w\n", "m = m + w\n        WATCH (m > 1) 3\n"),
     "WATCH in an ARTIFICIAL_CELL"),
    ("counter.mod", COUNTER.replace("net_send(period, 2) }", "net_send(-1, 2) }"), "net_send at t=0 ms with delay -1"),
    ("counter.mod", DELAYED.replace("POINT_PROCESS delsyn", "POINT_PROCESS counter"), "needs an ARTIFICIAL_CELL"),
    # found only when the first input arrives, during the run
    ("delsyn.mod", DELAYED.replace("net_send(delay, 1)", "net_send(-delay, 1)"), "delay -2.5 ms"),
]


@pytest.mark.parametrize(("file", "src", "what"), BAD_FILES,
                         ids=["watch_in_cell", "negative_delay", "not_artificial", "synapse_negative_delay"])
def test_bad_event_files_refused(bmtk_data, tmp_path, file, src, what):
    """A file whose events cannot run: an exception naming the file, and no spikes file."""
    from bmtk_rs.simulator import bionet

    comps = bmtk_data / "tutorial_l4" / "components"
    point, syn, mech = _components(tmp_path / "components")
    (mech / "modfiles" / file).write_text(src)
    cfg = _config(tmp_path / "rs", _network(tmp_path / "net"), _inputs(tmp_path), comps, point, syn, mech, 0.1)
    conf = bionet.Config.from_json(str(cfg))
    conf.build_env()
    with pytest.raises(Exception) as e:
        net = bionet.BioNetwork.from_config(conf)
        bionet.BioSimulator.from_config(conf, network=net).run()
    assert file in str(e.value) and what in str(e.value), str(e.value)
    assert not (cfg.parent / "output" / "spikes.h5").exists()
