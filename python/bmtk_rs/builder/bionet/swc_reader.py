"""A cell's morphology as the network builder sees it when it places synapses (``bmtk.builder.bionet``).

bmtk builds this view by instantiating the SWC in NEURON (its Biophys1 hoc template and Import3d);
here it comes from bmtk-rs's own geometry (``bmtk_rs._native.cell_geometry``): the same sections in
the same ``all`` order, the same segments, path distances from soma[0](0) and 3-d points, without
NEURON or hoc.

Randomness: :meth:`SWCReader.choose_sections` draws from ``numpy.random.RandomState(rng_seed)`` when
the reader was given a seed, and otherwise from numpy's global generator, so that ``np.random.seed``
makes a build reproducible. (bmtk 1.2.0 draws from a fresh, unseeded RandomState per reader, so its
synapse sites change from run to run; the candidates and their probabilities are the same.)

Known differences from bmtk 1.2.0, all deliberate:

- ``seg_props.area`` holds each segment's own membrane area; bmtk's holds the area at the same x of
  whatever section NEURON happens to be accessing (the soma), whichever segment it describes.
- ``sections`` lists :class:`Section` descriptions (name, type, length, nseg, parent), not NEURON
  section objects.
- ``swc_map`` pairs each SWC point with its section in id order (the order NEURON reads points in),
  also for files whose lines are not sorted by id.
- ``get_swc`` keeps its cache per population and node id as bmtk does, but a cached reader is used
  only for the same file, dL and placement (bmtk's would be reused for another network's node 0).
"""

import copy
import functools
import os
from collections import namedtuple

import numpy as np
import pandas as pd

SegmentProps = namedtuple("SegmentProps", ["type", "area", "x", "dist", "length", "dist0", "dist1", "sec_id"])
SegmentCoords = namedtuple("SegmentCoords", ["p0", "p1", "p05"])
Section = namedtuple("Section", ["name", "type", "nameindex", "L", "nseg", "parent", "parent_x"])
Section.__doc__ = ("One section of the cell: name ('dend[3]'), SWC type code, index within its type, "
                   "length (um), number of segments, parent section id (-1 for the root) and where on the "
                   "parent it connects.")

_TYPE_NAMES = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}
# the stub bmtk's SWCReader.fix_axon puts in place of the reconstructed axon
_STUB_LENGTH, _STUB_DIAM = 30.0, 1.0


def rotation_matrix(axis, theta):
    """The matrix of a counter-clockwise rotation by `theta` radians about `axis` (Rodrigues)."""
    k = np.asarray(axis, dtype=float)
    k = k / np.sqrt(np.dot(k, k))
    cross = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    theta = float(theta)
    return np.cos(theta) * np.eye(3) + np.sin(theta) * cross + (1.0 - np.cos(theta)) * np.outer(k, k)


def _read_swc_points(path):
    """(ids, types, parent indices, x/y/z, diameters) of an SWC file's points in id order; values in
    single precision, as NEURON reads them."""
    try:
        table = np.loadtxt(path, comments="#", ndmin=2)
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: cannot read the SWC points ({err})") from err
    if table.shape[1] < 7:
        raise ValueError(f"{path}: an SWC line has 7 fields 'id type x y z radius parent', found {table.shape[1]}")
    table = table[np.argsort(table[:, 0], kind="stable")]
    ids = table[:, 0].astype(np.int64)
    kinds = table[:, 1].astype(np.int64)
    where = {int(i): n for n, i in enumerate(ids)}
    parents = np.full(len(ids), -1, dtype=np.int64)
    for n, pid in enumerate(table[:, 6].astype(np.int64)):
        if pid >= 0:
            if int(pid) not in where:
                raise ValueError(f"{path}: point {ids[n]} has parent {pid}, which is not in the file")
            parents[n] = where[int(pid)]
    xyz = table[:, 2:5].astype(np.float32).astype(float)
    diam = table[:, 5].astype(np.float32).astype(float) * 2.0
    return ids, kinds, parents, xyz, diam


