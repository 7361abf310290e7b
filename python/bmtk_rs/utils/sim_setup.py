"""Simulation directories, as ``python -m bmtk.utils.sim_setup`` (bmtk 1.2.0) makes them.

    python -m bmtk_rs.utils.sim_setup --network network --dt 0.1 --tstop 2000.0 \\
        --include-examples --config=config.bionet.json bionet .

writes what bmtk 1.2.0 writes for the same arguments: ``config.bionet.json`` naming
``circuit_config.bionet.json`` (manifest, the networks found in the network folder in bmtk's order,
components) and ``simulation_config.bionet.json`` (run, conditions, inputs, output, reports, node
sets file), ``node_sets.json``, ``run_bionet.py`` and a ``components/`` folder with bmtk's
sub-folders (for BioNet also ``mechanisms/`` and ``templates/``, which bmtk-rs does not read).

Example components (``--include-examples``): bmtk's own files, copied at run time from the bmtk
wheel installed beside bmtk-rs (``pip install 'bmtk-rs[examples]'``) to where bmtk's sim_setup
puts them; without bmtk, the project's own examples (generated morphologies, fit json files,
synapse and filter parameters, under names of their own), and it says so.
``example_components='bmtk'`` / ``'bmtk_rs'`` (``--example-components``) chooses a set.

The differences from bmtk:

- ``run_<simulator>.py`` imports ``bmtk_rs`` and defaults to the config file just written;
  ``--compile-mechanisms`` only says that bmtk-rs needs no compiled mechanisms.
- no ``components/__pycache__`` (bmtk copies Python's byte-code cache of its run script as a
  component folder).
- FilterNet honours ``--dt`` (bmtk ignores it and writes 0.001 ms), PointNet ``--config-file``
  (bmtk always writes config.json).
- PointNet's and PopNet's run scripts run bmtk-rs's PointNet and PopNet.

The functions ``build_env_bionet``, ``build_env_filternet``, ``build_env_pointnet`` and
``build_env_popnet`` take bmtk 1.2.0's arguments (plus ``example_components``).
"""

import argparse
import importlib.machinery
import json
import logging
import os
import pathlib
import shutil
import sys

logger = logging.getLogger(__name__)

# bmtk writes the sections of every config in this order; other keys follow in insertion order.
SECTION_ORDER = ("manifest", "target_simulator", "run", "conditions", "inputs", "components", "output",
                 "reports", "networks")
# Sub-folders of the simulation directory that are taken for the network folder when none is named.
NETWORK_DIR_NAMES = ("network", "networks", "circuit", "circuits", "network_dir", "circuit_dir")
SIMULATORS = ("bionet", "pointnet", "popnet", "filternet")
EXAMPLE_SETS = ("auto", "bmtk", "bmtk_rs")
# The folders beside bmtk 1.2.0's example scripts (bmtk/utils/scripts/<simulator>/): its sim_setup
# makes each under components/ and names it <folder>_dir in the circuit config. Used as they are
# listed in the installed bmtk when there is one (same order as bmtk's), else from here.
BMTK_COMPONENT_FOLDERS = {
    "bionet": ("synaptic_models", "biophysical_neuron_models", "templates", "mechanisms", "filter_models",
               "point_neuron_models", "morphologies"),
    "filternet": ("filter_models",),
    "pointnet": ("synaptic_models", "point_neuron_models", "filter_models"),
    "popnet": ("population_models", "synaptic_models"),
}
# not components: Python's byte-code cache beside bmtk's run scripts
NOT_COMPONENTS = ("__pycache__",)


class SimSetupError(ValueError):
    """Arguments that cannot make a simulation directory."""


def example_components_dir():
    """The project's own example components: $BMTK_RS_COMPONENTS, the copy inside an installed
    package (bmtk_rs/components), or components/ of a source checkout."""
    env = os.environ.get("BMTK_RS_COMPONENTS")
    if env:
        return pathlib.Path(env)
    pkg = pathlib.Path(__file__).resolve().parents[1]
    for cand in (pkg / "components", pkg.parents[1] / "components"):
        if cand.is_dir():
            return cand
    raise SimSetupError(
        "bmtk-rs example components not found (looked in {} and {}); set BMTK_RS_COMPONENTS to the "
        "components/ folder of a bmtk-rs checkout".format(pkg / "components", pkg.parents[1] / "components"))


def installed_bmtk():
    """The folder of the real bmtk package installed for this Python, or None.

    Looked up on sys.path without importing it: after install_as_bmtk() 'import bmtk' loads bmtk_rs,
    and importing the real bmtk beside bmtk_rs would mix the two."""
    spec = importlib.machinery.PathFinder.find_spec("bmtk")
    for loc in (spec.submodule_search_locations or ()) if spec is not None else ():
        if os.path.isdir(os.path.join(loc, "utils", "scripts")):
            return pathlib.Path(loc)
    return None


