"""Network building (``bmtk.builder``)."""

from .network_builder import NetworkBuilder

__all__ = ["NetworkBuilder"]
