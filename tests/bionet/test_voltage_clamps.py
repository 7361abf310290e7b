"""BioNet's SEClamp input against bmtk 1.2.0 + NEURON 9.0.2 on the same config: two cells under
one clamp input (bmtk keeps only the clamp it made last: NEURON frees the other, whose cell runs
unclamped) and one clamp on a dendrite. Soma voltages are
compared step by step (float32 report data)."""

import json

import numpy as np
import pytest

from ..conftest import require_module
from .test_current_clamps import DT, _config, _network, _run

INPUTS = {
    "pair": {"input_type": "voltage_clamp", "module": "SEClamp", "node_set": "pair", "amp": -40.0,
             "delay": 30.0, "duration": 100.0, "resistance": 0.05},
    "dendrite": {"input_type": "voltage_clamp", "module": "SEClamp", "node_set": "c2", "amp": 10.0,
                 "delay": 20.0, "duration": 60.0, "resistance": 0.5, "section_name": "dend",
                 "section_index": 1, "section_dist": 0.7},
}


def _with_pair(config):
    sets = json.loads((config.parent / "node_sets.json").read_text())
    sets["pair"] = {"population": "cells", "node_id": [0, 1]}
    (config.parent / "node_sets.json").write_text(json.dumps(sets))
    return config


@pytest.fixture(scope="module")
def runs(bmtk_data, nrnmech_dir, tmp_path_factory):
    require_module("bmtk")
    base = tmp_path_factory.mktemp("vclamps")
    _network(base / "net")
    comps = bmtk_data / "tutorial_l4" / "components"
    ours = _run(_with_pair(_config(base / "rs", base / "net", INPUTS, comps)))
    ref = _run(_with_pair(_config(base / "nrn", base / "net", INPUTS, comps)), nrnmech_dir)
    return ours, ref


@pytest.mark.parametrize("cell", [0, 1, 2])
def test_voltage_clamp_matches_neuron(runs, cell):
    (v_rs, sp_rs), (v_nrn, sp_nrn) = runs
    a, b = v_rs[cell], v_nrn[cell]
    np.testing.assert_allclose(a, b, atol=2e-3, err_msg=f"cell {cell}")
    assert len(sp_rs[cell]) == len(sp_nrn[cell])
    if len(sp_nrn[cell]):
        assert np.max(np.abs(sp_rs[cell] - sp_nrn[cell])) <= DT


def test_clamps_act_as_in_bmtk(runs):
    """Cell 1 (the clamp bmtk keeps) follows the command voltage inside the window and cell 2's
    dendritic clamp moves its soma; cell 0's clamp was freed, so it rests."""
    (v_rs, _), (v_nrn, _) = runs
    for v in (v_rs, v_nrn):
        assert abs(v[1][int(100.0 / DT)] - (-40.0)) < 3.0
        assert np.ptp(v[2]) > 20.0
        assert np.ptp(v[0][int(5.0 / DT):]) < 15.0
