"""Synapse models from the config's ``mechanisms_dir``: every ``.mod`` file there (and in its
``modfiles/`` folder) is read by the engine's NMODL front end when an edge type's
``model_template`` names its POINT_PROCESS, with no ``nrnivmodl`` step.

Parameters come from the edge type's synaptic model json as BMTK's own synapse functions set them
for its templates (``stp2syn``, ``exp1syn``, ...; some of those fix values in code, kept here), and
for any other point process by name: a json key equal to one of the file's PARAMETERs sets it,
``erev`` sets ``e``.
"""

import glob
import logging
import os

from .config import ConfigError

# point processes the engine has built in (a mechanisms_dir file of that name replaces them)
_ENGINE_POINT_PROCESSES = ("Exp2Syn",)

# template -> (POINT_PROCESS name, {mod parameter: json key}, {mod parameter: value BMTK fixes})
_BMTK_SYNAPSES = {
    "exp2syn": ("Exp2Syn", {"tau1": "tau1", "tau2": "tau2", "e": "erev"}, {}),
    "stp1syn": ("stp1syn", {"e": "erev"}, {"p0": 0.5, "tau_r": 200.0, "tau_1": 5.0}),
    "stp2syn": ("stp2syn", {"e": "erev", "p0": "p0", "tau_r0": "tau_r0", "tau_FDR": "tau_FDR", "tau_1": "tau_1"},
                {}),
    "stp3syn": ("stp3syn", {"e": "erev"}, {"p0": 0.6, "tau_r0": 200.0, "tau_FDR": 2000.0, "tau_D": 500.0,
                                           "tau_1": 5.0}),
    "stp4syn": ("stp4syn", {"e": "erev"}, {"p0": 0.6, "tau_r": 200.0, "tau_1": 5.0}),
    "exp1syn": ("exp1syn", {"e": "erev", "tau": "tau_1"}, {}),
    "exp1isyn": ("exp1isyn", {"e": "erev", "tau": "tau_1"}, {}),
}
for _n in ("stp5syn", "stp5isyn"):
    _BMTK_SYNAPSES[_n] = (_n, {"e": "erev", **{k: k for k in ("tau_1", "tau_r0", "tau_FDR", "a_FDR", "a_D", "a_i",
                                                               "a_f", "pbtilde")}}, {})


class UserMechanisms:
    """The point processes of one config's mechanisms_dir, loaded on first use."""

    def __init__(self, config):
        self._config = config
        self._index = None
        self._types = {}

    def _files(self):
        d = self._config.components.get("mechanisms_dir")
        if not d:
            return []
        files = sorted(glob.glob(os.path.join(d, "*.mod")) + glob.glob(os.path.join(d, "modfiles", "*.mod")))
        return files

    def index(self):
        """{POINT_PROCESS name: (path, info) or (path, error message)} of the folder's files."""
        if self._index is None:
            from ... import _native

            self._index = {}
            for path in self._files():
                name = _declared_name(path) or _declared(path, "ARTIFICIAL_CELL")
                if name is None:
                    continue
                try:
                    info = _native.nmodl_load(path)
                except ValueError as e:
                    self._index[name] = (path, str(e))
                    continue
                if info["kind"] in ("point_process", "artificial_cell"):
                    self._index[info["name"]] = (path, info)
        return self._index

    def template(self, template):
        """(POINT_PROCESS name, param map, fixed values) a model_template asks for, or None when
        the folder has no such point process (exp2syn then stays the engine's own)."""
        name, pmap, fixed = _BMTK_SYNAPSES.get(str(template), (str(template), None, {}))
        return (name, pmap, fixed) if name in self.index() else None

    def synapse_type(self, engine, template, dyn_name, dyn_params, what):
        """The engine's synapse type id for edges of `template` with synaptic model `dyn_name`."""
        key = (str(template), str(dyn_name))
        if key in self._types:
            return self._types[key]
        name, pmap, fixed = self.template(template)
        path, info = self.index()[name]
        if isinstance(info, str):
            raise ConfigError(f"{what}: model_template '{template}' needs {path}, which cannot run: {info}")
        from ...mechanisms import warn_units

        warn_units(path)
        params = dict(fixed)
        if pmap is None:
            for k, v in dyn_params.items():
                k = "e" if k == "erev" and "e" in info["parameters"] else k
                if k in info["parameters"] and isinstance(v, (int, float)):
                    params[k] = float(v)
        else:
            for k, src in pmap.items():
                if src not in dyn_params:
                    raise ConfigError(f"{what}: synaptic model {dyn_name} lacks '{src}', which model_template "
                                      f"'{template}' sets as {name}.{k}")
                params[k] = float(dyn_params[src])
        try:
            t = engine.add_point_synapse_type(path, params)
        except ValueError as e:
            raise ConfigError(f"{what}: model_template '{template}' ({path}): {e}") from None
        self._types[key] = t
        if name in _ENGINE_POINT_PROCESSES:
            logging.getLogger("bmtk_rs.bionet").info(
                f"Synapse model {name} from {path} replaces the built-in {name} (NMODL front end, no nrnivmodl)")
        return t


    def artificial_cell(self, engine, template, ids, dyn_params, what):
        """Adds the nodes `ids` (engine ids) whose model_template `nrn:<NAME>` names an
        ARTIFICIAL_CELL of the folder, `dyn_params[i]` their dynamics_params json: a numeric key
        equal to one of the file's PARAMETERs sets it, in the file's units (what a cell-model
        function registered with bmtk's add_cell_model for that template would do; bmtk 1.2.0 itself
        knows only nrn:IntFire1). Returns False when the folder has no such ARTIFICIAL_CELL."""
        name = str(template).split(":", 1)[1] if ":" in str(template) else str(template)
        path, info = self.index().get(name, (None, None))
        if path is None:
            return False
        if isinstance(info, str):
            raise ConfigError(f"{what}: model_template '{template}' needs {path}, which cannot run: {info}")
        if info["kind"] != "artificial_cell":
            raise ConfigError(f"{what}: model_template '{template}' names {name} of {path}, a POINT_PROCESS: "
                              "a point_process node needs an ARTIFICIAL_CELL")
        params, unused = [], set()
        for dp in dyn_params:
            p = {}
            for k, v in (dp or {}).items():
                if k in info["parameters"] and isinstance(v, (int, float)) and not isinstance(v, bool):
                    p[k] = float(v)
                else:
                    unused.add(k)
            params.append(p)
        if unused:
            logging.getLogger("bmtk_rs.bionet").warning(
                f"{what}: dynamics_params keys {sorted(unused)} are not numeric PARAMETERs of {name} ({path}); "
                "they are not used")
        try:
            engine.add_artificial_cells(ids, path, params)
        except ValueError as e:
            raise ConfigError(f"{what}: model_template '{template}' ({path}): {e}") from None
        return True


