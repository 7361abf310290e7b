"""``bmtk.simulator.core.io_tools``: the ``io`` object the simulators log through and that makes
the output folder (rank 0 under MPI)."""

import logging
import os
import shutil
import sys

from .. import _mpi


class IOUtils:
    """Logging and output-folder helpers; one shared logger for all instances."""

    _logger = None

    def __init__(self):
        comm = _mpi.world()
        self.mpi_rank = 0 if comm is None else comm.Get_rank()
        self.mpi_size = 1 if comm is None else comm.Get_size()
        self._log_format = logging.Formatter("%(asctime)s [%(levelname)s] %(message)s")
        self._log_level = logging.INFO
        self._log_to_console = True
        self._warn_messages = set()

    @property
    def log_to_console(self):
        return self._log_to_console

    @log_to_console.setter
    def log_to_console(self, flag):
        if not isinstance(flag, bool):
            raise TypeError("log_to_console must be a bool, got {!r}".format(flag))
        self._log_to_console = flag

    @property
    def logger(self):
        if IOUtils._logger is None:
            IOUtils._logger = logging.getLogger(type(self).__name__)
            IOUtils._logger.setLevel(self._log_level)
            if self._log_to_console:
                handler = logging.StreamHandler(sys.stdout)
                handler.setFormatter(self._log_format)
                IOUtils._logger.addHandler(handler)
        return IOUtils._logger

    def set_log_format(self, format_str):
        self._log_format = logging.Formatter(format_str)

    def set_log_level(self, loglevel):
        if isinstance(loglevel, int):
            self._log_level = loglevel
        elif isinstance(loglevel, str):
            self._log_level = logging.getLevelName(loglevel)
        else:
            raise ValueError("cannot set logging level to {!r}".format(loglevel))

    def barrier(self):
        comm = _mpi.world()
        if comm is not None:
            comm.Barrier()

    def quiet_simulator(self):
        pass

    def setup_output_dir(self, output_dir, log_file, overwrite=True):
        """Creates (or with ``overwrite`` empties) ``output_dir`` and starts logging to ``log_file``."""
        if self.mpi_rank == 0:
            if os.path.exists(output_dir):
                if overwrite:
                    shutil.rmtree(output_dir)
                    os.makedirs(output_dir)
                else:
                    self.log_warning("Directory {} already exists.".format(output_dir))
            else:
                os.makedirs(output_dir)
        self.barrier()
        if log_file is not None:
            log_file = os.path.abspath(log_file)
            for handler in list(self.logger.handlers):
                if isinstance(handler, logging.FileHandler) and os.path.abspath(handler.baseFilename) == log_file:
                    self.logger.removeHandler(handler)
                    handler.close()
            fh = logging.FileHandler(log_file, mode="w")
            fh.setFormatter(self._log_format)
            self.logger.addHandler(fh)
            self.log_info("Created log file")

    def log_info(self, message, all_ranks=False):
        if all_ranks or self.mpi_rank == 0:
            self.logger.info(message)

    def log_warning(self, message, all_ranks=False, display_once=False):
        if not (all_ranks or self.mpi_rank == 0):
            return
        if display_once and message in self._warn_messages:
            return
        self._warn_messages.add(message)
        self.logger.warning(message)

    def log_error(self, message):
        self.logger.error(message)

    def log_exception(self, message, raise_exception=True):
        if self.mpi_rank == 0:
            self.logger.error(message)
        self.barrier()
        if raise_exception:
            raise Exception(message)

    def log_debug(self, message, all_ranks=False):
        if all_ranks or self.mpi_rank == 0:
            self.logger.debug(message)


io = IOUtils()
