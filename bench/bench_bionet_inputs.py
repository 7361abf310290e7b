"""bio_450cells (450 biophysical cells, external spike input) with BioNet's newer inputs, 1000 ms:
bmtk-rs vs bmtk 1.2.0 + NEURON in one run.

    python bench/bench_bionet_inputs.py [--tstop 1000] [--skip-neuron]

- xstim: a point electrode 1.2 mm above the cells, a dc pulse (bmtk 1.2.0 runs xstim only on NEURON
  8: its NEURON side is bmtk 1.2.0 + NEURON 8.2.7 from the oracle virtualenv .venv-nrn8 that
  scripts/test.sh makes, or $BMTK_RS_NRN8_VENV).
- replay: the internal -> internal synapses driven by the spikes of an earlier run (bmtk-rs's run of
  the unchanged network) instead of live spikes (bmtk 1.2.0 + NEURON 9.0.2).

Each run is its own process (bench_bionet.py's child: wall time from Config.from_json to the end of
sim.run(), peak memory); the spike counts of both engines are printed beside the ratios.
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_bionet import CHILD, DATA, _n_spikes, localize  # noqa: E402

EX = DATA / "examples" / "bio_450cells"
RECURRENT = "internal_internal_edges.h5"
NRN8 = pathlib.Path(os.environ.get("BMTK_RS_NRN8_VENV", ROOT / ".venv-nrn8"))


def _mechdir(work, python):
    """bmtk's shipped .mod files compiled by the nrnivmodl beside `python`."""
    out = subprocess.run([python, "-c", "import bmtk, os; print(os.path.dirname(bmtk.__file__))"],
                         capture_output=True, text=True, check=True)
    src = pathlib.Path(out.stdout.strip()) / "utils" / "scripts" / "bionet" / "mechanisms" / "modfiles"
    dst = work / ("mech_" + pathlib.Path(python).parent.parent.name)
    dst.mkdir()
    for m in src.glob("*.mod"):
        (dst / m.name).write_bytes(m.read_bytes())
    subprocess.run([str(pathlib.Path(python).parent / "nrnivmodl")], cwd=dst, check=True, capture_output=True)
    return dst


def _run(engine, config, mechdir, python=sys.executable):
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    out = subprocess.run([python, "-c", CHILD, engine, str(config), str(mechdir)], capture_output=True, text=True,
                         env=env)
    if out.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    res = [json.loads(line[7:]) for line in out.stdout.splitlines() if line.startswith("RESULT ")][0]
    res["spikes"] = _n_spikes(pathlib.Path(config).parent / "output" / "spikes.h5")
    return res


def _xstim_config(work, tag, tstop):
    (work / tag).mkdir(parents=True)
    pos = work / tag / "electrode.csv"
    pos.write_text("ip pos_x pos_y pos_z rotation_x rotation_y rotation_z\n0 0.0 1200.0 0.0 0.0 0.0 0.0\n")

    def edit(conf):
        conf["inputs"]["stim"] = {"input_type": "lfp", "module": "xstim", "node_set": "all",
                                  "positions_file": str(pos),
                                  "waveform": {"shape": "dc", "del": 200.0, "dur": 500.0, "amp": -6.0}}
        conf.pop("reports", None)

    return localize(EX, "config.simulation.json", work / tag, tstop=tstop, edit=edit)


def _replay_config(work, tag, tstop, spikes):
    def edit(conf):
        conf["inputs"]["replay"] = {
            "input_type": "replay_spikes", "module": "replay", "spikes_file": str(spikes),
            "edges": {"edges_file": str(EX / "network" / RECURRENT),
                      "edge_types_file": str(EX / "network" / "internal_internal_edge_types.csv")},
            "source_node_set": {"population": "internal"}, "target_node_set": {"population": "internal"}}
        conf.pop("reports", None)

    cfg = localize(EX, "config.simulation.json", work / tag, tstop=tstop, edit=edit)
    circuit = work / tag / "config.circuit.json"
    conf = json.loads(circuit.read_text())
    conf["networks"]["edges"] = [e for e in conf["networks"]["edges"]
                                 if os.path.basename(e["edges_file"]) != RECURRENT]
    circuit.write_text(json.dumps(conf, indent=2))
    return cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tstop", type=float, default=1000.0)
    ap.add_argument("--skip-neuron", action="store_true")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; bio_450cells, tstop {args.tstop} ms")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        nrn9 = nrn8 = None
        if not args.skip_neuron:
            nrn9 = _mechdir(work, sys.executable)
            nrn8_py = NRN8 / "bin" / "python"
            if not nrn8_py.exists():
                raise SystemExit(f"{nrn8_py} is missing (scripts/test.sh makes it; or --skip-neuron)")
            nrn8 = _mechdir(work, str(nrn8_py))
        rows.append(("xstim", "bmtk-rs", _run("rs", _xstim_config(work, "x_rs", args.tstop), work)))
        print(rows[-1], flush=True)
        if nrn8:
            rows.append(("xstim", "bmtk 1.2.0 + NEURON 8.2.7",
                         _run("neuron", _xstim_config(work, "x_nrn", args.tstop), nrn8, str(NRN8 / "bin" / "python"))))
            print(rows[-1], flush=True)
        rec = localize(EX, "config.simulation.json", work / "rec", tstop=args.tstop,
                       edit=lambda c: c.pop("reports", None))
        _run("rs", rec, work)
        spikes = work / "rec" / "output" / "spikes.h5"
        rows.append(("replay", "bmtk-rs", _run("rs", _replay_config(work, "r_rs", args.tstop, spikes), work)))
        print(rows[-1], flush=True)
        if nrn9:
            rows.append(("replay", "bmtk 1.2.0 + NEURON 9.0.2",
                         _run("neuron", _replay_config(work, "r_nrn", args.tstop, spikes), nrn9)))
            print(rows[-1], flush=True)
    print("\n| input | run | total (s) | simulate (s) | peak memory (MB) | spikes |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for inp, name, r in rows:
        print(f"| {inp} | {name} | {r['total']:.2f} | {r['run']:.2f} | {r['maxrss_mb']:.0f} | {r['spikes']} |")
    for inp in ("xstim", "replay"):
        mine = [r for i, n, r in rows if i == inp and n == "bmtk-rs"]
        ref = [r for i, n, r in rows if i == inp and n != "bmtk-rs"]
        if mine and ref:
            print(f"{inp}: bmtk-rs {ref[0]['total'] / mine[0]['total']:.1f}x faster, "
                  f"{ref[0]['maxrss_mb'] / mine[0]['maxrss_mb']:.1f}x less memory")


if __name__ == "__main__":
    main()
