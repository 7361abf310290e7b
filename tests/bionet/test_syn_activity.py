"""BMTK's `syn_activity` input (spontaneous synaptic activity): recurrent synapses from cells matching
precell_filter (onto cells matching postcell_filter) fire at the given timestamps, all other recurrent
synapses are silenced. bio_14cells with its v1->v1 edges cut to the biophysical targets (bmtk 1.2.0's
point-cell variant of this input fails with an UnboundLocalError), run through bmtk 1.2.0 + NEURON
9.0.2 and bmtk-rs: same spike counts per cell, times within 0.5 ms."""

import json
import os

import h5py
import numpy as np
import pytest

from ..conftest import require_module
from .network_configs import localize, run_config
from .sonata_writer import write_edges

TSTOP = 150.0


def _bio_target_edges(src_file, dst_file):
    """v1->v1 edges onto the biophysical cells (node ids 0-9) only, every column kept."""
    with h5py.File(src_file, "r") as f:
        (name, e), = f["edges"].items()
        keep = e["target_node_id"][()] < 10
        gid, gix = e["edge_group_id"][()][keep], e["edge_group_index"][()][keep]
        groups = {}
        for g in np.unique(gid):
            rows = gix[gid == g]
            groups[int(g)] = {k: v[()][rows] for k, v in e[str(g)].items() if isinstance(v, h5py.Dataset)}
        write_edges(dst_file, name, e["source_node_id"].attrs["node_population"],
                    e["target_node_id"].attrs["node_population"], e["source_node_id"][()][keep],
                    e["target_node_id"][()][keep], e["edge_type_id"][()][keep], groups, gid, 14, 14)


def _config(ex, out_dir, edges_file, syn_activity):
    def edit(conf):
        conf["inputs"]["spont"] = dict({"input_type": "syn_activity", "module": "syn_activity"}, **syn_activity)
        conf.pop("reports", None)

    cfg = localize(ex, "config.simulation.json", out_dir, tstop=TSTOP, edit=edit)
    circuit = os.path.join(out_dir, "config.circuit.json")
    with open(circuit) as fh:
        conf = json.load(fh)
    for e in conf["networks"]["edges"]:
        if os.path.basename(e["edges_file"]) == "v1_v1_edges.h5":
            e["edges_file"] = str(edges_file)
    with open(circuit, "w") as fh:
        json.dump(conf, fh, indent=2)
    return cfg


def _spikes(path):
    with h5py.File(path, "r") as f:
        g = f["spikes/v1"]
        return np.asarray(g["node_ids"][()], dtype=np.int64), np.asarray(g["timestamps"][()], dtype=float)


CASES = {
    "excitatory_sources": {"precell_filter": {"ei": "e"}, "timestamps": [20.0, 45.0, 70.0, 95.0, 120.0]},
    "pv_onto_two_types": {"precell_filter": {"pop_name": ["PV1", "PV2"]},
                          "postcell_filter": {"pop_name": ["Scnn1a", "Rorb"]}, "timestamps": 30.0},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_syn_activity_matches_neuron(bmtk_data, nrnmech_dir, tmp_path, case):
    require_module("bmtk")
    ex = bmtk_data / "examples" / "bio_14cells"
    edges = tmp_path / "v1_v1_bio_edges.h5"
    _bio_target_edges(ex / "network" / "v1_v1_edges.h5", edges)
    ours = _config(ex, tmp_path / "rs", edges, CASES[case])
    ref = _config(ex, tmp_path / "nrn", edges, CASES[case])
    run_config(ours)
    run_config(ref, nrnmech_dir)
    a_ids, a_t = _spikes(tmp_path / "rs" / "output" / "spikes.h5")
    b_ids, b_t = _spikes(tmp_path / "nrn" / "output" / "spikes.h5")
    assert len(b_t) > 0
    for n in range(14):
        ta, tb = np.sort(a_t[a_ids == n]), np.sort(b_t[b_ids == n])
        assert len(ta) == len(tb), f"cell {n}: {len(ta)} spikes, NEURON {len(tb)}"
        if len(tb):
            assert np.max(np.abs(ta - tb)) < 0.5, f"cell {n}: {ta} vs {tb}"


@pytest.mark.parametrize("params, message", [
    ({"timestamps": [10.0]}, r"needs a 'precell_filter' dict"),
    ({"precell_filter": {"ei": "e"}}, r"needs 'timestamps'"),
    ({"precell_filter": {"ei": "e"}, "timestamps": [-5.0]}, r"timestamps must be finite and >= 0"),
    ({"precell_filter": {"colour": "red"}, "timestamps": [5.0]}, r"no attribute 'colour'"),
])
def test_bad_syn_activity_is_an_error(bmtk_data, tmp_path, params, message):
    ex = bmtk_data / "examples" / "bio_14cells"
    cfg = _config(ex, tmp_path, ex / "network" / "v1_v1_edges.h5", params)
    from bmtk_rs.simulator import bionet

    conf = bionet.Config.from_json(cfg)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    with pytest.raises(Exception, match=message):
        bionet.BioSimulator.from_config(conf, network=net)


@pytest.mark.mpi
def test_syn_activity_is_identical_on_two_ranks(bmtk_data, tmp_path):
    """Serial and 2 MPI ranks give the same spikes file (IntFire1 targets included)."""
    import subprocess
    import sys

    from ..conftest import run_mpi

    ex = bmtk_data / "examples" / "bio_14cells"
    outs = []
    for label, ranks in (("serial", None), ("ranks", 2)):
        cfg = _config(ex, tmp_path / label, ex / "network" / "v1_v1_edges.h5", CASES["excitatory_sources"])
        cmd = [sys.executable, "-m", "bmtk_rs.simulator.bionet", cfg]
        if ranks:
            run = run_mpi(ranks, cmd, capture_output=True, text=True, timeout=900)
        else:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        outs.append(_spikes(tmp_path / label / "output" / "spikes.h5"))
    assert len(outs[0][1]) > 0
    np.testing.assert_array_equal(outs[1][0], outs[0][0])
    np.testing.assert_array_equal(outs[1][1], outs[0][1])
