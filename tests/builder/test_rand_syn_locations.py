"""bmtk_rs.builder.bionet (rand_syn_locations, SWCReader, get_swc) against bmtk 1.2.0's, which reads the
morphology through NEURON (Biophys1.hoc + Import3d) in a subprocess of the test venv.

For the same SWC and node (placement, model_processing, dL): the sections, segments (type, x, path
distance, length, ends, section id), find_sections' candidates and probabilities are bit for bit
bmtk's; segment positions, get_coords and get_swc_id of every section at several x agree; segment
areas are NEURON's own seg.area() (bmtk's seg_props.area reads the area of whatever section NEURON is
accessing, see bmtk_rs.builder.bionet.swc_reader). bmtk draws sites from an unseeded generator, so
the draws are checked by frequency: over many calls they land only on candidates, as often as the
probabilities say."""

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import require_module

_MORPH = ("examples", "bio_components", "morphologies")

_ORACLE = r"""
import json, os, pickle, sys
import numpy as np
from bmtk.builder.bionet.swc_reader import get_swc
from bmtk.builder.bionet.swc_reader import SWCReader
cases = json.loads(sys.argv[1])


def areas(c):
    # get_swc's reader is a placed copy whose NEURON sections are unsegmented: NEURON's own areas come
    # from a reader given the same dL and axon processing, not copied
    path = os.path.join(c['dir'], c['cell']['morphology'])
    path = path if os.path.exists(path) else path + '.swc'
    swc = SWCReader(path)
    if c['dL']:
        swc.set_segment_dl(c['dL'])
    if c['cell'].get('model_processing') == 'aibs_perisomatic':
        swc.fix_axon()
    return np.array([seg.area() for sec in swc.sections for seg in sec])


out = {}
for name, c in cases.items():
    swc = get_swc(c['cell'], morphology_dir=c['dir'], use_cache=False, dL=c['dL'])
    sp, sc = swc.seg_props, swc.seg_coords
    r = {'props': {k: np.asarray(getattr(sp, k)) for k in sp._fields},
         'coords': {k: np.asarray(getattr(sc, k)) for k in sc._fields},
         'areas': areas(c),
         'soma': np.asarray(swc.soma_position), 'n_sections': swc.n_sections,
         'names': [s.name().split('.')[-1] for s in swc.sections],
         'swc_map': swc.swc_map.to_dict('list'), 'find': [], 'swc_id': {}, 'coords_at': {}}
    for q in c['queries']:
        secs, probs = swc.find_sections(q[0], q[1])
        r['find'].append((np.asarray(secs), np.asarray(probs)))
    for sec_id in range(swc.n_sections):
        for x in c['xs']:
            r['swc_id'][(sec_id, x)] = tuple(float(v) for v in swc.get_swc_id(sec_id, x))
            r['coords_at'][(sec_id, x)] = np.asarray(swc.get_coords(sec_id, x))
    out[name] = r
with open(sys.argv[2], 'wb') as fh:
    pickle.dump(out, fh)
"""

_XS = [0.0, 0.1, 0.33, 0.5, 0.77, 1.0]


def _cases(morph_dir):
    d = str(morph_dir)
    return {
        # unplaced, one segment per section, the axon as reconstructed
        "plain": {"cell": {"node_id": 0, "morphology": "Scnn1a_473845048_m.swc"}, "dir": d, "dL": None,
                  "queries": [[["soma", "basal"], [0.0, 200.0]], [["apical"], [50.0, 300.0]],
                              [["soma", "apical", "basal", "axon"], [0.0, 1.0e20]]]},
        # placed and rotated, dL segments, the perisomatic axon stub (set after dL: one segment each)
        "placed": {"cell": {"node_id": 1, "morphology": "Scnn1a_473845048_m", "model_processing": "aibs_perisomatic",
                            "x": 10.0, "y": -5.0, "z": 3.0, "rotation_angle_yaxis": 1.2,
                            "rotation_angle_zaxis": -0.4},
                   "dir": d, "dL": 10.0,
                   "queries": [[["soma", "basal", "axon"], [0.0, 200.0]], [["apical", "dend"], [50.0, 300.0]],
                               [["axon"], [0.0, 1.0e20]]]},
        "pvalb": {"cell": {"node_id": 2, "morphology": "Pvalb_470522102_m.swc", "x": 0.0, "y": 0.0, "z": 0.0},
                  "dir": d, "dL": 20.0,
                  "queries": [[["somatic", "basal"], [10.0, 80.0]], [["soma", "dend", "apic"], [0.0, 1.0e20]]]},
    }


