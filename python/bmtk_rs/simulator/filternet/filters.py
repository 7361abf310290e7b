"""``bmtk.simulator.filternet.filters``: the filter classes of lgnmodel under one name (temporal,
spatial, spatiotemporal, wavelet and Gabor filters), as user scripts import them."""

from .lgnmodel.gaborfilter import *  # noqa: F401,F403
from .lgnmodel.linearfilter import *  # noqa: F401,F403
from .lgnmodel.spatialfilter import *  # noqa: F401,F403
from .lgnmodel.temporalfilter import *  # noqa: F401,F403
from .lgnmodel.waveletfilter import *  # noqa: F401,F403
