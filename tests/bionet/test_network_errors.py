"""Bad BioNet inputs give clear errors that name the file, key, node or edge, and leave no
simulation output behind (bio_14cells with one thing broken at a time)."""

import json
import os
import shutil

import h5py
import numpy as np
import pytest

from .network_configs import localize

EXAMPLE = "examples/bio_14cells"


def _run(config):
    from bmtk_rs.simulator import bionet

    conf = bionet.Config.from_json(str(config))
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()
    return sim


def _outputs(work):
    out = work / "output"
    return sorted(p.name for p in out.iterdir() if p.suffix in (".h5", ".csv")) if out.exists() else []


@pytest.fixture
def case(bmtk_data, tmp_path):
    from bmtk_rs.simulator.bionet import pyfunction_cache

    pyfunction_cache.reset()

    def make(components=None, edit=None, circuit_edit=None):
        cfg = localize(bmtk_data / EXAMPLE, "config.simulation.json", tmp_path, tstop=50.0, components=components,
                       edit=edit)
        if circuit_edit is not None:
            circuit = tmp_path / "config.circuit.json"
            c = json.loads(circuit.read_text())
            circuit_edit(c)
            circuit.write_text(json.dumps(c))
        return cfg

    yield make, tmp_path
    pyfunction_cache.reset()


def test_the_unbroken_case_runs(case):
    make, work = case
    sim = _run(make())
    assert "spikes.h5" in _outputs(work)
    assert sim.engine.n_synapses > 0


def test_missing_component_file(case):
    make, work = case
    cfg = make(circuit_edit=lambda c: c["components"].update(morphologies_dir=str(work / "no_such_dir")))
    with pytest.raises(ValueError, match=r"no_such_dir/Scnn1a_473845048_m.swc does not exist"):
        _run(cfg)
    assert _outputs(work) == []


def _copy_network(bmtk_data, work):
    src = bmtk_data / EXAMPLE / "network"
    dst = work / "net"
    shutil.copytree(src, dst)
    return dst


def _point_circuit_to(c, net):
    for entry in c["networks"]["nodes"] + c["networks"]["edges"]:
        for k, v in entry.items():
            entry[k] = str(net / os.path.basename(v))


def test_unknown_model_template(case, bmtk_data):
    make, work = case
    net = _copy_network(bmtk_data, work)
    p = net / "v1_node_types.csv"
    p.write_text(p.read_text().replace("ctdb:Biophys1.hoc Rorb", "hoc:MyCell Rorb"))
    cfg = make(circuit_edit=lambda c: _point_circuit_to(c, net))
    with pytest.raises(ValueError, match=r"population v1 node 2: unknown model_template 'hoc:MyCell'; supported"):
        _run(cfg)
    assert _outputs(work) == []


def test_unknown_synaptic_model(case, bmtk_data):
    make, work = case
    net = _copy_network(bmtk_data, work)
    p = net / "lgn_v1_edge_types.csv"
    p.write_text(p.read_text().replace("exp2syn", "MySyn", 1))
    cfg = make(circuit_edit=lambda c: _point_circuit_to(c, net))
    with pytest.raises(ValueError, match=r"lgn_v1_edges.h5 \(lgn_to_v1\): unknown synaptic model_template \['MySyn'\]"):
        _run(cfg)
    assert _outputs(work) == []


def test_edge_to_a_missing_node(case, bmtk_data):
    make, work = case
    net = _copy_network(bmtk_data, work)
    with h5py.File(net / "v1_v1_edges.h5", "r+") as f:
        pop = next(iter(f["edges"]))
        tgt = f["edges"][pop]["target_node_id"]
        t = tgt[()]
        t[3] = 99
        tgt[...] = t
    cfg = make(circuit_edit=lambda c: _point_circuit_to(c, net))
    with pytest.raises(ValueError, match=r"v1_v1_edges.h5: edges .* point to target node\(s\) \[99\] that population 'v1'"):
        _run(cfg)
    assert _outputs(work) == []


def test_spike_file_for_unknown_population(case, tmp_path):
    make, work = case
    spikes = tmp_path / "other.h5"
    from bmtk_rs.utils.reports.spike_trains import SpikeTrains

    st = SpikeTrains()
    st.add_spikes(np.array([0, 1]), np.array([5.0, 6.0]), population="retina")
    st.to_sonata(str(spikes))
    cfg = make(edit=lambda c: c["inputs"]["LGN_spikes"].update(input_file=str(spikes)))
    with pytest.raises(ValueError, match=r"input 'LGN_spikes': spikes file .*other.h5 has populations \['retina'\], "
                                         r"not 'lgn'"):
        _run(cfg)
    assert _outputs(work) == []


def test_node_set_that_selects_nothing(case):
    make, work = case

    def edit(c):
        c["reports"] = {"v": {"module": "membrane_report", "variable_name": "v", "sections": "soma",
                              "cells": {"population": "v1", "pop_name": "NoSuchType"}}}

    with pytest.raises(ValueError, match=r"node_set .*NoSuchType.* selects no cells"):
        _run(make(edit=edit))
    assert _outputs(work) == []


def test_weight_function_that_raises(case):
    from bmtk_rs.simulator import bionet

    make, work = case

    def wmax(edge_props, src, trg):
        raise ZeroDivisionError("user bug")

    bionet.add_weight_function(wmax)
    with pytest.raises(bionet.WeightFunctionError, match=r"weight_function 'wmax' failed on edge \d+ of .*"
                                                         r"ZeroDivisionError: user bug") as exc:
        _run(make())
    assert isinstance(exc.value.__cause__, ZeroDivisionError)
    assert exc.value.__cause__.__traceback__ is not None
    assert _outputs(work) == []


def test_weight_function_is_called_with_bmtk_arguments(case):
    """A user weight function scales one edge type; spikes change and every call saw real props."""
    from bmtk_rs.simulator import bionet

    make, work = case
    seen = []

    def wmax(edge_props, source, target):
        seen.append((edge_props["syn_weight"], source.node_id, target["model_type"]))
        return 0.0

    bionet.add_weight_function(wmax)
    sim = _run(make())
    assert seen and all(w > 0 for w, _, _ in seen)
    assert {m for _, _, m in seen} <= {"biophysical", "point_neuron"}
    # every edge of the wmax types has zero weight: the LIF cells, driven only through them, stay silent
    spikes = sim.spikes()
    assert "v1" not in spikes or not np.isin(spikes["v1"][0], [10, 11, 12, 13]).any()
