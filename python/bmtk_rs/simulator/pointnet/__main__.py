"""``python -m bmtk_rs.simulator.pointnet config.json`` (bmtk's run_pointnet.py)."""

import sys

from . import run

if __name__ == "__main__":
    run(sys.argv[-1] if len(sys.argv) > 1 else "config.json")
