"""Runs a BioNet configuration with bmtk 1.2.0 + NEURON (the oracle), in its own process:
python bmtk_network_run.py CONFIG NRNMECH_DIR. bmtk's shipped mechanisms (compiled by the
nrnmech_dir fixture) are loaded first; the config's own mechanisms_dir is not used."""

import os
import sys

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

import neuron  # noqa: E402


def main(config, mechdir):
    neuron.load_mechanisms(mechdir)
    from bmtk.simulator import bionet

    conf = bionet.Config.from_json(config, validate=False)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
