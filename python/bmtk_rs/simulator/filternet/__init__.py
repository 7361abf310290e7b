"""FilterNet on the Rust engine, mirroring ``bmtk.simulator.filternet``.

    from bmtk_rs.simulator import filternet
    config = filternet.Config.from_json('config.filternet.json')
    config.build_env()
    net = filternet.FilterNetwork.from_config(config)
    sim = filternet.FilterSimulator.from_config(config, net)
    sim.run()
"""

from .config import Config, ConfigError
from .filternetwork import FilterNetwork
from .filtersimulator import FilterSimulator

__all__ = ["Config", "ConfigError", "FilterNetwork", "FilterSimulator", "run"]


def run(config_file):
    """What bmtk's run_filternet.py does."""
    config = Config.from_json(config_file)
    config.build_env()
    net = FilterNetwork.from_config(config)
    sim = FilterSimulator.from_config(config, net)
    sim.run()
    return sim
