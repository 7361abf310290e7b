"""User functions the BioNet simulator calls back, registered by name as in bmtk
(``bmtk.simulator.bionet.pyfunction_cache``): synaptic weight functions and spike generators.

Weight functions and spike generators are called as in bmtk. Cell models and model processing
functions run on bmtk-rs's Python cell object (cell_object.py) for the nodes that name them; synapse
models are computed by the Rust engine, and an edge naming a user synapse model is refused.
"""

import functools
import math

_weight_functions = {}
_spikes_generators = {}

#: names whose function only returns edge_props['syn_weight'] (evaluated without calling Python)
PLAIN_WEIGHT = object()


def _plain(edge_props, src_props, trg_props):
    return edge_props["syn_weight"]


def _gaussian_ll(edge_props, src_props, trg_props):
    src_tuning = src_props["tuning_angle"]
    tar_tuning = trg_props["tuning_angle"]
    w0 = edge_props["syn_weight"]
    sigma = edge_props["weight_sigma"]
    delta = abs(abs(abs(180.0 - abs(float(tar_tuning) - float(src_tuning)) % 360.0) - 90.0) - 90.0)
    return w0 * math.exp(-((delta / sigma) ** 2))


#: bmtk's builtin gaussianLL, which the network evaluates on whole columns when it is not overridden
GAUSSIAN_LL = _gaussian_ll

_BUILTIN = {
    "default_weight_fnc": _plain,
    "wmax": _plain,
    "set_syn_weight": _plain,
    "gaussianLL": _gaussian_ll,
}


def reset():
    """Forgets every user-registered function (bmtk's defaults stay)."""
    _weight_functions.clear()
    _spikes_generators.clear()
    for table in _user_functions.values():
        table.clear()


def add_weight_function(func, name=None, overwrite=True):
    """Registers ``func(edge_props, source, target) -> weight`` under ``name`` (default: its __name__)."""
    if not callable(func):
        raise TypeError(f"add_weight_function: {func!r} is not callable")
    name = name or func.__name__
    if not overwrite and (name in _weight_functions or name in _BUILTIN):
        return
    _weight_functions[name] = func


def synaptic_weight(*wargs, **wkwargs):
    """Decorator form: ``@synaptic_weight`` or ``@synaptic_weight(name='...')``."""
    if len(wargs) == 1 and callable(wargs[0]) and not wkwargs:
        add_weight_function(wargs[0])
        return wargs[0]

    def deco(func):
        add_weight_function(func, name=wkwargs.get("name"))

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)

        return wrapper

    return deco


def weight_function(name):
    """The function registered as ``name``: a user function, PLAIN_WEIGHT, or a builtin; None if unknown."""
    if name is None:
        return PLAIN_WEIGHT
    if name in _weight_functions:
        return _weight_functions[name]
    fn = _BUILTIN.get(name)
    if fn is _plain:
        return PLAIN_WEIGHT
    return fn


def add_spikes_generator(func, name=None, overwrite=True):
    name = name or func.__name__
    if overwrite or name not in _spikes_generators:
        _spikes_generators[name] = func


def spikes_generator(*wargs, **wkwargs):
    if len(wargs) == 1 and callable(wargs[0]) and not wkwargs:
        add_spikes_generator(wargs[0])
        return wargs[0]

    def deco(func):
        add_spikes_generator(func, name=wkwargs.get("name"))
        return func

    return deco


def get_spikes_generator(name):
    return _spikes_generators.get(name)


# model_processing names the engine implements itself (bmtk's built-ins, the full-axon variants bmtk's
# example scripts register, and the extracellular mechanism)
NATIVE_PROCESSING = ("aibs_perisomatic", "aibs_allactive", "aibs_perisomatic_directed", "aibs_allactive_directed",
                     "aibs_perisomatic_fullaxon", "aibs_allactive_fullaxon", "extracellular", "set_extracellular")

_user_functions = {"cell model": {}, "model processing": {}, "synapse model": {}}


def _registry(kind):
    """add_* and the decorator for user functions that, in bmtk, build or edit NEURON objects. Cell
    models and processors run on bmtk-rs's cell object (bionetwork._add_user_model) unless the
    engine implements that name itself; an edge naming a user synapse model is refused."""
    table = _user_functions[kind]

    def add(func, name=None, overwrite=True, directive=None, **_ignored):
        if not callable(func):
            raise TypeError(f"{kind}: {func!r} is not callable")
        name = name or directive or func.__name__
        if overwrite or name not in table:
            table[name] = func

    def decorator(*wargs, **wkwargs):
        if len(wargs) == 1 and callable(wargs[0]) and not wkwargs:
            add(wargs[0])
            return wargs[0]

        def deco(func):
            add(func, name=wkwargs.get("name"), directive=wkwargs.get("directive"))
            return func

        return deco

    return add, decorator


def user_function(kind, name):
    """The Python function registered as `name` for `kind`, or None."""
    return _user_functions[kind].get(name)


add_cell_model, cell_model = _registry("cell model")
add_cell_processor, model_processing = _registry("model processing")
add_synapse_model, synapse_model = _registry("synapse model")
