"""PointNet (point neurons, NEST's models) on the Rust engine, mirroring ``bmtk.simulator.pointnet``.

    from bmtk_rs.simulator import pointnet
    configure = pointnet.Config.from_json('config.json')
    configure.build_env()
    network = pointnet.PointNetwork.from_config(configure)
    sim = pointnet.PointSimulator.from_config(configure, network)
    sim.run()
"""

from . import config
from .config import Config, ConfigError
from .pointnetwork import PointNetwork, add_weight_function, synaptic_weight
from .pointsimulator import PointSimulator

__all__ = ["Config", "ConfigError", "PointNetwork", "PointSimulator", "add_weight_function", "config",
           "run", "synaptic_weight"]


def run(config_file):
    """What bmtk's run_pointnet.py does."""
    configure = Config.from_json(config_file)
    configure.build_env()
    network = PointNetwork.from_config(configure)
    sim = PointSimulator.from_config(configure, network)
    sim.run()
    return sim
