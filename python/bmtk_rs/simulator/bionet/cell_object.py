"""The cell object a user's ``model_processing`` function (``add_cell_processor`` /
``@model_processing``) or cell-model function (``add_cell_model`` / ``@cell_model``) receives in
bmtk-rs, in place of NEURON's hoc cell.

It mirrors the part of NEURON's Python API that model processing uses, and nothing more:

- ``hobj.soma``, ``hobj.dend``, ``hobj.apic``, ``hobj.axon`` (section arrays: ``hobj.soma[0]``),
  ``hobj.all``, ``hobj.somatic``, ``hobj.basal``, ``hobj.apical``, ``hobj.axonal`` (section lists:
  iterate, ``append(sec=sec)``, ``len``).
- a section: ``name()``, ``L``, ``diam``, ``nseg``, ``Ra``, ``cm``, ``insert('mech')``,
  ``has_membrane('mech')``, ``ena``/``ek``, any ``<param>_<mech>`` of an inserted mechanism (read
  gives the value at x = 0.5, write sets every segment), ``sec(x)`` and ``for seg in sec``,
  ``connect(parent, x)`` / ``connect(parent(x))``.
- a segment: ``x``, ``sec``, ``cm``, ``ena``/``ek``, ``diam``, ``<param>_<mech>``,
  ``seg.<mech>.<param>``.
- ``h`` (this module's): ``h.distance(seg_a, seg_b)``, ``h.distance(seg)`` /
  ``h.distance(x, sec=sec)`` from the origin set by ``h.distance(0, x, sec=sec)`` or
  ``h.distance(sec=sec)``, ``h.delete_section(sec=sec)``, ``h.execute('create axon[2]', hobj)``,
  ``h.define_shape()``, ``h.ismembrane('na_ion', sec=sec)``, ``h.Biophys1(swc_file)``.

Anything else (``h.IClamp``, ``h.Vector``, pointers, hoc templates, ...) raises
:class:`NeuronOnlyError` naming the user function, the node and the attribute. Unknown
mechanisms or parameters raise :class:`CellEditError` naming the node, the section and the name.
Sections with 3-d points keep them: ``L`` can be set only on sections the function created
(NEURON rescales 3-d points; bmtk's processors never do that), ``diam`` sets every 3-d diameter.
"""

import copy
import math
import re

from ... import _native
from ..sonata_config import ConfigError

_KIND = {"soma": 1, "axon": 2, "dend": 3, "apic": 4}
_KIND_NAME = {v: k for k, v in _KIND.items()}
_LISTS = {"somatic": 1, "axonal": 2, "basal": 3, "apical": 4}
# NEURON's defaults for a new section
_NEW_L, _NEW_DIAM, _NEW_RA, _NEW_CM = 100.0, 500.0, 35.4, 1.0


class NeuronOnlyError(ConfigError, AttributeError):
    """A user function used a part of NEURON that bmtk-rs's cell object does not have."""


class CellEditError(ConfigError):
    """A user function set something a cell cannot have (unknown mechanism, parameter, ...)."""


class _Context:
    """Which user function runs on which node (named in every error)."""

    def __init__(self, function, node):
        self.function = function
        self.node = node

    def neuron_only(self, what):
        return NeuronOnlyError(
            f"{self.function} (on {self.node}) uses {what}, which is NEURON-only: bmtk-rs's cell object "
            "offers sections, segments, mechanisms, ion reversal potentials, h.distance, delete_section, "
            "'create <type>[n]' and define_shape (docs/simulators/bionet.md, 'User cell functions')")

    def bad(self, sec, msg):
        return CellEditError(f"{self.function} (on {self.node}), section {sec.name()}: {msg}")


_current = [None]


def _ctx():
    return _current[0] or _Context("a model_processing function", "a cell")


def _seg_index(x, nseg):
    return min(max(int(x * nseg), 0), nseg - 1)


def _remap(values, new):
    old = len(values)
    return [values[min(int((j + 0.5) / new * old), old - 1)] for j in range(new)]


