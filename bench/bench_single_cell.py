"""Unconnected biophysical cells: bmtk-rs and NEURON 9 (+ bmtk 1.2.0's cell building) in one run.

    python bench/bench_single_cell.py [--cells 300] [--threads 1,2] [--skip-neuron] [--modfiles] [--rounds 1]

N copies of the tutorial's Scnn1a cell (Scnn1a_473845048_m.swc + 472363762_fit.json,
aibs_perisomatic, dL 20), each with a 0.2 nA IClamp at soma(0.5) from 100 ms for 800 ms, 1000 ms at
dt 0.1. Each engine runs in its own process (so ru_maxrss is its own): build time (files -> cells
ready to run), run time, compartment-steps per second (segments x steps / run time), peak memory,
and the spike counts (which must agree).

--modfiles also runs bmtk-rs with the cell's Allen channels read from the .mod files NEURON compiles
here (bmtk's mechanisms folder; the NMODL front end, native code) and prints their run time against
the hand-written built-ins'. --rounds repeats the bmtk-rs runs, interleaved, and keeps each one's
best run time (a shared machine's speed drifts between minutes).
"""

import argparse
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
DATA = pathlib.Path(os.environ.get("BMTK_DATA", HERE.parent.parent / "shared" / "bmtk-data"))
SWC = DATA / "tutorial_l4/components/morphologies/Scnn1a_473845048_m.swc"
FIT = DATA / "tutorial_l4/components/biophysical_neuron_models/472363762_fit.json"
AMP, DELAY, DUR, TSTOP, DT, DL = 0.2, 100.0, 800.0, 1000.0, 0.1, 20.0

RUST_CHILD = """
import json, resource, sys
from bmtk_rs import _native
a = json.loads(sys.argv[1])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = _native.run_cells(a['swc'], a['fit'], a['n'], 'aibs_perisomatic', a['dL'], (a['amp'], a['delay'], a['dur']),
                      a['tstop'], a['dt'], threads=a['threads'], modfiles=a.get('modfiles'))
r['maxrss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
r['base_mb'] = base / 1024
print(json.dumps(r))
"""

NEURON_CHILD = """
import json, os, resource, sys, time
a = json.loads(sys.argv[1])
import neuron
from neuron import h
import bmtk.simulator.bionet as bionet_pkg
from bmtk.simulator.bionet.default_setters import cell_models
neuron.load_mechanisms(a['mechdir'])
h.load_file('stdrun.hoc'); h.load_file('import3d.hoc')
h.load_file(os.path.join(os.path.dirname(bionet_pkg.__file__), 'default_templates', 'Biophys1.hoc'))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
cells, keep, vecs = [], [], []
for _ in range(a['n']):
    with open(a['fit']) as f:
        params = json.load(f)
    hobj = cell_models.aibs_perisomatic(h.Biophys1(a['swc']), None, params)
    for sec in hobj.all:
        sec.nseg = 1 + 2 * int(sec.L / (2 * a['dL']))
    soma = hobj.soma[0](0.5)
    nc = h.NetCon(soma._ref_v, None, sec=hobj.soma[0]); nc.threshold = -15.0
    tv = h.Vector(); nc.record(tv)
    stim = h.IClamp(soma); stim.amp = a['amp']; stim.delay = a['delay']; stim.dur = a['dur']
    cells.append(hobj); keep += [nc, stim]; vecs.append(tv)
    v_init = params['conditions'][0]['v_init']; h.celsius = params['conditions'][0]['celsius']
nseg = sum(int(sec.nseg) for c in cells for sec in c.all)
build = time.perf_counter() - t0
h.dt = a['dt']
nsteps = int(round(a['tstop'] / a['dt']))
h.finitialize(v_init)
t1 = time.perf_counter()
for _ in range(nsteps):
    h.fadvance()
run = time.perf_counter() - t1
print(json.dumps({'build_s': build, 'run_s': run, 'n_cells': a['n'], 'n_segments': nseg, 'n_steps': nsteps,
                  'spike_counts': [len(v) for v in vecs],
                  'maxrss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'base_mb': base / 1024}))
"""


