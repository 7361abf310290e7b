"""The Node objects user rules receive behave as bmtk 1.2.0's: the same lookups, and the same
dict face (bmtk's Node is a dict subclass that stays empty: keys(), len() and iteration show nothing)."""

import subprocess
import sys

import pytest

from ..conftest import require_module

SCRIPT = """
import json, sys
import numpy as np
if sys.argv[1] == 'bmtk':
    from bmtk.builder.networks import NetworkBuilder
else:
    from bmtk_rs.builder.networks import NetworkBuilder
net = NetworkBuilder('net')
net.add_nodes(N=2, ei='e', tuning=np.array([10.0, 20.0]), model_type='biophysical')
seen = []
def rule(s, t):
    seen.append({
        'keys': sorted(s.keys()), 'len': len(s), 'iter': list(iter(s)), 'items': list(s.items()),
        'tuning': float(s['tuning']), 'ei': s['ei'], 'node_id': int(s['node_id']), 'nid': int(s.node_id),
        'type': int(s.node_type_id), 'has_ei': 'ei' in s, 'has_zz': 'zz' in s, 'get_zz': s.get('zz', 'dflt'),
        'repr_keys': sorted(eval(repr(s)).keys()), 'eq_empty': s == {}, 'bool': bool(s),
        'params': sorted(s.params.keys()), 'type_props': sorted(s.node_type_properties.keys()),
    })
    return 1
net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=rule)
net.build()
print(json.dumps(seen))
"""


def _run(impl):
    out = subprocess.run([sys.executable, "-c", SCRIPT, impl], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


def test_node_matches_bmtk():
    require_module("bmtk")
    ref, ours = _run("bmtk"), _run("bmtk_rs")
    assert ours == ref
    assert '"keys": []' in ref


@pytest.mark.parametrize("key", ["tuning", "ei"])
def test_missing_key_raises_keyerror(key):
    from bmtk_rs.builder.networks import NetworkBuilder

    net = NetworkBuilder("n")
    net.add_nodes(N=1, ei="e", tuning=[1.0])
    node = list(net.nodes())[0]
    assert node[key] is not None
    with pytest.raises(KeyError):
        node["nope"]
