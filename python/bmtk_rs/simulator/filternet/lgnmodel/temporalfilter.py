"""Temporal filters (``bmtk...lgnmodel.temporalfilter``): the two-bump cosine filter of the LGN
cell models and a filter from sampled values."""

import numpy as np

from . import fitfuns
from .kernel import Kernel1D


class TemporalFilter:
    def __init__(self):
        self.t_support = []
        self.kernel_data = None

    def imshow(self, t_range=None, threshold=0, reverse=False, rescale=False, **kwargs):
        return self.get_kernel(t_range, threshold, reverse, rescale).imshow(**kwargs)

    def to_dict(self):
        return {"class": (__name__, type(self).__name__)}

    def get_default_t_grid(self):
        raise NotImplementedError("{}.get_default_t_grid".format(type(self).__name__))

    def get_kernel(self, t_range=None, threshold=0, reverse=False, rescale=False):
        """The filter sampled on ``t_range`` (s; default 0..0.599 s in 1 ms steps), linearly
        interpolated between its 1 ms support points and 0 outside them."""
        if t_range is None:
            t_range = self.get_default_t_grid()
        if len(self.t_support) == 1:
            k = Kernel1D(self.t_support, self.kernel_data, threshold=threshold, reverse=reverse)
        else:
            values = np.interp(t_range, self.t_support, self.kernel_data, left=0.0, right=0.0)
            k = Kernel1D(t_range, values, threshold=threshold, reverse=reverse)
        if rescale:
            k.rescale()
        return k


class ArrayTemporalFilter(TemporalFilter):
    def __init__(self, mask, t_support):
        super().__init__()
        if len(mask) != len(t_support):
            raise ValueError("mask and t_support differ in length")
        self.mask = mask
        self.t_support = t_support
        self.nkt = 600
        self.kernel_data = self.mask

    def get_default_t_grid(self):
        return np.arange(self.nkt) * 0.001


class TemporalFilterCosineBump(TemporalFilter):
    """A positive cosine bump followed by a (usually negative) second one.

    :param weights: (w0, w1) bump magnitudes, w0 > 0
    :param kpeaks: (k0, k1) bump peak times in ms before delays, k0 < k1
    :param delays: (d0, d1) bump onsets in ms, d0 <= d1
    """

    def __init__(self, weights, kpeaks, delays):
        if len(kpeaks) != 2 or not kpeaks[0] < kpeaks[1]:
            raise ValueError("kpeaks must be two values with kpeaks[0] < kpeaks[1], got {}".format(kpeaks))
        if not weights[0] > 0:
            raise ValueError("weights[0] must be positive, got {}".format(weights))
        if not delays[0] <= delays[1]:
            raise ValueError("delays must have delays[0] <= delays[1], got {}".format(delays))
        super().__init__()
        self.ncos = len(weights)
        self.neye = 0
        self.b = 0.3
        self.nkt = 600
        self.weights = np.array([weights]).T
        self.kpeaks = kpeaks
        self.delays = np.array([delays]).astype(int)
        self.kbasprs = {"neye": self.neye, "ncos": self.ncos, "kpeaks": self.kpeaks, "b": self.b,
                        "delays": self.delays}
        basis = fitfuns.makeBasis_StimKernel(self.kbasprs, self.nkt)
        self.kernel_data = np.dot(basis, self.weights)[::-1].T[0]
        self.t_support = np.arange(0, len(self.kernel_data) * 0.001, 0.001)

    def __call__(self, t):
        return np.interp(t, self.t_support, self.kernel_data, left=0.0, right=0.0)

    def get_default_t_grid(self):
        return np.arange(self.nkt) * 0.001

    def to_dict(self):
        d = super().to_dict()
        d.update({"weights": self.weights.tolist(), "kpeaks": self.kpeaks})
        return d
