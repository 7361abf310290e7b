"""Compartment reports written by bmtk-rs read identically in bmtk 1.2.0 and libsonata; reports
written by BMTK (the examples' stored NEURON outputs) read identically in bmtk-rs."""

import os

import numpy as np
import pytest

from bmtk_rs.utils.reports.compartment import CompartmentReportWriter, read_compartment_report
from ..conftest import require_module

CELLS = {"V1": [(3, [0, 1, 2], [0.5, 0.5, 0.25]), (1, [0], [0.5])], "LGN": [(7, [4, 5], [0.1, 0.9])]}


def write_example(path, n_steps=40):
    w = CompartmentReportWriter(path, CELLS, tstart=0.0, tstop=n_steps * 0.25, dt=0.25, variable="v", units="mV")
    rng = np.random.default_rng(3)
    # Values exactly representable in float32, the type reports store.
    data = {"V1": rng.normal(-65, 5, (n_steps, 4)).astype(np.float32).astype(np.float64),
            "LGN": rng.normal(-70, 1, (n_steps, 2)).astype(np.float32).astype(np.float64)}
    for pop, d in data.items():
        # In blocks, as a simulation writes them.
        for beg in range(0, n_steps, 16):
            w.write_steps(pop, beg, d[beg:beg + 16])
    w.close()
    return data


def test_round_trip_and_bmtk_reader(tmp_path):
    path = tmp_path / "membrane_potential.h5"
    data = write_example(path)
    mine = read_compartment_report(path)
    np.testing.assert_array_equal(mine["V1"]["data"], data["V1"])
    assert mine["V1"]["time"] == (0.0, 10.0, 0.25)
    assert mine["V1"]["units"] == "mV" and mine["V1"]["variable"] == "v"
    bmtk_report = require_module("bmtk.utils.reports.compartment").utils.reports.compartment
    rep = bmtk_report.CompartmentReport(str(path), mode="r", default_population="V1")
    assert sorted(rep.populations) == ["LGN", "V1"]
    np.testing.assert_array_equal(rep.data(node_id=3, population="V1"), data["V1"][:, 0:3])
    np.testing.assert_array_equal(rep.data(node_id=1, population="V1")[:, 0], data["V1"][:, 3])
    np.testing.assert_array_equal(np.asarray(rep.element_ids(node_id=7, population="LGN")), [4, 5])
    assert rep.variable(population="V1") == "v"
    r = rep["V1"]
    assert (r.tstart(), r.tstop(), r.dt(), r.n_steps()) == (0.0, 10.0, 0.25, 40)


def test_libsonata_reads_our_reports(tmp_path):
    libsonata = require_module("libsonata")
    path = tmp_path / "r.h5"
    data = write_example(path)
    pop = libsonata.ElementReportReader(str(path))["V1"]
    frame = pop.get(node_ids=[3])
    np.testing.assert_allclose(np.asarray(frame.data), data["V1"][:, 0:3])
    assert list(pop.get_node_ids()) == [1, 3] or list(pop.get_node_ids()) == [3, 1]


@pytest.mark.parametrize("example", ["bio_1cell/output_iclamp", "bio_1cell/output_syns", "bio_intfire_ring/output"])
def test_reads_bmtk_written_reports(bmtk_data, example):
    h5py = require_module("h5py")
    path = bmtk_data / "examples" / example / "membrane_potential.h5"
    mine = read_compartment_report(path)
    with h5py.File(path, "r") as h:
        for pop, rep in mine.items():
            g = h["report"][pop]
            np.testing.assert_array_equal(rep["data"], g["data"][()])
            np.testing.assert_array_equal(rep["node_ids"], g["mapping/node_ids"][()])
            np.testing.assert_array_equal(rep["element_pos"], g["mapping/element_pos"][()])
            assert rep["time"] == tuple(g["mapping/time"][()])


def test_bad_blocks_and_unfinished_reports(tmp_path):
    path = tmp_path / "r.h5"
    w = CompartmentReportWriter(path, CELLS, tstart=0.0, tstop=1.0, dt=0.25)
    with pytest.raises(ValueError, match="exceed the report's 4 steps"):
        w.write_steps("V1", 2, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="not whole rows of 4 elements"):
        w._w.write_steps(0, 0, np.zeros((2, 3)))
    del w
    assert os.listdir(tmp_path) == []
    with pytest.raises(OSError, match="no such file"):
        read_compartment_report(tmp_path / "missing.h5")
