"""``bmtk.utils.sonata.config``: the SONATA configuration class."""

from ...simulator.sonata_config import ConfigError, SonataConfig

__all__ = ["SonataConfig", "ConfigError"]
