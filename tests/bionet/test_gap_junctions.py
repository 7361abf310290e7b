"""BioNet gap junctions, netcon_report and clamp_report against bmtk 1.2.0 + NEURON 9.0.2 on the same
network and config.

Five biophysical cells of bio_14cells' kinds (one population, built by bmtk-rs's NetworkBuilder with
add_gap_junctions, so the gap junction file is the builder's): cell 0 is driven by a current clamp
and reaches cells 1-4 only through gap junctions on the soma, on basal dendrites on mixed
sections and on a preselected section (cell 1 fires from the coupling alone); chemical synapses (a recurrent Exp2Syn edge and
virtual inputs through Exp2Syn and stp2syn) share the cells' placement streams with the junctions.
bmtk needs a compiled Gap mechanism: tests/bionet/mod/gap.mod (i = g (v - vgap)), built with
bmtk's .mod files. Soma voltages (float32 report data), spikes, the netcon reports and the clamp
reports are compared; bmtk-rs's own results must not depend on threads or MPI ranks; malformed gap
junction inputs fail before the run."""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from ..conftest import compiled_mechanisms, require_module, run_mpi
from .network_configs import run_config
from .sonata_writer import write_spikes

HERE = pathlib.Path(__file__).parent
TSTOP = 300.0
DT = 0.025
STP2 = {"level_of_detail": "stp2syn", "erev": 0.0, "p0": 0.5, "tau_r0": 300.0, "tau_FDR": 500.0, "tau_1": 4.0}
CELLS = [("Scnn1a_473845048_m.swc", "472363762_fit.json", "e"), ("Rorb_325404214_m.swc", "473863510_fit.json", "e"),
         ("Nr5a1_471087815_m.swc", "473863035_fit.json", "e"), ("Pvalb_470522102_m.swc", "472912177_fit.json", "i"),
         ("Pvalb_469628681_m.swc", "473862421_fit.json", "i")]


def _build(net_dir):
    from bmtk_rs.builder.networks import NetworkBuilder

    net = NetworkBuilder("v1")
    for k, (morph, dyn, ei) in enumerate(CELLS):
        net.add_nodes(N=1, cell=k, ei=ei, model_type="biophysical", model_template="ctdb:Biophys1.hoc",
                      model_processing="aibs_perisomatic", morphology=morph, dynamics_params=dyn)
    net.add_edges(source={"cell": 0}, target={"cell": 2}, connection_rule=3, syn_weight=0.002, delay=2.0,
                  dynamics_params="AMPA_ExcToExc.json", model_template="exp2syn",
                  target_sections=["basal", "apical"], distance_range=[0.0, 150.0])
    net.add_gap_junctions(source={"cell": 0}, target={"cell": 1}, resistance=30.0, target_sections=["somatic"])
    net.add_gap_junctions(source={"cell": 1}, target={"cell": 2}, conductance=0.02, target_sections=["basal"],
                          distance_range=[0.0, 100.0])
    net.add_gap_junctions(source={"cell": 3}, target={"cell": 4}, resistance=50.0)
    net.add_gap_junctions(source={"cell": 0}, target={"cell": 3}, resistance=40.0,
                          target_sections=["basal", "somatic"], distance_range=[0.0, 50.0])
    # preselected: both halves at the middle of section 4 of their own cell
    cm = net.add_gap_junctions(source={"cell": 2}, target={"cell": 4}, resistance=25.0)
    cm.add_properties("afferent_section_id", rule=lambda s, t: 4, dtypes=np.int64)
    net.build()
    net.save(output_dir=str(net_dir))

    lgn = NetworkBuilder("lgn")
    lgn.add_nodes(N=4, model_type="virtual")
    lgn.add_edges(source=lgn.nodes(), target=net.nodes(cell=2), connection_rule=2, syn_weight=0.01, delay=1.5,
                  dynamics_params="stp2.json", model_template="stp2syn", target_sections=["basal"],
                  distance_range=[0.0, 200.0])
    lgn.add_edges(source=lgn.nodes(), target=net.nodes(cell=3), connection_rule=1, syn_weight=0.004, delay=1.5,
                  dynamics_params="AMPA_ExcToExc.json", model_template="exp2syn", target_sections=["somatic"],
                  distance_range=[0.0, 50.0])
    lgn.build()
    lgn.save(output_dir=str(net_dir))
    rng = np.random.RandomState(3)
    ids, ts = [], []
    for n in range(4):
        t = np.round(np.cumsum(rng.exponential(25.0, 20)), 3)
        t = t[t < TSTOP - 5.0]
        ids.append(np.full(len(t), n))
        ts.append(t)
    write_spikes(net_dir / "lgn_spikes.h5", "lgn", np.concatenate(ids), np.concatenate(ts))


