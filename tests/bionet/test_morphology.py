"""Cell geometry against NEURON 9.0.2 + bmtk 1.2.0.

For every morphology of the reference data, the oracle script (run in a subprocess so NEURON's
global state stays out of this process) builds the cell with bmtk's Biophys1.hoc template
(Import3d), bmtk's own fix_axon_* functions and bmtk's Morphology.set_segment_dl, and stores what
NEURON computed. bmtk_rs must give the same sections, the same segments, and per-node area and ri
within 1e-6 relative error; positions as bmtk's seg_coords (after move_and_rotate) within 1e-4 um.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import BMTK_DATA, require_module

HERE = pathlib.Path(__file__).resolve().parent
ORACLE = HERE / "neuron_geometry_oracle.py"
RTOL = 1e-6
PLACE = (12.5, -40.0, 300.0, 0.3, -1.2, 2.5)


def morphologies(root):
    files = sorted((root / "tutorial_l4" / "components" / "morphologies").glob("*.swc"))
    files += sorted((root / "examples" / "bio_components" / "morphologies").glob("*.swc"))
    return files


def _morph_ids():
    """Every morphology of the reference data; byte-identical copies (examples/bio_components
    repeats the tutorial's files) are tested once, under all their names."""
    root = BMTK_DATA
    if not root.is_dir():
        return []
    by_content = {}
    for p in morphologies(root):
        by_content.setdefault(p.read_bytes(), []).append(str(p.relative_to(root)))
    return ["+".join(names) for names in by_content.values()]


@pytest.fixture(scope="module")
def native():
    import bmtk_rs._native as native

    return native


class OracleRefs:
    """NEURON's results for every case of this module, computed in one subprocess."""

    def __init__(self, workdir, jobs):
        self.workdir = workdir
        self.out = {}
        batch = []
        for i, (swc, processing, dl, ra) in enumerate(jobs):
            out = workdir / "ref{}.npz".format(i)
            self.out[self.key(swc, processing, dl, ra)] = out
            batch.append([str(swc), processing, dl, ra, str(out), list(PLACE)])
        jobs_file = workdir / "jobs.json"
        jobs_file.write_text(json.dumps(batch))
        env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
        cmd = [sys.executable, str(ORACLE), "--batch", str(jobs_file)]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, env=env, timeout=1800)
        self.stderr = res.stderr[-3000:]

    @staticmethod
    def key(swc, processing, dl, ra):
        return (str(swc), processing, float(dl), float(ra))

    def get(self, swc, processing, dl, ra):
        out = self.out[self.key(swc, processing, dl, ra)]
        err = pathlib.Path(str(out) + ".err")
        assert not err.exists(), err.read_text()
        assert out.exists(), "NEURON oracle did not finish:\n" + self.stderr
        return dict(np.load(out))


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    require_module("neuron")
    require_module("bmtk")
    workdir = tmp_path_factory.mktemp("geometry_oracle")
    jobs = []
    for morph in _morph_ids():
        for processing, dl, ra in CASES:
            jobs.append((BMTK_DATA / morph.split("+")[0], processing, dl, ra))
    for name, text in SYNTHETIC.items():
        swc = workdir / (name + ".swc")
        swc.write_text(text)
        for processing, _, _ in CASES:
            jobs.append((swc, processing, 5.0, 150.0))
    for seed in RANDOM_SEEDS:
        swc = workdir / "random{}.swc".format(seed)
        swc.write_text(random_swc(seed))
        for processing in RANDOM_PROCESSING:
            jobs.append((swc, processing, 3.0, 120.0))
    refs = OracleRefs(workdir, jobs)
    refs.swcdir = workdir
    return refs