@pytest.fixture(scope="module")
def oracle_geometry(bmtk_data, tmp_path_factory):
    """bmtk 1.2.0's SWCReader on each case, run in NEURON in a subprocess."""
    require_module("bmtk")
    require_module("neuron")
    cases = _cases(bmtk_data.joinpath(*_MORPH))
    for c in cases.values():
        c["xs"] = _XS
    out = tmp_path_factory.mktemp("swc_oracle") / "oracle.pkl"
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    run = subprocess.run([sys.executable, "-c", _ORACLE, json.dumps(cases), str(out)], capture_output=True,
                         text=True, env=env, timeout=600, check=False)
    assert run.returncode == 0, "bmtk's SWCReader failed:\n" + run.stdout[-2000:] + run.stderr[-3000:]
    with open(out, "rb") as fh:
        return cases, pickle.load(fh)


def _ours(case):
    from bmtk_rs.builder.bionet.swc_reader import get_swc

    return get_swc(case["cell"], morphology_dir=case["dir"], use_cache=False, dL=case["dL"])


@pytest.mark.parametrize("name", ["plain", "placed", "pvalb"])
def test_sections_segments_and_candidates(oracle_geometry, name):
    cases, ref = oracle_geometry
    r, swc = ref[name], _ours(cases[name])
    assert [s.name for s in swc.sections] == r["names"]
    # bmtk's placed reader is a fresh copy whose NEURON sections are unsegmented again (only its
    # seg_props keep the segments): count the segments per section in those
    assert [s.nseg for s in swc.sections] == np.bincount(r["props"]["sec_id"], minlength=len(r["names"])).tolist()
    for k, v in r["props"].items():
        if k == "area":
            continue
        np.testing.assert_array_equal(getattr(swc.seg_props, k), v, err_msg=f"seg_props.{k}")
    np.testing.assert_allclose(swc.seg_props.area, r["areas"], rtol=1e-12, err_msg="segment areas")
    for (secs, probs), q in zip(r["find"], cases[name]["queries"]):
        assert len(secs) > 0, q
        ours, p = swc.find_sections(*q)
        np.testing.assert_array_equal(ours, secs, err_msg=f"find_sections{q} candidates")
        np.testing.assert_array_equal(p, probs, err_msg=f"find_sections{q} probabilities")


@pytest.mark.parametrize("name", ["plain", "placed", "pvalb"])
def test_positions_swc_ids_and_map(oracle_geometry, name):
    cases, ref = oracle_geometry
    r, swc = ref[name], _ours(cases[name])
    np.testing.assert_allclose(swc.soma_position, r["soma"], rtol=0, atol=1e-9)
    n = swc.nseg
    # bmtk sizes seg_coords by a segment count taken before fix_axon: it has columns past the real segments
    assert r["coords"]["p05"].shape[1] >= n
    for k in ("p0", "p1", "p05"):
        np.testing.assert_allclose(getattr(swc.seg_coords, k), r["coords"][k][:, :n], rtol=0, atol=1e-6,
                                   err_msg=f"seg_coords.{k}")
    for (sec_id, x), want in r["swc_id"].items():
        got = tuple(float(v) for v in swc.get_swc_id(sec_id, x))
        assert got == want, (sec_id, x, got, want)
        np.testing.assert_allclose(swc.get_coords(sec_id, x), r["coords_at"][(sec_id, x)], rtol=0, atol=1e-6,
                                   err_msg=f"get_coords({sec_id}, {x})")
    m = swc.swc_map
    for k in ("id", "type", "nameindex"):
        assert list(m[k]) == r["swc_map"][k], k


