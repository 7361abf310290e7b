"""The tutorial's network, built by bmtk 1.2.0 and by bmtk-rs with the same seed: identical files."""

import pytest

from ..conftest import require_module
from .l4_script import L4_BUILD
from .oracle import assert_same_network


@pytest.mark.parametrize("seed", [1, 7])
def test_l4_network_identical_to_bmtk(tmp_path, seed):
    require_module("bmtk")
    ref, new = assert_same_network(L4_BUILD, tmp_path, seed=seed)
    names = sorted(p.name for p in (new / "network").iterdir())
    assert names == ["LGN_V1_edge_types.csv", "LGN_V1_edges.h5", "LGN_node_types.csv", "LGN_nodes.h5",
                     "V1_V1_edge_types.csv", "V1_V1_edges.h5", "V1_node_types.csv", "V1_nodes.h5"]
