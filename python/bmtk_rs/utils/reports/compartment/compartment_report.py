"""``CompartmentReport``: opens a SONATA compartment report for reading (mode 'r') or writing."""

from .compartment_reader import CompartmentReader
from .compartment_writer import CompartmentWriter
from .core import CompartmentReaderABC, CompartmentWriterABC

SonataReaderDefault = CompartmentReader
SonataWriterDefault = CompartmentWriter


class CompartmentReport:
    """``CompartmentReport(path, mode='r', **opts)`` returns a reader, any other mode a writer
    (bmtk's factory); ``adaptor`` short-cuts to a ready reader/writer object."""

    def __new__(cls, path, mode="r", adaptor=None, *args, **kwargs):
        if adaptor is not None:
            return adaptor
        if mode == "r":
            return SonataReaderDefault(path, mode, **kwargs)
        return SonataWriterDefault(path, mode, **kwargs)

    @staticmethod
    def load(report):
        if isinstance(report, CompartmentReaderABC):
            return report
        if isinstance(report, CompartmentWriterABC):
            raise AttributeError("Unable to load a CompartmentWriter object.")
        return CompartmentReport(report, mode="r")
