"""Helpers for building networks (``bmtk.builder.auxi``): node placement and connection rules."""