def _bmtk_version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bmtk")
    except PackageNotFoundError:  # a source checkout on sys.path has no metadata
        return "(unknown version)"


def _under(path, root, var):
    """`path` written as `var` + the rest when it lies inside `root`."""
    if path == root:
        return var
    if path.startswith(root.rstrip(os.sep) + os.sep):
        return var + path[len(root.rstrip(os.sep)):]
    return path


def _ordered(conf):
    rank = {k: i for i, k in enumerate(SECTION_ORDER)}
    return dict(sorted(conf.items(), key=lambda kv: rank.get(kv[0], len(SECTION_ORDER))))


_RUN_TEMPLATE = '''# -*- coding: utf-8 -*-
"""Runs the {title} simulation of this folder with bmtk-rs:

    python run_{sim}.py [{config}]
"""

import os
import sys

from bmtk_rs.simulator import {sim}


def run(config_file):
{body}


if __name__ == "__main__":
    # the last argument, as BMTK's scripts take it (also under mpirun ... python run_{sim}.py conf.json);
    # by default the config written beside this script
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), {config!r})
    run(sys.argv[-1] if len(sys.argv) > 1 and not sys.argv[-1].endswith(".py") else default)
'''

_RUN_BODIES = {
    "popnet": ("    configure = popnet.Config.from_json(config_file)\n"
               "    configure.build_env()\n"
               "    network = popnet.PopNetwork.from_config(configure)\n"
               "    sim = popnet.PopSimulator.from_config(configure, network)\n"
               "    sim.run()"),
    "bionet": ("    conf = bionet.Config.from_json(config_file)\n"
               "    conf.build_env()\n"
               "    net = bionet.BioNetwork.from_config(conf)\n"
               "    sim = bionet.BioSimulator.from_config(conf, network=net)\n"
               "    sim.run()"),
    "pointnet": ("    configure = pointnet.Config.from_json(config_file)\n"
                 "    configure.build_env()\n"
                 "    network = pointnet.PointNetwork.from_config(configure)\n"
                 "    sim = pointnet.PointSimulator.from_config(configure, network)\n"
                 "    sim.run()"),
    "filternet": ("    config = filternet.Config.from_json(config_file)\n"
                  "    config.build_env()\n"
                  "    net = filternet.FilterNetwork.from_config(config)\n"
                  "    sim = filternet.FilterSimulator.from_config(config, net)\n"
                  "    sim.run()"),
}


