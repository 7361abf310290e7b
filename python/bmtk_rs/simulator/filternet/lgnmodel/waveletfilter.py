"""Spectro-temporal wavelet filter for audio stimuli (``bmtk...lgnmodel.waveletfilter``)."""

import numpy as np

from .kernel import Kernel2D


class WaveletFilter:
    """A cosine grating under a Gaussian (frequency) x gamma-like (time) envelope.

    :param translate: envelope centre in log2(freq / min_freq)
    :param sigma_f: envelope width along frequency (octaves)
    :param b_t: bandwidth of the temporal envelope
    :param order_t: order of the temporal envelope
    :param theta: grating orientation (radians); pi/2 gives a fast, mostly positive filter
    :param Lambda: grating wavelength
    :param psi: grating phase (radians)
    :param delay: extra delay (ms)
    :param amplitude: factor applied after normalisation
    :param direction: +1 upward sweep, -1 downward, 0 none
    """

    def __init__(self, translate=4.0, sigma_f=1.0, b_t=1.0, order_t=3, theta=0.0, Lambda=1.0, psi=0.0, delay=0.0,
                 amplitude=1., direction=1):
        self.translate = translate
        self.sigma_f = sigma_f
        self.b_t = b_t
        self.order_t = order_t
        self.theta = theta
        self.Lambda = Lambda
        self.psi = psi
        self.delay = delay
        self.amplitude = amplitude
        self.direction = direction

    def imshow(self, row_range, col_range, threshold=0, **kwargs):
        return self.get_kernel(row_range, col_range, threshold).imshow(**kwargs)

    def to_dict(self):
        return {"class": (__name__, type(self).__name__), "translate": self.translate, "sigma_f": self.sigma_f,
                "b_t": self.b_t, "order_t": self.order_t, "theta": self.theta, "lambda": self.Lambda,
                "psi": self.psi, "amplitude": self.amplitude, "delay": self.delay, "direction": self.direction}

    def get_kernel(self, row_range, col_range, threshold_rel=0.05, show_plot=False, plot_ax=None):
        """The filter with rows = frequencies and cols = times (s), scaled to a maximum of 1, cropped
        to where it exceeds ``threshold_rel``, zero-mean and unit L1, times amplitude."""
        y, x = np.meshgrid(row_range, col_range)
        freq_env = np.exp(-.5 * (y - self.translate) ** 2 / self.sigma_f ** 2)
        if self.theta != np.pi / 2:
            f_t = np.cos(self.theta) / self.Lambda
            dt = x - (-0.1 * self.Lambda / np.cos(self.theta) + self.delay / 1000)
            env = (f_t * dt) ** (self.order_t - 1) * np.exp(-1 * self.b_t * f_t * dt) * freq_env
            env *= np.heaviside(dt, 0)  # causal: nothing before the onset
            carrier = np.cos(2 * np.pi / self.Lambda * (dt * np.cos(self.theta) + self.direction * (
                y - self.translate) * np.sin(self.theta)) + self.psi)
        else:
            # no temporal modulation: a fast, mostly positive temporal profile instead
            f_t = 2.5
            dt = x - (0 + self.delay / 1000)
            env = ((f_t * dt) ** (self.order_t - 1) * np.exp(-1 * self.b_t * f_t * dt) * np.sin(2 * np.pi * f_t * dt)
                   * freq_env)
            env *= np.heaviside(dt, 0)
            carrier = np.cos(2 * np.pi / self.Lambda * (y - self.translate) + self.psi)
        values = env * carrier
        values /= np.max(values)
        kernel = Kernel2D.from_dense(row_range, col_range, values, threshold=threshold_rel * np.max(values))
        kernel.normalize2()
        kernel.kernel *= self.amplitude
        if show_plot:
            kernel.imshow(ax=plot_ax, truncate_col=False, colorbar=False, show=False)
        return kernel