class Segment:
    """``sec(x)``: one segment of a section."""

    __slots__ = ("sec", "x", "_i")

    def __init__(self, sec, x):
        object.__setattr__(self, "sec", sec)
        object.__setattr__(self, "x", float(x))
        object.__setattr__(self, "_i", _seg_index(float(x), sec._nseg))

    def __getattr__(self, name):
        if name == "diam":
            return self.sec.diam
        sec = self.sec
        if name in sec._mechs:
            return _MechAt(sec, name, self._i)
        return sec._get_range(name, self._i)

    def __setattr__(self, name, value):
        self.sec._set_range(name, value, self._i)

    def __repr__(self):
        return f"{self.sec.name()}({self.x:g})"


class _MechAt:
    """``seg.<mech>``: the mechanism at one segment (``seg.pas.e = -70``)."""

    __slots__ = ("_sec", "_mech", "_i")

    def __init__(self, sec, mech, i):
        object.__setattr__(self, "_sec", sec)
        object.__setattr__(self, "_mech", mech)
        object.__setattr__(self, "_i", i)

    def __getattr__(self, name):
        return self._sec._get_range(f"{name}_{self._mech}", self._i)

    def __setattr__(self, name, value):
        self._sec._set_range(f"{name}_{self._mech}", value, self._i)


