"""python -m bmtk_rs.simulator.bionet config.json: run a BioNet simulation."""

import sys

from . import run

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m bmtk_rs.simulator.bionet config.json")
    run(sys.argv[1])