class EnvBuilder:
    """One simulation directory for one simulator (subclasses say which)."""

    bmtk_simulator = None
    target_simulator = None
    # bmtk's component folders that the project's own examples fill (when bmtk's are not used)
    own_example_folders = ()

    def __init__(self, base_dir=".", network_dir=None, components_dir=None, output_dir=None,
                 node_sets_file=None):
        self._base_dir = self._make_base_dir(base_dir)
        self._network_dir = self._find_network_dir(network_dir)
        self._components_dir = self._inside_base(components_dir, "components")
        self._output_dir = self._inside_base(output_dir, "output")
        if node_sets_file is None or not os.path.isabs(node_sets_file):
            node_sets_file = os.path.abspath(os.path.join(self._base_dir, node_sets_file or "node_sets.json"))
        self._node_sets_file = node_sets_file
        self._circuit = {}
        self._simulation = {}

    base_dir = property(lambda self: self._base_dir)
    network_dir = property(lambda self: self._network_dir)
    components_dir = property(lambda self: self._components_dir)
    output_dir = property(lambda self: self._output_dir)
    node_sets_file = property(lambda self: self._node_sets_file)

    # -- folders ---------------------------------------------------------------------------------

    @staticmethod
    def _make_base_dir(base_dir):
        base_dir = os.fspath(base_dir)
        if os.path.isfile(base_dir):
            raise SimSetupError(f"simulation directory {base_dir} is an existing file, not a folder")
        if not os.path.exists(base_dir):
            logger.info('Creating directory "%s"', os.path.abspath(base_dir))
            os.makedirs(base_dir)
        else:
            logger.info('Using existing directory "%s"', os.path.abspath(base_dir))
        return os.path.abspath(base_dir)

    def _find_network_dir(self, network_dir):
        if network_dir is None:
            # the first in the folder's own listing order, as bmtk takes it
            found = [d for d in os.listdir(self._base_dir)
                     if d.lower() in NETWORK_DIR_NAMES and os.path.isdir(os.path.join(self._base_dir, d))]
            if found:
                path = os.path.join(self._base_dir, found[0])
                logger.info("No network folder specified, attempting to use existing folder: %s", path)
                return path
            path = os.path.join(self._base_dir, "network")
            logger.info("No network folder specified, creating empty folder: %s", path)
            os.makedirs(path)
            return path
        network_dir = os.fspath(network_dir)
        if os.path.isabs(network_dir):
            if os.path.isfile(network_dir):
                raise SimSetupError(f"network directory {network_dir} is a file, not a folder")
            if not os.path.exists(network_dir):
                logger.warning("Network directory %s does not exist (yet): the config names no network files",
                               network_dir)
            logger.info("Using network directory: %s", network_dir)
            return network_dir
        if os.path.isdir(network_dir):  # relative to the working directory
            logger.info("Using network directory: %s", os.path.abspath(network_dir))
            return os.path.abspath(network_dir)
        path = os.path.join(self._base_dir, network_dir)
        if os.path.isfile(path):
            raise SimSetupError(f"network directory {path} is a file, not a folder")
        if not os.path.exists(path):
            logger.info("Creating new network directory: %s", path)
            os.makedirs(path)
        return path

    def _inside_base(self, given, default):
        if given is None:
            return os.path.abspath(os.path.join(self._base_dir, default))
        given = os.fspath(given)
        if os.path.isabs(given):
            return given
        if os.path.exists(given):
            return os.path.abspath(given)
        return os.path.abspath(os.path.join(self._base_dir, given))

    # -- circuit config --------------------------------------------------------------------------

    def _network_files(self):
        """SONATA files in the network folder, grouped by the name before _nodes/_node_types/_edges/
        _edge_types/_gap_juncs, in bmtk 1.2.0's order.

        The order matters: BioNet numbers the cells (gids, and so the seeds of synapse placement)
        population by population in the order of networks.nodes. bmtk walks the folder (os.walk: the
        directory's own listing order, not sorted; sub-folders after it), keeps only names that are
        also files at the top of the folder and do not start with '.', and lists the groups, and the
        keys inside each, in the order first met."""
        kinds = (("_nodes", "nodes", "nodes_file"), ("_node_types", "nodes", "node_types_file"),
                 ("_edges", "edges", "edges_file"), ("_edge_types", "edges", "edge_types_file"),
                 ("_gap_juncs", "gap_juncs", "gap_juncs_file"))
        groups = {"nodes": {}, "edges": {}, "gap_juncs": {}}
        logger.info("Parsing %s for SONATA network files", self._network_dir)
        for root, _, files in os.walk(self._network_dir):
            for fname in files:
                if fname.startswith(".") or not os.path.isfile(os.path.join(self._network_dir, fname)):
                    continue
                path = os.path.abspath(os.path.join(root, fname))
                for marker, section, key in kinds:
                    if marker in fname:
                        groups[section].setdefault(fname[:fname.find(marker)], {})[key] = path
                        logger.info("  Adding %s: %s", key[:-len("_file")].replace("_", " ") + " file", path)
                        break
                else:
                    logger.info("  Skipping file (could not categorize): %s", path)
        if not (groups["nodes"] or groups["edges"]):
            logger.info("  Could not find any sonata nodes or edges file(s).")
        self._circuit["networks"] = {section: list(found.values()) for section, found in groups.items()}

    def _component_folders(self, bmtk_dir):
        if bmtk_dir is not None:
            return [d for d in os.listdir(bmtk_dir)
                    if os.path.isdir(os.path.join(bmtk_dir, d)) and d not in NOT_COMPONENTS]
        return list(BMTK_COMPONENT_FOLDERS[self.bmtk_simulator])

    def _examples(self, include_examples, example_components):
        """Decides (before anything is written) the component folders and where the example files
        come from: (folders, 'bmtk' or 'bmtk_rs' or None, source folder)."""
        choice = (example_components or "auto").replace("-", "_")
        if choice not in EXAMPLE_SETS:
            raise SimSetupError(f"example_components={example_components!r}: choose one of auto, bmtk, bmtk_rs")
        root = installed_bmtk()
        bmtk_dir = root / "utils" / "scripts" / self.bmtk_simulator if root is not None else None
        if bmtk_dir is not None and not bmtk_dir.is_dir():
            logger.warning("The installed bmtk (%s) has no example folder %s: using bmtk 1.2.0's component "
                           "folders", root, bmtk_dir)
            bmtk_dir = None
        folders = self._component_folders(bmtk_dir)
        if not include_examples:
            return folders, None, None
        if choice == "bmtk" or (choice == "auto" and bmtk_dir is not None):
            if bmtk_dir is None:
                raise SimSetupError("example_components='bmtk': bmtk is not installed for this Python "
                                    "(pip install 'bmtk-rs[examples]' installs bmtk 1.2.0)")
            if _bmtk_version() != "1.2.0":
                logger.warning("bmtk %s is installed; bmtk-rs follows bmtk 1.2.0 (pip install 'bmtk-rs[examples]'): "
                               "its example files may not be 1.2.0's", _bmtk_version())
            return folders, "bmtk", bmtk_dir
        source = example_components_dir()
        for name in self.own_example_folders:
            if not (source / name).is_dir():
                raise SimSetupError(f"example components folder {source / name} is missing")
        return folders, "bmtk_rs", source

    def _components(self, plan, choice="auto"):
        """components/ with bmtk's folders (all named in the circuit config), filled as `plan` says,
        and a line saying which examples were copied."""
        folders, kind, source = plan
        if not os.path.exists(self._components_dir):
            logger.info("Creating components directory: %s", self._components_dir)
            os.makedirs(self._components_dir)
        comps = {}
        for name in folders:
            target = os.path.join(self._components_dir, name)
            os.makedirs(target, exist_ok=True)
            comps[name + "_dir"] = target
            if kind == "bmtk" or (kind == "bmtk_rs" and name in self.own_example_folders):
                logger.info("  Copying files from %s.", source / name)
                shutil.copytree(source / name, target, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns(*NOT_COMPONENTS))
        self._circuit["components"] = comps
        if kind == "bmtk":
            print(f"sim_setup: example components from bmtk {_bmtk_version()} ({source}) copied to "
                  f"{self._components_dir}")
        elif kind == "bmtk_rs":
            why = ("bmtk is not installed (pip install 'bmtk-rs[examples]' for bmtk's examples)"
                   if choice == "auto" else "as asked (example_components='bmtk_rs')")
            filled = ", ".join(n for n in folders if n in self.own_example_folders) or "none"
            print(f"sim_setup: example components copied to {self._components_dir} are bmtk-rs's own, {why}: "
                  f"other file names and values than bmtk's examples (filled: {filled})")

    # -- simulation config -----------------------------------------------------------------------

    def _node_sets(self, recorded_nodes):
        if os.path.exists(self._node_sets_file):
            logger.info("Found existing node sets file: %s", self._node_sets_file)
        else:
            logger.info("Creating new node sets file: %s", self._node_sets_file)
            sets = {"biophysical_nodes": {"model_type": "biophysical"},
                    "point_nodes": {"model_type": "point_process"}}
            if recorded_nodes is not None:
                sets["recorded_nodes"] = ({"node_ids": list(recorded_nodes)}
                                          if isinstance(recorded_nodes, (list, tuple))
                                          else {"population": recorded_nodes})
            with open(self._node_sets_file, "w") as fh:
                json.dump(sets, fh, indent=2)
        self._simulation["node_sets_file"] = self._node_sets_file
        return "all" if recorded_nodes is None else "recorded_nodes"

    def _reports(self, report_vars, clamp_reports, node_set):
        reports = self._simulation.setdefault("reports", {})
        for var in [report_vars] if isinstance(report_vars, str) else list(report_vars or ()):
            logger.info("Adding membrane report for variable %s", var)
            reports[f"{var}_report"] = {"variable_name": var, "cells": node_set, "module": "membrane_report",
                                        "sections": "soma"}
        for clamp in [clamp_reports] if isinstance(clamp_reports, str) else list(clamp_reports or ()):
            logger.info("Adding clamp report for %s clamp.", clamp)
            reports[f"{clamp}_clamp_report"] = {"variable_name": clamp, "module": "clamp_report"}

    def _output(self):
        self._simulation["output"] = {"log_file": "log.txt", "output_dir": self._output_dir,
                                      "spikes_file": "spikes.h5"}

    def _run(self, tstart=0.0, tstop=1000.0, dt=0.001, **_):
        self._simulation["run"] = {"tstart": tstart, "tstop": tstop, "dt": dt}

    def _inputs(self):
        return self._simulation.setdefault("inputs", {})

    def _current_clamp(self, clamp):
        missing = [k for k in ("amp", "delay", "duration") if k not in clamp]
        if missing:
            raise SimSetupError(f"current_clamp: missing {', '.join(missing)} (needs amp nA, delay ms, "
                                "duration ms)")
        logger.info("Adding current clamp")
        self._inputs()["current_clamp"] = {
            "input_type": "current_clamp", "module": "IClamp", "node_set": "all",
            "gids": clamp.get("gids", "all"), "amp": clamp["amp"], "delay": clamp["delay"],
            "duration": clamp["duration"]}

    def _file_current_clamp(self, clamp):
        if "input_file" not in clamp:
            raise SimSetupError("file_current_clamp: missing input_file")
        self._inputs()["file_current_clamp"] = {
            "input_type": "current_clamp", "module": "FileIClamp", "node_set": "all",
            "input_file": os.path.abspath(clamp["input_file"])}

    def _se_voltage_clamp(self, clamp):
        missing = [k for k in ("amps", "durations") if k not in clamp]
        if missing:
            raise SimSetupError(f"se_voltage_clamp: missing {', '.join(missing)}")
        entry = {"input_type": "voltage_clamp", "module": "SEClamp", "node_set": "all",
                 "gids": clamp.get("gids", "all"), "amps": clamp["amps"], "durations": clamp["durations"]}
        if "rs" in clamp:
            entry["rs"] = clamp["rs"]
        self._inputs()[clamp.get("name", "se_voltage_clamp")] = entry

    def _spikes_inputs(self, spikes_inputs):
        inputs = self._inputs()
        for item in spikes_inputs:
            if isinstance(item, (str, os.PathLike)):
                item = (None, item)
            try:
                pop, path = item
            except (TypeError, ValueError):
                raise SimSetupError(f"spikes_inputs: {item!r} is not (population or None, spikes file)") from None
            path = os.path.abspath(os.fspath(path))
            ext = os.path.splitext(path)[1][1:]
            inputs[f"{pop or 'input'}_spikes"] = {
                "input_type": "spikes", "module": "sonata" if ext in ("h5", "hdf5") else ext,
                "input_file": path, "node_set": pop or "all"}

    # -- manifest and files ----------------------------------------------------------------------

    def _relative_circuit(self):
        conf, base = self._circuit, self._base_dir
        conf["manifest"] = {"$BASE_DIR": "${configdir}",
                            "$NETWORK_DIR": _under(self._network_dir, base, "$BASE_DIR"),
                            "$COMPONENTS_DIR": _under(self._components_dir, base, "$BASE_DIR")}
        # bmtk writes nodes and edges under $NETWORK_DIR, gap junction files by absolute path
        for section in ("nodes", "edges"):
            for entry in conf["networks"][section]:
                for k, v in entry.items():
                    entry[k] = _under(v, self._network_dir, "$NETWORK_DIR")
        for k, v in conf["components"].items():
            conf["components"][k] = _under(v, self._components_dir, "$COMPONENTS_DIR")

    def _relative_simulation(self):
        conf, base = self._simulation, self._base_dir
        conf["manifest"] = {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": _under(self._output_dir, base, "$BASE_DIR")}
        for k, v in conf.get("output", {}).items():
            if isinstance(v, str):
                conf["output"][k] = _under(v, self._output_dir, "$OUTPUT_DIR")
        for entry in conf.get("inputs", {}).values():
            for key in ("input_file", "file_name"):
                if key in entry:
                    entry[key] = _under(entry[key], base, "$BASE_DIR")
        if "node_sets_file" in conf:
            conf["node_sets_file"] = _under(conf["node_sets_file"], base, "$BASE_DIR")

    def _write(self, conf, path, overwrite):
        if os.path.exists(path) and not overwrite:
            logger.warning("Configuration file %s already exists, skipping. Please delete existing file, use a "
                           "different name, or use overwrite_config=True.", path)
            return
        logger.info("Creating config file: %s", path)
        with open(path, "w") as fh:
            json.dump(_ordered(conf), fh, indent=2)

    def _run_script(self, config_path):
        name = f"run_{self.bmtk_simulator}.py"
        inside = _under(config_path, self._base_dir, "") != config_path
        config = os.path.relpath(config_path, self._base_dir) if inside else config_path
        with open(os.path.join(self._base_dir, name), "w") as fh:
            fh.write(self._run_script_text(config))

    def _run_script_text(self, config):
        title = {"bionet": "BioNet", "filternet": "FilterNet"}[self.bmtk_simulator]
        return _RUN_TEMPLATE.format(title=title, sim=self.bmtk_simulator, config=config,
                                    body=_RUN_BODIES[self.bmtk_simulator])

    def build(self, include_examples=False, use_relative_paths=True, report_vars=(), report_nodes=None,
              clamp_reports=(), current_clamp=None, file_current_clamp=None, se_voltage_clamp=None,
              spikes_inputs=None, config_file="config.json", overwrite_config=False, example_components="auto",
              **run_args):
        config_file = os.fspath(config_file if config_file is not None else "config.json")
        plan = self._examples(include_examples, example_components)
        if not config_file or config_file.endswith(os.sep):
            raise SimSetupError(f"config_file {config_file!r} is not a file name")
        config_path = config_file if os.path.isabs(config_file) else os.path.join(self._base_dir, config_file)
        stem = os.path.splitext(os.path.basename(config_file))[0]
        circuit_path = os.path.join(self._base_dir, f"circuit_{stem}.json")
        simulation_path = os.path.join(self._base_dir, f"simulation_{stem}.json")
        self._write({"network": circuit_path, "simulation": simulation_path}, config_path, overwrite_config)

        self._network_files()
        self._components(plan, (example_components or "auto").replace("-", "_"))
        if use_relative_paths:
            self._relative_circuit()
        self._write(self._circuit, circuit_path, overwrite_config)

        node_set = self._node_sets(report_nodes)
        self._reports(report_vars, clamp_reports, node_set)
        self._output()
        self._simulation["target_simulator"] = self.target_simulator
        self._run(**run_args)
        if current_clamp is not None:
            self._current_clamp(current_clamp)
        if file_current_clamp is not None:
            self._file_current_clamp(file_current_clamp)
        if se_voltage_clamp is not None:
            self._se_voltage_clamp(se_voltage_clamp)
        if spikes_inputs is not None:
            self._spikes_inputs(spikes_inputs)
        if use_relative_paths:
            self._relative_simulation()
        self._write(self._simulation, simulation_path, overwrite_config)
        self._run_script(config_path)


class BioNetEnvBuilder(EnvBuilder):
    bmtk_simulator = "bionet"
    target_simulator = "NEURON"
    own_example_folders = ("biophysical_neuron_models", "morphologies", "synaptic_models", "filter_models")

    def _run(self, tstart=0.0, tstop=1000.0, dt=0.001, dL=20.0, spikes_threshold=-15.0, nsteps_block=5000,
             v_init=-80.0, celsius=34.0, **_):
        self._simulation["run"] = {"tstart": tstart, "tstop": tstop, "dt": dt, "dL": dL,
                                   "spike_threshold": spikes_threshold, "nsteps_block": nsteps_block}
        self._simulation["conditions"] = {"celsius": celsius, "v_init": v_init}

    def compile_mechanisms(self):
        print("bmtk-rs needs no compiled mechanisms: its ion channels are built in (no nrnivmodl, no "
              "components/mechanisms); --compile-mechanisms is accepted and does nothing.")


class FilterNetEnvBuilder(EnvBuilder):
    bmtk_simulator = "filternet"
    target_simulator = "LGNModel"
    own_example_folders = ("filter_models",)

    def _output(self):
        super()._output()
        self._simulation["output"].update(rates_file_csv="rates.csv", spikes_file_csv="spikes.csv",
                                          spikes_file_h5="spikes.h5")


class PointNetEnvBuilder(EnvBuilder):
    bmtk_simulator = "pointnet"
    target_simulator = "NEST"
    # NEST synapse and point-neuron parameters are not among the project's own components: of those
    # only the LGN filters are copied
    own_example_folders = ("filter_models",)

    def _output(self):
        super()._output()
        self._simulation["output"]["quiet_simulator"] = True

    def _run_script_text(self, config):
        return _RUN_TEMPLATE.format(title="PointNet", sim="pointnet", config=config, body=_RUN_BODIES["pointnet"])


class PopNetEnvBuilder(EnvBuilder):
    bmtk_simulator = "popnet"
    target_simulator = "DiPDE"

    def _output(self):
        super()._output()
        self._simulation["output"]["rates_file"] = "firing_rates.csv"

    def _run_script_text(self, config):
        return _RUN_TEMPLATE.format(title="PopNet", sim="popnet", config=config, body=_RUN_BODIES["popnet"])


def build_env_bionet(base_dir=".", network_dir=None, components_dir=None, node_sets_file=None,
                     include_examples=False, overwrite_config=False, tstart=0.0, tstop=1000.0, dt=0.001, dL=20.0,
                     spikes_threshold=-15.0, nsteps_block=5000, v_init=-80.0, celsius=34.0, report_vars=(),
                     report_nodes=None, clamp_reports=(), current_clamp=None, file_current_clamp=None,
                     se_voltage_clamp=None, spikes_inputs=None, compile_mechanisms=False, use_relative_paths=True,
                     config_file=None, example_components="auto"):
    """A BioNet simulation directory (bmtk 1.2.0's build_env_bionet arguments)."""
    env = BioNetEnvBuilder(base_dir=base_dir, network_dir=network_dir, components_dir=components_dir,
                           node_sets_file=node_sets_file)
    env.build(include_examples=include_examples, use_relative_paths=use_relative_paths, report_vars=report_vars,
              report_nodes=report_nodes, clamp_reports=clamp_reports, current_clamp=current_clamp,
              file_current_clamp=file_current_clamp, se_voltage_clamp=se_voltage_clamp,
              spikes_inputs=spikes_inputs, tstart=tstart, tstop=tstop, dt=dt, dL=dL,
              spikes_threshold=spikes_threshold, nsteps_block=nsteps_block, v_init=v_init, celsius=celsius,
              config_file=config_file, overwrite_config=overwrite_config, example_components=example_components)
    if compile_mechanisms:
        env.compile_mechanisms()
    return env


def build_env_pointnet(base_dir=".", network_dir=None, components_dir=None, node_sets_file=None,
                       include_examples=False, overwrite_config=False, tstart=0.0, tstop=1000.0, dt=0.001, dL=20.0,
                       spikes_threshold=-15.0, nsteps_block=5000, v_init=-80.0, celsius=34.0, report_vars=(),
                       report_nodes=None, current_clamp=None, spikes_inputs=None, use_relative_paths=True,
                       config_file=None, example_components="auto"):
    """A PointNet simulation directory in BMTK's layout, run by bmtk-rs's PointNet."""
    env = PointNetEnvBuilder(base_dir=base_dir, network_dir=network_dir, components_dir=components_dir,
                             node_sets_file=node_sets_file)
    # bmtk 1.2.0 ignores config_file here (always config.json); it is honoured
    env.build(include_examples=include_examples, use_relative_paths=use_relative_paths, report_vars=report_vars,
              report_nodes=report_nodes, current_clamp=current_clamp, spikes_inputs=spikes_inputs,
              tstart=tstart, tstop=tstop, dt=dt, dL=dL, spikes_threshold=spikes_threshold,
              nsteps_block=nsteps_block, v_init=v_init, celsius=celsius, overwrite_config=overwrite_config,
              config_file=config_file, example_components=example_components)
    return env


def build_env_filternet(base_dir=".", network_dir=None, components_dir=None, node_sets_file=None,
                        include_examples=False, tstart=0.0, tstop=1000.0, config_file="config.json", dt=0.001,
                        example_components="auto"):
    """A FilterNet simulation directory (bmtk 1.2.0's arguments, plus `dt`, which bmtk lacks)."""
    env = FilterNetEnvBuilder(base_dir=base_dir, network_dir=network_dir, components_dir=components_dir,
                              node_sets_file=node_sets_file)
    env.build(include_examples=include_examples, tstart=tstart, tstop=tstop, dt=dt, config_file=config_file,
              example_components=example_components)
    return env


def build_env_popnet(base_dir=".", network_dir=None, components_dir=None, node_sets_file=None, reports=None,
                     include_examples=True, config_file=None, tstart=0.0, tstop=1000.0, dt=0.001,
                     example_components="auto", **args):
    """A PopNet (DiPDE) simulation directory in BMTK's layout, run by bmtk-rs's PopNet."""
    env = PopNetEnvBuilder(base_dir=base_dir, network_dir=network_dir, components_dir=components_dir,
                           node_sets_file=node_sets_file)
    # as bmtk 1.2.0: run.dt stays at its default (dt is not passed on)
    env.build(include_examples=include_examples, tstart=tstart, tstop=tstop, config_file=config_file,
              example_components=example_components)
    return env


# -- command line ----------------------------------------------------------------------------------


def _list_value(text):
    """bmtk's option values: 'a,b,c' is a list (of ints when all parse), anything else a string."""
    if "," not in text:
        return text
    parts = text.split(",")
    try:
        return [int(p) for p in parts]
    except ValueError:
        return parts


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m bmtk_rs.utils.sim_setup",
        usage="%(prog)s [options] {bionet,pointnet,popnet,filternet} sim_dir",
        description="Creates a simulation directory (configs, run script, components) as BMTK's sim_setup does.")
    p.add_argument("target", help="bionet, filternet, pointnet or popnet")
    p.add_argument("sim_dir", help="the simulation directory (created if missing)")
    p.add_argument("-n", "--network_dir", dest="network_dir", default=None,
                   help="an existing directory with network files (default: <sim_dir>/network)")
    p.add_argument("--tstop", type=float, default=1000.0, help="simulation length (ms)")
    p.add_argument("--dt", type=float, default=None, help="time step (ms; default 0.001)")
    p.add_argument("--report-vars", dest="report_vars", type=_list_value, default=[],
                   help="membrane variables to record at the soma: v, cai, ...")
    p.add_argument("--report-nodes", dest="report_nodes", type=_list_value, default=None,
                   help="node ids (0,1,5) or one population name to record from")
    p.add_argument("--iclamp", dest="iclamp", type=_list_value, default=None,
                   help="a soma current clamp: <amp>,<delay>,<duration> (nA, ms, ms)")
    p.add_argument("--spikes-inputs", dest="spikes_inputs", type=_list_value, default=None,
                   help="spike files: <pop1>:<file1>,<pop2>:<file2>,... (or <file>)")
    p.add_argument("--include-examples", dest="include_examples", action="store_true",
                   help="copy example components: bmtk's own (from the installed bmtk), else bmtk-rs's")
    p.add_argument("--example-components", dest="example_components", default="auto",
                   choices=("auto", "bmtk", "bmtk-rs", "bmtk_rs"),
                   help="which examples --include-examples copies: bmtk's (needs bmtk installed: pip install "
                        "'bmtk-rs[examples]'), bmtk-rs's own, or auto (bmtk's when installed; the default)")
    p.add_argument("--compile-mechanisms", dest="compile_mechanisms", action="store_true",
                   help="accepted for BMTK compatibility: bmtk-rs needs no compiled NEURON mechanisms")
    p.add_argument("--config-file", dest="config_file", default="config.json",
                   help="name of the configuration json file (default config.json)")
    return p


