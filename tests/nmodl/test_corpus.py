"""Every .mod file of the corpus (BMTK's 25, the neuron wheel's) is either loaded or refused with an
error naming file, line and construct; bad files are Python exceptions, never crashes."""

import os
import re
import subprocess
import sys

import pytest

BMTK_CHANNELS = {"CaDynamics", "Ca_HVA", "Ca_LVA", "Ih", "Im", "Im_v2", "K_P", "K_T", "Kd", "Kv2like", "Kv3_1",
                 "NaTa", "NaTs", "NaV", "Nap", "SK"}
BMTK_SYNAPSES = {"exp1syn", "exp1isyn", "stp1syn", "stp2syn", "stp3syn", "stp4syn", "stp5syn", "stp5isyn"}


def _status(path):
    from bmtk_rs import mechanisms

    try:
        m = mechanisms.load(path, warn=False)
    except ValueError as e:
        msg = str(e)
        assert re.match(re.escape(str(path)) + r":\d+: \S", msg), msg
        return "refused", msg
    return "run", m


def test_bmtk_corpus(bmtk_modfiles):
    files = sorted(bmtk_modfiles.glob("*.mod"))
    assert len(files) == 25
    status = {p.stem: _status(p) for p in files}
    for stem, (kind, what) in sorted(status.items()):
        print(f"{stem:12s} {kind:8s} {what if kind == 'refused' else what.kind}")
    assert {s for s, (k, _) in status.items() if k == "run"} == BMTK_CHANNELS | BMTK_SYNAPSES
    assert "spike sources" in status["vecevent"][1]
    for s in BMTK_SYNAPSES:
        assert status[s][1].kind == "point_process"


def test_neuron_wheel_corpus(neuron_modfiles):
    status = {str(p): _status(p) for p in neuron_modfiles}
    for p, (kind, what) in sorted(status.items()):
        print(f"{kind:8s} {p.split('site-packages/')[-1]}: {what if kind == 'refused' else what.name}")
    runs = {what.name for kind, what in status.values() if kind == "run"}
    # cadifpmp (cabpump.mod: f_flux, a STATE array) and capmpr (CONSERVE with COMPARTMENT in a
    # STEADYSTATE) run since the kinetic branch; tests/nmodl/test_kinetic_nonlinear.py compares them
    # NetStim (netstim.mod: RANDOM streams; VERBATIM only in hoc-only procedures nothing calls)
    # runs since the netstim branch; tests/nmodl/test_netstim.py compares it with NEURON
    assert {"hh", "pas", "ExpSyn", "Exp2Syn", "IntervalFire", "cadifpmp", "capmpr", "NetStim"} <= runs
    assert len(status) == 22 and sum(k == "run" for k, _ in status.values()) == 19, sorted(runs)
    refused = {p.split("/")[-1]: m for p, (k, m) in status.items() if k == "refused"}
    assert set(refused) == {"pattern.mod", "stim.mod", "svclmp.mod"}, refused
    assert "VERBATIM" in refused["pattern.mod"] and "ELECTRODE_CURRENT" in refused["stim.mod"]


