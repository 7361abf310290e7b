"""Synapse placement against numpy's legacy RandomState and bmtk 1.2.0 + NEURON 9.0.2.

- The RandomState port draws the very numbers numpy's `np.random.RandomState(seed)` draws
  (random_sample, uniform, choice with p), for seeds from 0 to 2**32 - 1.
- Per cell (the tutorial's morphologies and fits, built by bmtk's Biophys1.hoc, model_processing
  and Morphology in NEURON, nrn_placement.py in a subprocess): bmtk's seg_props (section id, x,
  type, length, h.distance) equal ours bit for bit, and the locations bmtk's BioCell code path draws for a
  sequence of edges (the tutorial's target_sections/distance_range combinations) are ours.
- Whole network: bmtk's own BioNetwork/BioSimulator build of a cut-down copy of the tutorial
  (a few V1 cells, the LGN input split into two edge populations, a population with explicit
  afferent_section_id/pos, an edge type no segment matches, a run.random_seed) makes the same
  synapses on every cell, in creation order, as we place from the documented seed (gid) and
  edge order: this fixes the seed source and the order the stream is consumed in.
- The node a point process at sec(x) lands on, against NEURON (x = 0, 1, inside, on segment
  boundaries).
"""

import ast
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import require_module

HERE = pathlib.Path(__file__).resolve().parent
TUT = "tutorial_l4"
COMP = TUT + "/components"
DL = 20.0

# (morphology, fit, model_processing): the tutorial's four node types plus the all-active and
# directed axon stubs and the second Pvalb morphology.
CELLS = {
    "Scnn1a": ("Scnn1a_473845048_m.swc", "472363762_fit.json", "aibs_perisomatic"),
    "Rorb": ("Rorb_325404214_m.swc", "473863510_fit.json", "aibs_perisomatic"),
    "Nr5a1": ("Nr5a1_471087815_m.swc", "473863035_fit.json", "aibs_perisomatic"),
    "PV1": ("Pvalb_470522102_m.swc", "472912177_fit.json", "aibs_perisomatic"),
    "PV2": ("Pvalb_469628681_m.swc", "473862421_fit.json", "aibs_perisomatic"),
    "PV1_allactive": ("Pvalb_470522102_m.swc", "318331342_fit.json", "aibs_allactive"),
    "Scnn1a_directed": ("Scnn1a_473845048_m.swc", "472363762_fit.json", "aibs_perisomatic_directed"),
}

# The tutorial's edge types (LGN_V1 and V1_V1 edge_types.csv) and a few more: axon only, a distal
# apical band, the soma alone, a range no segment overlaps (skipped by bmtk, nothing drawn).
REQUESTS = [
    (["basal", "apical", "somatic"], [0.0, 50.0], 3),
    (["basal", "apical"], [0.0, 1e20], 5),
    (["somatic", "basal"], [0.0, 1e20], 2),
    (["somatic", "basal", "apical"], [0.0, 50.0], 1),
    (["basal", "apical"], [30.0, 150.0], 4),
    (["axon"], [0.0, 1e20], 2),
    (["apical", "dend"], [100.0, 200.0], 6),
    (["soma"], [0.0, 1e20], 1),
    (["basal"], [5000.0, 6000.0], 3),
    (["basal", "apical"], [30.0, 150.0], 40),
    (["dend", "basal"], [10.0, 60.0], 0),
    (["apic", "soma", "axonal"], [20.0, 400.0], 25),
]
SEED = 1234567


@pytest.fixture(scope="module")
def native():
    import bmtk_rs._native as native

    return native


def _oracle(nrnmech_dir, mode, inp, out):
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    run = subprocess.run([sys.executable, str(HERE / "nrn_placement.py"), str(nrnmech_dir), mode, str(inp), str(out)],
                         check=False, capture_output=True, text=True, env=env, timeout=1800, cwd=str(out.parent))
    assert run.returncode == 0, "bmtk/NEURON oracle failed:\n" + run.stdout[-3000:] + run.stderr[-3000:]
    data = np.load(out)
    return {k: data[k] for k in data.files}


def _paths(root, name):
    swc, fit, processing = CELLS[name]
    return (str(root / COMP / "morphologies" / swc), str(root / COMP / "biophysical_neuron_models" / fit),
            processing)


