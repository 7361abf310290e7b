"""LGN cell models (``bmtk...lgnmodel.cellmodel``): ON and OFF units and two-subfield cells."""

import numpy as np

from .lgnmodel1 import LGNModel, heat_plot  # noqa: F401 - bmtk re-exports these here
from .linearfilter import SpatioTemporalFilter  # noqa: F401
from .lnunit import LNUnit, MultiLNUnit
from .movie import Movie  # noqa: F401
from .spatialfilter import GaussianSpatialFilter  # noqa: F401
from .temporalfilter import TemporalFilterCosineBump  # noqa: F401
from .transferfunction import MultiTransferFunction, ScalarTransferFunction

_RECTIFIED_SUM = "Heaviside(x)*(x)+Heaviside(y)*(y)"


class OnUnit(LNUnit):
    """An LNUnit whose filter has positive amplitude."""

    def __init__(self, linear_filter, transfer_function):
        if not linear_filter.amplitude > 0:
            raise ValueError("an OnUnit needs a filter with amplitude > 0, got {}".format(linear_filter.amplitude))
        super().__init__(linear_filter, transfer_function)


class OffUnit(LNUnit):
    """An LNUnit whose filter has negative amplitude."""

    def __init__(self, linear_filter, transfer_function):
        if not linear_filter.amplitude < 0:
            raise ValueError("an OffUnit needs a filter with amplitude < 0, got {}".format(linear_filter.amplitude))
        super().__init__(linear_filter, transfer_function)


class LGNOnOffCell(MultiLNUnit):
    """An ON and an OFF unit (identity transfer each), combined by default as the sum of their
    rectified outputs."""

    def __init__(self, on_filter, off_filter, transfer_function=None):
        if transfer_function is None:
            transfer_function = MultiTransferFunction(("x", "y"), _RECTIFIED_SUM)
        self.on_filter = on_filter
        self.off_filter = off_filter
        self.on_unit = OnUnit(self.on_filter, ScalarTransferFunction("s"))
        self.off_unit = OffUnit(self.off_filter, ScalarTransferFunction("s"))
        super().__init__([self.on_unit, self.off_unit], transfer_function)


class TwoSubfieldLinearCell(MultiLNUnit):
    """A dominant and a non-dominant subfield; the dominant one is placed at
    ``dominant_subfield_location`` and the other ``subfield_separation`` away along
    ``onoff_axis_angle`` (degrees). Both filters' spatial parts are moved in place."""

    def __init__(self, dominant_filter, nondominant_filter, subfield_separation=10, onoff_axis_angle=45,
                 dominant_subfield_location=(30, 40), transfer_function=None):
        if transfer_function is None:
            transfer_function = MultiTransferFunction(("x", "y"), _RECTIFIED_SUM)
        self.subfield_separation = subfield_separation
        self.onoff_axis_angle = onoff_axis_angle
        self.dominant_subfield_location = dominant_subfield_location
        self.dominant_filter = dominant_filter
        self.nondominant_filter = nondominant_filter
        self.transfer_function = transfer_function
        # bmtk gives both units the dominant filter's amplitude
        self.dominant_unit = LNUnit(dominant_filter, ScalarTransferFunction("s"), amplitude=dominant_filter.amplitude)
        self.nondominant_unit = LNUnit(nondominant_filter, ScalarTransferFunction("s"),
                                       amplitude=dominant_filter.amplitude)
        super().__init__([self.dominant_unit, self.nondominant_unit], transfer_function)
        dominant_filter.spatial_filter.translate = dominant_subfield_location
        angle = onoff_axis_angle * np.pi / 180.
        nondominant_filter.spatial_filter.translate = (
            np.cos(angle) * subfield_separation + dominant_subfield_location[0],
            np.sin(angle) * subfield_separation + dominant_subfield_location[1])
