"""The highest GLIBC symbol version the shared libraries of a wheel need.

Usage: python scripts/wheel_glibc.py WHEEL [--max 2.28]   (exit 1 when a library needs more than --max)

The version names a library needs (GLIBC_2.17, ...) are strings in its dynamic string table, so a scan
of the bytes for GLIBC_x.y finds them without binutils."""

import argparse
import re
import sys
import zipfile

_GLIBC = re.compile(rb"GLIBC_(\d+)\.(\d+)(?:\.(\d+))?")


def glibc_versions(data):
    """Every GLIBC_x.y[.z] version named in an ELF file's bytes, as tuples."""
    return {tuple(int(g) for g in m.groups() if g is not None) for m in _GLIBC.finditer(data)}


def wheel_max_glibc(path):
    """{library name in the wheel: highest GLIBC version it names (or None)}."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith(".so") or ".so." in name:
                versions = glibc_versions(zf.read(name))
                out[name] = max(versions) if versions else None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wheel")
    ap.add_argument("--max", default=None, help="highest acceptable version, e.g. 2.28")
    args = ap.parse_args()
    limit = tuple(int(x) for x in args.max.split(".")) if args.max else None
    found = wheel_max_glibc(args.wheel)
    if not found:
        print(f"{args.wheel}: no shared library", file=sys.stderr)
        return 1
    bad = False
    for name, v in sorted(found.items()):
        shown = "GLIBC_" + ".".join(map(str, v)) if v else "no GLIBC symbols"
        print(f"{name}: {shown}")
        if limit and v and v > limit:
            print(f"  needs more than GLIBC_{args.max}", file=sys.stderr)
            bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
