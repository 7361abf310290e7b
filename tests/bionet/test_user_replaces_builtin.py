"""A .mod file in the config's mechanisms_dir whose SUFFIX is a mechanism the engine has built in
replaces the built-in: users edit NaTs.mod and expect their version to run. The mechanisms_dir holds
bmtk's own 25 .mod files (read in place from bmtk-data, through links) with NaTs.mod replaced by an
edited copy (a shifted activation midpoint); two Allen cells (a NaTs cell and a NaV cell) under a
current step, against bmtk 1.2.0 + NEURON 9.0.2 with that same folder compiled by nrnivmodl.
bmtk's own unedited files are recognised and run as the built-ins (the same equations); forced
through the NMODL front end (BMTK_RS_MECHANISMS_FROM_FILES=1) they agree with the built-ins."""

import json
import re

import h5py
import numpy as np
import pytest

from ..conftest import compiled_mechanisms
from .network_configs import run_config
from .sonata_writer import write_nodes, write_types

TSTOP = 300.0
DT = 0.025
CELLS = [("Scnn1a_473845048_m.swc", "472363762_fit.json"),  # NaTs, Nap, Im, K_P, ...
         ("Pvalb_470522102_m.swc", "472912177_fit.json")]   # NaV (kinetic scheme), Kd, Kv2like, ...


def _modfiles(bmtk_data):
    d = bmtk_data / "examples" / "bio_components" / "mechanisms" / "modfiles"
    files = sorted(d.glob("*.mod"))
    assert len(files) == 25, files
    return files


def _mech_dir(base, files, edit=None):
    """A mechanisms_dir of links to `files` (read in place), NaTs.mod edited by `edit` if given."""
    d = base / "modfiles"
    d.mkdir(parents=True)
    for f in files:
        if edit is not None and f.name == "NaTs.mod":
            (d / f.name).write_text(edit(f.read_text()))
        else:
            (d / f.name).symlink_to(f)
    return base


def _shift_midpoint(text):
    # the sodium activation midpoint (a GLOBAL parameter: fit files cannot override it) 3 mV lower
    out, n = re.subn(r"mvhalf\s*=\s*-40\b", "mvhalf = -43", text)
    assert n == 1, "NaTs.mod no longer has 'mvhalf = -40'"
    return out


def _network(base, bmtk_data):
    net = base / "net"
    net.mkdir(parents=True)
    write_types(net / "cells_node_types.csv", [
        {"node_type_id": 100 + k, "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
         "model_processing": "aibs_perisomatic", "morphology": swc, "dynamics_params": fit, "pop_name": f"p{k}"}
        for k, (swc, fit) in enumerate(CELLS)], "node_type_id")
    write_nodes(net / "cells_nodes.h5", "cells", [100, 101])
    return net


def _config(out, comps, mechs, net):
    out.mkdir(parents=True, exist_ok=True)
    components = {"morphologies_dir": str(comps / "morphologies"),
                  "synaptic_models_dir": str(comps / "synaptic_models"),
                  "biophysical_neuron_models_dir": str(comps / "biophysical_neuron_models")}
    if mechs is not None:
        components["mechanisms_dir"] = str(mechs)
    conf = {
        "run": {"tstop": TSTOP, "dt": DT, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 4000},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "inputs": {"clamp": {"input_type": "current_clamp", "module": "IClamp", "node_set": {"population": "cells"},
                             "amp": 0.35, "delay": 20.0, "duration": 250.0}},
        "reports": {"soma_v": {"module": "membrane_report", "variable_name": "v", "sections": "soma",
                               "cells": {"population": "cells"}, "file_name": "soma_v.h5"}},
        "output": {"log_file": "log.txt", "output_dir": str(out / "output"), "spikes_file": "spikes.h5",
                   "overwrite_output_dir": True},
        "components": components,
        "networks": {"nodes": [{"nodes_file": str(net / "cells_nodes.h5"),
                                "node_types_file": str(net / "cells_node_types.csv")}], "edges": []},
    }
    path = out / "config.json"
    path.write_text(json.dumps(conf, indent=1))
    return path


def _spikes(out):
    with h5py.File(out / "output" / "spikes.h5", "r") as f:
        g = f["spikes/cells"]
        ids, t = g["node_ids"][()], g["timestamps"][()]
    return [np.sort(t[ids == n]) for n in (0, 1)]


def _soma_v(out):
    with h5py.File(out / "output" / "soma_v.h5", "r") as f:
        return f["report/cells/data"][()].astype(float)


