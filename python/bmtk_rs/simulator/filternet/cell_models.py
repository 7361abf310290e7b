"""``bmtk.simulator.filternet.cell_models``: the LGN cell models of lgnmodel.cellmodel."""

from .lgnmodel.cellmodel import *  # noqa: F401,F403
