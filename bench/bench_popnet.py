"""PopNet benchmarks (bmtk-rs's Rust DiPDE engine).

1. examples/pop_2pops (popnet_refs/default, config.simulation.json: 2 populations, 1.5 s at
   dt = 2 ms, gmres on a 700-bin grid) through ``python -m bmtk_rs.simulator.popnet``, against
   dipde 0.2.2's stored timing for the same run (2.4 s on this machine, recorded with the references in issue 14;
   dipde no longer installs on a current numpy, so it cannot be timed again here).
2. 1,000 populations with random connectivity for 1 s: wall time and peak memory of the engine run.
3. Growth: the same random network with 10 .. 1,000 populations (700-bin grid), and 100 populations
   on grids of 175 .. 1,400 bins.

Every case runs in its own process (peak RSS = ru_maxrss of that process).

    python bench/bench_popnet.py [--data ../shared/bmtk-data] [--quick]
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "bmtk-data"
DIPDE_POP_2POPS_S = 2.4

RANDOM_NET = r"""
import json, sys, time
import numpy as np
from bmtk_rs import _native

n, dv, tstop, seed = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(seed)
k_in = min(20, n - 1)
pops = []
for i in range(n):
    tau = 0.0429 if i % 5 else 0.0299          # 4 excitatory : 1 inhibitory, pop_2pops' time constants
    pops.append(([(tau, 1.0)], -0.05, 0.02, dv, "gmres", None, 1e-12, "inf", 0.0))
conns = []
for t in range(n):
    conns.append(("external", 0, t, 10.0, [(0.0025, 1.0)], [(0.002, 1.0)]))
    for s in rng.choice(np.delete(np.arange(n), t), size=k_in, replace=False):
        # excitatory sources 1-2 synapses of 2.5 mV, inhibitory 9-15 of -2 mV: inhibition-dominated,
        # so the rates settle (~10 Hz) instead of running away (the model has no refractory period)
        exc = bool(s % 5)
        nsyn = float(rng.integers(1, 3) if exc else rng.integers(9, 16))
        conns.append(("internal", int(s), t, nsyn, [(0.0025 if exc else -0.002, 1.0)], [(0.002, 1.0)]))
t0 = time.perf_counter()
times, rates, iters = _native.popnet_simulate(pops, [15.0], conns, 0.002, 0.0, tstop)
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "steps": len(times) - 1, "iters": int(iters),
                  "mean_rate": float(rates[:, -1].mean()), "max_rate": float(rates[:, -1].max())}))
"""


def measured(args, cwd=None):
    t0 = time.perf_counter()
    p = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    out, err = p.stdout.read().decode(), p.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{args} failed:\n{err[-3000:]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, out


def log_phases(log_file):
    """Seconds from 'Building cells.' to 'Network created.' and from 'Running simulation.' to
    'Finished simulation.' (the log's millisecond timestamps)."""
    import datetime

    stamps = {}
    for line in pathlib.Path(log_file).read_text().splitlines():
        for msg in ("Building cells.", "Network created.", "Running simulation.", "Finished simulation."):
            if line.endswith(msg):
                stamps[msg] = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
    build = (stamps["Network created."] - stamps["Building cells."]).total_seconds()
    run = (stamps["Finished simulation."] - stamps["Running simulation."]).total_seconds()
    return build, run


def bench_pop_2pops(data):
    with tempfile.TemporaryDirectory() as tmp:
        src = data / "popnet_refs" / "default"
        dst = pathlib.Path(tmp) / "default"
        shutil.copytree(src, dst)
        for p in dst.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        shutil.rmtree(dst / "pop_2pops" / "output")
        best = None
        for _ in range(3):
            wall, cpu, rss, _ = measured([sys.executable, "-m", "bmtk_rs.simulator.popnet",
                                          "config.simulation.json"], cwd=dst / "pop_2pops")
            build, run = log_phases(dst / "pop_2pops" / "output" / "log.txt")
            res = dict(wall=wall, cpu=cpu, rss=rss, build=build, run=run)
            best = res if best is None or run < best["run"] else best
    return best


def bench_random(n, dv, tstop=1.0, seed=1):
    wall, cpu, rss, out = measured([sys.executable, "-c", RANDOM_NET, str(n), str(dv), str(tstop), str(seed)])
    res = json.loads(out.strip().splitlines()[-1])
    res.update(process=wall, cpu=cpu, rss=rss, n=n, bins=round(0.07 / dv))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    ap.add_argument("--quick", action="store_true", help="skip the growth series")
    a = ap.parse_args()

    r = bench_pop_2pops(a.data)
    print(f"pop_2pops: simulation {r['run']:.3f} s (dipde stored {DIPDE_POP_2POPS_S} s: "
          f"{DIPDE_POP_2POPS_S / r['run']:.1f}x), network build {r['build']:.3f} s, whole process "
              f"{r['wall']:.2f} s "
          f"wall / {r['cpu']:.2f} s CPU (imports included), peak {r['rss']:.0f} MB")
    big = bench_random(1000, 0.0001)
    print(f"1,000 populations, random (20 inputs each), 1 s: engine {big['wall']:.2f} s, process "
          f"{big['process']:.2f} s wall / {big['cpu']:.2f} s CPU, peak {big['rss']:.0f} MB, "
          f"{big['iters'] / big['steps'] / 1000:.1f} GMRES "
          f"iterations per population-step, mean rate {big['mean_rate']:.2f} Hz")
    if a.quick:
        return
    print("| populations | bins | engine wall (s) | process CPU (s) | peak RSS (MB) | GMRES its/step |")
    rows = [(n, 0.0001) for n in (10, 100, 1000)] + [(100, dv) for dv in (0.0004, 0.0002, 0.00005)]
    for n, dv in rows:
        r = big if (n, dv) == (1000, 0.0001) else bench_random(n, dv)
        print(f"| {n} | {r['bins']} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss']:.0f} | "
              f"{r['iters'] / r['steps'] / n:.1f} |", flush=True)


if __name__ == "__main__":
    main()