class Section:
    """A section of a bmtk-rs cell; see the module documentation for what it offers."""

    def __init__(self, cell, kind, index, parent=None, parent_x=1.0, pts=(), logical=None, length=_NEW_L,
                 diam=_NEW_DIAM):
        d = self.__dict__
        d["_cell"] = cell
        d["_kind"] = kind
        d["_index"] = index
        d["_parent"] = parent
        d["_parent_x"] = float(parent_x)
        d["_pts"] = [list(p) for p in pts]
        d["_logical"] = logical
        d["_L"] = float(length)
        d["_diam"] = float(diam)
        d["_nseg"] = 1
        d["_ra"] = _NEW_RA
        d["_cm"] = [_NEW_CM]
        d["_ena"] = [math.nan]
        d["_ek"] = [math.nan]
        d["_mechs"] = {}  # suffix -> {param: [value per segment]}
        d["_deleted"] = False

    # ---- naming and structure ----
    def name(self):
        return f"Biophys1[0].{_KIND_NAME[self._kind]}[{self._index}]"

    def hname(self):
        return self.name()

    def __repr__(self):
        return self.name()

    def __call__(self, x):
        return Segment(self, x)

    def __iter__(self):
        n = self._nseg
        return iter([Segment(self, (j + 0.5) / n) for j in range(n)])

    def allseg(self):
        raise _ctx().neuron_only("sec.allseg()")

    def connect(self, parent, x=1.0, child_end=0.0):
        if isinstance(parent, Segment):
            parent, x = parent.sec, parent.x
        if not isinstance(parent, Section):
            raise _ctx().bad(self, f"connect() needs a section or a segment, got {parent!r}")
        if float(child_end) != 0.0:
            raise _ctx().bad(self, "connect(..., child_end) other than 0 is not supported")
        self.__dict__["_parent"] = parent
        self.__dict__["_parent_x"] = float(x)

    def parentseg(self):
        p = self._parent
        return None if p is None else Segment(p, self._parent_x)

    def insert(self, mech):
        if mech == "extracellular":
            return self  # leaves v as it is; bmtk-rs records i_membrane without it
        suffix, _, _ = self._cell._info(mech, self)
        self._mechs.setdefault(suffix, {})
        return self

    def has_membrane(self, mech):
        return mech in self._mechs

    def uninsert(self, mech):
        self._mechs.pop(mech, None)

    # ---- attributes ----
    @property
    def L(self):
        return self._L

    @L.setter
    def L(self, v):
        if self._pts:
            raise _ctx().bad(self, "setting L of a section with 3-d points (NEURON rescales them) is not supported "
                                   "by bmtk-rs; create a new section instead")
        self.__dict__["_L"] = float(v)

    @property
    def diam(self):
        return self._diam

    @diam.setter
    def diam(self, v):
        v = float(v)
        for p in self._pts:
            p[3] = v
        self.__dict__["_diam"] = v

    @property
    def nseg(self):
        return self._nseg

    @nseg.setter
    def nseg(self, n):
        n = int(n)
        if n < 1:
            raise _ctx().bad(self, f"nseg must be at least 1, got {n}")
        d = self.__dict__
        for key in ("_cm", "_ena", "_ek"):
            d[key] = _remap(d[key], n)
        for params in self._mechs.values():
            for k in params:
                params[k] = _remap(params[k], n)
        d["_nseg"] = n

    @property
    def Ra(self):
        return self._ra

    @Ra.setter
    def Ra(self, v):
        self.__dict__["_ra"] = float(v)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._get_range(name, _seg_index(0.5, self._nseg))

    def __setattr__(self, name, value):
        if isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
            return
        self._set_range(name, value, None)

    # ---- range variables (i = None: every segment) ----
    def _slot(self, name):
        """(list, index in it) holding range variable `name`; raises naming node, section, name."""
        if name in ("cm",):
            return self._cm, None
        if name in ("ena", "ek"):
            ion = name[1:]
            if not any(ion in self._cell._info(m, self)[2] for m in self._mechs):
                raise _ctx().bad(self, f"'{name}': no inserted mechanism uses the {ion} ion here (NEURON has no "
                                       f"{name} in this section)")
            return (self._ena if name == "ena" else self._ek), None
        for suffix in self._mechs:
            if name.endswith("_" + suffix):
                param = name[: -len(suffix) - 1]
                _, params, _ = self._cell._info(suffix, self)
                spec = params.get(param)
                if spec is None:
                    raise _ctx().bad(self, f"'{name}': mechanism '{suffix}' has no parameter '{param}'")
                default, is_global = spec
                if is_global:
                    raise _ctx().bad(self, f"'{name}' is a GLOBAL parameter of '{suffix}' in NEURON; bmtk-rs "
                                           "cannot set it per section")
                table = self._mechs[suffix]
                if param not in table:
                    table[param] = [default] * self._nseg
                return table[param], None
        if name in ("v", "i_membrane", "area", "ri", "hoc_internal_name", "psection", "pt3dadd", "pt3dclear",
                    "n3d", "x3d", "y3d", "z3d", "diam3d", "arc3d", "trueparentseg", "children", "subtree",
                    "wholetree", "cell", "push", "is_pysec", "orientation", "rallbranch"):
            raise _ctx().neuron_only(f"section attribute '{name}'")
        raise _ctx().bad(self, f"'{name}' is neither Ra, cm, L, diam, nseg, ena, ek nor <parameter>_<mechanism> of "
                               f"a mechanism inserted here (inserted: {', '.join(self._mechs) or 'none'})")

    def _get_range(self, name, i):
        values, _ = self._slot(name)
        return values[i]

    def _set_range(self, name, value, i):
        if name in ("L", "diam", "nseg", "Ra"):
            if i is not None and name != "diam":
                raise _ctx().bad(self, f"'{name}' is a section property, not a segment's")
            setattr(self, name, value)
            return
        values, _ = self._slot(name)
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise _ctx().bad(self, f"'{name}' = {value!r} is not a number") from None
        if i is None:
            values[:] = [v] * len(values)
        else:
            values[i] = v


class SectionList:
    """``hobj.all`` and the other section lists."""

    def __init__(self, sections=()):
        self._secs = list(sections)

    def append(self, sec=None):
        if not isinstance(sec, Section):
            raise _ctx().neuron_only(f"SectionList.append with {sec!r}")
        if sec not in self._secs:
            self._secs.append(sec)

    def remove(self, sec=None):
        if sec in self._secs:
            self._secs.remove(sec)

    def __iter__(self):
        return iter([s for s in self._secs if not s._deleted])

    def __len__(self):
        return sum(1 for s in self._secs if not s._deleted)

    def __contains__(self, sec):
        return sec in self._secs and not sec._deleted


class SectionArray:
    """``hobj.soma``, ``hobj.dend``, ...: a hoc section array (index it, iterate it)."""

    def __init__(self, sections=()):
        self._secs = list(sections)

    def __getitem__(self, i):
        return self._secs[i]

    def __iter__(self):
        return iter(list(self._secs))

    def __len__(self):
        return len(self._secs)


