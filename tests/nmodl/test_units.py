"""Unit checking against NEURON's own `modlunit` (the binary shipped in the neuron 9.0.2 wheel) as
the oracle: the same files through both. modlunit stops at its first error, so a file modlunit
accepts must give no finding, and for a file it rejects our first finding must be on the same
line and of the same kind. Files: bmtk's 25 .mod files, the wheel's shipped .mod files, and small
files written here, each with one unit error of a kind modlunit reports (or none).
"""

import os
import pathlib
import re
import subprocess
import sys
import warnings

import pytest

from bmtk_rs import mechanisms

MODLUNIT = pathlib.Path(sys.executable).parent / "modlunit"
KINDS = [("not conformable", "not-conformable"), ("not dimensionless", "not-dimensionless"),
         ("Cannot recognize the units", "unknown-unit"), ("conversion factor", "conversion-factor"),
         ("must have the units", "neuron-units"), ("Units redefinition", "redefinition")]


@pytest.fixture(scope="module")
def modlunit():
    if not MODLUNIT.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"modlunit (the oracle) is missing at {MODLUNIT}")
        pytest.skip(f"no modlunit at {MODLUNIT}")
    return MODLUNIT


def run_modlunit(modlunit, path):
    """(accepted, line, kind) of modlunit's verdict on `path`."""
    run = subprocess.run([str(modlunit), path.name], cwd=path.parent, capture_output=True, text=True, check=False,
                         timeout=60)
    text = run.stdout + run.stderr
    if run.returncode == 0:
        return True, None, None
    m = re.search(r"at line (\d+) in file", text)
    assert m, f"modlunit's message has no line: {text}"
    kind = next((k for pattern, k in KINDS if pattern in text), "other")
    return False, int(m.group(1)), kind


def compare(modlunit, path):
    accepted, line, kind = run_modlunit(modlunit, path)
    ours = mechanisms.units(path)
    if accepted:
        assert ours == [], f"{path.name}: modlunit accepts it, we report {ours}"
    else:
        assert ours, f"{path.name}: modlunit reports line {line} ({kind}), we report nothing"
        assert (ours[0][0], ours[0][1]) == (line, kind), f"{path.name}: modlunit line {line} {kind}, ours {ours[0]}"
    return accepted, ours


def corpus(bmtk_modfiles, neuron_modfiles):
    return sorted(bmtk_modfiles.glob("*.mod")) + sorted(neuron_modfiles)


def test_corpus_matches_modlunit(modlunit, bmtk_modfiles, neuron_modfiles, tmp_path):
    files = corpus(bmtk_modfiles, neuron_modfiles)
    assert len(files) >= 47, len(files)
    verdicts = {}
    for src in files:
        # modlunit writes nothing next to the file, but runs in its folder: a private copy
        path = tmp_path / f"{src.parent.name}_{src.name}"
        path.write_bytes(src.read_bytes())
        try:
            accepted, ours = compare(modlunit, path)
        except ValueError as e:
            # only what the front end refuses to read goes unchecked
            ok, message = mechanisms.check(path)
            assert not ok, (path.name, str(e))
            verdicts[path.name] = "unread: " + str(e)
            continue
        verdicts[path.name] = "clean" if accepted else f"{ours[0][0]}: {ours[0][2]}"
    print("\n".join(f"{k}: {v}" for k, v in verdicts.items()))
    unread = [k for k, v in verdicts.items() if v.startswith("unread")]
    assert len(unread) <= 2, unread
    # both verdicts occur: the comparison is not vacuous
    assert sum(v == "clean" for v in verdicts.values()) >= 15
    assert sum(v not in ("clean",) and not v.startswith("unread") for v in verdicts.values()) >= 15


