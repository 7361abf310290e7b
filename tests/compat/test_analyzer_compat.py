"""bmtk_rs.analyzer's nodes_table / node_types_table / firing_rates / plot_rates_boxplot against
bmtk 1.2.0 on the same files."""

import glob

import numpy as np
import pandas as pd

from tests.conftest import require_module


def _node_files(bmtk_data):
    h5py = require_module("h5py")
    out = []
    for f in sorted(glob.glob(str(bmtk_data / "**" / "*_nodes.h5"), recursive=True)):
        with h5py.File(f, "r") as h5:
            out.extend((f, pop) for pop in h5["nodes"])
    assert out
    return out


def test_nodes_table_matches_bmtk(bmtk_data):
    """Every nodes file in bmtk-data. For multi-group files bmtk 1.2.0 raises ('columns overlap');
    there ours must give each node its own group's values, checked against bmtk's sonata reader."""
    from bmtk import analyzer as ba
    from bmtk.utils import sonata as bs

    from bmtk_rs import analyzer as ra

    n_equal = n_fixed = 0
    for f, pop in _node_files(bmtk_data):
        ours = ra.nodes_table(f, pop)
        try:
            ref = ba.nodes_table(f, pop)
        except ValueError as err:
            assert "overlap" in str(err)
            types = f.replace("_nodes.h5", "_node_types.csv")
            ref = bs.File(data_files=f, data_type_files=types).nodes[pop].to_dataframe(index_by_id=False)
            ref = ref.set_index("node_id").loc[ours["node_id"].to_numpy()]
            for col in ours.columns[2:]:
                np.testing.assert_array_equal(ours[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float))
            n_fixed += 1
            continue
        pd.testing.assert_frame_equal(ours, ref)
        n_equal += 1
    assert n_equal > 10 and n_fixed >= 1


def test_node_types_table_matches_bmtk(bmtk_data):
    from bmtk import analyzer as ba

    from bmtk_rs import analyzer as ra

    for f in sorted(glob.glob(str(bmtk_data / "**" / "*_node_types.csv"), recursive=True)):
        pd.testing.assert_frame_equal(ra.node_types_table(f, None), ba.node_types_table(f, None))


def test_firing_rates_module(bmtk_data, tmp_path):
    from bmtk.analyzer import firing_rates as bf

    from bmtk_rs.analyzer import firing_rates as rf

    a = bmtk_data / "popnet_refs" / "default" / "pop_2pops" / "output" / "spike_rates.csv"
    b = bmtk_data / "popnet_refs" / "approx_fast" / "pop_2pops" / "output" / "spike_rates.csv"
    ref, ours = bf.convert_rates(str(a)), rf.convert_rates(str(a))
    assert list(ref) == list(ours)
    for gid in ref:
        for k in ("start", "end", "dt"):
            assert ref[gid][k] == ours[gid][k]
        np.testing.assert_array_equal(ref[gid]["rates"], ours[gid]["rates"])
    # a perturbed copy, to see both answers of the comparison
    df = pd.read_csv(a, sep=" ", names=["gid", "time", "rate"])
    df.loc[5, "rate"] += 0.01
    c = tmp_path / "perturbed.csv"
    df.to_csv(c, sep=" ", header=False, index=False)
    for x, y in ((a, a), (a, b), (a, c)):
        for err in (1e-4, 0.1):
            assert rf.firing_rates_equal(str(x), str(y), err) == bf.firing_rates_equal(str(x), str(y), err)


def _box_data(fig):
    ax = fig.axes[0]
    lines = [(tuple(np.round(ln.get_xdata(), 12)), tuple(np.round(ln.get_ydata(), 9))) for ln in ax.lines]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    return lines, labels, ax.get_title(), ax.get_ylabel()


def test_plot_rates_boxplot_matches_bmtk(bmtk_data, tmp_path):
    """Same spikes, same config, with and without group_by: the same boxes (whiskers, medians,
    fliers), labels and title."""
    require_module("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import json

    from bmtk.analyzer import spike_trains as bst

    from bmtk_rs.analyzer import spike_trains as rst
    from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator

    net = bmtk_data / "tutorial_l4" / "network"
    psg = PoissonSpikeGenerator(population="V1", seed=3)
    for i, rate in enumerate((2.0, 8.0, 20.0)):
        psg.add(node_ids=range(100 * i, 100 * i + 100), firing_rate=rate, times=(0.0, 2.0))
    spikes = tmp_path / "spikes.h5"
    psg.to_sonata(str(spikes))
    cfg = {"run": {"tstart": 0.0, "tstop": 2000.0, "dt": 0.1},
           "output": {"output_dir": str(tmp_path), "spikes_file": str(spikes)},
           "networks": {"nodes": [{"nodes_file": str(net / "V1_nodes.h5"),
                                   "node_types_file": str(net / "V1_node_types.csv")}]}}
    cfg_path = tmp_path / "config.json"
    cfg_path.write_text(json.dumps(cfg))
    for kwargs in ({}, {"group_by": "pop_name"}, {"group_by": "ei", "group_excludes": "i"},
                   {"spikes_file": str(spikes), "times": (500.0, 1500.0), "title": "x"}):
        call = dict(config_file=None if "spikes_file" in kwargs else str(cfg_path), show=False, **kwargs)
        ref = bst.plot_rates_boxplot(**call)
        out = tmp_path / "box.png"
        ours = rst.plot_rates_boxplot(save_as=str(out), **call)
        assert _box_data(ours) == _box_data(ref), kwargs
        assert out.exists()