def _point_sections(kinds, parents, xyz, diam):
    """For each SWC point (id order), the index of the Import3d section it belongs to, each section's
    type, and whether the soma is a neuromorpho 3-point sphere. A section is an unbranched run of
    points of one type, contiguous soma points staying together (the splitting rules bmtk-rs's
    Rust reader applies, see src/bionet/import3d.rs)."""
    n = len(kinds)
    parents = parents.copy()
    nchild = np.zeros(n)
    for i in range(n):
        p = int(parents[i])
        if p < 0:
            continue
        nchild[p] += 1.0
        if p + 1 != i:
            nchild[p] += 0.01
            if p > 1:
                pp = int(parents[p])
                if kinds[p] != 1 and pp >= 0 and kinds[pp] == 1:
                    nchild[p] = 1.0
            elif p == 0 and kinds[0] != 1:
                nchild[0] = 1.0
        if kinds[p] != kinds[i]:
            nchild[p] += 0.01
    soma_children = np.zeros(n)
    for i in range(1, n):
        if kinds[i] == 1 and parents[i] >= 0 and kinds[parents[i]] == 1:
            soma_children[parents[i]] += 1.0
    sphere = (int(np.sum(kinds == 1)) == 3 and n >= 3 and kinds[0] == 1 and parents[1] == 0 and parents[2] == 0
              and nchild[1] == 0 and nchild[2] == 0 and diam[1] == diam[0] and diam[2] == diam[0]
              and abs(sum(np.sqrt(np.sum((xyz[i] - xyz[0]) ** 2)) for i in (1, 2)) / diam[0] - 1.0) < 0.01)
    if sphere:
        parents[2] = 1
    for i in range(n - 1):
        if kinds[i] == 1 and kinds[i + 1] == 1 and parents[i + 1] == i and not (i != 0 and soma_children[i] > 1.0):
            nchild[i] = 1.0
    ends = [i for i in range(n) if nchild[i] != 1.0]
    point2sec = np.zeros(n, dtype=np.int64)
    si = 0
    for i in range(1, n):
        if si < len(ends) and i > ends[si]:
            si += 1
        point2sec[i] = si
    first = np.searchsorted(point2sec, np.arange(point2sec[-1] + 1 if n else 0))
    return point2sec, kinds[first], sphere


def _soma_centre(kinds, parents, xyz, diam, point2sec, sec_kinds, sphere):
    """Mean of the soma sections' 3-d points as NEURON holds them (bmtk's soma_position before
    placement): a one-point soma is a 3-point cylinder along x, and every non-root section starts
    with a copy of its parent point."""
    pts = []
    for s in np.flatnonzero(sec_kinds == 1):
        rows = np.flatnonzero(point2sec == s)
        if s == 0:
            rows = rows[:1] if sphere else rows
            if len(rows) == 1:
                x, y, z = xyz[rows[0]]
                half = diam[rows[0]] / 2.0
                pts += [(float(np.float32(x - half)), y, z), (x, y, z), (float(np.float32(x + half)), y, z)]
                continue
        else:
            rows = np.concatenate([[parents[rows[0]]], rows])
        pts += [tuple(xyz[r]) for r in rows]
    if not pts:
        raise ValueError("the morphology has no soma point")
    total = [0.0, 0.0, 0.0]
    for p in pts:
        for k in range(3):
            total[k] += float(p[k])
    return np.array(total) / len(pts)


@functools.lru_cache(maxsize=64)
def _swc_table(swc_path):
    """swc_map without the axon question: id, type and the name index of each point's section."""
    ids, kinds, parents, xyz, diam = _read_swc_points(swc_path)
    point2sec, sec_kinds, sphere = _point_sections(kinds, parents, xyz, diam)
    nameindex = np.zeros(len(sec_kinds), dtype=np.int64)
    counts = {}
    for s, k in enumerate(sec_kinds):
        nameindex[s] = counts.get(int(k), 0)
        counts[int(k)] = nameindex[s] + 1
    frame = pd.DataFrame({"id": ids, "type": kinds, "nameindex": nameindex[point2sec]})
    return frame, counts, _soma_centre(kinds, parents, xyz, diam, point2sec, sec_kinds, sphere)