def test_edited_builtin_mechanism_runs_as_in_neuron(bmtk_data, tmp_path, monkeypatch):
    comps = bmtk_data / "tutorial_l4" / "components"
    files = _modfiles(bmtk_data)
    net = _network(tmp_path, bmtk_data)
    edited = _mech_dir(tmp_path / "edited", files, edit=_shift_midpoint)
    plain = _mech_dir(tmp_path / "plain", files)
    nrnmech = compiled_mechanisms(sorted((edited / "modfiles").glob("*.mod")))

    # rs_files: the unedited folder, every channel forced through the NMODL front end
    runs = {"rs": (edited, {}), "nrn": (edited, {}), "rs_plain": (plain, {}),
            "rs_files": (plain, {"BMTK_RS_MECHANISMS_FROM_FILES": "1"}), "rs_builtin": (None, {})}
    for name, (mechs, env) in runs.items():
        with monkeypatch.context() as m:
            for k, val in env.items():
                m.setenv(k, val)
            cfg = _config(tmp_path / name, comps, mechs, net)
            run_config(cfg, nrnmech if name == "nrn" else None)
    spikes = {name: _spikes(tmp_path / name) for name in runs}
    v = {name: _soma_v(tmp_path / name) for name in runs}

    def logged(name, what):
        log = (tmp_path / name / "output" / "log.txt").read_text()
        line = re.search(what + r": (.*)", log)
        return set(line.group(1).split(", ")) if line else set()

    # the edited NaTs replaces the built-in; bmtk's 15 other files are recognised as its own, and
    # their built-in (hand-written) versions run; forced, all 16 run from their files
    assert logged("rs", "Built-in mechanisms replaced by mechanisms_dir files") == {"NaTs"}
    kept = logged("rs", "bmtk's own unedited files run as the built-in mechanisms \\(the same equations\\)")
    assert len(kept) == 15 and "NaTs" not in kept and {"NaV", "CaDynamics", "SK"} <= kept, kept
    assert len(logged("rs_plain", "bmtk's own unedited files run as the built-in mechanisms "
                                  "\\(the same equations\\)")) == 16
    assert len(logged("rs_files", "Built-in mechanisms replaced by mechanisms_dir files")) == 16

    # the edited file runs as NEURON runs it
    for n in (0, 1):
        a, b = spikes["rs"][n], spikes["nrn"][n]
        assert len(b) > 3, f"cell {n} should fire repeatedly in NEURON: {b}"
        assert len(a) == len(b), (n, a, b)
        assert np.max(np.abs(a - b)) < DT, (n, a, b)
    # the whole soma trace, spikes included (the report is float32: 4e-6 mV observed)
    assert np.max(np.abs(v["rs"] - v["nrn"])) < 1e-4

    # ... and it is not the built-in: the NaTs cell fires differently without the edit
    a, b = spikes["rs"][0], spikes["rs_plain"][0]
    assert len(a) != len(b) or np.max(np.abs(a - b)) > 1.0, (a, b)
    # the NaV cell does not use NaTs: unchanged by the edit
    assert np.array_equal(spikes["rs"][1], spikes["rs_plain"][1])

    # the unedited folder is the built-in run exactly; every Allen channel from its unedited .mod
    # file agrees with the hand-written built-ins
    assert np.array_equal(v["rs_plain"], v["rs_builtin"])
    for n in (0, 1):
        a, b = spikes["rs_files"][n], spikes["rs_builtin"][n]
        assert len(a) == len(b) and np.max(np.abs(a - b)) < DT, (n, a, b)
    assert np.max(np.abs(v["rs_files"] - v["rs_builtin"])) < 1e-4


def test_broken_edit_of_builtin_is_refused_not_replaced_by_builtin(bmtk_data, tmp_path):
    """A user's NaTs.mod that cannot run refuses the cells naming NaTs, with the file's reason:
    the engine never runs its own NaTs in place of the user's."""
    comps = bmtk_data / "tutorial_l4" / "components"
    files = _modfiles(bmtk_data)
    net = _network(tmp_path, bmtk_data)
    broken = _mech_dir(tmp_path / "broken", files,
                       edit=lambda t: t.replace("g = gbar*m*m*m*h", "g = gbar*m*m*m*h*not_declared"))
    cfg = _config(tmp_path / "rs", comps, broken, net)
    from bmtk_rs.simulator import bionet

    conf = bionet.Config.from_json(str(cfg))
    conf.build_env()
    network = bionet.BioNetwork.from_config(conf)
    with pytest.raises(Exception, match=r"472363762_fit.json needs mechanism NaTs, whose file cannot run: .*"
                                        r"NaTs.mod:\d+: unknown variable 'not_declared'"):
        bionet.BioSimulator.from_config(conf, network=network)