def test_draw_frequencies_and_reproducibility(oracle_geometry):
    """rand_syn_locations draws only candidates, each as often as find_sections' probability says
    (chi-square), with the SWC point get_swc_id gives; np.random.seed makes the draws repeat."""
    from bmtk_rs.builder.bionet import rand_syn_locations

    cases, ref = oracle_geometry
    case = cases["placed"]
    sections, drange = case["queries"][0]
    secs, probs = ref["placed"]["find"][0]
    seg_sec = ref["placed"]["props"]["sec_id"][secs]
    seg_x = ref["placed"]["props"]["x"][secs]
    index = {(int(s), float(x)): i for i, (s, x) in enumerate(zip(seg_sec, seg_x))}
    trg = dict(case["cell"], node_id=101)
    n = 8000
    np.random.seed(7)
    draws = [rand_syn_locations(None, trg, sections=sections, distance_range=drange, morphology_dir=case["dir"],
                                dL=case["dL"], return_coords=True) for _ in range(n)]
    counts = np.zeros(len(secs))
    swc = _ours(case)
    for sec_id, x, swc_id, swc_dist, *xyz in draws[:200]:
        assert tuple(float(v) for v in swc.get_swc_id(sec_id, x)) == (float(swc_id), float(swc_dist))
        np.testing.assert_allclose(xyz, swc.get_coords(sec_id, x), rtol=0, atol=1e-12)
    for sec_id, x, *_ in draws:
        key = (int(sec_id), float(x))
        assert key in index, f"draw {key} is not a candidate"
        counts[index[key]] += 1
    expected = probs * n
    # pool the rare candidates so that every cell of the chi-square test expects at least 5 draws
    order = np.argsort(expected)
    pooled_o, pooled_e, acc_o, acc_e = [], [], 0.0, 0.0
    for i in order:
        acc_o, acc_e = acc_o + counts[i], acc_e + expected[i]
        if acc_e >= 5.0:
            pooled_o.append(acc_o)
            pooled_e.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e:
        pooled_o[-1] += acc_o
        pooled_e[-1] += acc_e
    chi2 = float(np.sum((np.array(pooled_o) - np.array(pooled_e)) ** 2 / np.array(pooled_e)))
    dof = len(pooled_e) - 1
    # mean dof, standard deviation sqrt(2 dof): 5 sigma leaves no room for a wrong distribution
    assert chi2 < dof + 5.0 * np.sqrt(2.0 * dof), (chi2, dof)
    np.random.seed(7)
    again = [rand_syn_locations(None, trg, sections=sections, distance_range=drange, morphology_dir=case["dir"],
                                dL=case["dL"]) for _ in range(50)]
    assert [d[:4] for d in draws[:50]] == again


def test_seeded_reader_draws_as_bmtk(oracle_geometry):
    """With rng_seed, choose_sections draws from RandomState(rng_seed) over the same candidates and
    probabilities as bmtk, hence the same sections (bmtk's own generator given the same seed)."""
    from bmtk_rs.builder.bionet.swc_reader import SWCReader

    cases, ref = oracle_geometry
    case = cases["plain"]
    secs, probs = ref["plain"]["find"][0]
    want = np.random.RandomState(3).choice(secs, 25, p=probs)
    reader = SWCReader(os.path.join(case["dir"], case["cell"]["morphology"]), rng_seed=3)
    got_sec, got_x = reader.choose_sections(*case["queries"][0], n_sections=25)
    np.testing.assert_array_equal(got_sec, ref["plain"]["props"]["sec_id"][want])
    np.testing.assert_array_equal(got_x, ref["plain"]["props"]["x"][want])


def test_bad_input_names_the_problem(bmtk_data, tmp_path):
    from bmtk_rs.builder.bionet import rand_syn_locations
    from bmtk_rs.builder.bionet.swc_reader import SWCReader

    morph = bmtk_data.joinpath(*_MORPH)
    with pytest.raises(ValueError, match="missing.swc"):
        rand_syn_locations(None, {"node_id": 3, "morphology": "missing.swc"}, morphology_dir=str(tmp_path))
    with pytest.raises(ValueError, match="unknown section name 'dendrite'"):
        SWCReader(str(morph / "Scnn1a_473845048_m.swc")).find_sections(["dendrite"], [0.0, 100.0])
    with pytest.raises(ValueError, match="no segment"):
        rand_syn_locations(None, {"node_id": 4, "morphology": "Scnn1a_473845048_m.swc"}, sections=["soma"],
                           distance_range=[5000.0, 6000.0], morphology_dir=str(morph))
