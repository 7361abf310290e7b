"""Simulation reports mirroring ``bmtk.utils.reports``: spike trains (SONATA, CSV, NWB)."""
