"""Writing SONATA compartment reports with bmtk 1.2.0's writer API (add_cell, initialize,
record_cell, record_cell_block, flush, close), on the Rust report writer.

Traces are kept in one numpy block per population (steps x elements) and written when the report is
closed, so the file appears complete or not at all. Under MPI each rank adds its own cells; at close
rank 0 gathers every rank's cells and traces (in rank order, as bmtk's merge orders them) and writes
the one file. As the SONATA specification types it (and libsonata requires), ``data`` is float32.
"""

import os

import numpy as np

from ....simulator import _mpi
from . import CompartmentReportWriter as _RustWriter
from .core import CompartmentWriterABC


class _PopulationWriter(CompartmentWriterABC):
    """The cells and traces of one population."""

    def __init__(self, population, variable=None, units=None, tstart=0.0, tstop=1.0, dt=0.01, n_steps=None,
                 buffer_size=0):
        self._population = population
        self._variable = variable
        self._units = units
        self._tstart, self._tstop, self._dt = tstart, tstop, dt
        self._n_steps = n_steps
        self._buffer_size = buffer_size
        self._node_ids = []
        self._element_ids = []
        self._element_pos = []
        self._index = [0]
        self._cols = {}
        self._block = None

    # -- the values bmtk's population writer answers --------------------------------------------
    def set_units(self, val, population=None):
        self._units = val

    def units(self, population=None):
        return self._units

    def set_variable(self, val, population=None):
        self._variable = val

    def variable(self, population=None):
        return self._variable

    def set_tstart(self, val, population=None):
        self._tstart = val

    def tstart(self, population=None):
        return self._tstart

    def set_tstop(self, val, population=None):
        self._tstop = val

    def tstop(self, population=None):
        return self._tstop

    def set_dt(self, val, population=None):
        self._dt = val

    def dt(self, population=None):
        return self._dt

    def n_steps(self, population=None):
        if self._n_steps is None:
            self._n_steps = int((self._tstop - self._tstart) / self._dt)
        return self._n_steps

    def node_ids(self, population=None):
        return np.asarray(self._node_ids, dtype=np.uint64)

    def element_ids(self, node_id=None, population=None):
        ids = np.asarray(self._element_ids, dtype=np.uint64)
        return ids if node_id is None else ids[self._col_slice(node_id)]

    def element_pos(self, node_id=None, population=None):
        pos = np.asarray(self._element_pos, dtype=np.float64)
        return pos if node_id is None else pos[self._col_slice(node_id)]

    def index_pointer(self, population=None):
        return np.asarray(self._index, dtype=np.uint64)

    def data(self, node_id=None, population=None, **opts):
        self.initialize()
        return self._block.copy() if node_id is None else self._block[:, self._col_slice(node_id)].copy()

    # -- cells and traces ------------------------------------------------------------------------
    def add_cell(self, node_id, element_ids, element_pos, population=None, **map_attrs):
        if self._block is not None:
            raise RuntimeError("population {}: add_cell({}) after the report was initialized".format(
                self._population, node_id))
        if map_attrs:
            raise NotImplementedError("population {}: extra mapping columns {} are not supported by the report "
                                      "writer".format(self._population, sorted(map_attrs)))
        if len(element_ids) != len(element_pos):
            raise ValueError("node {}: {} element_ids but {} element_pos".format(
                node_id, len(element_ids), len(element_pos)))
        if int(node_id) in self._cols:
            raise ValueError("node {} was already added to population {}".format(node_id, self._population))
        n = len(element_pos)
        self._cols[int(node_id)] = slice(self._index[-1], self._index[-1] + n)
        self._node_ids.append(int(node_id))
        self._element_ids.extend(int(e) for e in element_ids)
        self._element_pos.extend(float(p) for p in element_pos)
        self._index.append(self._index[-1] + n)

    def _col_slice(self, node_id):
        try:
            return self._cols[int(node_id)]
        except KeyError:
            raise KeyError("node_id {} was not added to report population {}".format(
                node_id, self._population)) from None

    def initialize(self, **kwargs):
        if self._block is not None:
            return
        n_steps = self.n_steps()
        if n_steps <= 0:
            raise ValueError("population {}: a positive number of steps is required to initialize the compartment "
                             "report (give n_steps, or tstart/tstop/dt)".format(self._population))
        self._block = np.zeros((n_steps, self._index[-1]), dtype=np.float64)

    def record_cell(self, node_id, vals, tstep, population=None):
        self.initialize()
        self._block[int(tstep), self._col_slice(node_id)] = vals

    def record_cell_block(self, node_id, vals, beg_step, end_step, population=None):
        """Steps ``beg_step:end_step`` of one cell (bmtk 1.2.0 ignores the step range and writes
        from step 0, which only works for whole traces; here the range is honoured)."""
        self.initialize()
        cols = self._col_slice(node_id)
        vals = np.asarray(vals, dtype=np.float64)
        if vals.ndim == 1:
            self._block[beg_step:end_step, cols.start] = vals
        else:
            self._block[beg_step:end_step, cols] = vals

    def flush(self):
        pass

    def close(self):
        pass

    def merge(self):
        pass


