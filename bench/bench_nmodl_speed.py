"""Allen channels from their .mod files (the NMODL front end: native code, and its interpreter)
vs the hand-written built-in ones vs bmtk 1.2.0 + NEURON 9.0.2, in one run.

    python bench/bench_nmodl_speed.py [--tstop 500] [--cells 300] [--rounds 5] [--skip-neuron]
                                      [--skip-network]

1. The Mouse L4 tutorial network (tutorial_l4/config.bionet.json: 300 biophysical cells of four
   Allen models, LGN Poisson input), its mechanisms_dir set to bmtk-data's bio_components folder
   (bmtk's 25 .mod files): bmtk-rs with every Allen channel run from its file
   (BMTK_RS_MECHANISMS_FROM_FILES=1, the path of an edited file; native code, then the interpreter
   with BMTK_RS_NMODL_JIT=0), bmtk-rs with the same folder as
   users get it (bmtk's unedited files are recognised: the hand-written built-ins run), and bmtk +
   NEURON with the folder compiled by nrnivmodl. Wall time from Config.from_json to the end of
   sim.run(), each in its own process; spike counts.
2. `--cells` unconnected copies of two cells (Scnn1a: NaTs, Nap, ... on the soma; Pvalb: the NaV
   kinetic scheme), bmtk-rs's run_cells with the channels built in, from the .mod files as native
   code (AVX2 where the CPU has it, and cranelift's 128-bit code alone with BMTK_RS_NMODL_AVX2=0)
   and through the interpreter: the simulation's time, 1000 ms at dt 0.1 with a 0.2 nA step,
   one process per run, the three interleaved for `--rounds` rounds, the best of each.
"""

import argparse
import glob
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_bionet import DATA, _mechdir, _n_spikes, _run, localize  # noqa: E402

MECHS = DATA / "examples" / "bio_components" / "mechanisms"

CELLS_CHILD = """
import json, resource, sys
from bmtk_rs import _native
a = json.loads(sys.argv[1])
u0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime
r = _native.run_cells(a['swc'], a['fit'], a['n'], 'aibs_perisomatic', 20.0, (0.2, 100.0, 800.0), 1000.0, 0.1,
                      threads=1, modfiles=a['modfiles'])
cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - u0
print('RESULT ' + json.dumps(dict(cpu_s=cpu, run_s=r['run_s'], spikes=sum(r['spike_counts']))))
"""


