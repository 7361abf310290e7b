"""edge_order='stable': the same edges as BMTK's order (rows permuted only among equal targets),
sorted by target, ties in build order, indices valid in libsonata."""

import numpy as np

from bmtk_rs import sonata
from ..conftest import require_module
from .l4_script import L4_BUILD
from .oracle import run_builder


def test_stable_order_same_edges_as_bmtk_order(tmp_path):
    bm = run_builder(L4_BUILD, "bmtk_rs", tmp_path / "a")
    st = run_builder(L4_BUILD.replace("build_and_save(NetworkBuilder, 'network')",
                                      "build_and_save(NetworkBuilder, 'network', edge_order='stable')"),
                     "bmtk_rs", tmp_path / "b")
    for fname, pop in [("V1_V1_edges.h5", "V1_to_V1"), ("LGN_V1_edges.h5", "LGN_to_V1")]:
        a = sonata.read_edges(bm / "network" / fname)[pop]
        b = sonata.read_edges(st / "network" / fname)[pop]
        assert np.all(np.diff(b["target_node_id"].astype(np.int64)) >= 0)

        def rows(p):
            nsyns = p["groups"][0]["nsyns"][p["edge_group_index"]]
            return sorted(zip(p["target_node_id"].tolist(), p["source_node_id"].tolist(),
                              p["edge_type_id"].tolist(), nsyns.tolist()))

        assert rows(a) == rows(b)
        # Ties keep build order: edge types in add_edges order, then sources ascending.
        key = list(zip(b["target_node_id"].tolist(), b["edge_type_id"].tolist(), b["source_node_id"].tolist()))
        assert key == sorted(key)
        libsonata = require_module("libsonata")
        lp = libsonata.EdgeStorage(str(st / "network" / fname)).open_population(pop)
        for node in range(0, 80, 7):
            np.testing.assert_array_equal(np.sort(lp.afferent_edges([node]).flatten()),
                                          np.nonzero(b["target_node_id"] == node)[0])