BAD = [
    ("syntax", "NEURON { SUFFIX bad }\nASSIGNED { y }\nBREAKPOINT {\n  y = 1 +* 2\n}\n", 4, "expected an expression"),
    ("unknown_var", "NEURON { SUFFIX bad }\nASSIGNED { y }\nBREAKPOINT {\n  y = zz\n}\n", 4, "unknown variable 'zz'"),
    ("bad_unit", "NEURON { SUFFIX bad }\nUNITS {\n F = (faraday) (furlongs)\n}\n", 3, "undefined unit"),
    ("verbatim", "NEURON { SUFFIX bad }\nVERBATIM\n int x;\nENDVERBATIM\n", 2, "VERBATIM"),
    # VERBATIM in a procedure that runs is refused (in one nothing calls, it is not: netstim.mod)
    ("verbatim_called", "NEURON { SUFFIX bad }\nASSIGNED { y }\nPROCEDURE p() {\nVERBATIM\n x;\nENDVERBATIM\n}\n"
     "INITIAL {\n p()\n}\n", 4, "VERBATIM"),
    ("random_not_declared", "NEURON { ARTIFICIAL_CELL bad }\nASSIGNED { y }\nINITIAL {\n y = random_negexp(q)\n}\n",
     4, "RANDOM variable"),
    ("random_arity", "NEURON { ARTIFICIAL_CELL bad\n RANDOM r }\nASSIGNED { y }\nINITIAL {\n y = random_uniform(r, 1)\n}\n",
     5, "random_uniform() takes 1 or 3 argument(s)"),
    ("pointer", "NEURON { SUFFIX bad\n POINTER p }\n", 2, "POINTER"),
    ("function_table", "NEURON { SUFFIX bad }\nFUNCTION_TABLE tab(v)\n", 2, "FUNCTION_TABLE"),
    ("unclosed", "NEURON { SUFFIX bad }\nBREAKPOINT {\n", 3, "closing"),
    ("cnexp_nonlinear", "NEURON { SUFFIX bad }\nSTATE { s }\nBREAKPOINT { SOLVE d METHOD cnexp }\n"
                        "DERIVATIVE d {\n s' = -s*s\n}\n", 5, "not linear"),
    ("watch_ge", "NEURON { POINT_PROCESS w1 }\nASSIGNED { v }\nNET_RECEIVE(x) {\n  WATCH (v >= 0) 2\n}\n", 4,
     "'a > b' or 'a < b'"),
    ("watch_initial", "NEURON { POINT_PROCESS w2 }\nASSIGNED { v }\nINITIAL {\n  WATCH (v > 0) 2\n}\n"
                      "NET_RECEIVE(x) { }\n", 4, "only in NET_RECEIVE"),
    ("flag_outside", "NEURON { POINT_PROCESS f1 }\nASSIGNED { y }\nBREAKPOINT {\n  y = flag\n}\n"
                     "NET_RECEIVE(x) { }\n", 4, "only in NET_RECEIVE"),
    ("watch_unknown", "NEURON { POINT_PROCESS w3 }\nASSIGNED { v }\nNET_RECEIVE(x) {\n  WATCH (v > vt) 2\n}\n", 4,
     "unknown variable 'vt'"),
]


@pytest.mark.parametrize(("name", "src", "line", "what"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_raise_with_file_and_line(tmp_path, name, src, line, what):
    from bmtk_rs import mechanisms

    p = tmp_path / f"{name}.mod"
    p.write_text(src)
    with pytest.raises(ValueError) as e:
        mechanisms.load(p)
    assert str(e.value).startswith(f"{p}:{line}:") and what in str(e.value), str(e.value)


def test_check_command(bmtk_modfiles, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "bmtk_rs.nmodl", "check", str(bmtk_modfiles / "NaTs.mod")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "supported" in ok.stdout and "'NaTs'" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "bmtk_rs.nmodl", "check", str(bmtk_modfiles / "vecevent.mod")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "refused" in bad.stdout and "spike sources" in bad.stdout


def test_inspect(bmtk_modfiles):
    from bmtk_rs import mechanisms

    m = mechanisms.load(bmtk_modfiles / "CaDynamics.mod")
    assert (m.name, m.kind) == ("CaDynamics", "density")
    assert m.parameters["decay"] == (80.0, "range") and m.states == ["cai"]
    assert m.ions == {"ca": {"read": ["ica"], "write": ["cai"], "valence": None}}
    loaded, refused = mechanisms.load_dir(bmtk_modfiles)
    assert set(loaded) == BMTK_CHANNELS | BMTK_SYNAPSES and len(refused) == 1


def test_native_code_is_reported(bmtk_modfiles):
    """`load` and `check` say which blocks run as native code: every instance program of the Allen
    channels, a synapse's NET_RECEIVE in the interpreter, and everything interpreted when native
    code is switched off (BMTK_RS_NMODL_JIT=0, read when a file is loaded)."""
    from bmtk_rs import mechanisms

    nats = mechanisms.load(bmtk_modfiles / "NaTs.mod")
    assert "INITIAL" in nats.native and "SOLVE" in nats.native and nats.interpreted == []
    syn = mechanisms.load(bmtk_modfiles / "stp2syn.mod")
    assert "NET_RECEIVE" in syn.interpreted and "SOLVE" in syn.native
    ok, msg = mechanisms.check(bmtk_modfiles / "stp2syn.mod")
    assert ok and "native code: " in msg and "interpreted: NET_RECEIVE" in msg, msg
    off = subprocess.run([sys.executable, "-c", "import sys; from bmtk_rs import mechanisms; "
                          "m = mechanisms.load(sys.argv[1]); print(m.native, 'SOLVE' in m.interpreted)",
                          str(bmtk_modfiles / "NaTs.mod")], capture_output=True, text=True,
                         env=dict(os.environ, BMTK_RS_NMODL_JIT="0"))
    assert off.returncode == 0 and off.stdout.split() == ["[]", "True"], off.stdout + off.stderr
