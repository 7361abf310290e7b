"""A membrane report over a node set that includes virtual populations holds the populations bmtk
1.2.0 + NEURON 9.0.2 write (no empty group per virtual population), so bmtk's own report reader and
the analyzer's plot_traces take it as they take bmtk's."""

import os
import subprocess
import sys

import h5py
import numpy as np

from ..conftest import require_module
from .network_configs import localize

HERE = os.path.dirname(__file__)


def _add_report(conf):
    conf["reports"] = {"soma_v": {"module": "membrane_report", "variable_name": "v", "sections": "soma",
                                  "cells": "all", "file_name": "soma_v.h5"}}


def test_report_over_all_nodes_matches_bmtk(bmtk_data, nrnmech_dir, tmp_path):
    require_module("bmtk")
    ex = bmtk_data / "examples" / "bio_14cells"
    ours = localize(ex, "config.simulation.json", tmp_path / "rs", tstop=20.0, edit=_add_report)
    ref = localize(ex, "config.simulation.json", tmp_path / "nrn", tstop=20.0, edit=_add_report)
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    for cmd in ([sys.executable, "-m", "bmtk_rs.simulator.bionet", ours],
                [sys.executable, os.path.join(HERE, "bmtk_network_run.py"), ref, str(nrnmech_dir)]):
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    paths = [tmp_path / side / "output" / "soma_v.h5" for side in ("rs", "nrn")]
    with h5py.File(paths[0], "r") as a, h5py.File(paths[1], "r") as b:
        assert sorted(a["report"]) == sorted(b["report"])
        for pop in b["report"]:
            np.testing.assert_array_equal(a[f"report/{pop}/mapping/node_ids"][()],
                                          b[f"report/{pop}/mapping/node_ids"][()])
    # bmtk's reader (one population: no need to name it) and our analyzer on our file
    script = f"""
import matplotlib; matplotlib.use('Agg')
from bmtk.utils.reports.compartment import CompartmentReport
r = CompartmentReport({str(paths[0])!r}, mode='r')
assert len(r.populations) == 1, r.populations
pop = r.populations[0]
print(len(r.node_ids(population=pop)), r.data(node_id=0, population=pop).shape)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    from bmtk_rs.analyzer.compartment import plot_traces

    import matplotlib

    matplotlib.use("Agg")
    fig = plot_traces(config_file=ours, report_name="soma_v", node_ids=[0, 2], show=False)
    assert fig is not None
