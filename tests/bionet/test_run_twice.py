"""`sim.run()` twice in one process (notebooks re-run a cell): the second run starts again from t = 0
and writes the first run's spikes and report data exactly (biophysical and IntFire1 cells, virtual
inputs, a membrane report). The first run is the reference: other tests compare it with NEURON.
bionet.reset() between two simulations keeps registered functions, as bmtk's does."""

import h5py
import numpy as np

from .network_configs import localize


def _edit(conf):
    conf["reports"] = {"soma_v": {"module": "membrane_report", "variable_name": "v", "sections": "soma",
                                  "cells": list(range(10)), "file_name": "soma_v.h5"}}


def _outputs(out):
    with h5py.File(out / "spikes.h5", "r") as f:
        spikes = (f["spikes/v1/node_ids"][()], f["spikes/v1/timestamps"][()])
    with h5py.File(out / "soma_v.h5", "r") as f:
        report = f["report/v1/data"][()]
    return spikes, report


def test_second_run_repeats_the_first(bmtk_data, tmp_path):
    from bmtk_rs.simulator import bionet

    cfg = localize(bmtk_data / "examples" / "bio_14cells", "config.simulation.json", tmp_path, tstop=250.0,
                   edit=_edit)
    conf = bionet.Config.from_json(cfg)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()
    (ids1, t1), rep1 = _outputs(tmp_path / "output")
    assert len(t1) > 0 and rep1.shape[0] == 2500
    sim.run()
    (ids2, t2), rep2 = _outputs(tmp_path / "output")
    np.testing.assert_array_equal(ids1, ids2)
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(rep1, rep2)


def test_reset_keeps_registered_functions():
    from bmtk_rs.simulator import bionet
    from bmtk_rs.simulator.bionet import pyfunction_cache

    def my_weight(edge, src, trg):
        return 1.0

    bionet.add_weight_function(my_weight)
    try:
        bionet.reset()
        assert pyfunction_cache.weight_function("my_weight") is my_weight
    finally:
        pyfunction_cache.reset()
