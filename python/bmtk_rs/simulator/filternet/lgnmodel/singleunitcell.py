"""``bmtk...lgnmodel.singleunitcell``: bmtk keeps only the imports of the single-unit cell pieces
here; the same names are offered."""

from .cellmodel import OffUnit, OnUnit  # noqa: F401
from .linearfilter import SpatioTemporalFilter  # noqa: F401
from .spatialfilter import GaussianSpatialFilter  # noqa: F401
from .temporalfilter import TemporalFilterCosineBump  # noqa: F401
from .transferfunction import ScalarTransferFunction  # noqa: F401
