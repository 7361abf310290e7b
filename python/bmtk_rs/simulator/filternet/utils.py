"""``bmtk.simulator.filternet.utils``: lgnmodel's helper functions and the per-subclass cell metrics."""

from .lgnmodel.cellmetrics import get_data_metrics_for_each_subclass  # noqa: F401
from .lgnmodel.util_fns import *  # noqa: F401,F403
