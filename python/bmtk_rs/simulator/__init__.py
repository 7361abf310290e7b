"""Simulators, mirroring ``bmtk.simulator``."""
