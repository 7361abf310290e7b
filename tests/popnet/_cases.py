"""PopNet test cases: the dipde reference runs of ../shared/bmtk-data/popnet_refs, re-pointed so
that they read the reference files in place and write into a temporary folder."""

import json

import numpy as np
import pandas as pd

VARIANTS = ("default", "approx_fast")


def ref_dir(bmtk_data, variant):
    return bmtk_data / "popnet_refs" / variant / "pop_2pops"


def ref_config(bmtk_data, variant, out_dir, edit=None, name="config.json"):
    """One flat config (simulation + circuit) of a reference variant; outputs go to out_dir/output."""
    base = ref_dir(bmtk_data, variant)
    sim = json.loads((base / "config.simulation.json").read_text())
    circuit = json.loads((base / sim.pop("network")).read_text())
    manifest = {**circuit.get("manifest", {}), **sim.get("manifest", {})}
    manifest["$BASE_DIR"] = str(base)
    manifest["$OUTPUT_DIR"] = str(out_dir / "output")
    conf = {**circuit, **sim, "manifest": manifest}
    if edit is not None:
        edit(conf)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    path.write_text(json.dumps(conf, indent=2))
    return path


def read_rates(path):
    return pd.read_csv(path, sep=" ", names=["pop_id", "time", "rate"], dtype={"time": str})


def compare(ours, ref, rtol=1e-6, atol=1e-9):
    """Per population: max relative error where |ref| > atol / rtol, and whether every sample
    satisfies |ours - ref| <= rtol |ref| + atol."""
    out = {}
    for pid, r in ref.groupby("pop_id", sort=False):
        o = ours[ours.pop_id == pid]
        a, b = o["rate"].to_numpy(), r["rate"].to_numpy()
        assert len(a) == len(b), f"population {pid}: {len(a)} samples, reference has {len(b)}"
        big = np.abs(b) > atol / rtol
        rel = float(np.max(np.abs(a - b)[big] / np.abs(b[big]))) if big.any() else 0.0
        out[pid] = (rel, bool(np.all(np.abs(a - b) <= rtol * np.abs(b) + atol)), float(np.max(np.abs(a - b))))
    return out