def rel_err(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = np.maximum(np.abs(b), 1e-300)
    return np.abs(a - b) / scale


def compare(ours, ref):
    """Returns (max area rel err, max ri rel err, max position abs err)."""
    names = [str(n) for n in ref["sec_names"]]
    assert list(ours["sec_names"]) == names
    np.testing.assert_array_equal(ours["sec_parent"], ref["sec_parent"])
    np.testing.assert_array_equal(ours["sec_parent_x"], ref["sec_parentx"])
    np.testing.assert_array_equal(ours["sec_nseg"], ref["sec_nseg"])
    np.testing.assert_allclose(ours["sec_L"], ref["sec_L"], rtol=1e-12)

    parent = ours["parent"]
    assert parent[0] == -1
    assert np.all(parent[1:] < np.arange(1, len(parent)))
    assert np.all(parent[1:] >= 0)

    # match nodes by (section, x)
    key = {(int(s), float(x)): i for i, (s, x) in enumerate(zip(ours["sec_id"], ours["x"]))}
    assert len(key) == len(ours["x"]) == len(ref["node_x"])
    idx = np.array([key[(int(s), float(x))] for s, x in zip(ref["node_sec"], ref["node_x"])])
    area_err = rel_err(ours["area"][idx], ref["node_area"])
    area_err[ref["node_area"] == 0] = np.abs(ours["area"][idx][ref["node_area"] == 0])
    finite = ref["node_ri"] < 1e29
    assert np.all(np.isinf(ours["ri"][idx][~finite]))
    ri_err = rel_err(ours["ri"][idx][finite], ref["node_ri"][finite])

    # bmtk segment order: seg_node maps it to our nodes
    seg = ours["seg_node"]
    assert len(seg) == len(ref["seg_x"])
    np.testing.assert_array_equal(ours["sec_id"][seg], ref["seg_sec_id"])
    np.testing.assert_allclose(ours["x"][seg], ref["seg_x"], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(ours["type"][seg], ref["seg_type"])
    np.testing.assert_allclose(ours["dist"][seg], ref["seg_dist"], rtol=1e-12, atol=1e-9)
    # seg.diam (bmtk's seg_coords.d, used by the ECP module)
    np.testing.assert_allclose(ours["diam"][seg], ref["seg_diam"], rtol=1e-9, atol=1e-12)
    pos_err = 0.0
    if "moved_p05" in ref:
        for name, rname in (("pos", "moved_p05"), ("p0", "moved_p0"), ("p1", "moved_p1")):
            pos_err = max(pos_err, float(np.max(np.abs(ours[name][seg].T - ref[rname]))))
    return float(area_err.max()), float(ri_err.max()), pos_err


CASES = [
    ("aibs_perisomatic", 20.0, 138.0),
    ("aibs_allactive", 20.0, 100.0),
    ("aibs_perisomatic_directed", 20.0, 138.0),
    ("aibs_allactive_directed", 5.0, 100.0),
    ("none", 10.0, 35.4),
]


@pytest.mark.parametrize("processing,dl,ra", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("morph", _morph_ids(), ids=lambda m: m.split("+")[0].split("/")[-1])
def test_geometry_matches_neuron(native, oracle, morph, processing, dl, ra):
    swc = BMTK_DATA / morph.split("+")[0]
    ref = oracle.get(swc, processing, dl, ra)
    ours = native.cell_geometry(
        str(swc), processing, dL=dl, Ra=ra, position=PLACE[:3], rotation=PLACE[3:]
    )
    area, ri, pos = compare(ours, ref)
    print(f"{morph} {processing}: max rel err area {area:.2e} ri {ri:.2e}; max pos err {pos:.2e} um")
    assert area < RTOL
    assert ri < RTOL
    assert pos < 1e-4


SYNTHETIC = {
    # one-point soma, basal and apical trees, axon with a branch
    "one_point": """# one point soma
1 1 0 0 0 6 -1
2 3 0 7 0 1.0 1
3 3 0.5 15 1 0.8 2
4 3 -3 22 1 0.5 3
5 3 4 22 2 0.6 3
6 4 0 -7 0 1.5 1
7 4 0 -30 0 1.2 6
8 4 1 -60 0 1.0 7
9 2 7 0 0 0.5 1
10 2 15 1 0 0.4 9
11 2 25 -1 3 0.3 10
12 2 25 5 3 0.3 10
13 3 -3 -3 0 0.5 1
""",
    # multi-point (cable) soma along y, dendrites at its end and its interior
    "multi_point": """1 1 0 0 0 4 -1
2 1 0 3 0 5 1
3 1 0 6 0 5 2
4 1 0 9 0 3 3
5 3 0 15 0 1 4
6 3 1 25 0 0.8 5
7 3 5 4 0 1 2
8 3 12 4 1 0.7 7
9 2 0 -5 0 0.6 1
10 2 0 -15 0 0.5 9
11 4 -6 6 0 1.2 3
12 4 -20 6 2 1.0 11
""",
    # neuromorpho.org three-point soma
    "three_point": """1 1 0 0 0 5 -1
2 1 0 -5 0 5 1
3 1 0 5 0 5 1
4 3 6 0 0 1 1
5 3 20 2 0 0.8 4
6 2 -6 0 0 0.5 1
7 2 -20 0 0 0.4 6
8 4 0 8 0 1 1
9 4 0 30 0 0.9 8
""",
    # a soma point with two soma children: the soma branches into several sections; a dendrite
    # on the first soma point (x=0); a one-point dendrite straight from the soma
    "branched_soma": """1 1 0 0 0 4 -1
2 1 0 3 0 4 1
3 1 0 6 0 4 2
4 1 3 8 0 3 3
5 1 -3 8 0 3 3
6 3 5 10 0 1 4
7 3 9 14 0 0.8 6
8 3 -5 10 0 1 5
9 3 -9 14 0 0.8 8
10 3 0 -4 0 1 1
11 3 0 -12 0 0.8 10
12 2 4 3 0 0.5 2
13 2 12 3 0 0.4 12
14 4 -6 3 0 1 2
""",
    # a branch whose parent is the first point of a wire-connected dendrite (connected at its x=0),
    # ids with gaps (NEURON 9 fails on files not sorted by id), a zero-length two-point section (removed, children moved up),
    # and a basal dendrite growing out of an apical one (hobj.all order is not topological)
    "import3d_corners": """10 1 0 0 0 5 -1
20 2 -6 0 0 0.5 10
21 2 -15 0 0 0.4 20
30 3 6 0 0 1 10
31 3 12 0 0 0.9 30
32 3 20 0 0 0.8 31
40 3 6 -4 0 0.7 30
41 3 6 -12 0 0.6 40
50 4 0 6 0 1.2 10
51 4 0 15 0 1.1 50
52 4 0 15 0 1.0 51
53 4 3 25 0 0.9 52
54 4 -3 25 0 0.9 52
55 3 -8 30 0 0.6 54
56 3 -12 36 0 0.5 55
57 4 6 18 0 0.7 51
58 4 9 22 0 0.6 57
""",
}


@pytest.mark.parametrize("processing", [c[0] for c in CASES])
@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_somas(native, oracle, name, processing):
    swc = oracle.swcdir / (name + ".swc")
    ref = oracle.get(swc, processing, 5.0, 150.0)
    ours = native.cell_geometry(
        str(swc), processing, dL=5.0, Ra=150.0, position=PLACE[:3], rotation=PLACE[3:]
    )
    area, ri, pos = compare(ours, ref)
    print(f"{name} {processing}: max rel err area {area:.2e} ri {ri:.2e}; max pos err {pos:.2e} um")
    assert area < RTOL
    assert ri < RTOL
    assert pos < 1e-4


def random_swc(seed):
    """A random tree exercising Import3d's rules: 1-4 soma points (sometimes branched), branches
    from any point, type changes between basal and apical, duplicate points, gaps in ids."""
    rng = np.random.default_rng(seed)
    pts = []  # (type, xyz, d, parent index)
    nsoma = int(rng.integers(1, 5))
    for i in range(nsoma):
        parent = -1 if i == 0 else (i - 1 if i < 3 or rng.random() < 0.5 else 1)
        xyz = np.zeros(3) if i == 0 else pts[parent][1] + rng.normal(0, 3, 3)
        pts.append((1, xyz, float(rng.uniform(6, 14)), parent))
    pts.append((2, pts[0][1] + rng.normal(0, 5, 3), float(rng.uniform(0.5, 2)), 0))
    for _ in range(int(rng.integers(25, 60))):
        n = len(pts)
        parent = n - 1 if rng.random() < 0.6 else int(rng.integers(0, n))
        ptype = pts[parent][0]
        if ptype == 1:
            kind = int(rng.choice([2, 3, 3, 4]))
        elif ptype == 2:
            kind = 2
        else:
            kind = ptype if rng.random() < 0.85 else 7 - ptype
        step = rng.normal(0, 1, 3)
        step *= rng.uniform(0.5, 12) / np.linalg.norm(step)
        if ptype != 1 and rng.random() < 0.06:
            step[:] = 0  # zero-length piece
        pts.append((kind, pts[parent][1] + step, float(rng.uniform(0.2, 3)), parent))
    ids = np.cumsum(rng.integers(1, 3, len(pts))) + int(rng.integers(0, 5))
    lines = ["# random tree {}".format(seed)]
    for i, (kind, xyz, d, parent) in enumerate(pts):
        pid = -1 if parent < 0 else ids[parent]
        lines.append(
            "{} {} {:.4f} {:.4f} {:.4f} {:.4f} {}".format(ids[i], kind, *xyz, d / 2, pid)
        )
    return "\n".join(lines) + "\n"


RANDOM_SEEDS = range(8)
RANDOM_PROCESSING = ["none", "aibs_perisomatic", "aibs_allactive_directed"]


@pytest.mark.parametrize("processing", RANDOM_PROCESSING)
@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_trees(native, oracle, seed, processing):
    swc = oracle.swcdir / "random{}.swc".format(seed)
    ours = native.cell_geometry(
        str(swc), processing, dL=3.0, Ra=120.0, position=PLACE[:3], rotation=PLACE[3:]
    )
    ref = oracle.get(swc, processing, 3.0, 120.0)
    area, ri, pos = compare(ours, ref)
    print(f"random {seed} {processing}: area {area:.2e} ri {ri:.2e} pos {pos:.2e}")
    assert area < RTOL
    assert ri < RTOL
    assert pos < 1e-4


def steady_state(geo, g_pas, e_pas, stim_node, amp):
    """Solves the passive steady state on our tree: axial conductance 1/ri between each node and
    its parent, membrane g_pas*area on segment nodes, DC current into one node."""
    n = len(geo["x"])
    a = np.zeros((n, n))
    b = np.zeros(n)
    gm = g_pas * geo["area"] * 1e-2  # uS
    a[np.arange(n), np.arange(n)] += gm
    b += gm * e_pas
    for i in range(1, n):
        p = geo["parent"][i]
        ga = 1.0 / geo["ri"][i]
        a[i, i] += ga
        a[p, p] += ga
        a[i, p] -= ga
        a[p, i] -= ga
    b[stim_node] += amp
    return np.linalg.solve(a, b)


@pytest.mark.parametrize(
    "case",
    [("multi_point", "none", 2.0), ("branched_soma", "aibs_perisomatic", 2.0), ("one_point", "aibs_allactive", 3.0)],
    ids=lambda c: "-".join(map(str, c)),
)
def test_tree_topology_passive_steady_state(native, tmp_path, case):
    """The node tree (parent of every node, ri to it, zero-area ends, children on soma(0.5) of a
    soma with several segments) gives NEURON's passive steady state with a current injected in
    a dendrite."""
    require_module("neuron")
    require_module("bmtk")
    name, processing, dl = case
    swc = tmp_path / (name + ".swc")
    swc.write_text(SYNTHETIC[name])
    geo = native.cell_geometry(str(swc), processing, dL=dl, Ra=150.0)
    assert geo["sec_nseg"][0] >= 3
    stim_sec = int(np.flatnonzero(geo["sec_type"] == 3)[-1])
    stim_node = int(np.flatnonzero((geo["sec_id"] == stim_sec) & geo["is_segment"])[0])
    stim_x = float(geo["x"][stim_node])
    g, e, amp = 2e-3, -70.0, 0.05
    out = tmp_path / "steady.npz"
    cmd = [sys.executable, str(ORACLE), "--steady", str(swc), processing, str(dl), "150.0", str(out)]
    cmd += [str(v) for v in (g, e, stim_sec, stim_x, amp)]
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    ref = dict(np.load(out))
    v = steady_state(geo, g, e, stim_node, amp)
    key = {(int(s), float(x)): i for i, (s, x) in enumerate(zip(geo["sec_id"], geo["x"]))}
    idx = np.array([key[(int(s), float(x))] for s, x in zip(ref["node_sec"], ref["node_x"])])
    dv = v[idx] - e
    dv_ref = ref["node_v"] - e
    assert np.max(np.abs(dv_ref)) > 0.1  # the current did depolarise the cell
    np.testing.assert_allclose(dv, dv_ref, rtol=1e-6, atol=1e-9)


def test_unsorted_ids_read_as_sorted(native, tmp_path):
    text = SYNTHETIC["import3d_corners"]
    lines = text.strip().split("\n")
    (tmp_path / "sorted.swc").write_text(text)
    (tmp_path / "shuffled.swc").write_text("\n".join(lines[::-1]) + "\n")
    a = native.cell_geometry(str(tmp_path / "sorted.swc"))
    b = native.cell_geometry(str(tmp_path / "shuffled.swc"))
    for k in ("area", "ri", "parent", "pos"):
        np.testing.assert_array_equal(a[k], b[k])


def test_ra_per_type_and_no_dl(native, bmtk_data):
    swc = morphologies(bmtk_data)[0]
    pos = native.cell_geometry(str(swc), position=np.array([1.0, 2.0, 3.0]), rotation=[0, 0, np.float64(0.5)])
    np.testing.assert_allclose(pos["soma_pos"], [1.0, 2.0, 3.0])
    a = native.cell_geometry(str(swc), "aibs_perisomatic", dL=None, Ra=100.0)
    assert np.all(a["sec_nseg"] == 1)
    b = native.cell_geometry(
        str(swc), "aibs_perisomatic", dL=None, Ra={"soma": 100.0, "axon": 200.0, "dend": 100.0, "apic": 100.0}
    )
    ax = b["type"] == 2
    np.testing.assert_allclose(b["ri"][ax], 2 * a["ri"][ax])
    np.testing.assert_array_equal(b["ri"][~ax], a["ri"][~ax])
    with pytest.raises(ValueError, match="apic"):
        native.cell_geometry(str(swc), "aibs_perisomatic", Ra={"soma": 1.0, "axon": 1.0, "dend": 1.0})


BAD = {
    "orphan": ("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 9 0 1 17\n", r"line 3.*orphan"),
    "cycle": ("1 1 0 0 0 5 -1\n2 3 0 5 0 1 3\n3 3 0 9 0 1 2\n", r"line \d.*cycle"),
    "no_soma": ("1 3 0 0 0 5 -1\n2 3 0 5 0 1 1\n", r"no soma"),
    "non_numeric": ("1 1 0 0 0 5 -1\n# ok\n2 3 0 five 0 1 1\n", r"line 3.*not a number"),
    "short_line": ("1 1 0 0 0 5 -1\n2 3 0 5 0 1\n", r"line 2.*7 fields"),
    "duplicate": ("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n2 3 0 9 0 1 1\n", r"line 3.*duplicate id 2"),
    "two_roots": ("1 1 0 0 0 5 -1\n2 3 0 5 0 1 -1\n", r"more than one tree"),
    "bad_type": ("1 1 0 0 0 5 -1\n2 7 0 5 0 1 1\n", r"line 2.*type 7"),
    "empty": ("# nothing\n", r"no points"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_swc(native, tmp_path, name):
    text, pattern = BAD[name]
    swc = tmp_path / (name + ".swc")
    swc.write_text(text)
    with pytest.raises(ValueError, match=pattern) as err:
        native.cell_geometry(str(swc), "aibs_perisomatic")
    assert str(swc) in str(err.value)


def test_missing_file_and_bad_processing(native, tmp_path, bmtk_data):
    with pytest.raises(OSError, match="nope.swc"):
        native.cell_geometry(str(tmp_path / "nope.swc"))
    swc = morphologies(bmtk_data)[0]
    with pytest.raises(ValueError, match="aibs_perisomatic"):
        native.cell_geometry(str(swc), "aibs_everything")
    a = native.cell_geometry(str(swc), "aibs_perisomatic,extracellular")
    b = native.cell_geometry(str(swc), "aibs_perisomatic")
    np.testing.assert_array_equal(a["area"], b["area"])
    noaxon = tmp_path / "noaxon.swc"
    noaxon.write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 9 0 1 2\n")
    for processing in ("aibs_perisomatic", "aibs_allactive", "aibs_perisomatic_directed"):
        with pytest.raises(ValueError, match="no axon"):
            native.cell_geometry(str(noaxon), processing)
    assert len(native.cell_geometry(str(noaxon), "none")["sec_names"]) == 2
    with pytest.raises(ValueError, match="more than once"):
        native.cell_geometry(str(swc), "aibs_perisomatic,aibs_allactive")
    with pytest.raises(ValueError, match="dL"):
        native.cell_geometry(str(swc), dL=-1.0)