def child(code, args):
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    res = subprocess.run([sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise SystemExit(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def bmtk_modfiles():
    import bmtk

    return pathlib.Path(bmtk.__file__).parent / "utils/scripts/bionet/mechanisms/modfiles"


def allen_channels():
    """The Allen channel files of bmtk's mechanisms folder (the synapse files are lower case)."""
    return sorted(str(m) for m in bmtk_modfiles().glob("*.mod") if m.name[0].isupper())


def compile_mechanisms(work):
    for mod in bmtk_modfiles().glob("*.mod"):
        shutil.copy(mod, work / mod.name)
    nrnivmodl = shutil.which("nrnivmodl") or str(pathlib.Path(sys.executable).parent / "nrnivmodl")
    subprocess.run([nrnivmodl], cwd=work, check=True, capture_output=True)
    assert (work / platform.machine()).is_dir()


def report(name, r):
    steps = r["n_segments"] * r["n_steps"]
    rate = steps / r["run_s"]
    mem = (r["maxrss_mb"] - r["base_mb"]) * 1024 / r["n_segments"]
    spikes = sorted(set(r["spike_counts"]))
    print(f"{name:22s} build {r['build_s']:8.3f} s   run {r['run_s']:8.3f} s   "
          f"{rate / 1e6:8.1f}M compartment-steps/s   ~{mem:6.2f} KB/segment   "
          f"{r['n_segments']} segments, spikes per cell {spikes}")
    return rate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=300)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--skip-neuron", action="store_true")
    ap.add_argument("--modfiles", action="store_true")
    ap.add_argument("--rounds", type=int, default=1)
    opts = ap.parse_args()
    args = dict(swc=str(SWC), fit=str(FIT), n=opts.cells, dL=DL, amp=AMP, delay=DELAY, dur=DUR, tstop=TSTOP,
                dt=DT)
    print(f"{opts.cells} unconnected Scnn1a cells, {TSTOP:g} ms at dt {DT:g}, IClamp {AMP:g} nA")
    rates = {}
    modes = [("built-in", None)] + ([(".mod files", allen_channels())] if opts.modfiles else [])
    for th in [int(x) for x in opts.threads.split(",")]:
        best = {}
        for _ in range(opts.rounds):
            for mode, mods in modes:
                r = child(RUST_CHILD, dict(args, threads=th, modfiles=mods))
                if mode not in best or r["run_s"] < best[mode]["run_s"]:
                    best[mode] = r
        for mode, _ in modes:
            name = f"bmtk-rs {th} thread(s)" + ("" if mode == "built-in" else f", {mode}")
            rates[name] = report(f"bmtk-rs ({th} thread{'s' if th > 1 else ''}{', ' + mode if mode != 'built-in' else ''})",
                                 best[mode])
        counts = best["built-in"]["spike_counts"]
        if opts.modfiles:
            files = best[".mod files"]
            assert files["spike_counts"] == counts, "spike counts differ between .mod files and built-ins"
            print(f"  .mod files / built-in run time ({th} thread{'s' if th > 1 else ''}, best of {opts.rounds}): "
                  f"{files['run_s'] / best['built-in']['run_s']:.3f}x")
    if not opts.skip_neuron:
        with tempfile.TemporaryDirectory() as tmp:
            compile_mechanisms(pathlib.Path(tmp))
            r = child(NEURON_CHILD, dict(args, mechdir=tmp))
        rates["NEURON"] = report("NEURON 9.0.2 (1 thread)", r)
        assert r["spike_counts"] == counts, "spike counts differ between the engines"
        for k, v in rates.items():
            if k != "NEURON":
                print(f"{k}: {v / rates['NEURON']:.2f}x NEURON")


if __name__ == "__main__":
    main()