class Cell:
    """bmtk-rs's stand-in for bmtk's ``Biophys1`` hoc cell; see the module documentation."""

    def __init__(self, raw_sections, mechanism_info):
        d = self.__dict__
        d["_info_fn"] = mechanism_info
        d["_info_cache"] = {}
        d["_define_shape"] = False
        secs = []
        for r in raw_sections:
            secs.append(Section(self, r["kind"], r["name_index"], None, r["parent_x"], r["pts"], r["logical"],
                                r["length"], r["diam"]))
        for s, r in zip(secs, raw_sections):
            if r["parent"] is not None:
                s.__dict__["_parent"] = secs[r["parent"]]
        d["_arrays"] = {k: SectionArray([s for s in secs if s._kind == v]) for k, v in _KIND.items()}
        d["_lists"] = {k: SectionList([s for s in secs if s._kind == v]) for k, v in _LISTS.items()}
        d["_lists"]["all"] = SectionList(secs)

    def _info(self, mech, sec):
        """(SUFFIX, {param: (default, is_global)}, ions) of a mechanism; CellEditError if unknown."""
        cache = self._info_cache
        if mech not in cache:
            try:
                suffix, params, ions = self._info_fn(mech)
            except ValueError as e:
                raise _ctx().bad(sec, f"insert('{mech}'): {e}") from None
            cache[mech] = (suffix, {p: (dflt, g) for p, dflt, g in params}, list(ions))
        return cache[mech]

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._arrays:
            return self._arrays[name]
        if name in self._lists:
            return self._lists[name]
        raise _ctx().neuron_only(f"hobj.{name}")

    def __setattr__(self, name, value):
        raise _ctx().neuron_only(f"setting hobj.{name}")

    # ---- morphology edits (through h) ----
    def _delete(self, sec):
        sec.__dict__["_deleted"] = True
        arr = self._arrays[_KIND_NAME[sec._kind]]
        if sec in arr._secs:
            arr._secs.remove(sec)

    def _create(self, kind_name, n):
        for s in list(self._arrays[kind_name]):
            self._delete(s)
        kind = _KIND[kind_name]
        new = [Section(self, kind, i) for i in range(n)]
        self._arrays[kind_name]._secs = new

    # ---- handing the result to the engine ----
    def sections_for_engine(self):
        """The live sections of hobj.all as add_described_model takes them."""
        ctx = _ctx()
        secs = list(self._lists["all"])
        pos = {id(s): k for k, s in enumerate(secs)}
        out = []
        for s in secs:
            parent = s._parent
            if parent is not None and (parent._deleted or id(parent) not in pos):
                why = "was deleted" if parent._deleted else "is not in hobj.all"
                raise CellEditError(f"{ctx.function} (on {ctx.node}): section {s.name()} hangs from {parent.name()}, "
                                    f"which {why}")
            out.append({
                "kind": s._kind, "name_index": s._index, "parent": None if parent is None else pos[id(parent)],
                "parent_x": s._parent_x, "pts": s._pts, "logical": s._logical, "length": s._L, "diam": s._diam,
                "nseg": s._nseg, "ra": s._ra, "cm": s._cm, "ena": s._ena, "ek": s._ek,
                "mechs": [(m, list(p.items())) for m, p in s._mechs.items()],
            })
        for k, s in enumerate(secs):
            if (s._parent is None) != (k == 0):
                raise CellEditError(f"{ctx.function} (on {ctx.node}): hobj.all must start with the root section "
                                    f"(soma[0]) and have no other unconnected section; {s.name()} is "
                                    f"{'unconnected' if s._parent is None else 'first'}")
        return out


# ---- the h stand-in ----
_CREATE = re.compile(r"^\s*create\s+(soma|dend|apic|axon)\s*(?:\[\s*(\d+)\s*\])?\s*$")