def _network(work, tstop, skip_neuron):
    comps = {"mechanisms_dir": str(MECHS)}
    mech = None if skip_neuron else _mechdir(work)
    rows = []
    runs = [("bmtk-rs, Allen channels from .mod files (native code)", "rs",
             {"BMTK_RS_MECHANISMS_FROM_FILES": "1", "BMTK_RS_NMODL_JIT": "1"}),
            ("bmtk-rs, built-in channels", "rs", {"BMTK_RS_MECHANISMS_FROM_FILES": "0"}),
            ("bmtk-rs, Allen channels from .mod files (interpreter)", "rs",
             {"BMTK_RS_MECHANISMS_FROM_FILES": "1", "BMTK_RS_NMODL_JIT": "0"})]
    if not skip_neuron:
        runs.append(("bmtk 1.2.0 + NEURON 9.0.2", "neuron", {}))
    for k, (name, engine, env) in enumerate(runs):
        cfg = localize(DATA / "tutorial_l4", "config.bionet.json", work / f"net{k}", tstop=tstop, components=comps)
        saved = {e: os.environ.get(e) for e in env}
        os.environ.update(env)
        try:
            res = _run(engine, cfg, mech or work, 1, threads=1)
        finally:
            for e, val in saved.items():
                if val is None:
                    os.environ.pop(e, None)
                else:
                    os.environ[e] = val
        res["spikes"] = _n_spikes(work / f"net{k}" / "output" / "spikes.h5")
        rows.append((name, res))
        print(rows[-1], flush=True)
    print(f"\ntutorial_l4 network, {tstop:g} ms, 1 thread")
    print("| run | total (s) | build (s) | simulate (s) | spikes |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        print(f"| {name} | {r['total']:.2f} | {r['build']:.2f} | {r['run']:.2f} | {r['spikes']} |")
    files, builtin, interp = rows[0][1], rows[1][1], rows[2][1]
    print(f".mod files / built-in: native {files['run'] / builtin['run']:.2f}x, interpreter "
          f"{interp['run'] / builtin['run']:.2f}x (simulate); native {files['total'] / builtin['total']:.2f}x (total)")
    if not skip_neuron:
        nrn = rows[3][1]
        print(f"NEURON / .mod files: {nrn['total'] / files['total']:.2f}x; NEURON / built-in: "
              f"{nrn['total'] / builtin['total']:.2f}x (total)")


def _cells(n, rounds):
    comps = DATA / "tutorial_l4" / "components"
    mods = [m for m in sorted(glob.glob(str(MECHS / "modfiles" / "*.mod")))
            if os.path.basename(m)[0].isupper()]  # the 16 Allen channels (the synapses are lowercase)
    print(f"\n{n} unconnected cells, 1000 ms at dt 0.1, simulation time (best of {rounds} interleaved rounds, "
          "1 thread; loading and building excluded)")
    print("| cell | built-in (s) | .mod files, native code (s) | ratio | native, cranelift only (s) | ratio "
          "| .mod files, interpreter (s) | ratio | spikes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, swc, fit in [("Scnn1a (NaTs, Nap, Im, K_P, ...)", "Scnn1a_473845048_m.swc", "472363762_fit.json"),
                            ("Pvalb (NaV, Kd, Kv2like, ...)", "Pvalb_470522102_m.swc", "472912177_fit.json")]:
        res = {}
        # one run per process, the modes interleaved round by round, the best CPU time of each: the
        # shared machine's speed drifts by +-20% between minutes, which a block of runs per mode
        # would turn into a bias
        for _ in range(rounds):
            for mode in ("builtin", "files", "cranelift", "interp"):
                a = dict(swc=str(comps / "morphologies" / swc), fit=str(comps / "biophysical_neuron_models" / fit),
                         n=n, modfiles=None if mode == "builtin" else mods)
                env = dict(os.environ, BMTK_RS_NMODL_JIT="0" if mode == "interp" else "1",
                           BMTK_RS_NMODL_AVX2="0" if mode == "cranelift" else "1")
                out = subprocess.run([sys.executable, "-c", CELLS_CHILD, json.dumps(a)], capture_output=True,
                                     text=True, env=env)
                if out.returncode != 0:
                    raise SystemExit(out.stderr[-2000:])
                r = json.loads([x for x in out.stdout.splitlines() if x.startswith("RESULT ")][0][7:])
                if mode not in res or r["run_s"] < res[mode]["run_s"]:
                    res[mode] = r
        b, f, c, i = res["builtin"], res["files"], res["cranelift"], res["interp"]
        same = ("" if b["spikes"] == f["spikes"] == c["spikes"] == i["spikes"]
                else f" (built-in {b['spikes']}, cranelift {c['spikes']}, interp. {i['spikes']})")
        print(f"| {label} | {b['run_s']:.2f} | {f['run_s']:.2f} | {f['run_s'] / b['run_s']:.2f}x | "
              f"{c['run_s']:.2f} | {c['run_s'] / b['run_s']:.2f}x | "
              f"{i['run_s']:.2f} | {i['run_s'] / b['run_s']:.2f}x | {f['spikes']}{same} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tstop", type=float, default=500.0)
    ap.add_argument("--cells", type=int, default=300)
    ap.add_argument("--skip-neuron", action="store_true")
    ap.add_argument("--skip-network", action="store_true")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_network:
            _network(pathlib.Path(tmp), args.tstop, args.skip_neuron)
    if args.cells:
        _cells(args.cells, args.rounds)


if __name__ == "__main__":
    main()
