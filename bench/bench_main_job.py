"""The README's main job (examples/l4_tutorial/run_l4.py: build the L4 network, Poisson input, BioNet
2000 ms with raster and rates, FilterNet flash) with bmtk-rs and the same steps through bmtk 1.2.0 +
NEURON 9.0.2 (`run_l4.py --engine bmtk`), each in its own process, in one run: wall time and peak
memory, and the ratio.

    python bench/bench_main_job.py [--skip-neuron]
"""

import argparse
import os
import pathlib
import platform
import resource
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE.parent / "examples" / "l4_tutorial" / "run_l4.py"
sys.path.insert(0, str(HERE))
from bench_bionet import _mechdir  # noqa: E402


def _run(args, work):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.time()
    out = subprocess.run([sys.executable, str(SCRIPT), "--output", str(work)] + args, capture_output=True, text=True,
                         env=dict(os.environ, NEURON_MODULE_OPTIONS="-nogui", MPLBACKEND="Agg"))
    wall = time.time() - t0
    if out.returncode != 0:
        raise SystemExit(out.stdout[-2000:] + out.stderr[-2000:])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024, out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-neuron", action="store_true")
    a = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        wall, mem, text = _run([], tmp / "rs")
        print(text)
        print(f"bmtk-rs main job: {wall:.1f} s, peak {mem:.0f} MB")
        if a.skip_neuron:
            return
        mech = _mechdir(tmp)
        wall_n, mem_n, text = _run(["--engine", "bmtk", "--mechanisms", str(mech)], tmp / "nrn")
        print(text)
        print(f"bmtk 1.2.0 + NEURON main job: {wall_n:.1f} s, peak {mem_n:.0f} MB")
        print(f"ratio: {wall_n / wall:.1f}x faster, {mem_n / mem:.1f}x less memory")


if __name__ == "__main__":
    main()