def _config(base, net_dir, comps, syn_dir, tstop=TSTOP, edit=None):
    base.mkdir(parents=True, exist_ok=True)
    v1 = {"population": "v1"}
    conf = {
        "run": {"tstop": tstop, "dt": DT, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 4000},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "inputs": {
            "drive": {"input_type": "current_clamp", "module": "IClamp", "node_set": {"population": "v1", "node_id": [0]},
                      "amp": 0.45, "delay": 50.0, "duration": 200.0},
            "lgn": {"input_type": "spikes", "module": "sonata", "input_file": str(net_dir / "lgn_spikes.h5"),
                    "node_set": "lgn"},
        },
        "reports": {
            "soma_v": {"module": "membrane_report", "variable_name": "v", "sections": "soma", "cells": v1,
                       "file_name": "soma_v.h5"},
            "syn_g": {"module": "netcon_report", "variable_name": "g", "cells": v1, "file_name": "syn_g.h5"},
            "stp_i": {"module": "netcon_report", "variable_name": ["i"], "cells": v1, "syn_type": "stp2syn",
                      "dt": 0.1, "start_time": 20.0, "end_time": 250.0},
            "all_i": {"module": "netcon_report", "variable_name": "i", "cells": v1, "syn_type": None},
            "se": {"module": "clamp_report", "variable_name": "se", "file_name": "se.h5"},
            "ic.h5": {"module": "clamp_report", "variable_name": "ic"},
        },
        "output": {"log_file": "log.txt", "output_dir": str(base / "output"), "spikes_file": "spikes.h5",
                   "overwrite_output_dir": True},
        "components": {"morphologies_dir": str(comps / "morphologies"), "synaptic_models_dir": str(syn_dir),
                       "biophysical_neuron_models_dir": str(comps / "biophysical_neuron_templates" / "ctdb"),
                       "mechanisms_dir": str(comps / "mechanisms")},
        "networks": {
            "nodes": [{"nodes_file": str(net_dir / f"{p}_nodes.h5"), "node_types_file": str(net_dir / f"{p}_node_types.csv")}
                      for p in ("v1", "lgn")],
            "edges": [{"edges_file": str(net_dir / f"{p}_edges.h5"), "edge_types_file": str(net_dir / f"{p}_edge_types.csv")}
                      for p in ("v1_v1", "lgn_v1")],
            "gap_juncs": [{"gap_juncs_file": str(net_dir / "v1_gap_juncs.h5")}],
        },
    }
    if edit is not None:
        edit(conf)
    path = base / "config.json"
    path.write_text(json.dumps(conf, indent=1))
    return path


@pytest.fixture(scope="module")
def setup(bmtk_data, tmp_path_factory):
    base = tmp_path_factory.mktemp("gapjunc")
    comps = bmtk_data / "examples" / "bio_components"
    syn = base / "synaptic_models"
    syn.mkdir()
    shutil.copy(comps / "synaptic_models" / "AMPA_ExcToExc.json", syn)
    (syn / "stp2.json").write_text(json.dumps(STP2))
    _build(base / "net")
    return base, comps, syn


@pytest.fixture(scope="module")
def gap_mechanisms(bmtk_data):
    require_module("neuron")
    bmtk = require_module("bmtk")
    shipped = pathlib.Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet" / "mechanisms" / "modfiles"
    stp2 = bmtk_data / "examples" / "bio_components" / "mechanisms" / "modfiles" / "stp2syn.mod"
    return compiled_mechanisms(list(shipped.glob("*.mod")) + [stp2, HERE / "mod" / "gap.mod"])


@pytest.fixture(scope="module")
def runs(setup, gap_mechanisms):
    base, comps, syn = setup
    ours = _config(base / "rs", base / "net", comps, syn)
    ref = _config(base / "nrn", base / "net", comps, syn)
    run_config(ours)
    run_config(ref, gap_mechanisms)
    return ours.parent / "output", ref.parent / "output"


