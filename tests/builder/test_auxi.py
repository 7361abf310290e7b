"""bmtk.builder.auxi helpers: networks placed and connected with them are identical under bmtk 1.2.0
and bmtk-rs for the same seeds."""

from ..conftest import require_module
from .oracle import assert_same_network

SCRIPT = """
import random
impl = os.environ['BUILDER_IMPL']
node_params = __import__(impl + '.builder.auxi.node_params', fromlist=['x'])
edge_connectors = __import__(impl + '.builder.auxi.edge_connectors', fromlist=['x'])
random.seed(11)
net = NetworkBuilder('cortex')
net.add_nodes(N=40, positions=node_params.positions_columinar(N=40, center=[0, 10.0, 0], max_radius=50.0,
                                                              height=200.0),
              rotation_angle_yaxis=node_params.xiter_random(N=40, min_x=0.0, max_x=6.28), ei='e',
              model_type='biophysical')
net.add_nodes(N=20, positions=node_params.positions_rect_prism(N=20, height=30.0), ei='i',
              model_type='biophysical')
net.add_nodes(N=15, positions=node_params.positions_ellipsoid(N=15), ei='i', model_type='point_process')
net.add_nodes(N=10, positions=node_params.positions_cuboid(N=10, min_dist=25.0), ei='e',
              model_type='point_process')
net.add_nodes(N=2, positions=node_params.positions_list(np.array([(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)])),
              ei='e', model_type='virtual')
net.add_edges(source={'ei': 'e'}, target={'ei': 'i'}, connection_rule=edge_connectors.distance_connector,
              connection_params={'d_weight_min': 0.0, 'd_weight_max': 0.34, 'd_max': 300.0, 'nsyn_min': 3,
                                 'nsyn_max': 7}, syn_weight=2.0)
net.add_edges(source={'ei': 'i'}, target={'ei': 'e'}, connection_rule=edge_connectors.connect_random,
              connection_params={'nsyn_min': 0, 'nsyn_max': 4}, syn_weight=1.0)
net.build()
net.save(output_dir='out')
"""


def test_auxi_helpers_identical_to_bmtk(tmp_path):
    require_module("bmtk")
    assert_same_network(SCRIPT, tmp_path)
