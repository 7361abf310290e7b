"""bmtk_rs.utils.reports.compartment.CompartmentReport: files ours writes are read by bmtk 1.2.0 and
libsonata; files bmtk writes are read by ours; both readers answer the same."""

import numpy as np

from tests.conftest import require_module

CELLS = {"V1": [(0, [0, 1, 1, 2], [0.5, 0.25, 0.75, 0.5]), (5, [0], [0.5]), (2, [0, 3], [0.5, 0.1])],
         "LGN": [(7, [0], [0.5]), (9, [0, 1], [0.5, 0.5])]}
T = dict(tstart=0.0, tstop=5.0, dt=0.1)


def _traces(pop, node_id, n_el, n_steps):
    t = np.arange(n_steps)[:, None]
    return -65.0 + 0.37 * node_id + 0.011 * t + 0.5 * np.arange(n_el)[None, :] + (pop == "LGN") * 3.0


def _fill(report):
    """Cells through add_cell, traces through record_cell (step by step) and record_cell_block."""
    n_steps = int((T["tstop"] - T["tstart"]) / T["dt"])
    for pop, cells in CELLS.items():
        for node_id, ids, pos in cells:
            report.add_cell(node_id=node_id, element_ids=ids, element_pos=pos, population=pop)
    report.initialize()
    for pop, cells in CELLS.items():
        for k, (node_id, ids, _) in enumerate(cells):
            vals = _traces(pop, node_id, len(ids), n_steps)
            if k % 2 == 0:
                for step in range(n_steps):
                    report.record_cell(node_id, vals[step], step, population=pop)
            else:
                report.record_cell_block(node_id, vals, 0, n_steps, population=pop)
    return n_steps


def _answers(r, pop):
    out = {"variable": r.variable(population=pop), "units": r.units(population=pop),
           "tstart": r.tstart(population=pop), "tstop": r.tstop(population=pop), "dt": r.dt(population=pop),
           "time_trace": r.time_trace(population=pop), "node_ids": r.node_ids(population=pop),
           "element_ids": r.element_ids(population=pop), "element_pos": r.element_pos(population=pop),
           "data": r.data(population=pop), "window": r.data(population=pop, time_window=(1.0, 2.5))}
    for node_id, _, _ in CELLS[pop]:
        out["node", node_id] = (r.data(node_id=node_id, population=pop), r.element_ids(node_id=node_id, population=pop),
                                r.element_pos(node_id=node_id, population=pop),
                                r.n_elements(node_id=node_id, population=pop),
                                r.data(node_id=node_id, population=pop, sections="origin"))
    return out


def _assert_same(a, b, rtol=0.0):
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, tuple):
            for xi, yi in zip(x, y):
                np.testing.assert_allclose(np.asarray(xi, dtype=float), np.asarray(yi, dtype=float), rtol=rtol)
        elif isinstance(x, np.ndarray):
            assert x.shape == y.shape, k
            np.testing.assert_allclose(x, y, rtol=rtol, err_msg=str(k))
        else:
            assert x == y, k


def test_ours_written_read_by_bmtk_and_libsonata(tmp_path):
    bmtk_cr = require_module("bmtk.utils.reports.compartment").utils.reports.compartment
    libsonata = require_module("libsonata")
    from bmtk_rs.utils.reports.compartment import CompartmentReport

    path = tmp_path / "v_report.h5"
    w = CompartmentReport(str(path), mode="w", variable="v", units="mV", **T)
    n_steps = _fill(w)
    w.close()
    ref = bmtk_cr.CompartmentReport(str(path), mode="r")
    ours = CompartmentReport(str(path), mode="r")
    assert sorted(ref.populations) == sorted(ours.populations) == ["LGN", "V1"]
    for pop in CELLS:
        _assert_same(_answers(ours, pop), _answers(ref, pop))
        # data are float32 in the file (SONATA's type): what was recorded, rounded to float32
        for node_id, ids, _ in CELLS[pop]:
            expect = _traces(pop, node_id, len(ids), n_steps).astype(np.float32)
            np.testing.assert_array_equal(ref.data(node_id=node_id, population=pop), expect)
    lib = libsonata.ElementReportReader(str(path))
    assert sorted(lib.get_population_names()) == ["LGN", "V1"]
    pop = lib["V1"]
    assert (pop.times[0], pop.times[1], pop.times[2]) == (0.0, 5.0, 0.1)
    frame = pop.get(node_ids=[5])
    np.testing.assert_array_equal(np.asarray(frame.data)[:, 0],
                                  _traces("V1", 5, 1, n_steps)[:len(frame.data), 0].astype(np.float32))


def test_bmtk_written_read_by_ours(tmp_path):
    bmtk_cr = require_module("bmtk.utils.reports.compartment").utils.reports.compartment
    from bmtk_rs.utils.reports.compartment import CompartmentReport

    path = tmp_path / "bmtk_report.h5"
    w = bmtk_cr.CompartmentReport(str(path), mode="w", variable="cai", units="mM", **T)
    _fill(w)
    w.close()
    # bmtk's writer leaves the h5 handle to the garbage collector; drop it before reading
    del w
    ref = bmtk_cr.CompartmentReport(str(path), mode="r")
    ours = CompartmentReport(str(path), mode="r")
    for pop in CELLS:
        _assert_same(_answers(ours, pop), _answers(ref, pop))


def test_reader_errors_and_default_population(tmp_path):
    from bmtk_rs.utils.reports.compartment import CompartmentReport

    path = tmp_path / "one.h5"
    w = CompartmentReport(str(path), mode="w", default_population="V1", variable="v", **T)
    w.add_cell(3, [0], [0.5])
    w.record_cell(3, [1.5], 0)
    w.close()
    r = CompartmentReport(str(path))
    assert r.populations == ["V1"] and list(r.node_ids()) == [3] and r.data(3)[0, 0] == 1.5
    import pytest

    with pytest.raises(KeyError, match="node_id 4"):
        r.data(node_id=4)
    two = tmp_path / "two.h5"
    w = CompartmentReport(str(two), mode="w", variable="v", **T)
    _fill(w)
    w.close()
    with pytest.raises(ValueError, match="specify a node population"):
        CompartmentReport(str(two)).data()
    assert CompartmentReport(str(two), population="LGN").node_ids().tolist() == [7, 9]
