"""BioNet's extracellular stimulation (``xstim`` and ``comsol`` inputs) against bmtk 1.2.0 + NEURON
8.2.7 on the same configs (bmtk 1.2.0's xstim needs NEURON 8: on NEURON 9 its pointer callback fails,
so the oracle is the separate NEURON 8 virtualenv of the test command). Four placed and rotated cells
under: a point electrode with a dc pulse; two rotated mesh electrodes with a sine; a waveform from a
csv file; a stationary COMSOL study (bmtk's example export) scaled by a csv waveform; and a
time-dependent COMSOL study written here. Soma voltages and spikes are compared."""


import h5py
import numpy as np
import pytest

from ..conftest import require_module
from .network_configs import cells_config, run_config
from .sonata_writer import write_nodes, write_types

TSTOP = 150.0
DT = 0.025
N = 4


def _network(net):
    net.mkdir(parents=True)
    write_types(net / "cells_node_types.csv", [
        {"node_type_id": 100, "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
         "model_processing": "aibs_perisomatic", "morphology": "Scnn1a_473845048_m.swc",
         "dynamics_params": "472363762_fit.json", "pop_name": "Scnn1a"}], "node_type_id")
    write_nodes(net / "cells_nodes.h5", "cells", [100] * N, {
        "x": np.array([-60.0, 0.0, 70.0, 20.0]), "y": np.array([350.0, 420.0, 380.0, 300.0]),
        "z": np.array([30.0, -40.0, 0.0, 60.0]),
        "rotation_angle_yaxis": np.array([0.0, 1.2, 2.5, -0.7]),
        "rotation_angle_zaxis": np.array([0.0, 0.1, -0.2, 0.05])})


def _space_table(path, header, rows):
    with open(path, "w") as fh:
        fh.write(" ".join(header) + "\n")
        for r in rows:
            fh.write(" ".join(str(v) for v in r) + "\n")


def _comsol_time_dependent(path):
    """A COMSOL-style export (9 header lines) of a field over a grid that moves in time: 3 studies."""
    g = np.linspace(-900.0, 900.0, 7)
    x, y, z = np.meshgrid(g, np.linspace(-200.0, 1000.0, 7), g, indexing="ij")
    xyz = np.c_[x.ravel(), y.ravel(), z.ravel()]
    times = [0.0, 0.02, 0.04]  # s
    pots = [40.0 * np.sin(xyz[:, 0] / 300.0 + k) + 0.05 * xyz[:, 1] * (k - 1) for k in range(3)]
    with open(path, "w") as fh:
        for line in ["Model: test.mph", "Version: test", "Date: today", "Dimension: 3", f"Nodes: {len(xyz)}",
                     "Expressions: 3", "Description: Electric potential", "Length unit: um"]:
            fh.write("% " + line + "\n")
        fh.write("% x" + " " * 5 + "y" + " " * 5 + "z" + "".join(f"     V (mV) @ t={t}" for t in times) + "\n")
        for row in np.c_[xyz, np.array(pots).T]:
            fh.write(" ".join(repr(float(v)) for v in row) + "\n")


