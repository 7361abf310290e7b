"""Simulation reports mirroring ``bmtk.utils.reports``: spike trains (SONATA, CSV, NWB) and
compartment reports, under the names bmtk exports here."""

from .compartment import CompartmentReport
from .spike_trains import SpikeTrains

__all__ = ["CompartmentReport", "SpikeTrains"]