@functools.lru_cache(maxsize=64)
def _geometry(swc_path, processing, dl):
    """bmtk-rs's cell geometry (unplaced), cached per file, axon processing and dL."""
    from ..._native import cell_geometry

    try:
        return cell_geometry(swc_path, processing, dl)
    except ValueError as err:
        raise ValueError(f"{swc_path}: {err}") from err


def _sections_and_segments(geo, keep, stub):
    """Sections (those `keep` accepts) and their segments in bmtk's order, from a cell_geometry
    dict. `stub` marks sections that are bmtk's 30 um x 1 um axon stub (their area is the stub's)."""
    names = list(geo["sec_names"])
    seg_nodes = np.asarray(geo["seg_node"])
    node_sec = np.asarray(geo["sec_id"])[seg_nodes]
    sections, segs = [], []
    new_id = {}
    for old, name in enumerate(names):
        if not keep(old, name):
            continue
        new_id[old] = len(sections)
        kind = int(geo["sec_type"][old])
        nodes = seg_nodes[node_sec == old]
        nseg = int(geo["sec_nseg"][old])
        if len(nodes) != nseg:
            raise RuntimeError(f"cell_geometry: section {name} has {len(nodes)} segments, expected {nseg}")
        parent = int(geo["sec_parent"][old])
        sections.append(Section(name=name, type=kind, nameindex=int(name.split("[")[1].rstrip("]")),
                                L=float(geo["sec_L"][old]), nseg=nseg, parent=new_id.get(parent, -1),
                                parent_x=float(geo["sec_parent_x"][old])))
        length = float(geo["sec_L"][old]) / nseg
        for node in nodes:
            area = np.pi * _STUB_DIAM * length if stub(old, name) else float(geo["area"][node])
            segs.append((kind, area, float(geo["x"][node]), float(geo["dist"][node]), length,
                         new_id[old], geo["p0"][node], geo["p1"][node], geo["pos"][node]))
    return sections, segs


def _node_x(x, nseg):
    """Where NEURON attaches a child at `x` of a parent with `nseg` segments: an end, or the centre
    of the segment holding x."""
    if x >= 1.0 or x <= 0.0:
        return 1.0 if x >= 1.0 else 0.0
    return (min(int(x * nseg), nseg - 1) + 0.5) / nseg


def _path_distances(sections, sec_id, x):
    """Path length from soma[0](0) to each segment centre, summed as NEURON's distance() sums it
    (from the segment towards the root, one connection at a time) so the values agree to the bit."""
    parent = np.array([s.parent for s in sections], dtype=np.int64)
    length = np.array([s.L for s in sections], dtype=float)
    attach = np.array([0.0 if s.parent < 0 else _node_x(s.parent_x, sections[s.parent].nseg) * sections[s.parent].L
                       for s in sections])
    dist = x * length[sec_id]
    cur = sec_id.copy()
    up = parent[cur] >= 0
    while up.any():
        dist[up] = dist[up] + attach[cur[up]]
        cur[up] = parent[cur[up]]
        up = parent[cur] >= 0
    return dist


