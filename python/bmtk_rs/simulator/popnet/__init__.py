"""PopNet (population density, DiPDE) on the Rust engine, mirroring ``bmtk.simulator.popnet``.

    from bmtk_rs.simulator import popnet
    configure = popnet.config.from_json('config.json')
    configure.build_env()
    network = popnet.PopNetwork.from_config(configure)
    sim = popnet.PopSimulator.from_config(configure, network)
    sim.run()
"""

from . import config
from .config import Config, ConfigError
from .popnetwork import PopNetwork
from .popsimulator import PopSimulator

__all__ = ["Config", "ConfigError", "PopNetwork", "PopSimulator", "config", "run"]


def run(config_file):
    """What bmtk's run_popnet.py does."""
    configure = Config.from_json(config_file)
    configure.build_env()
    network = PopNetwork.from_config(configure)
    sim = PopSimulator.from_config(configure, network)
    sim.run()
    return sim
