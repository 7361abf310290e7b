"""``bmtk.simulator.core.simulation_config``: a SONATA config that can set up the run's output
folder and logging (``build_env``)."""

import json
import os
import warnings

from ..sonata_config import ConfigError, SonataConfig
from .io_tools import io as _io

__all__ = ["SimulationConfig", "ConfigError", "from_dict", "from_json"]


class SimulationConfig(SonataConfig):
    """SonataConfig plus ``build_env()`` (output folder, log file, a copy of the resolved config)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.env_built = False
        self._io = None

    @property
    def io(self):
        return self._io if self._io is not None else _io

    @io.setter
    def io(self, value):
        self._io = value

    def validate(self):
        return True

    def copy_to_output(self):
        """Writes the resolved configuration (manifest dropped) into output_dir under its own name."""
        name = os.path.basename(self.get("config_path", "config.json"))
        out = {k: v for k, v in self.items() if k != "manifest"}
        with open(os.path.join(self.output_dir, name), "w") as fh:
            json.dump(out, fh, indent=2)

    def _set_logging(self):
        out = self.output
        if "log_format" in out:
            self.io.set_log_format(out["log_format"])
        if "log_level" in out:
            self.io.set_log_level(out["log_level"])
        if "log_to_console" in out:
            self.io.log_to_console = out["log_to_console"]
        if out.get("quiet_simulator"):
            self.io.quiet_simulator()

    def build_env(self, force=False):
        """Creates the output folder, starts the log and copies the configuration there (once)."""
        if self.env_built and not force:
            return
        self._set_logging()
        self.io.setup_output_dir(self.output_dir, self.log_file, self.overwrite_output)
        if self.io.mpi_rank == 0 and "config_path" in self:
            self.copy_to_output()
        self.env_built = True


def from_dict(config_dict, validator=None, **opts):
    warnings.warn("Deprecated: Please use SimulationConfig.from_dict() instead.", DeprecationWarning, stacklevel=2)
    return SimulationConfig.from_dict(config_dict, validator, **opts)


def from_json(config_file, validator=None, **opts):
    warnings.warn("Deprecated: Please use SimulationConfig.from_json() instead.", DeprecationWarning, stacklevel=2)
    return SimulationConfig.from_json(config_file, validator, **opts)
