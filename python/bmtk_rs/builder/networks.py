"""``from bmtk.builder.networks import NetworkBuilder``."""

from .network_builder import NetworkBuilder

DenseNetwork = NetworkBuilder

__all__ = ["NetworkBuilder", "DenseNetwork"]
