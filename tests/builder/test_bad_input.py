"""Bad input to the builder: a clear Python exception that names the cause, and no partial file."""

import os

import numpy as np
import pytest

from bmtk_rs.builder.networks import NetworkBuilder

from ..conftest import require_module
from .oracle import assert_same_network, read_types


def small_net():
    net = NetworkBuilder("net")
    net.add_nodes(N=3, ei="e", x=np.arange(3.0))
    net.add_nodes(N=2, ei="i")
    return net


def test_array_length_not_n():
    net = NetworkBuilder("net")
    with pytest.raises(ValueError, match=r"property 'x' has 4 values but N=3"):
        net.add_nodes(N=3, x=[1, 2, 3, 4])


def test_unknown_iterator():
    net = small_net()
    with pytest.raises(ValueError, match="unknown iterator 'all_to_all'"):
        net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1, iterator="all_to_all")


@pytest.mark.parametrize("bad, msg", [(-1, r"returned -1"), (2.5, r"returned 2.5"), ("two", r"returned two")])
def test_rule_returning_bad_count(tmp_path, bad, msg):
    net = small_net()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=lambda s, t: bad)
    with pytest.raises(ValueError, match="edge type 100.*source node 0 and target node 3 " + msg):
        net.build()


def test_constant_rule_negative():
    net = small_net()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=-2)
    with pytest.raises(ValueError, match="-2 is not a valid synapse count"):
        net.build()


def test_rule_that_raises_keeps_the_traceback():
    def rule(source, target):
        raise KeyError("no such property")

    net = small_net()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=rule)
    with pytest.raises(ValueError, match="raised for source node 0 and target node 3") as info:
        net.build()
    assert isinstance(info.value.__cause__, KeyError)


def test_list_rule_wrong_length():
    net = small_net()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=[1, 2, 3])
    with pytest.raises(ValueError, match="3 counts for 3 sources x 2 targets"):
        net.build()


def test_all_to_one_wrong_length():
    net = small_net()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=lambda srcs, t: [1],
                  iterator="all_to_one")
    with pytest.raises(ValueError, match="returned 1 counts for target node 3, expected 3"):
        net.build()


@pytest.mark.parametrize("side", ["source", "target"])
def test_selection_matching_nothing(side, tmp_path, caplog):
    """Not an error in bmtk (its tutorial 04 selects pop_name='PV1' where no such node exists): the
    edge type is saved without edges, next to the edge types that have some; a warning says so."""
    require_module("bmtk")
    other = "target" if side == "source" else "source"
    script = f"""
        net = NetworkBuilder("net")
        net.add_nodes(N=3, ei="e", x=np.arange(3.0))
        net.add_nodes(N=2, ei="i")
        net.add_edges({side}={{"ei": "x"}}, {other}={{"ei": "e"}}, connection_rule=1, syn_weight=1.0)
        net.add_edges(source={{"ei": "e"}}, target={{"ei": "i"}}, connection_rule=2, syn_weight=2.0)
        net.build()
        net.save(output_dir="network")
    """
    ref, new = assert_same_network(script, tmp_path)
    types = read_types(new / "network" / "net_net_edge_types.csv")
    assert len(types) == 2
    net = small_net()
    net.add_edges(connection_rule=1, **{side: {"ei": "x"}, other: {"ei": "e"}})
    with caplog.at_level("WARNING"):
        net.build()
    assert f"the {side} selection ei=='x' of network 'net' matches no nodes" in caplog.text


def test_property_rule_bad_value():
    net = small_net()
    cm = net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1)
    cm.add_properties("syn_weight", rule=lambda s, t: "heavy", dtypes=np.float64)
    with pytest.raises(ValueError, match="edge property 'syn_weight': value heavy for synapse row 0"):
        net.build()


def test_save_into_unwritable_path_leaves_nothing(tmp_path):
    net = small_net()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1)
    net.build()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match="file"):
        net.save(output_dir=str(blocker / "network"))
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_failed_write_leaves_no_partial_file(tmp_path):
    net = NetworkBuilder("net")
    net.add_nodes(N=2, weird=[object(), object()])
    with pytest.raises(TypeError, match="node property 'weird'"):
        net.save_nodes(output_dir=str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_vectorized_rule_negative_count():
    net = small_net()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, iterator="all_to_one",
                  connection_rule=lambda srcs, t: np.array([1, -1, 0]))
    with pytest.raises(ValueError, match="for target node 3, entry 1 returned -1"):
        net.build()


def test_save_nodes_append_of_an_existing_population_is_an_error(tmp_path):
    """mode='a' adds populations to a nodes file; one the file already has is refused (bmtk's h5py
    raises too) and the file keeps its content."""
    import h5py

    from bmtk_rs.builder.networks import NetworkBuilder

    net = NetworkBuilder("v1")
    net.add_nodes(N=3, model_type="biophysical")
    net.build()
    net.save_nodes(output_dir=str(tmp_path), mode="w")
    with pytest.raises(ValueError, match=r"v1_nodes.h5: the file already has a node population 'v1'"):
        net.save_nodes(output_dir=str(tmp_path), mode="a")
    with h5py.File(tmp_path / "v1_nodes.h5", "r") as f:
        assert list(f["nodes"]) == ["v1"]
        assert len(f["nodes/v1/node_id"]) == 3
