"""The extracellular report's NWB copy (`file_name_nwb`): bmtk-rs's writer against bmtk 1.2.0's
convert2nwb (run in a subprocess) on the same ecp.h5 and electrode file. The two NWB files must
hold the same groups, datasets, attributes and values, apart from what differs per file (object
ids, identifier, dates) and the ndx-aibs-ecephys namespace that importing bmtk's BioNet caches
into every NWB file it writes (no object in the file uses it)."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

from ..conftest import require_module

ORACLE = """
import sys
from bmtk.simulator.bionet.modules.ecp import convert2nwb
convert2nwb(sys.argv[1], sys.argv[2], sys.argv[3])
"""

# per-file values: uuids, creation dates, the session identifier
_VOLATILE_ATTRS = {"object_id"}
_VOLATILE_DATA = {"identifier", "file_create_date", "session_start_time", "timestamps_reference_time"}
_BMTK_ONLY = "specifications/ndx-aibs-ecephys"


def _run_bmtk(nwb, ecp, electrodes):
    r = subprocess.run([sys.executable, "-c", ORACLE, str(nwb), str(ecp), str(electrodes)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]


def _contents(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if name.startswith(_BMTK_ONLY):
                return
            attrs = {k: (None if isinstance(v, h5py.Reference) else np.asarray(v).tolist())
                     for k, v in obj.attrs.items() if k not in _VOLATILE_ATTRS}
            value = None
            if isinstance(obj, h5py.Dataset) and name.rsplit("/", 1)[-1] not in _VOLATILE_DATA:
                if obj.dtype.kind == "O" and h5py.check_dtype(ref=obj.dtype) is not None:
                    value = "refs"
                elif obj.dtype.names:
                    value = [tuple(x for x in row if not isinstance(x, h5py.Reference)) for row in obj[()]]
                else:
                    value = np.asarray(obj[()])
            out[name] = (type(obj).__name__, attrs, value)
        f.visititems(visit)
        out["/"] = ("File", {k: np.asarray(v).tolist() for k, v in f.attrs.items()
                             if k not in _VOLATILE_ATTRS and not isinstance(v, h5py.Reference)}, None)
    return out


def _assert_same(ref_path, our_path):
    a, b = _contents(ref_path), _contents(our_path)
    assert sorted(a) == sorted(b), sorted(set(a) ^ set(b))
    for k in a:
        ka, kb = a[k], b[k]
        assert ka[0] == kb[0], k
        assert ka[1] == kb[1], (k, ka[1], kb[1])
        va, vb = ka[2], kb[2]
        if isinstance(va, np.ndarray):
            assert va.dtype == vb.dtype and va.shape == vb.shape, (k, va.dtype, vb.dtype, va.shape, vb.shape)
            np.testing.assert_array_equal(va, vb, err_msg=k)
        else:
            assert va == vb, (k, va, vb)


def _ecp_file(path, n_steps, n_channels, time, seed=3):
    data = np.random.default_rng(seed).normal(scale=0.01, size=(n_steps, n_channels))
    with h5py.File(path, "w") as f:
        f.create_dataset("ecp/data", data=data)
        f.create_dataset("ecp/time", data=np.asarray(time, dtype=float))
        f.create_dataset("ecp/channel_id", data=np.arange(n_channels, dtype=np.int64))
    return data


@pytest.fixture(scope="module", autouse=True)
def _oracles():
    require_module("bmtk")
    require_module("pynwb")


def test_ecp_nwb_matches_bmtk(bmtk_data, tmp_path):
    from bmtk_rs.simulator.bionet.ecp_nwb import convert_ecp_to_nwb

    electrodes = bmtk_data / "examples" / "bio_components" / "recXelectrodes" / "linear_electrode.csv"
    n_channels = sum(1 for _ in open(electrodes)) - 1
    data = _ecp_file(tmp_path / "ecp.h5", 200, n_channels, [0.0, 20.0, 0.1])
    _run_bmtk(tmp_path / "ref.nwb", tmp_path / "ecp.h5", electrodes)
    convert_ecp_to_nwb(tmp_path / "ours.nwb", tmp_path / "ecp.h5", electrodes)
    _assert_same(tmp_path / "ref.nwb", tmp_path / "ours.nwb")

    import pynwb

    with pynwb.NWBHDF5IO(str(tmp_path / "ours.nwb"), "r") as io:
        nwb = io.read()
        series = nwb.acquisition["ElectricalSeries"]
        np.testing.assert_array_equal(series.data[()], data)
        # bmtk's rate is (tstop - tstart) / dt, kept as is
        assert series.rate == pytest.approx(200.0) and series.starting_time == 0.0
        assert list(nwb.electrodes["channel_id"][:]) == list(range(n_channels))
        assert nwb.processing["ecephys"]["LFP"].electrical_series["ElectricalSeries"] is series


def test_ecp_nwb_appends_to_an_existing_file(bmtk_data, tmp_path):
    """An NWB file already at the path is extended (bmtk opens it in 'a' mode)."""
    import pynwb
    from datetime import datetime, timezone

    from bmtk_rs.simulator.bionet.ecp_nwb import write_ecp_nwb

    electrodes = bmtk_data / "examples" / "bio_components" / "recXelectrodes" / "linear_electrode.csv"
    n_channels = sum(1 for _ in open(electrodes)) - 1
    data = _ecp_file(tmp_path / "ecp.h5", 30, n_channels, [5.0, 8.0, 0.1], seed=9)
    for name in ("ref.nwb", "ours.nwb"):
        nwb = pynwb.NWBFile(session_description="earlier content", identifier="x",
                            session_start_time=datetime(2020, 1, 1, tzinfo=timezone.utc))
        with pynwb.NWBHDF5IO(str(tmp_path / name), "w") as io:
            io.write(nwb)
    _run_bmtk(tmp_path / "ref.nwb", tmp_path / "ecp.h5", electrodes)
    with h5py.File(tmp_path / "ecp.h5", "r") as f:
        write_ecp_nwb(tmp_path / "ours.nwb", f["ecp/data"][()], f["ecp/time"][()], f["ecp/channel_id"][()],
                      electrodes)
    _assert_same(tmp_path / "ref.nwb", tmp_path / "ours.nwb")
    with pynwb.NWBHDF5IO(str(tmp_path / "ours.nwb"), "r") as io:
        nwb = io.read()
        assert nwb.session_description == "earlier content"
        np.testing.assert_array_equal(nwb.acquisition["ElectricalSeries"].data[()], data)


def test_ecp_nwb_errors(bmtk_data, tmp_path):
    from bmtk_rs.simulator.bionet.ecp_nwb import convert_ecp_to_nwb, write_ecp_nwb

    electrodes = bmtk_data / "examples" / "bio_components" / "recXelectrodes" / "linear_electrode.csv"
    with pytest.raises(ValueError, match="not in the electrode file"):
        write_ecp_nwb(tmp_path / "a.nwb", np.zeros((3, 2)), [0, 0.3, 0.1], [0, 999], electrodes)
    with pytest.raises(ValueError, match="does not match"):
        write_ecp_nwb(tmp_path / "a.nwb", np.zeros((3, 2)), [0, 0.3, 0.1], [0], electrodes)
    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f["ecp/data"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="missing ecp/time"):
        convert_ecp_to_nwb(tmp_path / "b.nwb", tmp_path / "bad.h5", electrodes)


def _ecp_config(bmtk_data, tmp_path):
    electrodes = bmtk_data / "examples" / "bio_components" / "recXelectrodes" / "linear_electrode.csv"

    def edit(conf):
        conf["reports"] = {"ecp": {"module": "extracellular", "electrode_positions": str(electrodes),
                                   "cells": [0, 1, 2], "file_name": "ecp.h5", "file_name_nwb": "ecp.nwb"}}

    from .network_configs import localize

    return localize(bmtk_data / "examples" / "bio_14cells", "config.simulation.json", tmp_path, tstop=20.0,
                    edit=edit)


def test_simulation_writes_the_nwb_copy(bmtk_data, tmp_path):
    """A BioNet run with file_name_nwb writes ecp.nwb holding the run's ecp.h5 data."""
    import pynwb

    from bmtk_rs.simulator import bionet

    cfg = _ecp_config(bmtk_data, tmp_path)
    bionet.run(cfg)
    with h5py.File(tmp_path / "output" / "ecp.h5", "r") as f:
        data = f["ecp/data"][()]
    with pynwb.NWBHDF5IO(str(tmp_path / "output" / "ecp.nwb"), "r") as io:
        np.testing.assert_array_equal(io.read().acquisition["ElectricalSeries"].data[()], data)


def test_missing_pynwb_is_an_error_before_the_run(bmtk_data, tmp_path, monkeypatch):
    import sys

    from bmtk_rs.simulator import bionet

    monkeypatch.setitem(sys.modules, "pynwb", None)   # makes `import pynwb` raise ImportError
    cfg = _ecp_config(bmtk_data, tmp_path)
    conf = bionet.Config.from_json(cfg)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    with pytest.raises(Exception, match=r"report 'ecp': the extracellular report's 'file_name_nwb' needs the "
                                        r"pynwb package"):
        bionet.BioSimulator.from_config(conf, network=net)
    assert not (tmp_path / "output" / "ecp.h5").exists()
