"""BMTK's PointNet examples (point_450cells: iaf_psc_alpha driven by LGN spike trains;
point_iclamp: iaf_psc_delta under current clamps given as numbers, lists and a csv table), run
by bmtk 1.2.0 + NEST 3.10 and by bmtk-rs from copies of their configs: equal spike counts per
cell, spike times within one dt, membrane traces as NEST's multimeter file holds them."""

import os

import pytest

from tests.conftest import require_module

from .helpers import rewrite_config, run
from .test_models import assert_same_report, assert_same_spikes

ICLAMP_CONFIGS = ("config.simulation_iclamp.json", "config.simulation_iclamp.aslist.json",
                  "config.simulation_iclamp.csv.json")


def _strong_clamp(conf):
    # the example's 0.15-0.2 pA steps barely move V; 450-600 pA make the cells fire
    inp = conf["inputs"]["current_clamp_1"]
    inp["amp"] = [a * 3000.0 for a in inp["amp"]]


@pytest.fixture(scope="module")
def example_runs(bmtk_data, tmp_path_factory):
    require_module("bmtk")
    require_module("nest")
    ex = os.path.join(bmtk_data, "examples")
    base = tmp_path_factory.mktemp("pointnet_examples")
    cases = {"450cells": ("point_450cells", "config.simulation.json", 250.0, None)}
    for name in ICLAMP_CONFIGS:
        cases[name] = ("point_iclamp", name, 850.0 if "csv" in name else 620.0, None)
    cases["strong_clamp"] = ("point_iclamp", "config.simulation_iclamp.aslist.json", 620.0, _strong_clamp)
    out = {}
    for which in ("bmtk", "bmtk_rs"):
        configs = []
        for case, (folder, name, tstop, extra) in cases.items():
            d = str(base / which / case.replace(".", "_"))
            configs.append(rewrite_config(os.path.join(ex, folder), name, d, tstop=tstop, extra=extra))
            out.setdefault(case, {})[which] = d
        run(which, *configs)
    return out


def test_450cells(example_runs):
    res = example_runs["450cells"]
    n = assert_same_spikes(os.path.join(res["bmtk"], "spikes.h5"), os.path.join(res["bmtk_rs"], "spikes.h5"), 0.001)
    assert n > 20


@pytest.mark.parametrize("case", ICLAMP_CONFIGS + ("strong_clamp",))
def test_iclamp(example_runs, case):
    res = example_runs[case]
    n = assert_same_spikes(os.path.join(res["bmtk"], "spikes.h5"), os.path.join(res["bmtk_rs"], "spikes.h5"), 0.01)
    if case == "strong_clamp":
        assert n > 20
    assert_same_report(os.path.join(res["bmtk"], "membrane_potential.h5"),
                       os.path.join(res["bmtk_rs"], "membrane_potential.h5"))