def _inputs(base, stim_dir):
    base.mkdir(parents=True, exist_ok=True)
    _space_table(base / "point.csv", ["ip", "pos_x", "pos_y", "pos_z", "rotation_x", "rotation_y", "rotation_z"],
                 [[0, 40.0, 360.0, 260.0, 0.0, 0.0, 0.0]])
    _space_table(base / "mesh_a.csv", ["x_pos", "y_pos", "z_pos"],
                 [[0.0, 0.0, 0.0], [20.0, 0.0, 0.0], [0.0, 30.0, 0.0], [10.0, 10.0, 15.0]])
    _space_table(base / "mesh_b.csv", ["x_pos", "y_pos", "z_pos"], [[0.0, 0.0, 0.0], [0.0, 0.0, 40.0]])
    _space_table(base / "meshes.csv", ["ip", "electrode_mesh_file", "pos_x", "pos_y", "pos_z", "rotation_x",
                                       "rotation_y", "rotation_z"],
                 [[0, "mesh_a.csv", -20.0, 420.0, -250.0, 0.3, 0.0, 1.1],
                  [1, "mesh_b.csv", 250.0, 330.0, 10.0, 0.0, 0.8, 0.0]])
    _space_table(base / "wave.csv", ["time", "amplitude"],
                 [[0.0, 0.0], [20.0, 0.0], [25.0, -1.2], [60.0, -1.2], [61.0, 0.8], [100.0, 0.0], [150.0, 0.0]])
    _space_table(base / "comsol_wave.csv", ["time", "amplitude"],
                 [[0.0, 0.0], [10.0, 1.0], [40.0, 1.0], [41.0, 0.0], [60.0, 0.0]])
    _comsol_time_dependent(base / "comsol_t.txt")
    xstim = {"input_type": "lfp", "module": "xstim", "node_set": "all"}
    return {
        "dc_point": dict(xstim, positions_file=str(base / "point.csv"),
                         waveform={"shape": "dc", "del": 20.0, "dur": 80.0, "amp": -1.0}),
        "sin_meshes": dict(xstim, positions_file=str(base / "meshes.csv"), resistance=250.0,
                           waveform={"shape": "sin", "del": 10.0, "dur": 120.0, "amp": 0.4, "freq": 40.0,
                                     "phase": 0.3, "offset": -0.1}),
        "csv_waveform": dict(xstim, positions_file=str(base / "point.csv"), waveform=str(base / "wave.csv")),
        "comsol_stationary": {"input_type": "lfp", "module": "comsol", "node_set": "all",
                              "comsol_files": str(stim_dir / "COMSOL_1c.txt"),
                              "waveforms": str(base / "comsol_wave.csv"), "amplitudes": -0.3},
        "comsol_time": {"input_type": "lfp", "module": "comsol", "node_set": "all",
                        "comsol_files": str(base / "comsol_t.txt"), "amplitudes": 6.0},
    }


def _config(base, net, inputs, comps):
    soma_v = {"module": "membrane_report", "variable_name": "v", "sections": "soma",
              "cells": {"population": "cells"}, "file_name": "soma_v.h5"}
    return cells_config(base, net, comps, inputs, {"soma_v": soma_v}, TSTOP, DT, nsteps_block=2000)


def _run(config, oracle=None):
    run_config(config, *(oracle or ()))
    return _run_outputs(config)


def _run_outputs(config):
    out = config.parent / "output"
    with h5py.File(out / "soma_v.h5", "r") as f:
        ids = f["report/cells/mapping/node_ids"][()]
        v = f["report/cells/data"][()]
    spikes = {n: np.zeros(0) for n in range(N)}
    with h5py.File(out / "spikes.h5", "r") as f:
        if "spikes/cells" in f:
            g = f["spikes/cells"]
            sid, ts = g["node_ids"][()], g["timestamps"][()]
            spikes = {n: np.sort(ts[sid == n]) for n in range(N)}
    return {int(n): v[:, k].astype(float) for k, n in enumerate(ids)}, spikes


CASES = ["dc_point", "sin_meshes", "csv_waveform", "comsol_stationary", "comsol_time"]


@pytest.fixture(scope="module")
def runs(bmtk_data, nrn8_oracle, tmp_path_factory):
    require_module("scipy")
    base = tmp_path_factory.mktemp("xstim")
    _network(base / "net")
    inputs = _inputs(base / "inputs", bmtk_data / "examples" / "bio_components" / "stimulations")
    comps = bmtk_data / "tutorial_l4" / "components"
    out = {}
    for case in CASES + ["none"]:
        inp = {case: inputs[case]} if case != "none" else {}
        ours = _run(_config(base / case / "rs", base / "net", inp, comps))
        ref = _run(_config(base / case / "nrn", base / "net", inp, comps), nrn8_oracle)
        out[case] = (ours, ref)
    return out


@pytest.mark.parametrize("case", CASES)
def test_extracellular_stimulation_matches_neuron(runs, case):
    (v_rs, sp_rs), (v_nrn, sp_nrn) = runs[case]
    (_, _), (v_rest, _) = runs["none"]
    moved = max(np.max(np.abs(v_nrn[c] - v_rest[c])) for c in range(N))
    assert moved > 1.0, f"{case}: the stimulus moves no soma by more than 1 mV in NEURON; it tests nothing"
    for c in range(N):
        assert len(sp_rs[c]) == len(sp_nrn[c]), (case, c, sp_rs[c], sp_nrn[c])
        if len(sp_nrn[c]):
            assert np.max(np.abs(sp_rs[c] - sp_nrn[c])) <= 0.5 * DT, (case, c, sp_rs[c], sp_nrn[c])
        # float32 report data; up to the first spike (afterwards a sub-step slip dominates)
        end = int(sp_nrn[c][0] / DT) - 40 if len(sp_nrn[c]) else len(v_nrn[c])
        scale = max(1.0, np.ptp(v_nrn[c][:end]))
        err = np.max(np.abs(v_rs[c][:end] - v_nrn[c][:end]))
        assert err <= 1e-5 * scale + 1e-4, (case, c, err, scale)


