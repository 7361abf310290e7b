"""model_processing beyond the four Allen names: `aibs_perisomatic_fullaxon` (the fit on the full
reconstructed axon, as bmtk's example scripts register it) and `aibs_perisomatic,extracellular` (NEURON's
extracellular mechanism added, which makes i_membrane recordable), each cell driven by a soma clamp,
against bmtk 1.2.0 + NEURON 9.0.2 (the full-axon processor registered in the oracle's run script). A
Python processor using NEURON-only calls is refused naming it (user processors in general:
test_cell_processors.py)."""

import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from ..conftest import require_module
from .network_configs import cells_config, run_config
from .sonata_writer import write_nodes, write_types

HERE = os.path.dirname(__file__)
TSTOP = 200.0
PROCESSING = ["aibs_perisomatic_fullaxon", "aibs_perisomatic,extracellular", "aibs_perisomatic"]


def _network(net, processing=PROCESSING):
    net.mkdir(parents=True, exist_ok=True)
    write_types(net / "cells_node_types.csv", [
        {"node_type_id": 100 + k, "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
         "model_processing": proc, "morphology": "Scnn1a_473845048_m.swc",
         "dynamics_params": "472363762_fit.json", "pop_name": f"p{k}"} for k, proc in enumerate(processing)],
        "node_type_id")
    write_nodes(net / "cells_nodes.h5", "cells", [100 + k for k in range(len(processing))])


def _config(base, net, comps):
    cells = {"population": "cells"}
    report = {"module": "membrane_report", "sections": "soma", "cells": cells}
    inputs = {"clamp": {"input_type": "current_clamp", "module": "IClamp", "node_set": cells, "amp": 0.25,
                        "delay": 20.0, "duration": 150.0}}
    reports = {
        "soma_v": dict(report, variable_name="v", file_name="soma_v.h5"),
        "axon_v": dict(report, variable_name="v", sections="axon", cells=[0], file_name="axon_v.h5"),
        "imem": dict(report, variable_name="i_membrane", sections="all", cells=[1], file_name="imem.h5"),
    }
    return cells_config(base, net, comps, inputs, reports, TSTOP)


def _report(out, name):
    with h5py.File(out / f"{name}.h5", "r") as f:
        g = f["report/cells"]
        return g["mapping/node_ids"][()], g["mapping/element_ids"][()], g["data"][()].astype(float)


def _spikes(out):
    with h5py.File(out / "spikes.h5", "r") as f:
        g = f["spikes/cells"]
        return g["node_ids"][()], g["timestamps"][()]


@pytest.fixture(scope="module")
def runs(bmtk_data, nrnmech_dir, tmp_path_factory):
    require_module("bmtk")
    base = tmp_path_factory.mktemp("processing")
    _network(base / "net")
    comps = bmtk_data / "tutorial_l4" / "components"
    ours = _config(base / "rs", base / "net", comps)
    ref = _config(base / "nrn", base / "net", comps)
    run_config(ours)
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui", PYTHONPATH=HERE)
    run = subprocess.run([sys.executable, os.path.join(HERE, "bmtk_fullaxon_run.py"), str(ref), str(nrnmech_dir)],
                         capture_output=True, text=True, env=env, timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return base / "rs" / "output", base / "nrn" / "output"


def test_spikes_match_neuron(runs):
    (a_ids, a_t), (b_ids, b_t) = (_spikes(d) for d in runs)
    for n in range(len(PROCESSING)):
        ta, tb = np.sort(a_t[a_ids == n]), np.sort(b_t[b_ids == n])
        assert len(tb) > 0, f"cell {n} ({PROCESSING[n]}) does not fire in NEURON: the test would see nothing"
        assert len(ta) == len(tb), f"cell {n} ({PROCESSING[n]}): {len(ta)} spikes, NEURON {len(tb)}"
        assert np.max(np.abs(ta - tb)) < 0.5, f"cell {n}: {ta} vs {tb}"


@pytest.mark.parametrize("name", ["soma_v", "axon_v", "imem"])
def test_reports_match_neuron(runs, name):
    (a_ids, a_el, a), (b_ids, b_el, b) = (_report(d, name) for d in runs)
    np.testing.assert_array_equal(a_ids, b_ids)
    np.testing.assert_array_equal(a_el, b_el)
    assert a.shape == b.shape
    # up to the first spike (the traces are compared in the subthreshold range)
    a_ids_s, a_t = _spikes(runs[1])
    first = int(np.min(a_t) / 0.025) - 40
    scale = max(float(np.max(np.abs(b[:first]))), 1e-30)
    err = float(np.max(np.abs(a[:first] - b[:first]))) / scale
    assert err < 1e-5, f"{name}: max |difference| {err:.3g} of the trace's scale"


def test_full_axon_keeps_the_reconstructed_axon(runs):
    """The full-axon cell records many more axon segments than the stub's two."""
    _, el, _ = _report(runs[0], "axon_v")
    assert len(el) > 2


def test_unrunnable_python_processor_is_refused(bmtk_data, tmp_path):
    from bmtk_rs.simulator import bionet
    from bmtk_rs.simulator.bionet import pyfunction_cache

    @bionet.model_processing
    def shrink_dendrites(hobj, cell, dynamics_params):
        from bmtk_rs.simulator.bionet.cell_object import h

        h.Vector([1.0, 2.0])
        return hobj

    try:
        _network(tmp_path / "net", ["aibs_perisomatic,shrink_dendrites"])
        cfg = _config(tmp_path / "rs", tmp_path / "net", bmtk_data / "tutorial_l4" / "components")
        conf = bionet.Config.from_json(str(cfg))
        conf.build_env()
        net = bionet.BioNetwork.from_config(conf)
        with pytest.raises(Exception, match=r"user function 'shrink_dendrites' \(on population cells node 0\) uses h.Vector, which is NEURON-only"):
            bionet.BioSimulator.from_config(conf, network=net)
    finally:
        pyfunction_cache.reset()

