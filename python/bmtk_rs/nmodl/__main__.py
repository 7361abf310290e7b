"""``python -m bmtk_rs.nmodl check FILE.mod [FILE.mod ...]``: says whether each file can run without a
compiler and, if not, why (file:line: construct). Exit status 1 when any file is refused."""

import argparse
import sys

from ..mechanisms import check


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bmtk_rs.nmodl")
    sub = parser.add_subparsers(dest="command", required=True)
    chk = sub.add_parser("check", help="report whether .mod files are supported")
    chk.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    status = 0
    for f in args.files:
        ok, message = check(f)
        print(("supported: " if ok else "refused: ") + message)
        status |= 0 if ok else 1
    return status


if __name__ == "__main__":
    sys.exit(main())
