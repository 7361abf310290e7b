"""Reading SONATA compartment reports (``/report/<population>/{data, mapping/...}``) through the
Rust reader, with the methods and return values of bmtk 1.2.0's reader."""

import numpy as np

from .... import _native
from .core import CompartmentReaderABC


class _PopulationReader(CompartmentReaderABC):
    """One population of a report, held as numpy arrays."""

    def __init__(self, path, pop):
        self._path = str(path)
        self._population = pop["population"]
        self._node_ids = pop["node_ids"]
        self._index_pointer = pop["index_pointer"]
        self._element_ids = pop["element_ids"]
        self._element_pos = pop["element_pos"]
        self._data = pop["data"]
        self._variable = pop["variable"]
        self._units = pop["units"]
        self._time = np.asarray(pop["time"], dtype=np.float64)
        self._t_start, self._t_stop, self._dt = (float(v) for v in self._time)
        # bmtk counts steps from the time axis (truncating), not from the data's rows.
        self._n_steps = int((self._t_stop - self._t_start) / self._dt)
        ip = self._index_pointer.astype(np.int64)
        self._rows = {int(n): slice(int(ip[i]), int(ip[i + 1])) for i, n in enumerate(self._node_ids)}

    def _slice(self, node_id):
        try:
            return self._rows[int(node_id)]
        except (KeyError, TypeError, ValueError):
            raise KeyError("node_id {} not found in /report/{}/mapping/node_ids in file {}".format(
                node_id, self._population, self._path)) from None

    @property
    def populations(self):
        return [self._population]

    def get_population(self, population, default=None):
        return self if population == self._population else default

    def units(self, population=None):
        return self._units

    def variable(self, population=None):
        return self._variable

    def tstart(self, population=None):
        return self._t_start

    def tstop(self, population=None):
        return self._t_stop

    def dt(self, population=None):
        return self._dt

    def n_steps(self, population=None):
        return self._n_steps

    def time(self, population=None):
        return self._time.copy()

    def time_trace(self, population=None):
        return np.linspace(self._t_start, self._t_stop, num=self._n_steps, endpoint=True)

    def node_ids(self, population=None):
        return self._node_ids.copy()

    def index_pointer(self, population=None):
        return self._index_pointer.copy()

    def element_pos(self, node_id=None, population=None):
        return self._element_pos.copy() if node_id is None else self._element_pos[self._slice(node_id)].copy()

    def element_ids(self, node_id=None, population=None):
        return self._element_ids.copy() if node_id is None else self._element_ids[self._slice(node_id)].copy()

    def n_elements(self, node_id=None, population=None):
        return len(self.element_pos(node_id))

    def data(self, node_id=None, population=None, time_window=None, sections="all", **opts):
        """Steps x elements: all elements, one node's (``sections='all'``), its first
        (``'origin'``) or those whose element id is in ``sections``."""
        if node_id is None:
            cols = slice(0, self._data.shape[1])
        else:
            rng = self._slice(node_id)
            if sections == "origin" or (rng.stop - rng.start) == 1:
                cols = rng
            elif isinstance(sections, str) and sections == "all":
                cols = rng
            else:
                wanted = np.atleast_1d(np.asarray(sections))
                idx = np.arange(rng.start, rng.stop)
                cols = idx[np.isin(self._element_ids[rng], wanted)]
        if time_window is None:
            rows = slice(0, self._n_steps)
        else:
            if len(time_window) != 2:
                raise ValueError("Invalid time_window, expecting tuple [being, end].")
            beg = max(int((time_window[0] - self._t_start) / self._dt), 0)
            end = min(int((time_window[1] - self._t_start) / self._dt), self._n_steps)
            rows = slice(beg, end)
        return np.array(self._data[rows][:, cols])

    def custom_columns(self, population=None):
        """Extra mapping datasets; the Rust reader keeps only the SONATA ones, so there are none."""
        return {}

    def get_column(self, column_name, population=None):
        cols = {"node_ids": self._node_ids, "index_pointer": self._index_pointer, "element_ids": self._element_ids,
                "element_pos": self._element_pos, "time": self._time}
        if column_name not in cols:
            raise KeyError("{}: /report/{}/mapping has no column {!r} readable here".format(
                self._path, self._population, column_name))
        return cols[column_name].copy()

    def get_element_data(self, node_id, population=None):
        return None

    def get_node_description(self, node_id, population=None):
        return None

    def get_report_description(self, population=None):
        return None

    def __getitem__(self, population):
        return self


class CompartmentReader(CompartmentReaderABC):
    """All populations of a compartment report file. Methods taking ``population=None`` use the
    default population: ``default_population`` (or ``population``) if given, else the only one."""

    def __init__(self, filename, mode="r", **params):
        if mode != "r":
            raise ValueError("CompartmentReader opens files for reading only (mode 'r'), got {!r}".format(mode))
        self._path = str(filename)
        pops = _native.read_compartment_report_file(self._path)
        self._popgrps = {p["population"]: _PopulationReader(self._path, p) for p in pops}
        default = params.get("default_population", params.get("population"))
        if default is not None:
            if default not in self._popgrps:
                raise KeyError("Unknown population {} found in report {} (it has {}).".format(
                    default, self._path, list(self._popgrps)))
            self._default_population = default
        elif len(self._popgrps) == 1:
            self._default_population = next(iter(self._popgrps))
        else:
            self._default_population = None

    @property
    def default_population(self):
        if self._default_population is None:
            raise ValueError("{} holds populations {}: please specify a node population.".format(
                self._path, list(self._popgrps)))
        return self._default_population

    @property
    def populations(self):
        return list(self._popgrps)

    def get_population(self, population, default=None):
        return self._popgrps.get(population, default)

    def _pop(self, population):
        return self[population or self.default_population]

    def units(self, population=None):
        return self._pop(population).units()

    def variable(self, population=None):
        return self._pop(population).variable()

    def tstart(self, population=None):
        return self._pop(population).tstart()

    def tstop(self, population=None):
        return self._pop(population).tstop()

    def dt(self, population=None):
        return self._pop(population).dt()

    def n_steps(self, population=None):
        return self._pop(population).n_steps()

    def time(self, population=None):
        return self._pop(population).time()

    def time_trace(self, population=None):
        return self._pop(population).time_trace()

    def node_ids(self, population=None):
        return self._pop(population).node_ids()

    def index_pointer(self, population=None):
        return self._pop(population).index_pointer()

    def element_pos(self, node_id=None, population=None):
        return self._pop(population).element_pos(node_id)

    def element_ids(self, node_id=None, population=None):
        return self._pop(population).element_ids(node_id)

    def n_elements(self, node_id=None, population=None):
        return self._pop(population).n_elements(node_id)

    def data(self, node_id=None, population=None, time_window=None, sections="all", **opt_attrs):
        return self._pop(population).data(node_id=node_id, time_window=time_window, sections=sections, **opt_attrs)

    def custom_columns(self, population=None):
        return self._pop(population).custom_columns()

    def get_column(self, column_name, population=None):
        return self._pop(population).get_column(column_name)

    def get_node_description(self, node_id, population=None):
        return self._pop(population).get_node_description(node_id)

    def get_report_description(self, population=None):
        return self._pop(population).get_report_description()

    def __getitem__(self, population):
        if population not in self._popgrps:
            raise KeyError("population {!r} is not in report {} (it has {})".format(
                population, self._path, list(self._popgrps)))
        return self._popgrps[population]


CompartmentReaderVer01 = CompartmentReader
