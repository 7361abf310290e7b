"""SONATA simulation configurations: json with manifest variables, as bmtk's simulators read them.

Variables (``$VAR``, ``${VAR}``, ``${configdir}``, ``${workingdir}``) are resolved as bmtk does;
``network``/``simulation`` entries naming other json files are merged in; relative paths are
left relative to the working directory, exactly like bmtk (``"$BASE_DIR": "."``).
"""

import datetime
import json
import logging
import os
import re
import shutil

from . import _mpi

_VAR = re.compile(r"\$\{?[\w]+\}?")


class ConfigError(ValueError):
    """A configuration file or key is missing or malformed."""


def _special_variables(conf):
    now = datetime.datetime.now()
    out = {"workingdir": os.getcwd()}
    if "config_path" in conf:
        out["configdir"] = os.path.dirname(conf["config_path"])
        out["configfname"] = conf["config_path"]
    out["time"] = now.strftime("%H-%M-%S")
    out["date"] = now.strftime("%Y-%m-%d")
    out["datetime"] = now.strftime("%Y-%m-%d_%H-%M-%S")
    return out


def _substitute(value, manifest, usr_vars):
    result = value
    for m in _VAR.finditer(value):
        token = m.group()
        key = token[2:-1] if token.startswith("${") and token.endswith("}") else token[1:]
        if key in usr_vars:
            rval = usr_vars[key]
        elif key in manifest:
            rval = manifest[key]
        else:
            continue
        if isinstance(rval, str) or len(value) > len(token):
            result = result.replace(token, str(rval))
        else:
            return rval
    return result


def _build_manifest(conf, usr_vars, path):
    resolved = _special_variables(conf)
    if "manifest" not in conf:
        return resolved
    pending = {(k.removeprefix("$")): v for k, v in conf["manifest"].items()}
    while pending:
        done = set()
        for key, val in pending.items():
            val = _substitute(val, resolved, usr_vars) if isinstance(val, str) else val
            if not (isinstance(val, str) and "$" in val):
                resolved[key] = val
                done.add(key)
        if not done:
            raise ConfigError(f"{path}: unable to resolve manifest variables {sorted(pending)}")
        for k in done:
            del pending[k]
    return resolved


def _insert(obj, manifest, usr_vars):
    if isinstance(obj, str):
        return _substitute(obj, manifest, usr_vars)
    if isinstance(obj, list):
        return [_insert(v, manifest, usr_vars) for v in obj]
    if isinstance(obj, dict):
        for k in list(obj):
            if k != "manifest":
                obj[k] = _insert(obj[k], manifest, usr_vars)
    return obj


def _parse(cfg, usr_vars):
    if isinstance(cfg, (str, os.PathLike)):
        path = os.fspath(cfg)
        try:
            with open(path) as fh:
                conf = json.load(fh)
        except OSError as e:
            raise ConfigError(f"{path}: cannot read configuration: {e}") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: not valid json: {e}") from None
        conf["config_path"] = os.path.abspath(path)
        conf["config_dir"] = os.path.dirname(conf["config_path"])
    elif isinstance(cfg, dict):
        conf = dict(cfg)
        path = "<dict>"
    else:
        raise ConfigError(f"{cfg!r} is not a configuration file path or dict")
    if "config_path" not in conf:
        conf["config_path"] = os.path.join(os.getcwd(), "sonata_config.json")
        conf["config_dir"] = os.path.dirname(conf["config_path"])
    manifest = _build_manifest(conf, usr_vars, path)
    conf["manifest"] = manifest
    _insert(conf, manifest, usr_vars)
    for child in ("network", "simulation"):
        if isinstance(conf.get(child), str):
            cpath = conf[child] if conf[child].startswith("/") else os.path.join(conf["config_dir"], conf[child])
            sub = _parse(cpath, usr_vars)
            del sub["config_path"]
            conf.update(sub)
    out = conf.get("output")
    if isinstance(out, dict) and "output_dir" in out:
        odir = out["output_dir"]
        for k, v in list(out.items()):
            if ((k == "log_file" or k.startswith("spikes_file")) and isinstance(v, str)
                    and not (os.path.isabs(v) or v.startswith(odir))):
                out[k] = os.path.join(odir, v)
    return conf


