"""Runs a BioNet configuration with bmtk 1.2.0 + NEURON (the oracle), in its own process:
python bmtk_network_run.py CONFIG NRNMECH_DIR [--user-mechs DIR] [--synapse NAME]... [--cell NAME]...
bmtk's shipped mechanisms (compiled by the nrnmech_dir fixture) are loaded first; the config's own
mechanisms_dir is not used. `--user-mechs` loads another nrnivmodl build (a test's own .mod files);
`--synapse NAME` registers, as a user would with add_synapse_model, a synapse function for
model_template NAME that makes `h.NAME` and sets every key of the edge type's dynamics_params on
it; `--cell NAME` registers (add_cell_model) a cell function for `nrn:NAME` point_process nodes
that makes `h.NAME()` and sets every key of the node's dynamics_params."""

import argparse
import os

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

import neuron  # noqa: E402
import numpy as np  # noqa: E402


def _synapse_function(h, name):
    def make(params, xs, secs):
        def one(x, sec):
            syn = getattr(h, name)(x, sec=sec)
            for k, v in params.items():
                setattr(syn, k, v)
            return syn

        if np.ndim(xs) == 0:
            return one(xs, secs)
        return [one(x, sec) for x, sec in zip(xs, secs)]

    return make


def _cell_function(h, name):
    def make(cell, template_name, dynamics_params):
        obj = getattr(h, name)()
        for k, v in (dynamics_params or {}).items():
            setattr(obj, k, v)
        return obj

    return make


def main(config, mechdir, user_mechs=None, synapses=(), cells=()):
    neuron.load_mechanisms(mechdir)
    if user_mechs:
        neuron.load_mechanisms(user_mechs)
    from neuron import h
    from bmtk.simulator import bionet
    from bmtk.simulator.bionet.pyfunction_cache import add_cell_model, add_synapse_model

    for name in synapses:
        add_synapse_model(_synapse_function(h, name), name, overwrite=True)
    for name in cells:
        add_cell_model(_cell_function(h, name), directive=f"nrn:{name}", model_type="point_process", overwrite=True)
    conf = bionet.Config.from_json(config, validate=False)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("mechdir")
    ap.add_argument("--user-mechs")
    ap.add_argument("--synapse", action="append", default=[])
    ap.add_argument("--cell", action="append", default=[])
    a = ap.parse_args()
    main(a.config, a.mechdir, a.user_mechs, a.synapse, a.cell)
