"""PointNet's SONATA configuration (``bmtk.simulator.pointnet.Config``)."""

from ..bionet.config import Config as _CircuitConfig
from ..sonata_config import ConfigError

__all__ = ["Config", "ConfigError", "from_json", "from_dict"]


class Config(_CircuitConfig):
    logger_name = "bmtk_rs.pointnet"

    @property
    def dt(self):
        return self._number("run", "dt", 0.001)


def from_json(config_file, validate=False):
    return Config.from_json(config_file, validate)


def from_dict(config_dict, validate=False):
    return Config.from_dict(config_dict, validate)
