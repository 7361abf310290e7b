"""Helpers shared by the FilterNet tests: flattened configs in a tmp dir and oracle runs."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pandas as pd

BMTK_RUNNER = """
import sys
from bmtk.simulator import filternet
config = filternet.Config.from_json(sys.argv[1])
config.build_env()
net = filternet.FilterNetwork.from_config(config)
sim = filternet.FilterSimulator.from_config(config, net)
sim.run()
"""


def flat_config(example_dir, sim_name, out_dir, tstop=None, edit=None):
    """Reads an example's simulation config (and its circuit config), points every path at the
    example folder in place, and sends outputs to out_dir. Returns the written config path."""
    example_dir = pathlib.Path(example_dir).resolve()
    conf = json.loads((example_dir / sim_name).read_text())
    conf.setdefault("manifest", {})["$BASE_DIR"] = str(example_dir)
    net = conf.pop("network", None)
    if net:
        circ = json.loads((example_dir / net).read_text())
        man = dict(circ.get("manifest", {}))
        man["$BASE_DIR"] = str(example_dir)
        for k in ("networks", "components"):
            if k in circ:
                text = json.dumps(circ[k])
                # resolve the circuit's own manifest variables here
                for _ in range(4):
                    for mk, mv in man.items():
                        text = text.replace("${" + mk[1:] + "}", mv).replace(mk, mv)
                conf[k] = json.loads(text)
    conf["output"]["output_dir"] = str(out_dir)
    conf["output"].pop("log_file", None)
    if tstop is not None:
        conf["run"]["tstop"] = tstop
    if edit:
        edit(conf)
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir.parent / (out_dir.name + ".config.json")
    path.write_text(json.dumps(conf, indent=1))
    return path


def run_bmtk(config_path, cwd):
    """bmtk 1.2.0's FilterNet in a subprocess (the oracle)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, "-c", BMTK_RUNNER, str(config_path)], cwd=str(cwd), env=env,
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr[-3000:]


def run_rs(config_path):
    from bmtk_rs.simulator import filternet
    return filternet.run(str(config_path))


def compare_rates(ref_csv, rs_csv, rtol=1e-6, atol=1e-9):
    a = pd.read_csv(ref_csv, sep=" ")
    b = pd.read_csv(rs_csv, sep=" ")
    assert len(a) == len(b), (len(a), len(b))
    assert list(a["node_id"]) == list(b["node_id"])
    assert list(a["population"]) == list(b["population"])
    np.testing.assert_allclose(b["timestamps"].to_numpy(), a["timestamps"].to_numpy(), rtol=0, atol=1e-12)
    ra, rb = a["firing_rates"].to_numpy(), b["firing_rates"].to_numpy()
    bad = np.abs(ra - rb) > rtol * np.abs(ra) + atol
    if bad.any():
        i = np.nonzero(bad)[0][:10]
        raise AssertionError(f"{bad.sum()} of {len(ra)} rates differ, e.g. rows {i.tolist()}: bmtk {ra[i].tolist()} vs bmtk-rs {rb[i].tolist()}")
    return a


def make_movie(path, n_frames=130, n_rows=160, n_cols=80, seed=7):
    """A small smooth random 8-bit movie (frames x rows x cols)."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n_frames // 10 + 2, n_rows // 8 + 2, n_cols // 8 + 2))
    # upsample by repetition and smooth a little so the filters see structure at several scales
    m = np.repeat(np.repeat(np.repeat(base, 10, axis=0), 8, axis=1), 8, axis=2)[:n_frames, :n_rows, :n_cols]
    m = m + 0.3 * rng.normal(size=m.shape)
    m = (m - m.min()) / (m.max() - m.min()) * 255.0
    np.save(path, m.astype(np.uint8))
    return path


def movie_edit(movie_path, spacing=4.0, n_rows=160, n_cols=80, normalize=True):
    def edit(conf):
        inp = conf["inputs"]["movie_input"]
        inp["data_file"] = str(movie_path)
        inp["frame_rate"] = 30.0
        inp["normalize"] = normalize
        inp["row_range"] = (np.arange(n_rows) * spacing).tolist()
        inp["col_range"] = (np.arange(n_cols) * spacing).tolist()
        inp["evaluation_options"] = {"t_min": 3.0, "t_max": 4.0}
    return edit
