"""PopNet's configuration (``bmtk.simulator.popnet.Config``): a SONATA configuration whose run
section is in ms for tstop and in seconds for dt, as DiPDE takes it."""

from ..bionet.config import Config as _CircuitConfig
from ..sonata_config import ConfigError

__all__ = ["Config", "ConfigError", "from_json"]


class Config(_CircuitConfig):
    logger_name = "bmtk_rs.popnet"


def from_json(config_file, validate=False):
    """bmtk's ``popnet.config.from_json``."""
    return Config.from_json(config_file, validate)
