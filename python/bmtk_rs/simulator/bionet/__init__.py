"""BioNet on the Rust engine, mirroring ``bmtk.simulator.bionet``:

    from bmtk_rs.simulator import bionet
    conf = bionet.Config.from_json('config.json')
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()

No NEURON, hoc or compiled mechanisms are involved: cells, synapses and events are simulated by
the Rust engine with NEURON's numerics.
"""

from . import pyfunction_cache  # noqa: F401  (bmtk exposes bionet.pyfunction_cache)
from .bionetwork import BioNetwork, WeightFunctionError
from .biosimulator import BioSimulator
from .config import Config, ConfigError
from .pyfunction_cache import (
    add_cell_model,
    add_cell_processor,
    add_synapse_model,
    add_weight_function,
    cell_model,
    model_processing,
    spikes_generator,
    synapse_model,
    synaptic_weight,
)

__all__ = ["Config", "ConfigError", "BioNetwork", "BioSimulator", "WeightFunctionError", "add_weight_function",
           "synaptic_weight", "spikes_generator", "add_cell_model", "add_cell_processor", "add_synapse_model",
           "cell_model", "model_processing", "synapse_model", "reset", "run"]


def reset():
    """bmtk's bionet.reset() frees NEURON's global cell ids so that another network can be built in
    the same process; each bmtk-rs BioSimulator has an engine of its own, so there is nothing to free.
    Registered functions (weight functions, spike generators, ...) stay registered, as in bmtk."""


def run(config_file):
    """What bmtk's run_bionet.py does."""
    conf = Config.from_json(config_file)
    conf.build_env()
    net = BioNetwork.from_config(conf)
    sim = BioSimulator.from_config(conf, network=net)
    sim.run()
    return sim
