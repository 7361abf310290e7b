"""MPI for the simulators: the communicator when the process was started by mpirun/srun with more
than one rank, else None. mpi4py is imported only then, so serial runs never initialise MPI."""

import os

_LAUNCHER_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS")
_comm = None
_checked = False


def world():
    """The MPI world communicator when running on more than one rank, else None."""
    global _comm, _checked
    if _checked:
        return _comm
    _checked = True
    sizes = [os.environ.get(v) for v in _LAUNCHER_VARS]
    if not any(s is not None and s.isdigit() and int(s) > 1 for s in sizes):
        return None
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(
            "this process was started by an MPI launcher with several ranks, but mpi4py is not installed "
            "(pip install mpi4py, with an MPI library such as Debian's libopenmpi-dev)") from e
    comm = MPI.COMM_WORLD
    _comm = comm if comm.Get_size() > 1 else None
    return _comm


def rank():
    c = world()
    return 0 if c is None else c.Get_rank()


def size():
    c = world()
    return 1 if c is None else c.Get_size()
