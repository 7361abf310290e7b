"""Mechanisms from NMODL (.mod) files, read and run by the engine with no compiler.

``load(path)`` checks a file and describes it; a file the engine cannot run raises ``ValueError``
naming the file, the line and the construct (VERBATIM C code, POINTER links, ...). Units are
checked as NEURON's ``modlunit`` checks them: each finding is a :class:`UnitsWarning` naming
file:line and both units (``units(path)`` lists them); the arithmetic is the file's as written,
as NEURON runs it (no rescaling).
"""

import pathlib
import warnings
from dataclasses import dataclass, field

from . import _native


class UnitsWarning(UserWarning):
    """A unit inconsistency modlunit would report (the file still runs, with NEURON's arithmetic)."""


def units(path):
    """The unit findings of one .mod file: ``[(line, kind, message)]`` in modlunit's order (its
    first error is the first entry); kinds: unknown-unit, not-conformable, conversion-factor,
    not-dimensionless, neuron-units, redefinition."""
    return [tuple(w) for w in _native.nmodl_units(str(path))]


def warn_units(path, stacklevel=2):
    """Issues a :class:`UnitsWarning` per unit finding of `path`; returns the findings."""
    found = units(path)
    for line, _kind, message in found:
        warnings.warn(UnitsWarning(f"{path}:{line}: {message}"), stacklevel=stacklevel + 1)
    return found


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
    #: unit findings as modlunit would report them: [(line, kind, message)]
    units: list = field(default_factory=list)


def load(path, warn=True):
    """Loads and checks one .mod file; returns a :class:`Mechanism`. Unit findings are issued as
    :class:`UnitsWarning` (unless ``warn=False``) and kept in ``Mechanism.units``."""
    p = pathlib.Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such .mod file")
    info = _native.nmodl_load(str(p))
    found = warn_units(p, stacklevel=2) if warn else units(p)
    return Mechanism(name=info["name"], kind=info["kind"], path=str(p), parameters=dict(info["parameters"]),
                     states=list(info["states"]), ions=dict(info["ions"]), nonspecific=list(info["nonspecific"]),
                     range=list(info["range"]), variables=list(info["variables"]), native=list(info["native"]),
                     interpreted=list(info["interpreted"]), units=found)


def check(path):
    """(supported, message) for one .mod file, never raising for a bad file."""
    try:
        m = load(path, warn=False)
    except (ValueError, OSError) as e:
        return False, str(e)
    how = "; ".join(f"{label}: {', '.join(blocks)}" for label, blocks in
                    (("native code", m.native), ("interpreted", m.interpreted)) if blocks)
    message = f"{path}: {m.kind} mechanism '{m.name}' is supported ({how})"
    if m.units:
        message += "".join(f"\n  units warning: {path}:{line}: {text}" for line, _kind, text in m.units)
    return True, message


def load_dir(directory):
    """Every .mod file of a directory (sorted by name, as nrnivmodl registers them): ``({name:
    Mechanism}, {path: error})``."""
    loaded, refused = {}, {}
    for p in sorted(pathlib.Path(directory).glob("*.mod")):
        try:
            m = load(p, warn=False)
        except ValueError as e:
            refused[str(p)] = str(e)
        else:
            loaded[m.name] = m
    return loaded, refused