HEAD = """NEURON {{ {kind} t{n} USEION na READ ena WRITE ina RANGE x, y }}
UNITS {{ (mV) = (millivolt) (mA) = (milliamp) (nA) = (nanoamp) (uS) = (microsiemens) (um) = (micron) }}
PARAMETER {{ g = 0.1 ({g}) a = 1 (mV) b = 2 (ms) }}
ASSIGNED {{ v (mV) ena (mV) ina ({cur}) x (mV) y }}
"""
# BREAKPOINT bodies (or extra blocks) with one unit error each, or none
SNIPPETS = [
    "BREAKPOINT { ina = g*(v - ena) }",
    "BREAKPOINT { ina = g*(v - ena)  x = fabs(v) }",
    "BREAKPOINT { ina = g*(v - ena)  y = exp(v) }",
    "BREAKPOINT { ina = g*(v - ena)  y = exp(v/a) }",
    "BREAKPOINT { ina = g*(v - ena)  x = (1000)*v }",
    "BREAKPOINT { ina = g*(v - ena)  x = (1000)*v/(1000) }",
    "BREAKPOINT { ina = g*(v - ena)  y = v^2 }",
    "BREAKPOINT { ina = g*(v - ena)  x = a + 1 }",
    "BREAKPOINT { ina = g*(v - ena)  y = a + 1 }",
    "BREAKPOINT { ina = g*(v - ena)  if (v > b) { x = v } }",
    "BREAKPOINT { ina = g*(v - ena)  if (v > a) { x = v } }",
    "BREAKPOINT { ina = g*(v - ena)  x = 2 (ms) }",
    "BREAKPOINT { ina = g*(v - ena)  x = 2 (mV) }",
    "BREAKPOINT { ina = g*(v - ena)  y = 2^y }",
    "BREAKPOINT { ina = g*(v - ena)  y = v^2.5 }",
    "BREAKPOINT { ina = g*(v - ena)  x = f(v) }\nFUNCTION f(z (mV)) (mV) { f = z }",
    "BREAKPOINT { ina = g*(v - ena)  x = f(b) }\nFUNCTION f(z (mV)) (mV) { f = z }",
    "BREAKPOINT { ina = g*(v - ena)  x = f(v) }\nFUNCTION f(z (mV)) (ms) { f = z }",
    "BREAKPOINT { ina = g*(v - ena)  y = h(v) }\nFUNCTION h(z) { h = z }",
    "BREAKPOINT { LOCAL q  q = v*2  x = q  ina = g*(v - ena) }",
    "BREAKPOINT { LOCAL q  q = b  x = q  ina = g*(v - ena) }",
    "BREAKPOINT { ina = g*v }",
    "BREAKPOINT { ina = g*(v - ena)*1 (S/cm2) }",
    "BREAKPOINT { ina = g*(v - ena)  x = t }",
    "BREAKPOINT { ina = g*(v - ena)  y = t/b + dt/b }",
    "UNITSOFF\nBREAKPOINT { ina = g*(v - ena)  y = exp(v) }\nUNITSON",
    "BREAKPOINT { ina = g*(v - ena)  y = exp(-(v + 40)/10 (mV)) }",
    "BREAKPOINT { ina = g*(v - ena)  x = 0.001 (volt) }",
    "BREAKPOINT { ina = g*(v - ena)  x = (0.001)*v*1000 }",
    "BREAKPOINT { ina = g*(v - ena)  y = celsius }",
]


@pytest.mark.parametrize("kind,cur,g", [("SUFFIX", "mA/cm2", "mho/cm2"), ("SUFFIX", "mA", "mho/cm2"),
                                        ("POINT_PROCESS", "nA", "uS")])
def test_small_files_match_modlunit(modlunit, tmp_path, kind, cur, g):
    agree = []
    for n, body in enumerate(SNIPPETS):
        path = tmp_path / f"t{n}.mod"
        text = HEAD.format(kind=kind, n=n, cur=cur, g=g) + body + "\n"
        if "celsius" in body:
            text = text.replace("x (mV) y }", "x (mV) y celsius (degC) }", 1)
        path.write_text(text)
        accepted, ours = compare(modlunit, path)
        agree.append((n, accepted, ours[:1]))
    print(*agree, sep="\n")
    # the snippets exercise both verdicts (with ina in mA every file is wrong: NEURON's rule)
    assert any(a for _, a, _ in agree) == (cur != "mA") and not all(a for _, a, _ in agree)


DENSITY = """NEURON { SUFFIX bad USEION k READ ek WRITE ik RANGE gbar }
UNITS { (mV) = (millivolt) (mA) = (milliamp) (S) = (siemens) }
PARAMETER { gbar = 0.01 (S/cm2) tau = 5 }
ASSIGNED { v (mV) ek (mV) ik (mA/cm2) }
STATE { n }
BREAKPOINT { SOLVE s METHOD cnexp  ik = gbar*n*(v - ek) }
INITIAL { n = 0 }
DERIVATIVE s { n' = (1 - n)/tau }
"""


def test_units_warning_at_load(tmp_path, capsys):
    """Loading warns (UnitsWarning naming file:line and both units); the check command lists them."""
    path = tmp_path / "bad.mod"
    path.write_text(DENSITY)
    with pytest.warns(mechanisms.UnitsWarning, match=r"bad\.mod:8: n' \(units of n per ms\): the units \(1000 /sec\) \(left\) and \(1\) \(right\)"):
        m = mechanisms.load(path)
    assert m.units and m.units[0][:2] == (8, "not-conformable")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mechanisms.load(path, warn=False).units == m.units
    from bmtk_rs.nmodl.__main__ import main

    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "supported" in out and "units warning" in out and "bad.mod:8" in out
    # an unknown unit in a declaration
    other = tmp_path / "unknown.mod"
    other.write_text(DENSITY.replace("(S) = (siemens)", ""))
    found = mechanisms.units(other)
    assert found[0][:2] == (3, "unknown-unit") and "'S'" in found[0][2], found