class SonataConfig(dict):
    """A resolved SONATA configuration (a dict with bmtk's convenience properties)."""

    #: Logger that build_env() sets up; each simulator names its own.
    logger_name = "bmtk_rs"

    @classmethod
    def from_json(cls, config_file, validate=False, **opts):
        return cls(_parse(config_file, opts))

    @classmethod
    def from_dict(cls, config_dict, validate=False, **opts):
        return cls(_parse(config_dict, opts))

    @classmethod
    def load(cls, config_file, validate=False, **opts):
        if isinstance(config_file, dict):
            return cls.from_dict(config_file, validate, **opts)
        return cls.from_json(config_file, validate, **opts)

    @property
    def run(self):
        return self.get("run", {})

    @property
    def tstop(self):
        if "tstop" not in self.run:
            raise ConfigError("{}: 'run' section lacks 'tstop'".format(self.get("config_path")))
        return float(self.run["tstop"])

    @property
    def dt(self):
        return self.run.get("dt", 0.1)

    @property
    def output(self):
        return self.get("output", {})

    @property
    def output_dir(self):
        return self.output.get("output_dir", ".")

    @property
    def conditions(self):
        return self.get("conditions", {})

    @property
    def inputs(self):
        return self.get("inputs", {})

    @property
    def components(self):
        return self.get("components", {})

    @property
    def nodes(self):
        return self.get("networks", {}).get("nodes", [])

    @property
    def with_networks(self):
        return len(self.nodes) > 0

    # The attributes below read what bmtk 1.2.0's SonataConfig sets for the same json (same keys,
    # same defaults); subclasses may narrow them (e.g. BioNet's numeric run values).
    @property
    def networks(self):
        return self.get("networks", {})

    @property
    def reports(self):
        return self.get("reports", {})

    @property
    def edges(self):
        return self.networks.get("edges", [])

    @property
    def gap_juncs(self):
        return self.networks.get("gap_juncs", [])

    @property
    def log_file(self):
        return self.output.get("log_file", None)

    @property
    def overwrite_output(self):
        return self.output.get("overwrite_output_dir", False)

    @property
    def mechanisms_dir(self):
        return self.components.get("mechanisms_dir", None)

    @property
    def templates_dir(self):
        return self.components.get("templates_dir", None)

    @property
    def target_simulator(self):
        return self.get("target_simulator", None)

    @property
    def tstart(self):
        return self.run.get("tstart", 0.0)

    @property
    def node_sets(self):
        return self.get("node_sets", {})

    @property
    def gid_mappings(self):
        return self.get("gid_mapping_file", None)

    def build_env(self):
        """As bmtk: creates the output folder (emptied first when output.overwrite_output_dir is
        true), starts the log (log_file and console) and writes the resolved configuration there."""
        odir = self.output_dir
        comm = _mpi.world()
        lead = comm is None or comm.Get_rank() == 0
        # Under MPI only rank 0 prepares the folder, writes the log file and the config copy.
        if lead:
            if os.path.exists(odir):
                if self.output.get("overwrite_output_dir", False):
                    shutil.rmtree(odir)
                    os.makedirs(odir)
            else:
                os.makedirs(odir)
        if comm is not None:
            comm.Barrier()
        logger = logging.getLogger(self.logger_name)
        logger.setLevel(logging.DEBUG)
        for h in list(logger.handlers):
            logger.removeHandler(h)
            h.close()
        fmt = logging.Formatter("%(asctime)s [%(levelname)s] %(message)s")
        log_file = self.output.get("log_file") if lead else None
        if log_file:
            fh = logging.FileHandler(log_file, mode="w")
            fh.setFormatter(fmt)
            logger.addHandler(fh)
        if self.output.get("log_to_console", True):
            sh = logging.StreamHandler()
            sh.setFormatter(fmt)
            sh.setLevel(logging.INFO if lead else logging.WARNING)
            logger.addHandler(sh)
        logger.propagate = False
        if log_file:
            logger.info("Created log file")
        if lead and "config_path" in self:
            out_cfg = {k: v for k, v in self.items() if k != "manifest"}
            with open(os.path.join(odir, os.path.basename(self["config_path"])), "w") as fp:
                json.dump(out_cfg, fp, indent=2)
        return logger
