"""SONATA compartment reports (``bmtk.utils.reports.compartment``): membrane potential and other
per-segment variables over time, written block by block by the simulators and read back here.

``CompartmentReport(path, mode='r'|'w', ...)`` is bmtk's user-facing reader/writer (see
compartment_report.py); ``CompartmentReportWriter`` / ``read_compartment_report`` are the block
writer and whole-file reader the simulators use."""

import numpy as np

from .... import _native


def _n_steps(tstart, tstop, dt):
    return int(round((tstop - tstart) / dt))


class CompartmentReportWriter:
    """Writes a compartment report for the cells of one or more populations.

    ``cells`` maps a population name to a list of ``(node_id, element_ids, element_pos)``; data are
    given as blocks of time steps (rows) x elements (columns, cells in the given order).
    """

    def __init__(self, path, cells, tstart, tstop, dt, variable="v", units=None, n_steps=None,
                 element_columns=None):
        """`element_columns`: {population: {name: int64 values, one per element}} written beside the
        mapping (a netcon report's src_ids and trg_ids)."""
        mappings = []
        self.populations = list(cells)
        for pop, entries in cells.items():
            node_ids = np.asarray([c[0] for c in entries], dtype=np.uint64)
            counts = [len(c[1]) for c in entries]
            ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint64)
            ids = np.concatenate([np.asarray(c[1], dtype=np.uint64) for c in entries]) if entries else \
                np.zeros(0, dtype=np.uint64)
            pos = np.concatenate([np.asarray(c[2], dtype=np.float64) for c in entries]) if entries else \
                np.zeros(0)
            if len(ids) != len(pos):
                raise ValueError("report population {}: element ids and positions differ in length".format(pop))
            mappings.append((pop, node_ids, ptr, ids, pos))
        self.n_steps = _n_steps(tstart, tstop, dt) if n_steps is None else int(n_steps)
        extra = [(self.populations.index(pop), name, np.ascontiguousarray(vals, dtype=np.int64))
                 for pop, cols in (element_columns or {}).items() for name, vals in cols.items()]
        self._w = _native.CompartmentReportWriter(str(path), mappings, float(tstart), float(tstop), float(dt),
                                                  self.n_steps, variable, units, element_columns=extra)

    def write_steps(self, population, first_step, values):
        pop = self.populations.index(population)
        self._w.write_steps(pop, int(first_step), np.ascontiguousarray(values, dtype=np.float64))

    def close(self):
        self._w.finish()


def read_compartment_report(path):
    """{population: dict(node_ids, index_pointer, element_ids, element_pos, time, variable, units, data)}."""
    return {p["population"]: p for p in _native.read_compartment_report_file(str(path))}


# Imported last: the writer below builds on CompartmentReportWriter defined above.
from .core import CompartmentReaderABC, CompartmentWriterABC  # noqa: E402
from .compartment_reader import CompartmentReader  # noqa: E402
from .compartment_writer import CompartmentWriter  # noqa: E402
from .compartment_report import CompartmentReport  # noqa: E402

__all__ = ["CompartmentReport", "CompartmentReader", "CompartmentWriter", "CompartmentReaderABC",
           "CompartmentWriterABC", "CompartmentReportWriter", "read_compartment_report"]
