"""BioNet's SONATA configuration (``bmtk.simulator.bionet.Config``)."""

import json
import os

from ..sonata_config import ConfigError, SonataConfig

__all__ = ["Config", "ConfigError"]


class Config(SonataConfig):
    logger_name = "bmtk_rs.bionet"

    @classmethod
    def from_json(cls, config_file, validate=False, **opts):
        conf = super().from_json(config_file, validate, **opts)
        conf._load_node_sets()
        return conf

    @classmethod
    def from_dict(cls, config_dict, validate=False, **opts):
        conf = super().from_dict(config_dict, validate, **opts)
        conf._load_node_sets()
        return conf

    def _load_node_sets(self):
        if "node_sets" not in self and "node_sets_file" in self:
            path = self["node_sets_file"]
            try:
                with open(path) as fh:
                    self["node_sets"] = json.load(fh)
            except OSError as e:
                raise ConfigError(f"node_sets_file {path}: {e}") from None
            except json.JSONDecodeError as e:
                raise ConfigError(f"node_sets_file {path}: not valid json: {e}") from None

    def _number(self, section, key, default):
        value = self.get(section, {}).get(key, default)
        if value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.get('config_path')}: '{section}.{key}' must be a number, got {value!r}") from None

    @property
    def dt(self):
        return self._number("run", "dt", 0.1)

    @property
    def tstart(self):
        return self._number("run", "tstart", 0.0)

    @property
    def dL(self):
        return self._number("run", "dL", 20.0)

    @property
    def spike_threshold(self):
        return self._number("run", "spike_threshold", -15.0)

    @property
    def block_step(self):
        return int(self._number("run", "nsteps_block", 0))

    @property
    def progress_interval(self):
        """Seconds of wall time between progress lines (bmtk-rs's own key; bmtk ignores it)."""
        v = self._number("run", "progress_interval", 60.0)
        if v is None or not v > 0:
            raise ConfigError(f"run.progress_interval must be a positive number of seconds, got {v}")
        return v

    @property
    def v_init(self):
        return self._number("conditions", "v_init", -80.0)

    @property
    def celsius(self):
        return self._number("conditions", "celsius", 34.0)

    @property
    def node_sets(self):
        return self.get("node_sets", {})

    @property
    def reports(self):
        return self.get("reports", {}) or {}

    @property
    def edges(self):
        return self.get("networks", {}).get("edges", [])

    def component_dir(self, key):
        d = self.components.get(key)
        if d is None:
            raise ConfigError(f"{self.get('config_path')}: 'components.{key}' is not set")
        return d

    def output_path(self, name):
        if name is None or os.path.isabs(name):
            return name
        odir = self.output_dir
        return name if name.startswith(odir) else os.path.join(odir, name)
