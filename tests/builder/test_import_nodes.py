"""import_nodes: a network saved earlier (by bmtk or bmtk-rs) is read back and connected to."""

import numpy as np

from bmtk_rs import sonata
from bmtk_rs.builder.networks import NetworkBuilder


def test_import_tutorial_network_and_connect(bmtk_data, tmp_path):
    net_dir = bmtk_data / "tutorial_l4" / "network"
    v1 = NetworkBuilder("V1")
    v1.import_nodes(str(net_dir / "V1_nodes.h5"), str(net_dir / "V1_node_types.csv"))
    ref = sonata.read_nodes(net_dir / "V1_nodes.h5")["V1"]
    assert sorted(n.node_id for n in v1.nodes()) == sorted(ref["node_id"].tolist())
    assert len(v1.nodes(ei="i")) == int(np.sum(ref["node_type_id"] == ref["node_type_id"].max()))
    src = NetworkBuilder("ext")
    src.add_nodes(N=3, model_type="virtual")
    src.add_edges(source=src.nodes(), target=v1.nodes(pop_name="Scnn1a"), connection_rule=1, syn_weight=1.0)
    src.build()
    src.save(output_dir=str(tmp_path))
    e = sonata.read_edges(tmp_path / "ext_V1_edges.h5")["ext_to_V1"]
    scnn1a = {n.node_id for n in v1.nodes(pop_name="Scnn1a")}
    assert len(scnn1a) > 0 and set(e["target_node_id"].tolist()) == scnn1a
    assert len(e["target_node_id"]) == 3 * len(scnn1a)
