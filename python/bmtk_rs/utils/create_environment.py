"""``bmtk.utils.create_environment``: a simulation folder (config, run script, components) for one
simulator, with bmtk 1.2.0's arguments and command line::

    python -m bmtk_rs.utils.create_environment [options] bionet|pointnet|popnet|filternet sim_dir

The sections are assembled by the builders of :mod:`bmtk_rs.utils.sim_setup`; this module adds what
create_environment does differently from sim_setup: one merged config file by default
(``config.<simulator>.json``, or ``config_file`` / ``config_name``), or with ``split_configs`` a
config naming ``<name>_circuit.json`` and ``<name>_simulation.json``, no node-sets file (reports
record ``all``), rates inputs, and the simulator aliases (``bio``, ``point``, ``filter``, ``pop``, ...).

Two bmtk 1.2.0 quirks are not reproduced: its default config goes to the working directory even when
``base_dir`` is elsewhere (here it goes to ``base_dir``), and ``dt=None`` is written as ``null``
(here the builder's default step is used).
"""

import argparse
import json
import logging
import os

from . import sim_setup

__all__ = ["create_environment", "environment_builders", "main"]

logger = logging.getLogger(__name__)

_CONFIG_ORDER = ["manifest", "target_simulator", "run", "conditions", "inputs", "components", "output", "reports",
                 "networks", "node_sets_file", "node_sets", "network", "simulation"]


def _environment(base):
    """A sim_setup builder that writes create_environment's files instead of sim_setup's."""

    class _Env(base):
        def create(self, include_examples=False, use_relative_paths=True, report_vars=(), report_nodes=None,
                   clamp_reports=(), current_clamp=None, file_current_clamp=None, se_voltage_clamp=None,
                   spikes_inputs=None, rates_inputs=None, config_file=None, config_name=None, split_configs=False,
                   overwrite_config=False, network_filter=None, run_script=True, **run_args):
            self._network_files()
            if network_filter is not None:
                self._filter_networks(network_filter)
            self._fill_components(include_examples)
            if use_relative_paths:
                self._relative_circuit()
            self._reports(report_vars, clamp_reports, "all")
            self._output()
            self._simulation["target_simulator"] = self.target_simulator
            if run_args.get("dt", 0) is None:
                del run_args["dt"]
            self._run(**run_args)
            if current_clamp is not None:
                self._current_clamp(current_clamp)
            if file_current_clamp is not None:
                self._file_current_clamp(file_current_clamp)
            if se_voltage_clamp is not None:
                self._se_voltage_clamp(se_voltage_clamp)
            if spikes_inputs is not None:
                self._spikes_inputs(spikes_inputs)
            if rates_inputs is not None:
                self._rates_inputs(rates_inputs)
            if use_relative_paths:
                self._relative_simulation()
            if split_configs:
                cfg_path = self._save_split(config_file, config_name, overwrite_config)
            else:
                cfg_path = self._save_single(config_file, config_name, overwrite_config)
            if run_script and cfg_path is not None:
                self._run_script(cfg_path)
                if isinstance(run_script, str):
                    default = os.path.join(self.base_dir, "run_{}.py".format(self.bmtk_simulator))
                    os.replace(default, os.path.join(self.base_dir, run_script))
            return cfg_path

        def _output(self):
            # create_environment's output section differs from sim_setup's for filternet and popnet
            out = {"log_file": "log.txt", "output_dir": self.output_dir, "spikes_file": "spikes.h5"}
            sim = self.bmtk_simulator
            if sim == "pointnet":
                out["quiet_simulator"] = True
            elif sim == "filternet":
                out.update(rates_h5="rates.h5", spikes_file_csv="spikes.csv")
            elif sim == "popnet":
                del out["spikes_file"]
                out["rates_file"] = "firing_rates.csv"
            self._simulation["output"] = out

        def _fill_components(self, include_examples):
            # sim_setup's component step has changed signature over time; follow what build() does
            if hasattr(self, "_examples"):
                self._components(self._examples(include_examples, "auto"), "auto")
            else:
                self._components(include_examples)

        def _filter_networks(self, network_filter):
            keys = [network_filter] if isinstance(network_filter, str) else list(network_filter)
            for section, entries in self._circuit["networks"].items():
                self._circuit["networks"][section] = [
                    e for e in entries if any(k in os.path.basename(p) for p in e.values() for k in keys)]

        def _rates_inputs(self, rates_inputs):
            inputs = self._inputs()
            for pop, path in rates_inputs:
                path = os.path.abspath(path)
                ext = os.path.splitext(path)[1][1:]
                inputs["{}_rates".format(pop or "input")] = {
                    "input_type": "sonata" if ext in ("h5", "hdf5") else ext, "module": "pop_rates",
                    "rates": path, "node_set": pop or "all"}

        def _config_name(self, config_file, config_name):
            if config_file:
                return config_file if os.path.isabs(config_file) else os.path.join(self.base_dir, config_file)
            if config_name:
                low = config_name.lower()
                prefix = "" if low.startswith(("config", "cfg")) else "config."
                ext = "" if low.endswith("json") else ".json"
                return os.path.join(self.base_dir, "{}{}{}".format(prefix, config_name, ext).replace(" ", "_"))
            return os.path.join(self.base_dir, "config.{}.json".format(self.bmtk_simulator))

        def _dump(self, conf, path, overwrite):
            if os.path.exists(path) and not overwrite:
                logger.error("Configuration file %s already exists, skipping. Please delete existing file, use a "
                             "different name, or use overwrite=True.", path)
                return False
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            ordered = dict(sorted(conf.items(), key=lambda kv: _CONFIG_ORDER.index(kv[0])
                                  if kv[0] in _CONFIG_ORDER else 100))
            logger.info("Creating config file: %s", path)
            with open(path, "w") as fh:
                json.dump(ordered, fh, indent=2)
            return True

        def _save_single(self, config_file, config_name, overwrite):
            path = self._config_name(config_file, config_name)
            merged = dict(self._simulation)
            merged.update(self._circuit)
            manifest = dict(self._simulation.get("manifest", {}))
            manifest.update(self._circuit.get("manifest", {}))
            if manifest:
                merged["manifest"] = manifest
            return path if self._dump(merged, path, overwrite) else None

        def _save_split(self, config_file, config_name, overwrite):
            path = self._config_name(config_file, config_name)
            stem = path[:-len(".json")] if path.endswith(".json") else path
            sim_path, circuit_path = stem + "_simulation.json", stem + "_circuit.json"
            self._dump(self._circuit, circuit_path, overwrite)
            self._dump(self._simulation, sim_path, overwrite)
            ok = self._dump({"network": circuit_path, "simulation": sim_path}, path, overwrite)
            return path if ok else None

    _Env.__name__ = base.__name__
    return _Env