def _queries(native, swc, processing):
    """(sec_id, x) for every section at 0, 0.3, 0.5, 1, just inside both ends and on every
    segment boundary k / nseg."""
    g = native.cell_geometry(swc, processing, DL)
    out = []
    for s, nseg in enumerate(g["sec_nseg"]):
        xs = [0.0, 0.3, 0.5, 1.0, 1e-12, 1.0 - 1e-12] + [k / nseg for k in range(1, int(nseg))]
        out += [(s, float(x)) for x in xs]
    return out


@pytest.fixture(scope="module")
def bmtk_cells(nrnmech_dir, bmtk_data, native, tmp_path_factory):
    require_module("bmtk")
    work = tmp_path_factory.mktemp("placement_cells")
    cases = []
    for name in CELLS:
        swc, fit, processing = _paths(bmtk_data, name)
        cases.append({"id": name, "swc": swc, "fit": fit, "processing": processing, "dL": DL, "seed": SEED,
                      "requests": REQUESTS, "queries": _queries(native, swc, processing)})
    (work / "cases.json").write_text(json.dumps(cases))
    return {c["id"]: c for c in cases}, _oracle(nrnmech_dir, "cells", work / "cases.json", work / "cells.npz")


# ---------------------------------------------------------------------------------------------
# (a) numpy's legacy RandomState


@pytest.mark.parametrize("seed", [0, 1, 5489, 123456789, 2**31 - 1, 2**31, 2**32 - 1])
def test_random_sample_matches_numpy(native, seed):
    n = 5000  # several regenerations of the 624-word state
    ours = native.legacy_random_sample(seed, n)
    ref = np.random.RandomState(seed).random_sample(n)
    assert np.array_equal(ours, ref)
    ours = native.legacy_uniform(seed, -3.5, 12.25, 700)
    assert np.array_equal(ours, np.random.RandomState(seed).uniform(-3.5, 12.25, 700))


