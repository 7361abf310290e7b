"""bmtk-rs: the Brain Modeling Toolkit's API on a Rust engine.

Modules mirror bmtk's import paths (``bmtk_rs.builder.networks`` for ``bmtk.builder.networks``
and so on); :func:`install_as_bmtk` lets unchanged scripts ``import bmtk``.
"""

from ._native import __version__
from ._compat import install_as_bmtk

__all__ = ["__version__", "install_as_bmtk"]
