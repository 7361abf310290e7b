"""Smaller networks covering every rule form, iterator and property form, each built by bmtk 1.2.0
and by bmtk-rs with the same seed: identical files."""

import pytest

from ..conftest import require_module
from .oracle import assert_same_network

NODES = """
net = NetworkBuilder('net')
net.add_nodes(N=12, model_type='biophysical', ei='e', pop_name='A',
              x=np.random.uniform(0, 100, 12), layer=list(range(12)))
net.add_nodes(N=7, model_type='biophysical', ei='i', pop_name='B', x=np.random.uniform(0, 100, 7),
              positions=[(float(i), 2.0 * i, 3.0) for i in range(7)])
net.add_nodes(N=3, model_type='point_process', ei='i', pop_name='C')
"""

CASES = {
    "int_rule": NODES + """
net.add_edges(source={'ei': 'e'}, target={'ei': 'i'}, connection_rule=3, syn_weight=1.5, delay=1.0)
net.add_edges(source={'pop_name': 'B'}, target={'pop_name': ['A', 'C']}, connection_rule=1, model_template='exp2syn')
net.build(); net.save(output_dir='out')
""",
    "flat_list_rule": NODES + """
counts = list(np.random.randint(0, 3, size=12 * 7))
net.add_edges(source={'ei': 'e'}, target={'pop_name': 'B'}, connection_rule=counts, syn_weight=2.0)
net.build(); net.save(output_dir='out')
""",
    "callable_with_params": NODES + """
def rule(source, target, p, nmax):
    if source.node_id == target.node_id:
        return 0
    return np.random.binomial(nmax, p) if source.get('x', 0.0) < target.get('x', 50.0) else None
net.add_edges(source=net.nodes(), target=net.nodes(ei='i'), connection_rule=rule,
              connection_params={'p': 0.4, 'nmax': 4}, syn_weight=0.1, target_sections=['somatic'])
net.build(); net.save(output_dir='out')
""",
    "one_to_all_and_all_to_one": NODES + """
def one_to_all(source, targets):
    return [np.random.randint(0, 3) for _ in targets]
def all_to_one(sources, target):
    return np.random.randint(0, 2, size=len(sources))
net.add_edges(source={'ei': 'e'}, target={'ei': 'i'}, connection_rule=one_to_all, iterator='one_to_all',
              syn_weight=1.0)
net.add_edges(source={'ei': 'i'}, target={'ei': 'e'}, connection_rule=all_to_one, iterator='all_to_one',
              syn_weight=2.0)
net.build(); net.save(output_dir='out')
""",
    "add_properties": NODES + """
cm = net.add_edges(source={'ei': 'e'}, target={'pop_name': 'B'},
                   connection_rule=lambda s, t: np.random.randint(0, 3), model_template='exp2syn')
cm.add_properties('syn_weight', rule=lambda s, t: np.random.uniform(0.0, 1.0), dtypes=np.float64)
cm.add_properties(['sec_id', 'sec_x'], rule=lambda s, t: (np.random.randint(0, 20), np.random.uniform()),
                  dtypes=[np.int32, np.float32])
cm.add_properties('delay', rule=lambda s, t, scale: scale * abs(s['x'] - t['x']), rule_params={'scale': 0.01},
                  dtypes=np.float64)
cm2 = net.add_edges(source={'ei': 'i'}, target={'ei': 'e'}, connection_rule=2)
cm2.add_properties('syn_weight', rule=lambda s, t: np.random.uniform(0.0, 1.0), dtypes=np.float64)
cm2.add_properties(['sec_id', 'sec_x'], rule=lambda s, t: (np.random.randint(0, 20), np.random.uniform()),
                   dtypes=[np.int32, np.float32])
cm2.add_properties('delay', rule=lambda s, t: 1.0, dtypes=np.float64)
cm3 = net.add_edges(source={'pop_name': 'C'}, target={'pop_name': 'C'}, connection_rule=1)
cm3.add_properties('syn_weight', rule=lambda s, t: np.random.uniform(), dtypes=np.float32)
net.build(); net.save(output_dir='out')
""",
    "multiple_networks": """
a = NetworkBuilder('A')
a.add_nodes(N=5, model_type='virtual', label=['p', 'q', 'r', 's', 't'])
b = NetworkBuilder('B')
b.add_nodes(N=4, model_type='biophysical', ei='e', z=np.random.normal(size=4))
b.add_nodes(N=4, model_type='biophysical', ei='i')
c = NetworkBuilder('C')
c.add_nodes(N=3, model_type='virtual', node_id=[10, 20, 30])
b.add_edges(source={'ei': 'e'}, target={'ei': 'i'}, connection_rule=lambda *_: np.random.randint(0, 3))
b.build(); b.save(output_dir='out')
a.add_edges(source=a.nodes(), target=b.nodes(ei='e'), connection_rule=lambda *_: np.random.randint(0, 4),
            syn_weight=0.5)
a.add_edges(source=a.nodes(label=['p', 'q']), target=b.nodes(ei='i'), connection_rule=2, syn_weight=0.25)
a.build(); a.save(output_dir='out')
c.add_edges(source=c.nodes(), target=b.nodes(), connection_rule=lambda *_: np.random.randint(0, 2))
c.add_edges(source=c.nodes(), target=a.nodes(), connection_rule=1)
c.build(); c.save(output_dir='out')
""",
    "explicit_type_ids": """
net = NetworkBuilder('net')
net.add_nodes(N=4, node_type_id=7, model_type='virtual')
net.add_nodes(N=3, model_type='virtual', flag=np.array([True, False, True]))
net.add_edges(source=net.nodes(node_type_id=7), target=net.nodes(), connection_rule=1, edge_type_id=55)
net.add_edges(source=net.nodes(), target=net.nodes(node_type_id=7), connection_rule=2)
net.build(); net.save(output_dir='out')
""",
    "gap_junctions": NODES + """
net.add_gap_junctions(source={'ei': 'i'}, target={'ei': 'i'}, resistance=2.0,
                      connection_rule=lambda s, t: 0 if s.node_id == t.node_id else np.random.randint(0, 3))
net.add_edges(source={'ei': 'e'}, target={'ei': 'i'}, connection_rule=1, syn_weight=1.0)
net.build(); net.save(output_dir='out')
""",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_form_identical_to_bmtk(tmp_path, case):
    require_module("bmtk")
    assert_same_network(CASES[case], tmp_path)