class SWCReader(object):
    """A morphology's sections and segments for choosing synapse locations (bmtk's SWCReader API).

    State changes (:meth:`set_segment_dl`, :meth:`fix_axon`, :meth:`delete_axon`) apply in the order
    they are called, as in NEURON: segments set before ``fix_axon`` leave the new axon stub at one
    segment per section."""

    sec_type_swc = {
        "soma": 1, "somatic": 1,
        "axon": 2, "axonal": 2,
        "dend": 3, "basal": 3,
        "apic": 4, "apical": 4,
    }

    def __init__(self, swc_path, rng_seed=None):
        swc_path = str(swc_path)
        if not os.path.isfile(swc_path):
            raise ValueError(f"File {swc_path} does not exist.")
        self.swc_path = swc_path
        self.rng_seed = rng_seed
        self._prng = np.random.RandomState(rng_seed) if rng_seed is not None else None
        self._dl_all = None         # dL applied to every section present when set_segment_dl ran
        self._axon = "swc"          # 'swc' (as reconstructed), 'stub' (fix_axon) or 'none' (delete_axon)
        self._stub_dl = None        # dL the stub inherits (set_segment_dl called after fix_axon)
        self._reset()

    def _reset(self):
        self._sections = None
        self._segs = None
        self._seg_props = None
        self._seg_coords = None
        self._soma_pos = None
        self._swc_map = None

    def _copy(self):
        new = copy.copy(self)
        new._prng = np.random.RandomState(self.rng_seed) if self.rng_seed is not None else None
        return new

    def _build(self):
        if self._sections is not None:
            return
        if self._axon == "stub":
            # the stub sits at soma(1) as bmtk's SWCReader.fix_axon connects it: bmtk-rs's all-active
            # processing builds that topology (its stub diameters differ; areas are set below)
            geo = _geometry(self.swc_path, "aibs_allactive", self._dl_all)
            stub_geo = geo if self._stub_dl == self._dl_all else _geometry(self.swc_path, "aibs_allactive",
                                                                        self._stub_dl)
            sections, segs = _sections_and_segments(geo, lambda i, n: not n.startswith("axon["),
                                                    lambda i, n: False)
            stub_secs, stub_segs = _sections_and_segments(stub_geo, lambda i, n: n.startswith("axon["),
                                                          lambda i, n: True)
            offset = len(sections)
            sections += [s._replace(parent=0 if s.parent < 0 else s.parent + offset) for s in stub_secs]
            segs += [seg[:5] + (seg[5] + offset,) + seg[6:] for seg in stub_segs]
        else:
            geo = _geometry(self.swc_path, "none", self._dl_all)
            keep_axon = self._axon == "swc"
            sections, segs = _sections_and_segments(geo, lambda i, n: keep_axon or not n.startswith("axon["),
                                                    lambda i, n: False)
        # cell_geometry centres the cell on its soma; bmtk's reader keeps the SWC's frame
        centre = _swc_table(self.swc_path)[2]
        self._sections = sections
        self._segs = [seg[:6] + tuple(np.asarray(v, dtype=float) + centre for v in seg[6:]) for seg in segs]
        self._soma_pos = centre.copy()

    @property
    def sections(self):
        """The cell's sections in NEURON's ``all`` order (a section id is an index into this list)."""
        self._build()
        return self._sections

    @property
    def n_sections(self):
        return len(self.sections)

    @property
    def nseg(self):
        """Number of segments of the whole cell."""
        return sum(s.nseg for s in self.sections)

    @property
    def seg_props(self):
        """Per segment (sections in order, segments by x): SWC type, area (um2), x, path distance of
        the centre from soma[0](0), length, distances of both ends, section id."""
        if self._seg_props is None:
            self._build()
            cols = list(zip(*self._segs)) if self._segs else [[]] * 9
            length = np.array(cols[4], dtype=float)
            dist = _path_distances(self._sections, np.array(cols[5], dtype=np.int64), np.array(cols[2], dtype=float))
            self._seg_props = SegmentProps(type=np.array(cols[0], dtype=np.int64), area=np.array(cols[1], dtype=float),
                                           x=np.array(cols[2], dtype=float), dist=dist, length=length,
                                           dist0=dist - length / 2.0, dist1=dist + length / 2.0,
                                           sec_id=np.array(cols[5], dtype=np.int64))
        return self._seg_props

    @property
    def seg_coords(self):
        """Segment start, end and centre positions, each 3 x nseg."""
        if self._seg_coords is None:
            self._build()
            p0, p1, p05 = (np.array([s[k] for s in self._segs], dtype=float).reshape(-1, 3).T for k in (6, 7, 8))
            self._seg_coords = SegmentCoords(p0=p0, p1=p1, p05=p05)
        return self._seg_coords

    @property
    def soma_position(self):
        """Mean of the soma's 3-d points (after :meth:`move_and_rotate`, the new soma position)."""
        self._build()
        return self._soma_pos

    @property
    def swc_map(self):
        """A table of the SWC points: id, type and the index of the point's section within its type."""
        if self._swc_map is None:
            frame, counts, _ = _swc_table(self.swc_path)
            names = _geometry(self.swc_path, "none", None)["sec_names"]
            built = {}
            for name in names:
                kind = self.sec_type_swc[name.split("[")[0]]
                built[kind] = built.get(kind, 0) + 1
            if built != counts:
                # Import3d drops degenerate sections (one point, or zero length) and renumbers the rest
                raise ValueError(f"{self.swc_path}: the SWC splits into sections {counts} by type, but the cell "
                                 f"has {built}: degenerate sections are not supported by swc_map")
            self._swc_map = frame.copy()
        return self._swc_map

    def get_section(self, section_idx):
        return self.sections[section_idx]

    def fix_axon(self):
        """Replaces the reconstructed axon by two 30 um, 1 um-diameter sections hanging from soma(1)."""
        if self._seg_coords is not None:
            raise RuntimeError("Unable to change the axon after coordinates have already been calculated")
        self._axon = "stub"
        self._stub_dl = None
        self._reset()

    def delete_axon(self):
        """Removes every axon section."""
        if self._seg_coords is not None:
            raise RuntimeError("Unable to change the axon after coordinates have already been calculated")
        self._axon = "none"
        self._reset()

    def set_segment_dl(self, dl):
        """Segments every present section into 1 + 2 * int(L / (2 dl)) pieces."""
        if self._seg_coords is not None:
            raise RuntimeError("Unable to segment the morphology after coordinates have already been calculated")
        dl = float(dl)
        if not dl > 0:
            raise ValueError(f"{self.swc_path}: segment length dL must be > 0, got {dl}")
        if self._axon == "stub":
            self._stub_dl = dl
        self._dl_all = dl
        self._reset()

    def find_sections(self, section_names, distance_range):
        """All segments of the given section types ('soma', 'dend'/'basal', 'apic'/'apical', 'axon')
        that overlap `distance_range` (um of path from soma[0](0)), and the probability of each:
        the overlapping length over the total overlapping length.

        Returns (segment indices, probabilities)."""
        if isinstance(section_names, str):
            section_names = [section_names]
        dmin, dmax = float(distance_range[0]), float(distance_range[1])
        props = self.seg_props
        overlap = np.maximum(0.0, np.minimum(props.dist1, dmax) - np.maximum(props.dist0, dmin)) / props.length
        wanted = []
        for name in section_names:
            if name not in self.sec_type_swc:
                raise ValueError(f"{self.swc_path}: unknown section name {name!r}; expected one of "
                                 f"{sorted(self.sec_type_swc)}")
            wanted.append(self.sec_type_swc[name])
        ix = np.flatnonzero((overlap > 0) & np.isin(props.type, wanted))
        weighted = props.length[ix] * overlap[ix]
        return ix, weighted / np.sum(weighted)

    def choose_sections(self, section_names, distance_range, n_sections=1):
        """Draws `n_sections` segments (with replacement) among find_sections' candidates with their
        probabilities; returns (section ids, segment x values)."""
        secs, probs = self.find_sections(section_names, distance_range)
        if len(secs) == 0:
            raise ValueError(f"{self.swc_path}: no segment of {list(section_names)} lies within distance_range "
                             f"{list(distance_range)} um of the soma")
        rng = self._prng if self._prng is not None else np.random
        picked = rng.choice(secs, n_sections, p=probs)
        return self.seg_props.sec_id[picked], self.seg_props.x[picked]

    def move_and_rotate(self, soma_coords=None, rotation_angles=None, inplace=False):
        """Rotates the cell about its soma by the x, y and z angles (radians; R = Rx Ry Rz) and then
        moves the soma to `soma_coords`; returns the placed reader (this one if `inplace`)."""
        coords = self.seg_coords
        p0, p1, p05 = coords.p0.copy(), coords.p1.copy(), coords.p05.copy()
        soma = np.array(self.soma_position, dtype=float)
        if rotation_angles is not None:
            if len(rotation_angles) != 3:
                raise ValueError(f"rotation_angles must be three angles (x, y, z), got {rotation_angles!r}")
            rot = (rotation_matrix([1, 0, 0], rotation_angles[0])
                   @ rotation_matrix([0, 1, 0], rotation_angles[1])
                   @ rotation_matrix([0, 0, 1], rotation_angles[2]))
            centre = soma.reshape(3, 1)
            p0, p1, p05 = (rot @ (p - centre) + centre for p in (p0, p1, p05))
        if soma_coords is not None:
            if len(soma_coords) != 3:
                raise ValueError(f"soma_coords must be (x, y, z), got {soma_coords!r}")
            target = np.asarray(soma_coords, dtype=float)
            shift = (target - soma).reshape(3, 1)
            p0, p1, p05 = p0 + shift, p1 + shift, p05 + shift
            soma = target
        placed = self if inplace else self._copy()
        placed._seg_coords = SegmentCoords(p0=p0, p1=p1, p05=p05)
        placed._soma_pos = soma
        return placed

    def get_coords(self, sec_id, sec_x):
        """Centre of the segment of section `sec_id` nearest to `sec_x`."""
        segs = np.flatnonzero(self.seg_props.sec_id == sec_id)
        if len(segs) == 0:
            raise ValueError(f"{self.swc_path}: no section {sec_id} (the cell has {self.n_sections})")
        nearest = segs[np.argmin(np.abs(sec_x - self.seg_props.x[segs]))]
        return self.seg_coords.p05[:, nearest]

    def get_swc_id(self, sec_id, sec_x):
        """The SWC point nearest to (sec_id, sec_x) and the fraction of the way from it to the next one,
        taking the section's points as evenly spaced (bmtk's estimate)."""
        if not 0 <= sec_id < self.n_sections:
            raise ValueError(f"{self.swc_path}: no section {sec_id} (the cell has {self.n_sections})")
        sec = self.sections[sec_id]
        table = self.swc_map
        swc_ids = table["id"].values[(table["type"].values == sec.type) & (table["nameindex"].values == sec.nameindex)]
        if len(swc_ids) == 0:
            raise ValueError(f"{self.swc_path}: section {sec.name} has no point in the SWC file")
        if len(swc_ids) == 1:
            return swc_ids[0], sec_x
        place = max(0.0, sec_x * len(swc_ids) - 1.0)
        index = int(np.ceil(place))
        return swc_ids[index], index - place


