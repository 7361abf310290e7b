"""Plots and loaders for simulation outputs (``bmtk.analyzer``)."""
