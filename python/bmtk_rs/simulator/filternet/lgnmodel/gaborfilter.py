"""Spectro-temporal Gabor filter for audio stimuli (``bmtk...lgnmodel.gaborfilter``)."""

import numpy as np

from .kernel import Kernel2D


class GaborFilter:
    """A cosine grating under a Gaussian envelope on the (time, log-frequency) plane; the envelope is
    not rotated with the grating.

    :param translate: envelope centre in log(freq / min_freq)
    :param sigma_f: envelope width along frequency (octaves)
    :param sigma_t: envelope width along time (s)
    :param theta: grating orientation (radians)
    :param Lambda: grating wavelength
    :param psi: grating phase (radians)
    :param amplitude: factor applied after normalisation
    :param direction: +1 upward sweep, -1 downward, 0 none
    """

    def __init__(self, translate=4.0, sigma_f=1.0, sigma_t=1.0, theta=0.0, Lambda=1.0, psi=0.0, amplitude=1.,
                 direction=1):
        self.translate = translate
        self.sigma_f = sigma_f
        self.sigma_t = sigma_t
        self.theta = theta
        self.Lambda = Lambda
        self.psi = psi
        self.amplitude = amplitude
        self.direction = direction

    def imshow(self, row_range, col_range, threshold=0, **kwargs):
        return self.get_kernel(row_range, col_range, threshold).imshow(**kwargs)

    def to_dict(self):
        return {"class": (__name__, type(self).__name__), "translate": self.translate, "sigma_f": self.sigma_f,
                "sigma_t": self.sigma_t, "theta": self.theta, "lambda": self.Lambda, "psi": self.psi,
                "amplitude": self.amplitude, "direction": self.direction}

    def get_kernel(self, row_range, col_range, threshold_rel=0.05):
        """The filter with rows = frequencies (``row_range``) and cols = times (``col_range``), cropped
        to where it exceeds ``threshold_rel`` x its maximum, zero-mean and unit L1, times amplitude."""
        y, x = np.meshgrid(row_range, col_range)
        t0 = 0.5 * self.Lambda * np.cos(self.theta)
        dx, dy = x - t0, y - self.translate
        envelope = np.exp(-.5 * (dx ** 2 / self.sigma_t ** 2 + dy ** 2 / self.sigma_f ** 2))
        carrier = np.cos(2 * np.pi / self.Lambda * (dx * np.cos(self.theta) + self.direction * dy * np.sin(self.theta))
                         + self.psi)
        values = envelope * carrier
        kernel = Kernel2D.from_dense(row_range, col_range, values, threshold=threshold_rel * np.max(values))
        kernel.normalize2()
        kernel.kernel *= self.amplitude
        return kernel