_BIONET = _environment(sim_setup.BioNetEnvBuilder)
_POINTNET = _environment(sim_setup.PointNetEnvBuilder)
_FILTERNET = _environment(sim_setup.FilterNetEnvBuilder)
_POPNET = _environment(sim_setup.PopNetEnvBuilder)

environment_builders = {
    "bionet": _BIONET, "biophysical": _BIONET, "bio": _BIONET,
    "pointnet": _POINTNET, "point": _POINTNET,
    "filternet": _FILTERNET, "filter": _FILTERNET,
    "popnet": _POPNET, "pop": _POPNET,
}


def create_environment(simulator, base_dir=".", network_dir=None, components_dir=None, node_sets_file=None,
                       output_dir=None, overwrite=False, run_script=True, config_file=None, config_name=None,
                       split_configs=False, network_filter=None, report_vars=(), report_nodes=None,
                       spikes_inputs=None, rates_inputs=None, clamp_reports=(), current_clamp=None,
                       file_current_clamp=None, se_voltage_clamp=None, tstart=0.0, tstop=1000.0, dt=None, dL=20.0,
                       spikes_threshold=-15.0, nsteps_block=5000, v_init=-80.0, celsius=34.0,
                       compile_mechanisms=False, use_relative_paths=True, include_examples=False):
    """Writes a simulation folder for ``simulator`` under ``base_dir`` and returns the builder."""
    name = str(simulator).lower()
    if name not in environment_builders:
        raise ValueError("Could not find bmtk simulator {}; available options: {}".format(
            simulator, list(environment_builders)))
    env = environment_builders[name](base_dir=base_dir, network_dir=network_dir, components_dir=components_dir,
                                     output_dir=output_dir, node_sets_file=node_sets_file)
    env.create(include_examples=include_examples, use_relative_paths=use_relative_paths, report_vars=report_vars,
               report_nodes=report_nodes, clamp_reports=clamp_reports, current_clamp=current_clamp,
               file_current_clamp=file_current_clamp, se_voltage_clamp=se_voltage_clamp,
               spikes_inputs=spikes_inputs, rates_inputs=rates_inputs, tstart=tstart, tstop=tstop, dt=dt, dL=dL,
               spikes_threshold=spikes_threshold, nsteps_block=nsteps_block, v_init=v_init, celsius=celsius,
               config_file=config_file, overwrite_config=overwrite, config_name=config_name,
               split_configs=split_configs, network_filter=network_filter, run_script=run_script)
    if compile_mechanisms and hasattr(env, "compile_mechanisms"):
        env.compile_mechanisms()
    return env


