"""The two interfaces of ``bmtk.utils.reports.compartment.core``: what a compartment-report reader
answers and what a writer accepts. The concrete classes are in compartment_reader / _writer."""


def _abstract(name):
    def method(self, *args, **kwargs):
        raise NotImplementedError("{}.{} is not implemented".format(type(self).__name__, name))
    method.__name__ = name
    return method


class CompartmentReaderABC:
    """Reads per-population traces (time steps x elements) and their element mapping."""

    populations = property(_abstract("populations"))
    for _name in ("get_population", "units", "variable", "tstart", "tstop", "dt", "time_trace", "n_steps",
                  "node_ids", "element_pos", "element_ids", "n_elements", "index", "data", "custom_columns",
                  "get_column", "get_node_description", "get_report_description"):
        locals()[_name] = _abstract(_name)
    del _name

    def validate_file(self, path, **attrs):
        return False

    def __getitem__(self, population):
        return self.get_population(population)


class CompartmentWriterABC:
    """Collects cells and their traces, then writes a SONATA compartment report."""

    for _name in ("set_units", "set_variable", "set_tstart", "set_tstop", "set_dt", "set_time_trace", "initialize",
                  "add_cell", "record_cell", "record_cell_block", "close", "flush", "merge", "__getitem__"):
        locals()[_name] = _abstract(_name)
    del _name
