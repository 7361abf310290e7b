"""FilterNet configuration (``bmtk.simulator.filternet.Config``): a SONATA configuration plus the
FilterNet-specific conditions."""

from ..sonata_config import ConfigError, SonataConfig

__all__ = ["Config", "ConfigError"]


class Config(SonataConfig):
    logger_name = "bmtk_rs.filternet"

    @property
    def jitter(self):
        c = self.conditions
        lo, hi = "jitter_lower" in c, "jitter_upper" in c
        if lo and hi:
            return (c["jitter_lower"], c["jitter_upper"])
        if lo ^ hi:
            raise ConfigError("Please define both jitter_upper and jitter_lower parameters")
        return None

