"""The spontaneous-rate table shipped with bmtk-rs equals what bmtk 1.2.0 derives from its data."""

import json
import pathlib

import bmtk_rs.simulator.filternet as fn
from ..conftest import require_module


def test_spont_table_matches_bmtk():
    require_module("bmtk")
    from bmtk.simulator.filternet.lgnmodel.cellmetrics import get_data_metrics_for_each_subclass

    table = json.loads((pathlib.Path(fn.__file__).parent / "lgn_spont_rates.json").read_text())["spont_rates"]
    assert set(table) == {"sON", "sOFF", "tON", "tOFF"}
    for ctype, rates in table.items():
        ref = get_data_metrics_for_each_subclass(ctype)
        assert set(rates) == set(ref)
        for tf, v in rates.items():
            assert v == float(ref[tf]["spont_exp"][0])