@pytest.mark.parametrize("seed", [0, 17, 4242, 2**32 - 1])
def test_choice_with_p_matches_numpy(native, seed):
    weights = np.random.RandomState(seed // 2 + 1).random_sample(300) ** 3
    weights[::7] = 0.0  # zero-probability items are never drawn
    for n_items in (1, 2, 8, 129, 300):
        w = weights[:n_items].copy()
        w[-1] += 0.1
        p = w / np.sum(w)
        ref = np.random.RandomState(seed).choice(n_items, 2000, p=p)
        ours = native.legacy_choice(seed, 2000, list(p))
        assert np.array_equal(ours, ref), n_items
        assert not np.any(p[ours] == 0.0)
    assert len(native.legacy_choice(seed, 0, [1.0])) == 0


def test_random_state_refuses_what_numpy_refuses(native):
    for seed in (-1, 2**32):
        with pytest.raises(ValueError):
            np.random.RandomState(seed)
        with pytest.raises(ValueError, match=r"Seed must be between 0 and 2\*\*32 - 1"):
            native.legacy_random_sample(seed, 1)
    for p, msg in (([0.5, 0.4], "do not sum to 1"), ([1.5, -0.5], "non-negative"), ([np.nan, 1.0], "NaN"),
                   ([], "cannot be empty")):
        with pytest.raises(ValueError, match=msg):
            native.legacy_choice(0, 3, p)


# ---------------------------------------------------------------------------------------------
# (b) placement on single cells vs bmtk's Morphology + BioCell code path


@pytest.mark.parametrize("name", list(CELLS))
def test_segment_table_matches_bmtk_seg_props(bmtk_cells, native, bmtk_data, name):
    cases, ref = bmtk_cells
    swc, fit, processing = _paths(bmtk_data, name)
    ours = native.synapse_segments(swc, fit, processing, DL)
    for field in ("sec_id", "type"):
        assert np.array_equal(ours[field], ref[f"{name}/seg/{field}"]), field
    for field in ("x", "length", "dist"):
        diff = np.max(np.abs(ours[field] - ref[f"{name}/seg/{field}"]))
        print(f"{name}: {len(ours['x'])} segments, max |{field} - bmtk| = {diff:.3g}")
        assert diff == 0.0  # measured: bit-identical (NEURON's summation order is kept)
    # every segment's node is the one bmtk's seg.x addresses
    g = native.cell_geometry(swc, processing, DL)
    assert np.array_equal(g["sec_id"][ours["node"]], ours["sec_id"])
    assert np.array_equal(g["x"][ours["node"]], ours["x"])


@pytest.mark.parametrize("name", list(CELLS))
def test_draws_match_bmtk(bmtk_cells, native, bmtk_data, name):
    cases, ref = bmtk_cells
    swc, fit, processing = _paths(bmtk_data, name)
    sec_id, sec_x, node = native.place_synapses(swc, SEED, [(n, tuple(r), k) for n, r, k in REQUESTS], fit,
                                                processing, DL, skip_unmatched=True)
    want_sec, want_x = ref[f"{name}/draw/sec_id"], ref[f"{name}/draw/x"]
    print(f"{name}: {len(sec_id)} synapses drawn, bmtk {len(want_sec)}")
    assert len(want_sec) > 50
    assert np.array_equal(sec_id, want_sec)
    assert np.array_equal(sec_x, want_x)
    g = native.cell_geometry(swc, processing, DL)
    assert np.array_equal(g["sec_id"][node], sec_id)


# ---------------------------------------------------------------------------------------------
# (c) the node of a point process at sec(x), vs NEURON


def _node_codes(g, nodes):
    """Encodes nodes as nrn_placement.py does: 1000 * section + segment, + 999 for x = 1, -1 root."""
    codes = []
    for n in nodes:
        if n == 0:
            codes.append(-1.0)
            continue
        s, x = int(g["sec_id"][n]), float(g["x"][n])
        nseg = int(g["sec_nseg"][s])
        codes.append(1000.0 * s + (999 if x == 1.0 else int(round(x * nseg - 0.5))))
    return np.asarray(codes)


@pytest.mark.parametrize("name", ["Scnn1a", "PV1", "PV1_allactive", "Scnn1a_directed"])
def test_node_at_matches_neuron(bmtk_cells, native, bmtk_data, name):
    cases, ref = bmtk_cells
    swc, fit, processing = _paths(bmtk_data, name)
    queries = [tuple(q) for q in cases[name]["queries"]]
    nodes = native.synapse_nodes(swc, queries, fit, processing, DL)
    g = native.cell_geometry(swc, processing, DL)
    ours = _node_codes(g, nodes)
    want = ref[f"{name}/node_code"]
    bad = [(queries[i], ours[i], want[i]) for i in np.flatnonzero(ours != want)[:5]]
    assert not bad, bad
    # x = 0 of a child section is its parent's node, which NEURON confirms for at least one
    assert any(x == 0.0 and s > 0 and code // 1000 != s for (s, x), code in zip(queries, want))


# ---------------------------------------------------------------------------------------------
# (b) the whole network: bmtk's own build of a cut-down tutorial


V1_KEEP = [0, 1, 85, 170, 171, 250, 299]  # two Scnn1a, one Rorb, two Nr5a1, two PV1 (node ids)


def _index(ids):
    """SONATA's node_id_to_range / range_to_edge_id over the runs of equal ids, in row order."""
    ids = np.asarray(ids, dtype=np.int64)
    runs = {}
    start = 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or ids[i] != ids[start]:
            runs.setdefault(int(ids[start]), []).append((start, i))
            start = i
    n2r = np.zeros((int(ids.max()) + 1 if len(ids) else 0, 2), dtype=np.uint64)
    ranges = []
    for node in sorted(runs):
        n2r[node] = (len(ranges), len(ranges) + len(runs[node]))
        ranges += runs[node]
    return n2r, np.asarray(ranges, dtype=np.uint64).reshape(-1, 2)


def _write_edges(path, pop, src_pop, trg_pop, src, trg, etype, group):
    """A SONATA edges file with one group and both indices."""
    import h5py

    with h5py.File(path, "w") as f:
        g = f.create_group(f"edges/{pop}")
        g.create_dataset("source_node_id", data=np.asarray(src, dtype=np.uint64)).attrs["node_population"] = src_pop
        g.create_dataset("target_node_id", data=np.asarray(trg, dtype=np.uint64)).attrs["node_population"] = trg_pop
        g.create_dataset("edge_type_id", data=np.asarray(etype, dtype=np.uint32))
        g.create_dataset("edge_group_id", data=np.zeros(len(src), dtype=np.uint16))
        g.create_dataset("edge_group_index", data=np.arange(len(src), dtype=np.uint32))
        for k, v in group.items():
            g.create_dataset(f"0/{k}", data=v)
        for name, ids in (("target_to_source", trg), ("source_to_target", src)):
            n2r, r2e = _index(ids)
            g.create_dataset(f"indices/{name}/node_id_to_range", data=n2r)
            g.create_dataset(f"indices/{name}/range_to_edge_id", data=r2e)


def _cut_tutorial(root, work, nrnmech_dir):
    """A copy of the tutorial network restricted to V1_KEEP (renumbered 0..), written to `work`,
    and the config that runs it. Returns (config path, per-population edge tables we replay)."""
    import h5py

    net = root / TUT / "network"
    keep = np.asarray(V1_KEEP)
    new_id = {int(o): i for i, o in enumerate(keep)}
    with h5py.File(net / "V1_nodes.h5") as f:
        src = f["nodes/V1"]
        with h5py.File(work / "V1_nodes.h5", "w") as out:
            g = out.create_group("nodes/V1")
            gid = src["node_group_id"][()][keep]
            gix = src["node_group_index"][()][keep]
            g.create_dataset("node_id", data=np.arange(len(keep), dtype=np.uint64))
            g.create_dataset("node_type_id", data=src["node_type_id"][()][keep])
            g.create_dataset("node_group_id", data=gid)
            new_gix = np.zeros(len(keep), dtype=np.uint64)
            for grp in np.unique(gid):
                rows = np.flatnonzero(gid == grp)
                new_gix[rows] = np.arange(len(rows))
                for k, ds in src[str(grp)].items():
                    g.create_dataset(f"{grp}/{k}", data=ds[()][gix[rows]])
            g.create_dataset("node_group_index", data=new_gix)

    def read(name, pop):
        with h5py.File(net / name) as f:
            e = f[f"edges/{pop}"]
            return (e["source_node_id"][()].astype(np.int64), e["target_node_id"][()].astype(np.int64),
                    e["edge_type_id"][()], e["0/nsyns"][()])

    # V1 -> V1: edges among the kept cells, in file order
    s, t, et, ns = read("V1_V1_edges.h5", "V1_to_V1")
    m = np.isin(s, keep) & np.isin(t, keep)
    v1 = dict(src=[new_id[int(v)] for v in s[m]], trg=[new_id[int(v)] for v in t[m]], etype=et[m], nsyns=ns[m])
    _write_edges(work / "V1_V1_edges.h5", "V1_to_V1", "V1", "V1", v1["src"], v1["trg"], v1["etype"],
                 {"nsyns": v1["nsyns"]})

    # LGN -> V1 split into two populations (even / odd rows); the odd one also gets an edge type
    # no segment can match
    s, t, et, ns = read("LGN_V1_edges.h5", "LGN_to_V1")
    m = np.isin(t, keep)
    rows = np.flatnonzero(m)
    lgn = {}
    for part, sel in (("a", rows[0::2]), ("b", rows[1::2])):
        etype = et[sel].copy()
        if part == "b":
            etype[::5] = 102
        lgn[part] = dict(src=list(s[sel]), trg=[new_id[int(v)] for v in t[sel]], etype=etype, nsyns=ns[sel])
        _write_edges(work / f"LGN_V1_{part}_edges.h5", f"LGN_to_V1_{part}", "LGN", "V1", lgn[part]["src"],
                     lgn[part]["trg"], etype, {"nsyns": ns[sel]})
    types = (net / "LGN_V1_edge_types.csv").read_text().rstrip("\n").splitlines()
    types.append('102 * * 0.0003 2.0 "[5000.0, 6000.0]" exp2syn LGN_ExcToExc.json "[\'basal\']"')
    (work / "LGN_V1_b_edge_types.csv").write_text("\n".join(types) + "\n")

    # LGN -> V1 with explicit locations: three edges per cell, nothing drawn for them
    pre_trg = [i for i in range(len(keep)) for _ in range(3)]
    pre_sec = np.asarray([0, 3, 1] * len(keep), dtype=np.int64)
    pre_pos = np.asarray([0.5, 0.26, 0.81] * len(keep))
    _write_edges(work / "LGN_V1_pre_edges.h5", "LGN_to_V1_pre", "LGN", "V1", [7] * len(pre_trg), pre_trg,
                 [200] * len(pre_trg), {"afferent_section_id": pre_sec, "afferent_section_pos": pre_pos})
    (work / "LGN_V1_pre_edge_types.csv").write_text(
        "edge_type_id model_template dynamics_params syn_weight delay\n200 exp2syn LGN_ExcToExc.json 0.0003 2.0\n")

    comp = root / COMP
    edges = [  # load order: the order bmtk consumes the virtual populations in
        ("LGN_V1_b_edges.h5", work / "LGN_V1_b_edge_types.csv"),
        ("LGN_V1_pre_edges.h5", work / "LGN_V1_pre_edge_types.csv"),
        ("V1_V1_edges.h5", net / "V1_V1_edge_types.csv"),
        ("LGN_V1_a_edges.h5", net / "LGN_V1_edge_types.csv"),
    ]
    config = {
        "target_simulator": "NEURON",
        "run": {"tstart": 0.0, "tstop": 1.0, "dt": 0.1, "dL": DL, "spike_threshold": -15.0, "nsteps_block": 5000,
                "random_seed": 777},
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "networks": {
            "nodes": [{"nodes_file": str(net / "LGN_nodes.h5"), "node_types_file": str(net / "LGN_node_types.csv")},
                      {"nodes_file": str(work / "V1_nodes.h5"), "node_types_file": str(net / "V1_node_types.csv")}],
            "edges": [{"edges_file": str(work / e), "edge_types_file": str(t)} for e, t in edges],
        },
        "components": {
            "biophysical_neuron_models_dir": str(comp / "biophysical_neuron_models"),
            "synaptic_models_dir": str(comp / "synaptic_models"),
            "morphologies_dir": str(comp / "morphologies"),
            "filter_models_dir": str(comp / "filter_models"),
            "mechanisms_dir": str(nrnmech_dir),
        },
        "inputs": {"LGN_spikes": {"input_type": "spikes", "module": "h5", "node_set": "LGN",
                                  "input_file": str(root / TUT / "inputs" / "lgn_spikes.poisson.h5")}},
        "output": {"output_dir": str(work / "output"), "log_file": "log.txt", "spikes_file": "spikes.h5"},
    }
    path = work / "config.json"
    path.write_text(json.dumps(config, indent=2))
    tables = {"V1_V1": (v1, net / "V1_V1_edge_types.csv"), "b": (lgn["b"], work / "LGN_V1_b_edge_types.csv"),
              "a": (lgn["a"], net / "LGN_V1_edge_types.csv")}
    pre = dict(trg=pre_trg, sec=pre_sec, pos=pre_pos)
    return path, tables, pre


def _edge_types(path):
    import csv

    with open(path) as f:
        rows = list(csv.DictReader(f, delimiter=" "))
    return {int(r["edge_type_id"]): (ast.literal_eval(r["target_sections"]), tuple(json.loads(r["distance_range"])))
            for r in rows}


def test_network_build_matches_bmtk(nrnmech_dir, bmtk_data, native, tmp_path):
    require_module("bmtk")
    require_module("h5py")
    config, tables, pre = _cut_tutorial(bmtk_data, tmp_path, nrnmech_dir)
    ref = _oracle(nrnmech_dir, "network", config, tmp_path / "network.npz")

    import csv

    with open(bmtk_data / TUT / "network" / "V1_node_types.csv") as f:
        node_types = {int(r["node_type_id"]): r for r in csv.DictReader(f, delimiter=" ")}
    import h5py

    with h5py.File(bmtk_data / TUT / "network" / "LGN_nodes.h5") as f:
        v1_offset = int(np.max(f["nodes/LGN/node_id"][()])) + 1  # LGN is loaded first
    with h5py.File(tmp_path / "V1_nodes.h5") as f:
        v1_types = f["nodes/V1/node_type_id"][()]

    total = 0
    skipped = 0
    for nid, ntype in enumerate(v1_types):
        nt = node_types[int(ntype)]
        comp = bmtk_data / COMP
        swc = str(comp / "morphologies" / nt["morphology"])
        fit = str(comp / "biophysical_neuron_models" / nt["dynamics_params"])
        processing = nt["model_processing"]
        gid = v1_offset + nid
        assert int(ref[f"V1/{nid}/gid"]) == gid
        # recurrent populations first, then the LGN input's populations in load order (b, pre, a)
        want_sec, want_x = ref[f"V1/{nid}/sec_id"], ref[f"V1/{nid}/x"]
        drawn = []
        segments = []
        for key in ("V1_V1", "b", "pre", "a"):
            if key == "pre":
                sel = [i for i, t in enumerate(pre["trg"]) if t == nid]
                segments.append(("pre", [(int(pre["sec"][i]), float(pre["pos"][i])) for i in sel]))
                continue
            tab, types_csv = tables[key]
            types = _edge_types(types_csv)
            reqs = []
            for i in np.flatnonzero(np.asarray(tab["trg"]) == nid):
                names, drange = types[int(tab["etype"][i])]
                reqs.append((names, drange, int(tab["nsyns"][i])))
            drawn.append(reqs)
            segments.append(("drawn", reqs))
        # one stream for the whole cell, in that order; unmatched edges skipped
        flat = [r for part in drawn for r in part]
        skipped += sum(1 for r in flat if r[1] == (5000.0, 6000.0))
        sec_id, sec_x, _ = native.place_synapses(swc, gid, flat, fit, processing, DL, skip_unmatched=True)
        # bmtk's list: V1_V1 and b synapses, then the preselected ones, then a's
        n_first = len(native.place_synapses(swc, gid, drawn[0] + drawn[1], fit, processing, DL,
                                            skip_unmatched=True)[0])
        locs = [(s, x) for _, sel in segments[2:3] for s, x in sel]
        g = native.cell_geometry(swc, processing, DL)
        pre_nodes = native.synapse_nodes(swc, locs, fit, processing, DL)
        exp_sec = np.concatenate([sec_id[:n_first], g["sec_id"][pre_nodes], sec_id[n_first:]])
        exp_x = np.concatenate([sec_x[:n_first], g["x"][pre_nodes], sec_x[n_first:]])
        assert len(exp_sec) == len(want_sec), (nid, len(exp_sec), len(want_sec))
        assert np.array_equal(exp_sec, want_sec), nid
        assert np.array_equal(exp_x, want_x), nid
        total += len(want_sec)
    print(f"{len(v1_types)} cells, {total} synapses identical to bmtk's build ({skipped} unmatched edges skipped)")
    assert skipped > 0
    assert total > 1000


# ---------------------------------------------------------------------------------------------
# (d) bad input


def test_bad_requests_are_errors(native, bmtk_data):
    swc, fit, processing = _paths(bmtk_data, "Scnn1a")

    def place(names, drange, n=1, skip=False):
        return native.place_synapses(swc, 1, [(names, drange, n)], fit, processing, DL, skip_unmatched=skip)

    with pytest.raises(ValueError, match=r"unknown section type 'dendrites'.*basal"):
        place(["basal", "dendrites"], (0.0, 100.0))
    with pytest.raises(ValueError, match=r"no segment of type \[\"basal\"\].*distance_range \[50, 50\]"):
        place(["basal"], (50.0, 50.0))
    with pytest.raises(ValueError, match=r"distance_range \[200, 100\]"):
        place(["basal", "apical"], (200.0, 100.0))
    with pytest.raises(ValueError, match=r"no segment of type \[\]"):
        place([], (0.0, 1e20))
    with pytest.raises(ValueError, match="NaN"):
        place(["basal"], (float("nan"), 100.0))
    with pytest.raises(ValueError, match=r"Seed must be between"):
        native.place_synapses(swc, -5, [(["basal"], (0.0, 100.0), 1)], fit, processing, DL)
    # bmtk's warning case: skipped without error, nothing drawn
    assert len(place(["basal"], (50.0, 50.0), 3, skip=True)[0]) == 0
    with pytest.raises(ValueError, match=r"section id 100000 is out of range"):
        native.synapse_nodes(swc, [(100000, 0.5)], fit, processing, DL)
    with pytest.raises(ValueError, match=r"section position 1.5 .*within \[0, 1\]"):
        native.synapse_nodes(swc, [(0, 1.5)], fit, processing, DL)
    with pytest.raises(ValueError, match=r"section position -0.1"):
        native.synapse_nodes(swc, [(0, -0.1)], fit, processing, DL)
