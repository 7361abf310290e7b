"""Time to make BMTK's 25 .mod files ready: bmtk-rs's NMODL front end (parse, check, lower) against
NEURON's nrnivmodl (translate and compile), measured in the same run.

usage: python bench/bench_nmodl_load.py [modfiles dir]
"""

import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT = HERE.parent.parent / "shared" / "bmtk-data" / "examples" / "bio_components" / "mechanisms" / "modfiles"


def main():
    from bmtk_rs import mechanisms

    src = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    t0 = time.perf_counter()
    loaded, refused = mechanisms.load_dir(src)
    t_rs = time.perf_counter() - t0
    nrnivmodl = shutil.which("nrnivmodl") or str(pathlib.Path(sys.executable).parent / "nrnivmodl")
    with tempfile.TemporaryDirectory() as work:
        for f in src.glob("*.mod"):
            shutil.copy(f, work)
        t0 = time.perf_counter()
        subprocess.run([nrnivmodl], cwd=work, check=True, capture_output=True)
        t_nrn = time.perf_counter() - t0
    n = len(list(src.glob("*.mod")))
    print(f"{n} files: bmtk-rs ready {len(loaded)} (refused {len(refused)}) in {t_rs * 1e3:.1f} ms; "
          f"nrnivmodl {t_nrn:.1f} s; ratio {t_nrn / t_rs:.0f}x")


if __name__ == "__main__":
    main()
