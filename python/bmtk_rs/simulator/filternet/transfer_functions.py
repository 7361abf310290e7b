"""``bmtk.simulator.filternet.transfer_functions``: the transfer functions of lgnmodel."""

from .lgnmodel.transferfunction import *  # noqa: F401,F403