def test_some_case_makes_spikes(runs):
    """The cases are strong enough that NEURON's cells fire under at least two of them."""
    firing = [case for case in CASES if any(len(s) for s in runs[case][1][1].values())]
    assert len(firing) >= 2, firing


def _pop(key):
    return lambda inp, base: inp.pop(key)


def _set(**kw):
    return lambda inp, base: inp.update({k: v(base) if callable(v) else v for k, v in kw.items()})


@pytest.mark.parametrize("case, edit, message", [
    ("dc_point", _pop("positions_file"), r"input 'stim': the xstim module needs 'positions_file'"),
    ("dc_point", _set(positions_file=lambda b: str(b / "nowhere.csv")),
     r"input 'stim': electrode positions file .*nowhere.csv does not exist"),
    ("dc_point", _set(waveform={"shape": "square", "del": 1, "dur": 2, "amp": 1}),
     r"input 'stim': waveform shape 'square' is not known"),
    ("dc_point", _set(waveform={"shape": "dc", "del": 1, "amp": 1}), r"input 'stim': the waveform needs 'dur'"),
    ("dc_point", _set(positions_file=lambda b: str(b / "close.csv")),
     r"input 'stim': an electrode point lies within 10 um of a segment of cell 0"),
    ("comsol_stationary", _set(waveforms=lambda b: [str(b / "comsol_wave.csv")] * 2),
     r"input 'stim': comsol_files, waveforms and amplitudes differ in length"),
    ("comsol_time", _set(waveforms=lambda b: str(b / "comsol_wave.csv")),
     r"input 'stim': .*comsol_t.txt is a time-dependent study"),
])
def test_bad_extracellular_inputs_are_errors_before_the_run(bmtk_data, tmp_path, case, edit, message):
    require_module("scipy")
    from bmtk_rs.simulator import bionet

    _network(tmp_path / "net")
    inputs = _inputs(tmp_path / "inputs", bmtk_data / "examples" / "bio_components" / "stimulations")
    _space_table(tmp_path / "inputs" / "close.csv", ["ip", "pos_x", "pos_y", "pos_z", "rotation_x", "rotation_y",
                                                     "rotation_z"], [[0, -60.0, 350.0, 30.0, 0.0, 0.0, 0.0]])
    edit(inputs[case], tmp_path / "inputs")
    cfg = _config(tmp_path / "rs", tmp_path / "net", {"stim": inputs[case]}, bmtk_data / "tutorial_l4" / "components")
    conf = bionet.Config.from_json(str(cfg))
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    with pytest.raises(Exception, match=message):
        bionet.BioSimulator.from_config(conf, network=net).run()
    assert not (tmp_path / "rs" / "output" / "spikes.h5").exists()


@pytest.mark.mpi
@pytest.mark.parametrize("case", ["dc_point", "comsol_time"])
def test_extracellular_stimulation_is_identical_on_threads_and_ranks(bmtk_data, tmp_path, case):
    """Serial, 2 threads and 2 MPI ranks give the same spikes and soma voltages, bit for bit."""
    import os
    import subprocess
    import sys

    from ..conftest import run_mpi

    require_module("scipy")
    _network(tmp_path / "net")
    inputs = _inputs(tmp_path / "inputs", bmtk_data / "examples" / "bio_components" / "stimulations")
    comps = bmtk_data / "tutorial_l4" / "components"
    outs = []
    for label, threads, ranks in (("serial", 1, None), ("threads", 2, None), ("ranks", 1, 2)):
        cfg = _config(tmp_path / label, tmp_path / "net", {case: inputs[case]}, comps)
        cmd = [sys.executable, "-m", "bmtk_rs.simulator.bionet", str(cfg)]
        env = dict(os.environ, BMTK_RS_THREADS=str(threads))
        if ranks:
            run = run_mpi(ranks, cmd, capture_output=True, text=True, env=env, timeout=900)
        else:
            run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        outs.append(_run_outputs(cfg))
    for v, sp in outs[1:]:
        for c in range(N):
            np.testing.assert_array_equal(v[c], outs[0][0][c])
            np.testing.assert_array_equal(sp[c], outs[0][1][c])
