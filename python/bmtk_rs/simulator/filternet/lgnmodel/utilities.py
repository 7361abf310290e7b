"""Small helpers of ``bmtk...lgnmodel.utilities``."""

import numpy as np


def convert_tmin_tmax_framerate_to_trange(t_min, t_max, frame_rate):
    """Frame times from t_min to t_max (inclusive) at frame_rate."""
    return t_min + np.arange((t_max - t_min) * frame_rate + 1) * (1.0 / frame_rate)
