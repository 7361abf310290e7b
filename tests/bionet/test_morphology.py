"""Cell geometry against NEURON 9.0.2 + bmtk 1.2.0.

For every morphology of the reference data, the oracle script (run in a subprocess so NEURON's
global state stays out of this process) builds the cell with bmtk's Biophys1.hoc template
(Import3d), bmtk's own fix_axon_* functions and bmtk's Morphology.set_segment_dl, and stores what
NEURON computed. bmtk_rs must give the same sections, the same segments, and per-node area and ri
within 1e-6 relative error; positions as bmtk's seg_coords (after move_and_rotate) within 1e-4 um.
"""

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
    root = BMTK_DATA
    return [str(p.relative_to(root)) for p in morphologies(root)] if root.is_dir() else []


@pytest.fixture(scope="module")
def native():
    import bmtk_rs._native as native

    return native


def run_oracle(tmp_path, swc, processing, dl, ra, place=PLACE):
    require_module("neuron")
    require_module("bmtk")
    out = tmp_path / "oracle.npz"
    cmd = [sys.executable, str(ORACLE), str(swc), processing, str(dl), str(ra), str(out)]
    cmd += [str(v) for v in place]
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return dict(np.load(out))


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
@pytest.mark.parametrize("morph", _morph_ids())
def test_geometry_matches_neuron(native, bmtk_data, tmp_path, morph, processing, dl, ra):
    swc = bmtk_data / morph
    ref = run_oracle(tmp_path, swc, processing, dl, ra)
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
def test_synthetic_somas(native, tmp_path, name, processing):
    swc = tmp_path / (name + ".swc")
    swc.write_text(SYNTHETIC[name])
    ref = run_oracle(tmp_path, swc, processing, 5.0, 150.0)
    ours = native.cell_geometry(
        str(swc), processing, dL=5.0, Ra=150.0, position=PLACE[:3], rotation=PLACE[3:]
    )
    area, ri, pos = compare(ours, ref)
    print(f"{name} {processing}: max rel err area {area:.2e} ri {ri:.2e}; max pos err {pos:.2e} um")
    assert area < RTOL
    assert ri < RTOL
    assert pos < 1e-4


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
    with pytest.raises(ValueError, match="dL"):
        native.cell_geometry(str(swc), dL=-1.0)
