"""The extracellular potential report against bmtk 1.2.0's own EcpMod / RecXElectrode.

- Transfer matrices: bio_450cells' real cells (tutorial morphologies, their node positions and
  rotations, aibs_perisomatic, dL = 20) and its 86-channel linear electrode. bmtk's
  RecXElectrode.calc_transfer_resistance is run (in a subprocess, it imports NEURON) on the same
  segment end points as ours: relative error < 1e-9, for no/fixed/"auto" minimum distance. Then
  on the end points bmtk itself computes with NEURON (Biophys1 + fix_axon_peri + move_and_rotate,
  via neuron_geometry_oracle.py): the whole chain placement -> matrix.
- The file: bmtk's EcpMod is driven step by step as BioSimulator.post_fadvance drives it (its
  initialize/step/block/finalize, with stand-in cells that hand it our segment end points and
  currents) and writes ecp.h5 and the per-cell contribution files; we write the same data with
  our writer; both files are opened with h5py and compared object by object.
- NEURON's currents: bmtk+NEURON simulate 30 of bio_450cells' cells with an ECP report and a
  membrane report of every segment's i_membrane_; our transfer matrices (our geometry from the
  node table) times those currents give bmtk's ecp.h5.
- The analyzer: plot_ecp / load_ecp on a file we wrote (and bmtk's own plot_ecp on it), errors.
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
EXAMPLE = BMTK_DATA / "examples" / "bio_450cells"
ELECTRODES = BMTK_DATA / "examples" / "bio_components" / "recXelectrodes" / "linear_electrode.csv"
MORPH_DIR = BMTK_DATA / "examples" / "bio_components" / "morphologies"
CELLS_PER_TYPE = 2

ORACLE = r'''
import json, sys, types
import numpy as np

def transfer(jobs):
    from bmtk.simulator.bionet.modules.ecp import RecXElectrode
    for job in jobs:
        d = np.load(job["in"])
        rel = RecXElectrode(job["electrodes"], job["minimum_distance"])
        rel.calc_transfer_resistance(0, types.SimpleNamespace(p0=d["p0"], p1=d["p1"], d=d["d"]))
        np.save(job["out"], rel.get_transfer_resistance(0))

def writer(job):
    """EcpMod driven as BioSimulator.run/post_fadvance drive it, with stand-in cells."""
    from neuron import h
    from bmtk.simulator.bionet.modules.ecp import EcpMod

    h.load_file("stdrun.hoc")
    d = np.load(job["in"])
    gids = [int(g) for g in d["gids"]]
    state = {"step": 0}

    class Cell:
        def __init__(self, k):
            self.k = k
            self.seg_coords = types.SimpleNamespace(p0=d["p0_%d" % k], p1=d["p1_%d" % k], d=d["d_%d" % k])
        def get_im(self):
            return d["im_%d" % self.k][state["step"]]
        def set_im_ptr(self):
            pass

    cells = {g: Cell(k) for k, g in enumerate(gids)}

    class NodeSet:
        def gids(self):
            return iter(gids)

    net = types.SimpleNamespace(get_node_set=lambda cells_: NodeSet(), get_cell_gid=lambda g: cells[g],
                                get_local_cells=lambda: cells)
    nsteps = int(round(job["tstop"] / job["dt"]))
    sim = types.SimpleNamespace(dt=job["dt"], tstop=job["tstop"], nsteps_block=job["block"], n_steps=nsteps,
                                net=net, h=h, biophysical_gids=list(gids))
    mod = EcpMod(tmp_dir=job["tmp_dir"], file_name=job["file_name"], electrode_positions=job["electrodes"],
                 contributions_dir=job["contributions_dir"], cells="all", variable_name="v")
    mod.initialize(sim)
    start = 0
    for tstep in range(nsteps):
        state["step"] = tstep
        mod.step(sim, tstep)
        if (tstep + 1) % job["block"] == 0 or tstep + 1 == nsteps:
            mod.block(sim, (start, tstep + 1))
            start = tstep + 1
    mod.finalize(sim)
    for f in mod._cell_var_files.values():
        f.close()

def bionet_run(config):
    from bmtk.simulator import bionet

    cfg = bionet.Config.from_json(config)
    cfg.build_env()
    net = bionet.BioNetwork.from_config(cfg)
    bionet.BioSimulator.from_config(cfg, network=net).run()

if __name__ == "__main__":
    with open(sys.argv[2]) as f:
        arg = json.load(f)
    {"transfer": transfer, "writer": writer, "bionet": bionet_run}[sys.argv[1]](arg)
'''


def run_oracle(workdir, mode, arg):
    script = workdir / "ecp_oracle.py"
    script.write_text(ORACLE)
    args = workdir / "{}_args.json".format(mode)
    args.write_text(json.dumps(arg))
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    res = subprocess.run([sys.executable, str(script), mode, str(args)], capture_output=True, text=True,
                         cwd=workdir, env=env, timeout=900)
    assert res.returncode == 0, "bmtk oracle failed:\n" + res.stdout[-2000:] + res.stderr[-4000:]


@pytest.fixture(scope="module")
def native():
    import bmtk_rs._native as native

    return native


@pytest.fixture(scope="module")
def cells(bmtk_data, native):
    """The first cells of each biophysical node type of bio_450cells, placed as in the network,
    and two cells whose soma touches an electrode."""
    h5py = require_module("h5py")
    import pandas as pd

    types_df = pd.read_csv(EXAMPLE / "network" / "internal_node_types.csv", sep=" ")
    with h5py.File(EXAMPLE / "network" / "internal_nodes.h5", "r") as f:
        pop = f["nodes/internal"]
        type_ids = pop["node_type_id"][()]
        group_ids = pop["node_group_id"][()]
        group_index = pop["node_group_index"][()]
        node_ids = pop["node_id"][()]
        groups = {name: {k: pop[name][k][()] for k in pop[name]} for name in pop if name.isdigit()}
    out = []
    for _, row in types_df.iterrows():
        if row["model_type"] != "biophysical":
            continue
        for r in np.nonzero(type_ids == row["node_type_id"])[0][:CELLS_PER_TYPE]:
            g = groups[str(group_ids[r])]
            i = group_index[r]
            pos = [float(g[k][i]) for k in ("x", "y", "z")]
            rot = [float(g[k][i]) if k in g else 0.0
                   for k in ("rotation_angle_xaxis", "rotation_angle_yaxis", "rotation_angle_zaxis")]
            swc = MORPH_DIR / row["morphology"]
            geo = native.cell_geometry(str(swc), row["model_processing"], dL=20.0, Ra=100.0, position=pos,
                                       rotation=rot)
            seg = geo["seg_node"]
            out.append(dict(gid=int(node_ids[r]), swc=swc, processing=row["model_processing"], place=pos + rot,
                            p0=geo["p0"][seg], p1=geo["p1"][seg], d=geo["diam"][seg]))
    assert len(out) >= 8
    # two more with their soma a few um from an electrode, where minimum_distance matters
    el = electrode_positions()
    for k, (chan, offset) in enumerate(((3, (2.0, 0.5, 1.0)), (40, (-1.5, 3.0, 0.5)))):
        src = out[2 * k]
        pos = [float(v) for v in el[chan] + np.array(offset)]
        rot = src["place"][3:]
        geo = native.cell_geometry(str(src["swc"]), src["processing"], dL=20.0, Ra=100.0, position=pos,
                                   rotation=rot)
        seg = geo["seg_node"]
        out.append(dict(gid=1000 + k, swc=src["swc"], processing=src["processing"], place=pos + rot,
                        p0=geo["p0"][seg], p1=geo["p1"][seg], d=geo["diam"][seg]))
    return out


def electrode_positions():
    import pandas as pd

    return pd.read_csv(ELECTRODES, sep=" ")[["x_pos", "y_pos", "z_pos"]].to_numpy(dtype=float)


def rel_err(a, b):
    return float(np.max(np.abs(a - b) / np.abs(b)))


def test_electrode_file_reads_like_pandas(native, bmtk_data, tmp_path):
    import pandas as pd

    el = native.read_electrode_file(str(ELECTRODES))
    np.testing.assert_array_equal(el["positions"], electrode_positions())
    np.testing.assert_array_equal(el["channel"], pd.read_csv(ELECTRODES, sep=" ")["channel"].to_numpy())
    bad = tmp_path / "comma.csv"
    bad.write_text("channel,x_pos,y_pos,z_pos\n0,1,2,3\n")
    with pytest.raises(ValueError, match=r"comma\.csv.*'x_pos'.*commas"):
        native.read_electrode_file(str(bad))
    bad.write_text("channel x_pos y_pos z_pos\n0 1 2 3\n1 4 five 6\n")
    with pytest.raises(ValueError, match=r"line 3, column 'y_pos'"):
        native.read_electrode_file(str(bad))
    with pytest.raises(OSError, match="missing.csv"):
        native.read_electrode_file(str(tmp_path / "missing.csv"))


def test_transfer_matrix_matches_bmtk(native, cells, tmp_path):
    require_module("bmtk")
    require_module("neuron")
    el = electrode_positions()
    p0 = np.concatenate([c["p0"] for c in cells])
    p1 = np.concatenate([c["p1"] for c in cells])
    d = np.concatenate([c["d"] for c in cells])
    np.savez(tmp_path / "coords.npz", p0=p0.T, p1=p1.T, d=d)
    settings = {"none": None, "fixed": 5.0, "auto": "auto"}
    jobs = [dict(**{"in": str(tmp_path / "coords.npz")}, electrodes=str(ELECTRODES), minimum_distance=v,
                 out=str(tmp_path / "tr_{}.npy".format(k))) for k, v in settings.items()]
    run_oracle(tmp_path, "transfer", jobs)
    for name, setting in settings.items():
        ref = np.load(tmp_path / "tr_{}.npy".format(name))
        ours = native.EcpTransfer(el, p0, p1, minimum_distance=setting, diam=d).matrix
        assert ours.shape == ref.shape == (len(el), len(p0))
        err = rel_err(ours, ref)
        print("minimum_distance={}: {} segments x {} channels, max rel err {:.2e}".format(setting, len(p0), len(el), err))
        assert err < 1e-9
    # the option matters for the cells touching an electrode
    none = np.load(tmp_path / "tr_none.npy")
    for other in ("auto", "fixed"):
        assert not np.allclose(none, np.load(tmp_path / "tr_{}.npy".format(other)), rtol=1e-6)


def test_transfer_from_bmtk_placed_coordinates(native, cells, tmp_path):
    """bmtk's own segment end points (NEURON's 3-d points, bmtk's move_and_rotate) -> bmtk's
    matrix, against ours computed from our geometry end to end."""
    require_module("bmtk")
    require_module("neuron")
    jobs = [[str(c["swc"]), c["processing"], 20.0, 100.0, str(tmp_path / "geo{}.npz".format(k)), c["place"]]
            for k, c in enumerate(cells)]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    res = subprocess.run([sys.executable, str(HERE / "neuron_geometry_oracle.py"), "--batch",
                          str(tmp_path / "jobs.json")], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    tjobs = []
    for k in range(len(cells)):
        out = tmp_path / "geo{}.npz".format(k)
        assert out.exists(), res.stderr[-3000:]
        g = np.load(out)
        np.savez(tmp_path / "bcoords{}.npz".format(k), p0=g["moved_p0"], p1=g["moved_p1"], d=g["seg_diam"])
        tjobs.append(dict(**{"in": str(tmp_path / "bcoords{}.npz".format(k))}, electrodes=str(ELECTRODES),
                          minimum_distance="auto", out=str(tmp_path / "btr{}.npy".format(k))))
    run_oracle(tmp_path, "transfer", tjobs)
    el = electrode_positions()
    worst = 0.0
    for k, c in enumerate(cells):
        ref = np.load(tmp_path / "btr{}.npy".format(k))
        ours = native.EcpTransfer(el, c["p0"], c["p1"], minimum_distance="auto", diam=c["d"]).matrix
        worst = max(worst, rel_err(ours, ref))
    print("{} cells placed by bmtk+NEURON: max rel err {:.2e}".format(len(cells), worst))
    assert worst < 1e-6


def _compare_h5(ours, ref, path=""):
    """Same objects, dtypes, shapes, max shapes, chunking and attributes; returns the datasets."""
    h5py = require_module("h5py")
    assert sorted(ours.attrs) == sorted(ref.attrs), path
    for k in ref.attrs:
        a, b = ours.attrs[k], ref.attrs[k]
        assert np.asarray(a).dtype == np.asarray(b).dtype or (isinstance(a, str) and isinstance(b, str)), (path, k)
        np.testing.assert_array_equal(a, b)
        ta, tb = ours.attrs.get_id(k).get_type(), ref.attrs.get_id(k).get_type()
        assert type(ta) is type(tb), (path, k)
        if isinstance(tb, h5py.h5t.TypeStringID):
            assert (ta.is_variable_str(), ta.get_cset()) == (tb.is_variable_str(), tb.get_cset()), (path, k)
    if isinstance(ref, h5py.Dataset):
        assert ours.dtype == ref.dtype, path
        assert ours.shape == ref.shape, path
        assert ours.maxshape == ref.maxshape, path
        assert (ours.chunks is None) == (ref.chunks is None), path
        return [(path, ours[()], ref[()])]
    assert sorted(ours) == sorted(ref), path
    found = []
    for k in ref:
        found += _compare_h5(ours[k], ref[k], path + "/" + k)
    return found


def test_file_layout_and_values_match_bmtk_writer(native, cells, tmp_path):
    require_module("bmtk")
    require_module("neuron")
    h5py = require_module("h5py")
    dt, tstop, block = 0.1, 4.0, 16  # 40 steps: blocks of 16, 16 and 8
    n_steps = native.ecp_n_steps(tstop, dt)
    assert n_steps == 40
    sel = cells[:4]
    gids = [c["gid"] for c in sel]
    rng = np.random.default_rng(5)
    arrays = {"gids": np.array(gids)}
    for k, c in enumerate(sel):
        arrays["p0_%d" % k], arrays["p1_%d" % k], arrays["d_%d" % k] = c["p0"].T, c["p1"].T, c["d"]
        arrays["im_%d" % k] = rng.normal(scale=0.05, size=(n_steps, len(c["p0"])))
    np.savez(tmp_path / "writer_in.npz", **arrays)
    ref_dir = tmp_path / "bmtk"
    ref_dir.mkdir()
    run_oracle(tmp_path, "writer", dict(**{"in": str(tmp_path / "writer_in.npz")}, dt=dt, tstop=tstop, block=block,
                                        tmp_dir=str(ref_dir), file_name="ecp.h5", electrodes=str(ELECTRODES),
                                        contributions_dir="ecp_contributions"))
    assert sorted(os.listdir(ref_dir)) == ["ecp.h5", "ecp_contributions"], os.listdir(ref_dir)

    # ours: per cell transfer x currents, summed, written block by block
    el = electrode_positions()
    ours_dir = tmp_path / "ours"
    ours_dir.mkdir()
    w = native.EcpWriter(str(ours_dir / "ecp.h5"), len(el), tstop, dt)
    cw = native.EcpContributionsWriter(str(ours_dir / "ecp_contributions"), gids, len(el), n_steps)
    total = np.zeros((n_steps, len(el)))
    per_cell = []
    for k, c in enumerate(sel):
        tr = native.EcpTransfer(el, c["p0"], c["p1"])
        per_cell.append(tr.potentials(arrays["im_%d" % k]))
        total += per_cell[-1]
    for start in range(0, n_steps, block):
        stop = min(start + block, n_steps)
        w.write_rows(start, total[start:stop])
        for k in range(len(sel)):
            cw.write_rows(k, start, per_cell[k][start:stop])
    assert not (ours_dir / "ecp.h5").exists()
    w.finish()
    cw.finish()
    assert sorted(os.listdir(ours_dir / "ecp_contributions")) == sorted(os.listdir(ref_dir / "ecp_contributions"))

    with h5py.File(ours_dir / "ecp.h5", "r") as a, h5py.File(ref_dir / "ecp.h5", "r") as b:
        for path, x, y in _compare_h5(a, b):
            print(path, x.shape, x.dtype)
            if path == "/ecp/data":
                assert x.shape == (n_steps, len(el))
                np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12 * np.abs(y).max())
            else:
                np.testing.assert_array_equal(x, y)
        assert a["/ecp/data"].attrs["units"] == "mV" and a["/ecp/time"].attrs["units"] == "ms"
    for name in os.listdir(ref_dir / "ecp_contributions"):
        with h5py.File(ours_dir / "ecp_contributions" / name, "r") as a, \
                h5py.File(ref_dir / "ecp_contributions" / name, "r") as b:
            for _path, x, y in _compare_h5(a, b):
                np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12 * np.abs(y).max())
    back = native.read_ecp_file(str(ref_dir / "ecp.h5"))
    assert back["time"] == (0.0, tstop, dt) and back["units"] == "mV"
    np.testing.assert_array_equal(back["channel_id"], np.arange(len(el)))


def test_transfer_errors(native):
    el = np.array([[0.0, 0.0, 5.0]])
    p0, p1 = np.array([[0.0, 0.0, 0.0]]), np.array([[0.0, 0.0, 10.0]])
    with pytest.raises(ValueError, match="minimum_distance"):
        native.EcpTransfer(el, p0, p1)
    assert np.isfinite(native.EcpTransfer(el, p0, p1, minimum_distance=1.0).matrix).all()
    with pytest.raises(ValueError, match="needs the segment diameters"):
        native.EcpTransfer(el, p0, p1, minimum_distance="auto")
    with pytest.raises(ValueError, match="number of um or \"auto\""):
        native.EcpTransfer(el, p0, p1, minimum_distance="near")
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        native.EcpTransfer(el[:, :2], p0, p1)


def _subset_nodes(path, per_type):
    """bio_450cells' internal nodes reduced to the first `per_type` cells of each biophysical
    type, renumbered 0..n-1 (group columns kept whole, rows referenced by node_group_index)."""
    h5py = require_module("h5py")
    with h5py.File(EXAMPLE / "network" / "internal_nodes.h5", "r") as src, h5py.File(path, "w") as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        pop = src["nodes/internal"]
        type_ids = pop["node_type_id"][()]
        rows = np.concatenate([np.nonzero((type_ids == t) & (pop["node_group_id"][()] == 0))[0][:per_type]
                               for t in np.unique(type_ids)])
        out = dst.create_group("nodes/internal")
        src.copy(pop["0"], out, "0")
        out.create_dataset("node_id", data=np.arange(len(rows), dtype=np.uint64))
        for name in ("node_type_id", "node_group_id", "node_group_index"):
            out.create_dataset(name, data=pop[name][()][rows])
    return rows


def test_ecp_of_a_bmtk_neuron_run(native, nrnmech_dir, tmp_path):
    require_module("bmtk")
    h5py = require_module("h5py")
    import pandas as pd

    nodes = tmp_path / "nodes.h5"
    _subset_nodes(nodes, per_type=6)
    out = tmp_path / "output"
    config = {
        "run": {"tstop": 3.0, "dt": 0.1, "dL": 20.0, "spike_threshold": -15, "nsteps_block": 20},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0, "v_init": -80},
        "inputs": {},
        "output": {"log_file": "log.txt", "output_dir": str(out), "spikes_file": "spikes.h5"},
        "reports": {
            "ecp": {"cells": "all", "variable_name": "v", "module": "extracellular",
                    "electrode_positions": str(ELECTRODES), "file_name": "ecp.h5", "electrode_channels": "all"},
            "im": {"cells": "all", "variable_name": "i_membrane_", "module": "membrane_report",
                   "sections": "all", "file_name": "im.h5"},
        },
        "components": {
            "morphologies_dir": str(MORPH_DIR),
            "synaptic_models_dir": str(BMTK_DATA / "examples" / "bio_components" / "synaptic_models"),
            "mechanisms_dir": str(nrnmech_dir),
            "biophysical_neuron_models_dir": str(BMTK_DATA / "examples" / "bio_components"
                                                 / "biophysical_neuron_templates" / "nml"),
        },
        "networks": {"nodes": [{"nodes_file": str(nodes),
                                "node_types_file": str(EXAMPLE / "network" / "internal_node_types.csv")}],
                     "edges": []},
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    run_oracle(tmp_path, "bionet", str(tmp_path / "config.json"))

    types_df = pd.read_csv(EXAMPLE / "network" / "internal_node_types.csv", sep=" ").set_index("node_type_id")
    el = electrode_positions()
    with h5py.File(nodes, "r") as f, h5py.File(out / "im.h5", "r") as im_f, h5py.File(out / "ecp.h5", "r") as e_f:
        pop = f["nodes/internal"]
        cols = {k: pop["0"][k][()] for k in pop["0"]}
        rep = im_f["report/internal"]
        ids, ptr, im = rep["mapping/node_ids"][()], rep["mapping/index_pointer"][()], rep["data"][()]
        ref = e_f["ecp/data"][()]
        assert ref.shape == (native.ecp_n_steps(3.0, 0.1), len(el))
        ours = np.zeros_like(ref)
        for k, nid in enumerate(ids):
            i = pop["node_group_index"][nid]
            t = types_df.loc[pop["node_type_id"][nid]]
            pos = [float(cols[c][i]) for c in ("x", "y", "z")]
            rot = [0.0, float(cols["rotation_angle_yaxis"][i]), float(cols["rotation_angle_zaxis"][i])]
            geo = native.cell_geometry(str(MORPH_DIR / t["morphology"]), t["model_processing"], dL=20.0,
                                       Ra=100.0, position=pos, rotation=rot)
            seg = geo["seg_node"]
            assert len(seg) == ptr[k + 1] - ptr[k]
            tr = native.EcpTransfer(el, geo["p0"][seg], geo["p1"][seg])
            ours += tr.potentials(np.ascontiguousarray(im[:, ptr[k]:ptr[k + 1]]))
    err = float(np.abs(ours - ref).max() / np.abs(ref).max())
    print("{} cells, {} segments: max |ECP| {:.3e} mV, max err / max |ECP| {:.2e}".format(
        len(ids), im.shape[1], np.abs(ref).max(), err))
    assert np.abs(ref).max() > 0 and err < 1e-9


# -- analyzer ---------------------------------------------------------------------------------

def _simulation(tmp_path, native, n_channels=5, tstop=50.0, dt=0.1):
    out = tmp_path / "output"
    out.mkdir()
    t = dt * np.arange(1, native.ecp_n_steps(tstop, dt) + 1)
    data = np.stack([1e-3 * np.sin(t / (3.0 + k)) * np.exp(-t / 40.0) for k in range(n_channels)], axis=1)
    w = native.EcpWriter(str(out / "lfp.h5"), n_channels, tstop, dt)
    w.write_rows(0, data)
    w.finish()
    config = {
        "manifest": {"$BASE_DIR": str(tmp_path), "$OUTPUT_DIR": "$BASE_DIR/output"},
        "run": {"tstop": tstop, "dt": dt},
        "output": {"output_dir": "$OUTPUT_DIR"},
        "reports": {
            "lfp": {"module": "extracellular", "cells": "all", "variable_name": "v",
                    "electrode_positions": str(ELECTRODES), "file_name": "lfp.h5"},
            "v_report": {"module": "membrane_report", "variable_name": "v", "cells": "all"},
        },
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return str(path), data


def test_plot_ecp_from_our_file(native, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from bmtk_rs.analyzer.ecp import load_ecp, plot_ecp

    config, data = _simulation(tmp_path, native)
    times, ids, loaded = load_ecp(config)
    np.testing.assert_array_equal(loaded, data)
    np.testing.assert_array_equal(ids, np.arange(5))
    np.testing.assert_allclose(times, 0.1 * np.arange(500))
    png = tmp_path / "ecp.png"
    fig = plot_ecp(config_file=config, report_name="lfp", title="LFP", show=False, save_as=str(png))
    assert png.stat().st_size > 5000
    assert len(fig.axes) == 5
    np.testing.assert_array_equal(fig.axes[2].lines[0].get_ydata(), data[:, 2])
    fig = plot_ecp(ecp_path=str(tmp_path / "output" / "lfp.h5"), channels=[1, 3], times=(10, 20), show=False)
    assert len(fig.axes) == 2 and fig.axes[0].lines[0].get_xdata().min() >= 10


def test_bmtk_plot_ecp_reads_our_file(native, tmp_path):
    require_module("bmtk")
    import matplotlib

    matplotlib.use("Agg")
    from bmtk.analyzer.ecp import plot_ecp as bmtk_plot_ecp
    import matplotlib.pyplot as plt

    config, data = _simulation(tmp_path, native)
    plt.close("all")
    bmtk_plot_ecp(config_file=config, report_name="lfp", show=False)
    fig = plt.gcf()
    assert len(fig.axes) == 5
    for k, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(ax.lines[0].get_ydata(), data[:, k])
    plt.close("all")


def test_plot_ecp_errors(native, tmp_path, bmtk_data, monkeypatch):
    from bmtk_rs.analyzer.ecp import load_ecp, plot_ecp

    config, _ = _simulation(tmp_path, native)
    with pytest.raises(ValueError, match=r"report 'nope' is not in .*config\.json \(its ECP reports: \['lfp'\]\)"):
        plot_ecp(config_file=config, report_name="nope", show=False)
    with pytest.raises(ValueError, match="report 'v_report' is not in"):
        load_ecp(config, report_name="v_report")
    with pytest.raises(FileNotFoundError, match="missing.json"):
        plot_ecp(config_file=str(tmp_path / "missing.json"), show=False)
    with pytest.raises(FileNotFoundError, match="nothing.h5"):
        plot_ecp(ecp_path=str(tmp_path / "nothing.h5"), show=False)
    with pytest.raises(ValueError, match="channels \\[9\\] are not in the ECP report"):
        plot_ecp(config_file=config, channels=[1, 9], show=False)
    with pytest.raises(ValueError, match="give either config_file or ecp_path"):
        load_ecp()
    # bio_450cells' ECP config names output/ecp.h5, which no simulation has written there
    monkeypatch.chdir(EXAMPLE)
    with pytest.raises(FileNotFoundError, match=r"ecp\.h5 \(report 'ecp' of .*has the simulation run"):
        load_ecp("config.simulation_ecp.json")
    with pytest.raises(ValueError, match="has no extracellular \\(ECP\\) report"):
        load_ecp("config.simulation.json")
