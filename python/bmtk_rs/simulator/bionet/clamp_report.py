"""BMTK BioNet's ``clamp_report`` (``variable_name`` se, ic or f_ic): the currents of the clamps the
simulator was handed directly. bmtk 1.2.0's config inputs (IClamp, SEClamp) keep their clamps inside
their own modules, so a report made from a config has no column: one process writes a
``(int(tstop / dt), 0)`` table with the SONATA root attributes, and under MPI rank 0's merge of the
per-rank tables leaves an empty one-dimensional ``data``. bmtk-rs writes the same files."""

import os

import numpy as np

from ... import _native
from .. import _mpi
from .config import ConfigError

_VARIABLES = ("se", "ic", "f_ic")


def report_file_name(name, params):
    """bmtk's default: ``<report name>.h5`` (the name itself when it already ends in .h5/.hdf/.hdf5)."""
    if "file_name" in params:
        return params["file_name"]
    if name.endswith((".h5", ".hdf", ".hdf5")):
        return name
    return f"{name}.h5"


class ClampReport:
    def __init__(self, name, params, sim):
        var = params.get("variable_name")
        if var not in _VARIABLES:
            raise ConfigError(f"report '{name}': clamp_report needs variable_name 'se', 'ic' or 'f_ic' (the kind of "
                              f"clamp), got {var!r}")
        fname = report_file_name(name, params)
        self.path = fname if os.path.isabs(fname) else os.path.join(sim.output_dir, fname)
        self.rows = int((sim.tstop - 0.0) / sim.dt)
        if self.rows <= 0:
            raise ConfigError(f"report '{name}': tstop {sim.tstop} ms holds no step of {sim.dt} ms")

    def open(self, sim):
        pass

    def flush(self, sim, first_step):
        pass

    def close(self):
        comm = _mpi.world()
        if comm is not None and comm.Get_rank() != 0:
            return
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        _native.write_clamp_report(self.path, self.rows, 0, np.zeros(0), merged=comm is not None)