def _declared(path, keyword):
    """The name a file declares after `keyword` (POINT_PROCESS, SUFFIX), or None: a cheap scan, so
    that unrelated broken files do not matter."""
    try:
        with open(path, errors="replace") as fh:
            for line in fh:
                words = line.split(":")[0].replace("{", " ").replace("}", " ").split()
                if keyword in words[:-1]:
                    return words[words.index(keyword) + 1]
    except OSError as e:
        raise ConfigError(f"cannot read mechanism file {path}: {e}") from None
    return None


def _declared_name(path):
    return _declared(path, "POINT_PROCESS")


def _declared_suffix(path):
    return _declared(path, "SUFFIX")


def register_density_mechanisms(config, io, engine):
    """Makes the density mechanisms of mechanisms_dir available to the cells' fit files (by
    SUFFIX) on `engine`. A file whose SUFFIX is a built-in mechanism's replaces the built-in for
    this config's cells (its own equations run, from the .mod file), except bmtk's own unedited
    files, for which the built-in (the same equations, hand-written) runs; the environment variable
    BMTK_RS_MECHANISMS_FROM_FILES=1 runs those from their files too. Returns {SUFFIX: reason} of
    the files that cannot run, so that a cell naming one is refused with that reason."""
    from ... import _native

    builtin = set(_native.builtin_mechanisms())
    always = os.environ.get("BMTK_RS_MECHANISMS_FROM_FILES", "") not in ("", "0")
    failed = {}
    replaced, kept = [], []
    for path in UserMechanisms(config)._files():
        name = _declared_suffix(path)
        if name is None:
            continue  # a point process
        try:
            name, what = engine.add_density_mechanism(path, name, always)
        except ValueError as e:
            failed[name] = f"{path}: {e}"
            continue
        if what != "builtin":
            # bmtk's own unedited files run as the built-ins and are not reported
            from ...mechanisms import warn_units

            warn_units(path)
        if what == "replaces":
            replaced.append(name)
            io.info(f"Mechanism {name} from {path} replaces the built-in {name} (NMODL front end, no nrnivmodl)")
        elif what == "builtin":
            kept.append(name)
        else:
            io.info(f"Mechanism {name} from {path} (NMODL front end, no nrnivmodl)")
    if kept:
        io.info(f"bmtk's own unedited files run as the built-in mechanisms (the same equations): "
                f"{', '.join(sorted(kept))}")
    if replaced:
        io.info(f"Built-in mechanisms replaced by mechanisms_dir files: {', '.join(sorted(replaced))}")
    for name in failed:
        if name in builtin:
            io.warning(f"Mechanism {name}: {failed[name]}; cells naming {name} are refused "
                       f"(the file replaces the built-in {name})")
    return failed