swc_cache = {}


def _node_get(cell, key, default=None):
    try:
        return cell[key] if key in cell else default
    except TypeError:
        return default


def get_swc(cell, morphology_dir=None, use_cache=False, dL=None):
    """The placed SWCReader of a node (a dict-like with 'morphology', 'node_id' and optionally
    'model_processing', x/y/z and rotation_angle_[xyz]axis)."""
    node_id = _node_get(cell, "node_id")
    morphology = _node_get(cell, "morphology")
    if morphology is None:
        raise ValueError(f"node {node_id}: has no 'morphology' to place synapses on")
    swc_path = str(morphology)
    if morphology_dir:
        swc_path = os.path.join(str(morphology_dir), swc_path)
    if not os.path.exists(swc_path) and not swc_path.endswith(".swc"):
        swc_path += ".swc"
    if not os.path.exists(swc_path):
        raise ValueError(f"node {node_id}: morphology file {swc_path} does not exist.")

    processing = _node_get(cell, "model_processing", "NULL")
    if any(k in cell for k in ("x", "y", "z")):
        soma_coords = tuple(float(_node_get(cell, k, 0.0)) for k in ("x", "y", "z"))
    else:
        soma_coords = None
    rot_keys = ("rotation_angle_xaxis", "rotation_angle_yaxis", "rotation_angle_zaxis")
    rotation = tuple(float(_node_get(cell, k, 0.0)) for k in rot_keys) if any(k in cell for k in rot_keys) else None

    pop = _node_get(cell, "population", "default")
    signature = (os.path.abspath(swc_path), dL, processing == "aibs_perisomatic", soma_coords, rotation)
    if use_cache:
        hit = swc_cache.get(pop, {}).get(node_id)
        if hit is not None and getattr(hit, "_signature", None) == signature:
            return hit

    swc = SWCReader(swc_path)
    if dL:
        swc.set_segment_dl(dL)
    if processing == "aibs_perisomatic":
        swc.fix_axon()
    swc = swc.move_and_rotate(soma_coords=soma_coords, rotation_angles=rotation)
    swc._signature = signature
    if use_cache:
        swc_cache.setdefault(pop, {})[node_id] = swc
    return swc
