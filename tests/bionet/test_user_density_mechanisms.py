"""A density mechanism the engine does not have built in, named by a cell's fit json and given as a
.mod file in the config's mechanisms_dir, runs through the NMODL front end (no nrnivmodl): an Allen
perisomatic cell with an added delayed-rectifier channel (tests/bionet/mod/kdrtest.mod, a file of
ours) under a soma clamp, against bmtk 1.2.0 + NEURON 9.0.2 with the same file compiled by nrnivmodl.
A file that cannot run is refused naming the cell, the fit and the file's reason."""

import json
import pathlib
import shutil

import h5py
import numpy as np
import pytest

from ..conftest import compiled_mechanisms, require_module
from .network_configs import run_config
from .sonata_writer import write_nodes, write_types

MOD = pathlib.Path(__file__).parent / "mod" / "kdrtest.mod"
KDI = pathlib.Path(__file__).parents[1] / "nmodl" / "mod" / "kdi.mod"
# reads the segment's diam and area: on the soma and the basal dendrites (varying diameters)
KDIAM = pathlib.Path(__file__).parent / "mod" / "kdiam.mod"
SECTIONS = {"kdiam": ("soma", "dend")}
GBAR = {"kdiam": 0.08}
TSTOP = 300.0


def _setup(base, bmtk_data, mod_file=MOD, gbar=0.02, suffix="kdrtest"):
    comps = bmtk_data / "tutorial_l4" / "components"
    models = base / "models"
    models.mkdir(parents=True)
    fit = json.loads((comps / "biophysical_neuron_models" / "472363762_fit.json").read_text())
    plain = json.loads(json.dumps(fit))
    for section in SECTIONS.get(suffix, ("soma",)):
        fit["genome"].append({"section": section, "name": f"gbar_{suffix}", "value": gbar, "mechanism": suffix})
    (models / "with_kdr.json").write_text(json.dumps(fit))
    (models / "plain.json").write_text(json.dumps(plain))
    mechs = base / "mechanisms" / "modfiles"
    mechs.mkdir(parents=True)
    shutil.copy(mod_file, mechs / f"{suffix}.mod")
    net = base / "net"
    net.mkdir()
    write_types(net / "cells_node_types.csv", [
        {"node_type_id": 100 + k, "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
         "model_processing": "aibs_perisomatic", "morphology": "Scnn1a_473845048_m.swc", "dynamics_params": f,
         "pop_name": f"p{k}"} for k, f in enumerate(["with_kdr.json", "plain.json"])], "node_type_id")
    write_nodes(net / "cells_nodes.h5", "cells", [100, 101])
    return comps, models, base / "mechanisms", net


def _config(out, comps, models, mechs, net):
    out.mkdir(parents=True, exist_ok=True)
    conf = {
        "run": {"tstop": TSTOP, "dt": 0.025, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 4000},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "inputs": {"clamp": {"input_type": "current_clamp", "module": "IClamp", "node_set": {"population": "cells"},
                             "amp": 0.3, "delay": 20.0, "duration": 250.0}},
        "reports": {"soma_v": {"module": "membrane_report", "variable_name": "v", "sections": "soma",
                               "cells": {"population": "cells"}, "file_name": "soma_v.h5"}},
        "output": {"log_file": "log.txt", "output_dir": str(out / "output"), "spikes_file": "spikes.h5",
                   "overwrite_output_dir": True},
        "components": {"morphologies_dir": str(comps / "morphologies"),
                       "synaptic_models_dir": str(comps / "synaptic_models"),
                       "biophysical_neuron_models_dir": str(models), "mechanisms_dir": str(mechs)},
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
    return {n: np.sort(t[ids == n]) for n in (0, 1)}


def _soma_v(out):
    with h5py.File(out / "output" / "soma_v.h5", "r") as f:
        return f["report/cells/data"][()].astype(float)


# kdi.mod (tests/nmodl/mod) integrates its gate by derivimplicit: the same check through a config
@pytest.mark.parametrize("mod_file,suffix", [(MOD, "kdrtest"), (KDI, "kdi"), (KDIAM, "kdiam")],
                         ids=["cnexp", "derivimplicit", "geometry"])
def test_user_channel_matches_neuron(bmtk_data, tmp_path, mod_file, suffix):
    bmtk = require_module("bmtk")
    comps, models, mechs, net = _setup(tmp_path, bmtk_data, mod_file=mod_file, suffix=suffix,
                                       gbar=GBAR.get(suffix, 0.02))
    modsrc = pathlib.Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet" / "mechanisms" / "modfiles"
    nrnmech = compiled_mechanisms(list(modsrc.glob("*.mod")) + [mod_file])
    ours = _config(tmp_path / "rs", comps, models, mechs, net)
    ref = _config(tmp_path / "nrn", comps, models, mechs, net)
    run_config(ours)
    run_config(ref, nrnmech)
    a, b = _spikes(tmp_path / "rs"), _spikes(tmp_path / "nrn")
    for n in (0, 1):
        assert len(b[n]) > 0, f"cell {n} does not fire in NEURON: the comparison would see nothing"
        assert len(a[n]) == len(b[n]), (n, a[n], b[n])
        assert np.max(np.abs(a[n] - b[n])) < 0.1, (n, a[n], b[n])
    # the channel acts: the cell with it fires differently from the same cell without it
    assert len(b[0]) != len(b[1]) or np.max(np.abs(b[0][:3] - b[1][:3])) > 1.0
    va, vb = _soma_v(tmp_path / "rs"), _soma_v(tmp_path / "nrn")
    first = int(min(b[0][0], b[1][0]) / 0.025) - 40
    assert np.max(np.abs(va[:first] - vb[:first])) < 1e-4


def test_unrunnable_user_mechanism_is_refused(bmtk_data, tmp_path):
    bad = tmp_path / "bad.mod"
    bad.write_text(MOD.read_text().replace("g = gbar*n*n*n*n", "g = gbar*n*n*n*n*undeclared_thing"))
    comps, models, mechs, net = _setup(tmp_path / "case", bmtk_data, mod_file=bad)
    cfg = _config(tmp_path / "case" / "rs", comps, models, mechs, net)
    from bmtk_rs.simulator import bionet

    conf = bionet.Config.from_json(str(cfg))
    conf.build_env()
    network = bionet.BioNetwork.from_config(conf)
    with pytest.raises(Exception, match=r"with_kdr.json needs mechanism kdrtest, whose file cannot run: .*"
                                        r"kdrtest.mod.*undeclared_thing"):
        bionet.BioSimulator.from_config(conf, network=network)