def _iclamp_args(parser, value):
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 3:
        parser.error(f"--iclamp {value if isinstance(value, str) else ','.join(map(str, value))}: needs three "
                     "numbers <amp>,<delay>,<duration> (nA, ms, ms)")
    try:
        amp, delay, duration = (float(v) for v in value)
    except ValueError:
        parser.error(f"--iclamp {','.join(map(str, value))}: <amp>,<delay>,<duration> must be numbers")
    return {"amp": amp, "delay": delay, "duration": duration}


def _spikes_args(parser, value):
    out = []
    for item in [] if value is None else [value] if isinstance(value, str) else [str(v) for v in value]:
        parts = item.split(":")
        if len(parts) == 1:
            out.append((None, parts[0]))
        elif len(parts) == 2 and parts[1]:
            out.append((parts[0] or None, parts[1]))
        else:
            parser.error(f"--spikes-inputs: cannot parse {item!r}; expected <pop1>:<spikes-file1>,"
                         "<pop2>:<spikes-file2>,...")
    return out


def main(argv=None):
    parser = _parser()
    opts = parser.parse_args(argv)
    target = opts.target.lower()
    if target not in SIMULATORS:
        parser.error(f"unknown target simulator {opts.target!r}; choose one of: bionet, filternet, pointnet, popnet")
    if opts.tstop <= 0 or (opts.dt is not None and opts.dt <= 0):
        parser.error("--tstop and --dt must be positive")
    iclamp = _iclamp_args(parser, opts.iclamp)
    spikes = _spikes_args(parser, opts.spikes_inputs)
    dt = 0.001 if opts.dt is None else opts.dt
    try:
        if target == "bionet":
            build_env_bionet(base_dir=opts.sim_dir, network_dir=opts.network_dir, tstop=opts.tstop, dt=dt,
                             report_vars=opts.report_vars, report_nodes=opts.report_nodes, current_clamp=iclamp,
                             include_examples=opts.include_examples, spikes_inputs=spikes,
                             compile_mechanisms=opts.compile_mechanisms, config_file=opts.config_file,
                             example_components=opts.example_components)
        elif target == "pointnet":
            build_env_pointnet(base_dir=opts.sim_dir, network_dir=opts.network_dir, tstop=opts.tstop, dt=dt,
                               report_vars=opts.report_vars, report_nodes=opts.report_nodes, current_clamp=iclamp,
                               include_examples=opts.include_examples, spikes_inputs=spikes,
                               config_file=opts.config_file, example_components=opts.example_components)
        elif target == "popnet":
            build_env_popnet(base_dir=opts.sim_dir, network_dir=opts.network_dir, tstop=opts.tstop, dt=dt,
                             config_file=opts.config_file, example_components=opts.example_components)
        else:
            build_env_filternet(base_dir=opts.sim_dir, network_dir=opts.network_dir, tstop=opts.tstop, dt=dt,
                                include_examples=opts.include_examples, config_file=opts.config_file,
                                example_components=opts.example_components)
    except (SimSetupError, OSError) as e:
        parser.exit(2, f"{parser.prog}: error: {e}\n")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(module)s [%(levelname)s] %(message)s")
    sys.exit(main())