def _soma(out):
    with h5py.File(out / "soma_v.h5", "r") as f:
        return f["report/v1/mapping/node_ids"][()], f["report/v1/data"][()].astype(np.float64)


def _spikes(out):
    with h5py.File(out / "spikes.h5", "r") as f:
        g = f["spikes/v1"]
        return sorted(zip(g["node_ids"][()].tolist(), g["timestamps"][()].tolist()))


def test_gap_coupled_voltages_match_neuron(runs):
    ours, ref = runs
    (ids_o, v_o), (ids_r, v_r) = _soma(ours), _soma(ref)
    np.testing.assert_array_equal(ids_o, ids_r)
    scale = np.ptp(v_r)
    # 1e-6 of the trace scale, above the float32 rounding of bmtk-rs's report (3.8e-6 mV at -80 mV)
    np.testing.assert_allclose(v_o, v_r, rtol=0, atol=max(1e-6 * scale, 4e-6))
    # the junctions carry the drive: cell 1 has no input but its gap junction with the clamped cell 0
    assert np.max(v_r[:, 1]) > 0.0
    assert np.ptp(v_r[:, 2]) > 10.0 and np.ptp(v_r[:, 4]) > 5.0


def test_gap_coupled_spikes_match_neuron(runs):
    ours, ref = runs
    s_o, s_r = _spikes(ours), _spikes(ref)
    assert {n for n, _ in s_r} >= {0, 1}
    assert [n for n, _ in s_o] == [n for n, _ in s_r]
    np.testing.assert_allclose([t for _, t in s_o], [t for _, t in s_r], rtol=0, atol=1e-9)


@pytest.mark.parametrize("report", ["syn_g.h5", "stp_i.h5", "all_i.h5"])
def test_netcon_report_matches_bmtk(runs, report):
    ours, ref = runs
    with h5py.File(ours / report, "r") as fo, h5py.File(ref / report, "r") as fr:
        assert sorted(fo["report"]) == sorted(fr["report"])
        for pop in fr["report"]:
            mo, mr = fo[f"report/{pop}/mapping"], fr[f"report/{pop}/mapping"]
            for key in mr:
                assert mo[key].dtype == mr[key].dtype, key
                np.testing.assert_allclose(mo[key][()], mr[key][()], rtol=1e-12, err_msg=key)
            do, dr = fo[f"report/{pop}/data"], fr[f"report/{pop}/data"]
            assert do.shape == dr.shape and dr.shape[1] > 0
            assert do.attrs["variable"] == dr.attrs["variable"]
            a, b = do[()].astype(np.float64), dr[()]
            assert np.max(np.abs(b)) > 0
            # float32 data: 1e-6 of the largest value plus float32 rounding
            np.testing.assert_allclose(a, b, rtol=2e-7, atol=1e-6 * np.max(np.abs(b)))


def test_netcon_report_lists_each_kind(runs):
    """syn_type picks the synapse kinds (Exp2Syn by default, stp2syn, all of them), sources are the
    presynaptic gids (-1 for the virtual inputs)."""
    ours, _ = runs
    with h5py.File(ours / "syn_g.h5", "r") as g, h5py.File(ours / "stp_i.h5", "r") as s, \
            h5py.File(ours / "all_i.h5", "r") as a:
        n_exp = len(g["report/v1/mapping/src_ids"])
        n_stp = len(s["report/v1/mapping/src_ids"])
        assert n_exp == 3 + 4 and n_stp == 4 * 2
        assert len(a["report/v1/mapping/src_ids"]) == n_exp + n_stp
        assert set(g["report/v1/mapping/src_ids"][()].tolist()) == {0, -1}


@pytest.mark.parametrize("report", ["se.h5", "ic.h5"])
def test_clamp_report_layout_matches_bmtk(runs, report):
    ours, ref = runs
    with h5py.File(ours / report, "r") as fo, h5py.File(ref / report, "r") as fr:
        assert sorted(fo) == sorted(fr) == ["data"]
        assert fo["data"].shape == fr["data"].shape and fo["data"].dtype == fr["data"].dtype
        assert {k: np.asarray(v).tolist() for k, v in fo.attrs.items()} == \
            {k: np.asarray(v).tolist() for k, v in fr.attrs.items()}