class CompartmentWriter(CompartmentWriterABC):
    """``CompartmentReport(path, mode='w', default_population=..., variable=..., units=...,
    tstart=..., tstop=..., dt=..., n_steps=..., buffer_size=...)``: cells are added per population
    and the file is written by :meth:`close`."""

    def __init__(self, file_path, mode="w", default_population=None, cache_dir=None, variable=None, units=None,
                 buffer_size=0, tstart=0.0, tstop=0.0, dt=0.0, n_steps=None, **kwargs):
        if mode not in ("w", "w-", "x", "a"):
            raise ValueError("{}: unsupported report writing mode {!r}".format(file_path, mode))
        if mode in ("w-", "x") and os.path.exists(file_path):
            raise FileExistsError("{}: report file exists (mode {!r})".format(file_path, mode))
        self._path = os.fspath(file_path)
        self._default_pop = default_population
        self._params = dict(variable=variable, units=units, tstart=tstart, tstop=tstop, dt=dt, n_steps=n_steps,
                            buffer_size=buffer_size)
        self._pop_tables = {}
        self._closed = False

    def _build_or_fetch_pop(self, population):
        population = population or self._default_pop
        if population is None:
            raise ValueError("Please specify a valid node population (or use default_population parameter in "
                             "constructor).")
        if population not in self._pop_tables:
            self._pop_tables[population] = _PopulationWriter(population, **self._params)
        return self._pop_tables[population]

    def __getitem__(self, population):
        return self._build_or_fetch_pop(population)

    @property
    def populations(self):
        return list(self._pop_tables)

    def set_units(self, val, population=None):
        self[population].set_units(val)

    def set_variable(self, val, population=None):
        self[population].set_variable(val)

    def set_tstart(self, val, population=None):
        self[population].set_tstart(val)

    def set_tstop(self, val, population=None):
        self[population].set_tstop(val)

    def set_dt(self, val, population=None):
        self[population].set_dt(val)

    def n_steps(self, population=None):
        return self[population].n_steps()

    def set_time_trace(self, val, population=None):
        raise NotImplementedError("reports have a uniform time axis (tstart, tstop, dt)")

    def add_cell(self, node_id, element_ids, element_pos, population=None, **element_data):
        self._build_or_fetch_pop(population).add_cell(node_id, element_ids, element_pos, **element_data)

    def initialize(self):
        for table in self._pop_tables.values():
            table.initialize()

    def record_cell(self, node_id, vals, tstep, population=None):
        self._build_or_fetch_pop(population).record_cell(node_id, vals, tstep)

    def record_cell_block(self, node_id, vals, beg_step, end_step, population=None):
        self[population].record_cell_block(node_id, vals, beg_step, end_step)

    def flush(self):
        for table in self._pop_tables.values():
            table.flush()

    def _gathered(self):
        """{population: (node_ids, element counts, element_ids, element_pos, block)} merged over
        ranks in rank order; None on ranks other than 0."""
        self.initialize()
        local = {name: (t.node_ids(), np.diff(t.index_pointer()), t.element_ids(), t.element_pos(), t.data())
                 for name, t in self._pop_tables.items()}
        comm = _mpi.world()
        if comm is None or comm.Get_size() == 1:
            parts = [local]
        else:
            parts = comm.gather(local, root=0)
            if comm.Get_rank() != 0:
                return None
        merged = {}
        for part in parts:
            for name, piece in part.items():
                merged.setdefault(name, []).append(piece)
        return {name: tuple(np.concatenate([p[i] for p in pieces], axis=1 if i == 4 else 0) for i in range(5))
                for name, pieces in merged.items()}

    def close(self):
        """Writes the report (on rank 0 under MPI); later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        pops = self._gathered()
        if pops is None:
            return
        tables = list(self._pop_tables.values()) or [_PopulationWriter(None, **self._params)]
        first = tables[0]
        variables = {t.variable() for t in tables}
        units = {t.units() for t in tables}
        if len(variables) > 1 or len(units) > 1:
            raise ValueError("{}: populations differ in variable {} or units {}; the report writer takes one "
                             "variable and unit for the file".format(self._path, sorted(map(str, variables)),
                                                                     sorted(map(str, units))))
        variable, unit = variables.pop(), units.pop()
        os.makedirs(os.path.dirname(os.path.abspath(self._path)), exist_ok=True)
        cells = {}
        for name, (node_ids, counts, el_ids, el_pos, _) in pops.items():
            bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            cells[name] = [(n, el_ids[bounds[i]:bounds[i + 1]], el_pos[bounds[i]:bounds[i + 1]])
                           for i, n in enumerate(node_ids)]
        # bmtk leaves the variable attribute out when it is None; the Rust writer always writes one.
        w = _RustWriter(self._path, cells, float(first.tstart()), float(first.tstop()), float(first.dt()),
                        variable="" if variable is None else str(variable), units=unit, n_steps=first.n_steps())
        for name, piece in pops.items():
            if piece[4].shape[1] > 0:
                w.write_steps(name, 0, piece[4])
        w.close()

    def merge(self):
        pass

