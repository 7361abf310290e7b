"""bmtk 1.2.0's own reading of a SONATA spikes file, from one long-lived interpreter per test session.

The pytest process cannot import the real bmtk (other test modules alias `bmtk` to bmtk_rs in it), and
starting an interpreter per question would cost seconds each; so one child process imports bmtk once
and answers json requests on its stdin for the rest of the session."""

import atexit
import json
import os
import subprocess
import sys
import threading

_SERVER = r"""
import json, sys
from bmtk.utils.reports.spike_trains.spike_train_readers import SonataSTReader
for line in sys.stdin:
    path = json.loads(line)
    try:
        reader = SonataSTReader(path)
        out = {'ok': {pop: str(reader.sort_order(pop)) for pop in reader.populations}}
    except Exception as err:  # the answer carries the oracle's error to the test
        out = {'error': '{}: {}'.format(type(err).__name__, err)}
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
"""

_proc = None
_lock = threading.Lock()


def _server():
    global _proc
    if _proc is None or _proc.poll() is not None:
        env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui", MPLBACKEND="Agg")
        _proc = subprocess.Popen([sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, env=env)
        atexit.register(_stop, _proc)
    return _proc


def _stop(proc):
    if proc.poll() is None:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def spike_sort_orders(path):
    """{population: sort order} of a spikes file as bmtk 1.2.0's SonataSTReader reports it."""
    with _lock:
        proc = _server()
        proc.stdin.write(json.dumps(str(path)) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"bmtk's spike reader stopped while reading {path}")
    answer = json.loads(line)
    if "error" in answer:
        raise AssertionError(f"bmtk 1.2.0 cannot read {path}: {answer['error']}")
    return answer["ok"]