def _run_ours(config, threads):
    env = dict(os.environ, BMTK_RS_THREADS=str(threads))
    run = subprocess.run([sys.executable, "-m", "bmtk_rs.simulator.bionet", str(config)], capture_output=True,
                         text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def _short(conf):
    conf["run"]["tstop"] = 100.0
    conf["reports"] = {k: v for k, v in conf["reports"].items() if k in ("soma_v", "syn_g")}


def _outputs(out):
    with h5py.File(out / "syn_g.h5", "r") as f:
        g = f["report/v1/data"][()]
    return _soma(out)[1], g, _spikes(out)


def test_gap_junctions_identical_on_1_and_2_threads(setup):
    base, comps, syn = setup
    outs = []
    for threads in (1, 2):
        cfg = _config(base / f"threads{threads}", base / "net", comps, syn, edit=_short)
        _run_ours(cfg, threads)
        outs.append(_outputs(cfg.parent / "output"))
    assert outs[0][2], "no spikes: the comparison would not cover the spike exchange"
    for a, b in zip(outs[0], outs[1]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.mpi
def test_gap_junctions_identical_on_two_ranks(setup):
    """Round-robin puts the two sides of every junction on different ranks: the coupled voltages cross
    ranks every step."""
    base, comps, syn = setup
    serial = _config(base / "serial", base / "net", comps, syn, edit=_short)
    _run_ours(serial, 1)
    ranks = _config(base / "ranks", base / "net", comps, syn, edit=_short)
    env = dict(os.environ, BMTK_RS_THREADS="1")
    run = run_mpi(2, [sys.executable, "-m", "bmtk_rs.simulator.bionet", str(ranks)], capture_output=True,
                  text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for a, b in zip(_outputs(serial.parent / "output"), _outputs(ranks.parent / "output")):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _expect_error(config, *needles):
    run = subprocess.run([sys.executable, "-m", "bmtk_rs.simulator.bionet", str(config)], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode != 0
    for n in needles:
        assert n in run.stderr, run.stderr[-3000:]
    out = config.parent / "output"
    assert not any(p.suffix == ".h5" for p in out.glob("*")), sorted(out.glob("*"))


def _gap_file(path, src, trg):
    with h5py.File(path, "w") as f:
        f.create_dataset("source_ids", data=np.asarray(src, dtype=np.uint64))
        f.create_dataset("target_ids", data=np.asarray(trg, dtype=np.uint64))
        f.create_dataset("src_gap_ids", data=np.arange(0, 2 * len(src), 2))
        f.create_dataset("trg_gap_ids", data=np.arange(1, 2 * len(src), 2))


@pytest.mark.parametrize("case", ["missing_pair", "no_file", "duplicate", "bad_name"])
def test_bad_gap_junction_inputs_fail_before_the_run(setup, case):
    base, comps, syn = setup
    bad = base / f"bad_{case}"
    bad.mkdir()
    gj = bad / "v1_gap_juncs.h5"
    needles = {"missing_pair": ("has no gap junction from node 3 to node 4",),
               "no_file": ("no v1_gap_juncs.h5 file for population 'v1'",),
               "duplicate": ("2 gap junctions from node 0 to node 1",),
               "bad_name": ("<population>_gap_juncs.h5",)}[case]
    if case == "missing_pair":
        _gap_file(gj, [0, 1, 0], [1, 2, 3])
    elif case == "duplicate":
        _gap_file(gj, [0, 0, 1, 3, 0], [1, 1, 2, 4, 3])
    elif case == "bad_name":
        gj = bad / "junctions.h5"
        _gap_file(gj, [0, 1, 3, 0], [1, 2, 4, 3])

    def edit(conf):
        conf["networks"]["gap_juncs"] = [] if case == "no_file" else [{"gap_juncs_file": str(gj)}]

    _expect_error(_config(bad / "run", base / "net", comps, syn, edit=edit), *needles)


def test_second_run_repeats_the_first(setup):
    """sim.run() twice in one process: the gap junction slots start again from v_init."""
    from bmtk_rs.simulator import bionet

    base, comps, syn = setup
    cfg = _config(base / "twice", base / "net", comps, syn, edit=_short)
    conf = bionet.Config.from_json(str(cfg))
    conf.build_env()
    sim = bionet.BioSimulator.from_config(conf, network=bionet.BioNetwork.from_config(conf))
    sim.run()
    first = _outputs(cfg.parent / "output")
    sim.run()
    second = _outputs(cfg.parent / "output")
    assert first[2]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