class _H:
    """What model processing uses of NEURON's ``h``; anything else raises NeuronOnlyError."""

    def __init__(self):
        self._origin = None
        self._swc_sections = None  # set by the network: swc path -> raw sections

    def distance(self, *args, sec=None):
        segs = [a for a in args if isinstance(a, Segment)]
        nums = [a for a in args if not isinstance(a, Segment)]
        if len(segs) == 2:
            return _path_distance(segs[0], segs[1])
        if len(segs) == 1 and not nums:
            return _path_distance(self._need_origin(), segs[0])
        if not segs and sec is not None:
            if len(nums) == 0:
                self._origin = Segment(sec, 0.0)
                return 0.0
            if len(nums) == 2 and float(nums[0]) == 0.0:
                self._origin = Segment(sec, nums[1])
                return 0.0
            if len(nums) == 1:
                return _path_distance(self._need_origin(), Segment(sec, nums[0]))
        raise _ctx().neuron_only(f"h.distance{args!r} (bmtk-rs takes two segments, one segment, x with sec=, or "
                                 "0, x with sec= to set the origin)")

    def _need_origin(self):
        if self._origin is None:
            raise _ctx().neuron_only("h.distance without an origin (set it with h.distance(0, x, sec=sec) or pass "
                                     "two segments)")
        return self._origin

    def delete_section(self, sec=None):
        if not isinstance(sec, Section):
            raise _ctx().neuron_only("h.delete_section without sec=<section>")
        sec._cell._delete(sec)

    def execute(self, cmd, obj=None):
        m = _CREATE.match(str(cmd))
        if not m or not isinstance(obj, Cell):
            raise _ctx().neuron_only(f"h.execute({cmd!r}) (bmtk-rs runs only 'create <soma|dend|apic|axon>[n]' on "
                                     "the cell)")
        obj._create(m.group(1), int(m.group(2) or 1))
        return 1

    def define_shape(self):
        # the engine draws sections without 3-d points when it builds the cell
        cells = {id(c): c for c in _cells_in_call}
        for c in cells.values():
            c.__dict__["_define_shape"] = True

    def ismembrane(self, name, sec=None):
        if not isinstance(sec, Section):
            raise _ctx().neuron_only("h.ismembrane without sec=<section>")
        if name.endswith("_ion"):
            ion = name[:-4]
            return int(any(ion in sec._cell._info(m, sec)[2] for m in sec._mechs))
        return int(name in sec._mechs)

    def Biophys1(self, swc):
        if self._swc_sections is None:
            raise _ctx().neuron_only("h.Biophys1 outside a bmtk-rs network build")
        cell = Cell(copy.deepcopy(self._swc_sections(str(swc))), self._mechanism_info)
        _cells_in_call.append(cell)
        return cell

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise _ctx().neuron_only(f"h.{name}")


_cells_in_call = []

#: bmtk-rs's stand-in for ``neuron.h`` inside model processing and cell-model functions
h = _H()


def _path_distance(a, b):
    """Path length (um) between two segments' locations along the section tree."""
    up = {}
    sec, x, acc = a.sec, a.x, 0.0
    while sec is not None:
        up[id(sec)] = (x, acc)
        acc += x * sec.L
        sec, x = sec._parent, sec._parent_x
    sec, x, acc = b.sec, b.x, 0.0
    while sec is not None:
        if id(sec) in up:
            xa, acca = up[id(sec)]
            return acc + acca + abs(x - xa) * sec.L
        acc += x * sec.L
        sec, x = sec._parent, sec._parent_x
    raise _ctx().neuron_only(f"h.distance between {a} and {b}, which are not connected")


def swc_sections(path):
    """The sections of an SWC file as NEURON's Import3d builds them (see _native.swc_sections)."""
    return _native.swc_sections(path)


def run_user_function(fn, name, node_desc, args, mechanism_info, swc_sections_fn):
    """Calls a user function with bmtk-rs's cell object, naming `name` and `node_desc` in every error."""
    prev = _current[0]
    _current[0] = _Context(f"user function '{name}'", node_desc)
    h._swc_sections = swc_sections_fn
    h._mechanism_info = mechanism_info
    h._origin = None
    _cells_in_call.clear()
    _cells_in_call.extend(a for a in args if isinstance(a, Cell))
    try:
        return fn(*args)
    finally:
        _current[0] = prev