def _list(text):
    """'a,b' -> floats when they all parse, else strings; a single value stays a string."""
    if "," not in text:
        return text
    parts = text.split(",")
    try:
        return [float(p) for p in parts]
    except ValueError:
        return parts


def _pairs(parser, value, what):
    if value is None:
        return None
    out = []
    for item in [value] if isinstance(value, str) else list(value):
        bits = str(item).split(":")
        if len(bits) == 1:
            out.append((None, bits[0]))
        elif len(bits) == 2:
            out.append((bits[0], bits[1]))
        else:
            parser.error("Cannot parse {} string <pop1>:<file1>,<pop2>:<file2>,...".format(what))
    return out


def _parser():
    p = argparse.ArgumentParser(prog="python -m bmtk_rs.utils.create_environment",
                                usage="%(prog)s [options] [bionet|pointnet|popnet|filternet] sim_dir")
    p.add_argument("simulator")
    p.add_argument("base_dir")
    p.add_argument("-n", "--network-dir", dest="network_dir", default=None)
    p.add_argument("-o", "--output-dir", dest="output_dir", default=None)
    p.add_argument("-c", "--components-dir", dest="components_dir", default=None)
    p.add_argument("--tstop", type=float, default=1000.0)
    p.add_argument("--dt", type=float, default=None)
    p.add_argument("--report-vars", dest="report_vars", type=_list, default=[])
    p.add_argument("--report-nodes", dest="report_nodes", type=_list, default=None)
    p.add_argument("--iclamp", dest="current_clamp", type=_list, default=None,
                   help="<amp>,<delay>,<duration> (nA, ms, ms)")
    p.add_argument("--spikes-inputs", dest="spikes_inputs", type=_list, default=None)
    p.add_argument("--rates-inputs", dest="rates_inputs", type=_list, default=None)
    p.add_argument("--include-examples", dest="include_examples", action="store_true")
    p.add_argument("--compile-mechanisms", dest="compile_mechanisms", action="store_true")
    p.add_argument("--config-file", dest="config_file", default=None)
    p.add_argument("--config-name", dest="config_name", default=None)
    p.add_argument("--split-configs", dest="split_configs", action="store_true")
    p.add_argument("--network-filter", dest="network_filter", type=_list, default=None)
    p.add_argument("--run-script", dest="run_script", default=None)
    p.add_argument("--overwrite", dest="overwrite", action="store_true")
    return p


def main(argv=None):
    logging.basicConfig(level=logging.WARN, format="bmtk.utils.create_environment [%(levelname)s] %(message)s")
    parser = _parser()
    opts = vars(parser.parse_args(argv))
    if opts["simulator"].lower() not in ("bionet", "popnet", "pointnet", "filternet"):
        parser.error('Must specify one target simulator. options: "bionet", pointnet", "popnet", "filternet"')
    cc = opts["current_clamp"]
    if cc is not None:
        if not isinstance(cc, list) or len(cc) != 3:
            parser.error("Invalid arguments for current clamp, requires three floating point numbers "
                         "<ampage>,<delay>,<duration> (nA, ms, ms)")
        opts["current_clamp"] = {"amp": float(cc[0]), "delay": float(cc[1]), "duration": float(cc[2])}
    opts["spikes_inputs"] = _pairs(parser, opts["spikes_inputs"], "spike-input")
    opts["rates_inputs"] = _pairs(parser, opts["rates_inputs"], "rates-input")
    # bmtk passes the report variables through the same pop:value splitter; the value is the variable
    rv = _pairs(parser, opts["report_vars"] or None, "report-vars")
    opts["report_vars"] = [v for _, v in rv] if rv else []
    if opts["run_script"] is None:
        opts["run_script"] = True
    create_environment(**opts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
