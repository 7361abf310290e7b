"""The scale benchmark's network (bench/bench_pointnet_scale.py: glif_psc cells in V1-like types, ~300
synapses per cell drawn by the builder's all_to_one_table rules, Poisson LGN input) at 1/500 of its
size, 1 s, run by bmtk 1.2.0 + NEST 3.10 and by bmtk-rs from the same files: every cell's spikes the
same, times equal (both put spikes on the 0.1 ms grid). The full size (230,000 cells) is only
benchmarked: NEST would take too long on this machine."""

import importlib.util
import os
import pathlib

import numpy as np

from tests.conftest import require_module

from .helpers import run, spikes_of

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench" / "bench_pointnet_scale.py"
FRACTION = 0.002
TSTOP = 1000.0
DT = 0.1


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_pointnet_scale", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_scale_network_matches_nest(tmp_path):
    require_module("bmtk")
    require_module("nest")
    bench = _bench_module()
    built = bench.build(tmp_path, FRACTION, 1, TSTOP, DT)
    assert built["cells"] == 460 and built["synapses"] == 460 * 300
    outputs = {}
    for which in ("bmtk", "bmtk_rs"):
        conf = (tmp_path / "config.json").read_text()
        out = tmp_path / f"output_{which}"
        path = tmp_path / f"config_{which}.json"
        path.write_text(conf.replace(str(tmp_path / "output"), str(out)))
        run(which, str(path), timeout=300)
        outputs[which] = spikes_of(os.path.join(out, "spikes.h5"))
    ref, got = outputs["bmtk"], outputs["bmtk_rs"]
    n_ref = sum(len(t) for t in ref.values())
    assert n_ref > 1000, f"the network should be active: {n_ref} spikes in NEST"
    assert set(ref) == set(got), f"cells that spiked differ: {sorted(set(ref) ^ set(got))[:10]}"
    for key, t in ref.items():
        assert len(got[key]) == len(t), f"{key}: {len(t)} spikes in NEST, {len(got[key])} in bmtk-rs"
        assert np.max(np.abs(got[key] - t)) <= 1e-9, f"{key}: spike times differ"
