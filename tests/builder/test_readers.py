"""Files we write open in libsonata with working indices; files written by older BMTK versions
(the tutorial's prebuilt network, with its `indicies` spelling) read correctly in bmtk-rs."""

import numpy as np
import pytest

from bmtk_rs import sonata
from ..conftest import require_module
from .l4_script import L4_BUILD
from .oracle import run_builder


@pytest.fixture(scope="module")
def l4_network(tmp_path_factory):
    out = run_builder(L4_BUILD, "bmtk_rs", tmp_path_factory.mktemp("l4"), seed=3)
    return out / "network"


def test_nodes_open_in_libsonata(l4_network):
    libsonata = require_module("libsonata")
    mine = sonata.read_nodes(l4_network / "LGN_nodes.h5")["LGN"]
    pop = libsonata.NodeStorage(str(l4_network / "LGN_nodes.h5")).open_population("LGN")
    assert pop.size == 100
    sel = pop.select_all()
    np.testing.assert_array_equal(pop.get_attribute("x", sel), mine["groups"][0]["x"])
    np.testing.assert_array_equal(pop.get_attribute("y", sel), mine["groups"][0]["y"])


@pytest.mark.parametrize("fname, pop_name", [("V1_V1_edges.h5", "V1_to_V1"), ("LGN_V1_edges.h5", "LGN_to_V1")])
def test_edges_open_in_libsonata_with_indices(l4_network, fname, pop_name):
    libsonata = require_module("libsonata")
    mine = sonata.read_edges(l4_network / fname)[pop_name]
    pop = libsonata.EdgeStorage(str(l4_network / fname)).open_population(pop_name)
    assert pop.size == len(mine["source_node_id"])
    src, trg = mine["source_node_id"], mine["target_node_id"]
    for node in sorted(set(trg.tolist()))[:25]:
        aff = pop.afferent_edges([node]).flatten()
        np.testing.assert_array_equal(np.sort(aff), np.nonzero(trg == node)[0])
    for node in sorted(set(src.tolist()))[:25]:
        eff = pop.efferent_edges([node]).flatten()
        np.testing.assert_array_equal(np.sort(eff), np.nonzero(src == node)[0])
    nsyns = pop.get_attribute("nsyns", pop.select_all())
    np.testing.assert_array_equal(nsyns, mine["groups"][0]["nsyns"])


def test_read_old_bmtk_network(bmtk_data):
    h5py = require_module("h5py")
    net = bmtk_data / "tutorial_l4" / "network"
    for f in sorted(net.glob("*_edges.h5")):
        pops = sonata.read_edges(f)
        with h5py.File(f, "r") as h5:
            for name, pop in pops.items():
                g = h5["edges"][name]
                for col in ("source_node_id", "target_node_id", "edge_type_id", "edge_group_id",
                            "edge_group_index"):
                    np.testing.assert_array_equal(pop[col], g[col][()])
                assert pop["source_population"] == g["source_node_id"].attrs["node_population"]
                for gid, cols in pop["groups"].items():
                    for cname, data in cols.items():
                        np.testing.assert_array_equal(data, g[str(gid)][cname][()])
    for f in sorted(net.glob("*_nodes.h5")):
        pops = sonata.read_nodes(f)
        with h5py.File(f, "r") as h5:
            for name, pop in pops.items():
                g = h5["nodes"][name]
                np.testing.assert_array_equal(pop["node_id"], g["node_id"][()])
                np.testing.assert_array_equal(pop["node_type_id"], g["node_type_id"][()])
                for gid, cols in pop["groups"].items():
                    for cname, data in cols.items():
                        np.testing.assert_array_equal(np.asarray(data), g[str(gid)][cname][()])
    for f in sorted(net.glob("*_types.csv")):
        import pandas as pd

        ref = pd.read_csv(f, sep=" ")
        mine = sonata.read_types(f)
        assert list(mine.columns) == list(ref.columns)
        assert len(mine) == len(ref)
        np.testing.assert_array_equal(mine[mine.columns[0]].to_numpy(), ref[ref.columns[0]].to_numpy())


def test_unreadable_files_raise(tmp_path):
    with pytest.raises(OSError, match="no such file"):
        sonata.read_edges(tmp_path / "missing.h5")
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n truncated")
    with pytest.raises(OSError, match="bad.h5"):
        sonata.read_nodes(bad)


def test_every_types_table_in_bmtk_data_reads_as_pandas_reads_it(bmtk_data):
    import pandas as pd

    files = sorted(bmtk_data.rglob("*_types.csv"))
    assert len(files) > 10
    for f in files:
        mine, ref = sonata.read_types(f), pd.read_csv(f, sep=" ")
        assert list(mine.columns) == list(ref.columns), f
        assert len(mine) == len(ref), f
        for c in ref.columns:
            for a, b in zip(mine[c].tolist(), ref[c].tolist()):
                assert (pd.isna(a) and pd.isna(b)) or a == b or str(a) == str(b), (f, c, a, b)
