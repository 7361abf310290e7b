"""Mechanisms from NMODL (.mod) files, read and run by the engine with no compiler.

``load(path)`` checks a file and describes it; a file the engine cannot run raises ``ValueError``
naming the file, the line and the construct (VERBATIM C code, POINTER links, ...).
"""

import pathlib
from dataclasses import dataclass, field

from . import _native


@dataclass(frozen=True)
class Mechanism:
    """What a .mod file declares: its NEURON name, kind ('density', 'point_process',
    'artificial_cell'), parameters ``{name: (default, 'range'|'global')}``, states, ions
    ``{ion: {'read': [...], 'write': [...], 'valence': v}}`` and recordable variables."""

    name: str
    kind: str
    path: str
    parameters: dict
    states: list
    ions: dict
    nonspecific: list = field(default_factory=list)
    range: list = field(default_factory=list)
    variables: list = field(default_factory=list)
    #: blocks compiled to native code when the file was loaded, and blocks the interpreter runs
    #: (NET_RECEIVE always; everything with ``BMTK_RS_NMODL_JIT=0``)
    native: list = field(default_factory=list)
    interpreted: list = field(default_factory=list)


def load(path):
    """Loads and checks one .mod file; returns a :class:`Mechanism`."""
    p = pathlib.Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such .mod file")
    info = _native.nmodl_load(str(p))
    return Mechanism(name=info["name"], kind=info["kind"], path=str(p), parameters=dict(info["parameters"]),
                     states=list(info["states"]), ions=dict(info["ions"]), nonspecific=list(info["nonspecific"]),
                     range=list(info["range"]), variables=list(info["variables"]), native=list(info["native"]),
                     interpreted=list(info["interpreted"]))


def check(path):
    """(supported, message) for one .mod file, never raising for a bad file."""
    try:
        m = load(path)
    except (ValueError, OSError) as e:
        return False, str(e)
    how = "; ".join(f"{label}: {', '.join(blocks)}" for label, blocks in
                    (("native code", m.native), ("interpreted", m.interpreted)) if blocks)
    return True, f"{path}: {m.kind} mechanism '{m.name}' is supported ({how})"


def load_dir(directory):
    """Every .mod file of a directory (sorted by name, as nrnivmodl registers them): ``({name:
    Mechanism}, {path: error})``."""
    loaded, refused = {}, {}
    for p in sorted(pathlib.Path(directory).glob("*.mod")):
        try:
            m = load(p)
        except ValueError as e:
            refused[str(p)] = str(e)
        else:
            loaded[m.name] = m
    return loaded, refused
