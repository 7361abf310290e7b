"""Separable Gaussian blur with edge-replicating borders, the smoothing step of the Gaussian spatial
filters (the same weights and the same order of summation as ``scipy.ndimage.gaussian_filter``
with its defaults, so the kernels agree bit for bit without depending on scipy)."""

import numpy as np

_TRUNCATE = 4.0


def _weights(sigma):
    radius = int(_TRUNCATE * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    w = np.exp(-0.5 / (sigma * sigma) * offsets ** 2)
    return w / w.sum(), radius


def _blur_axis(data, sigma, axis):
    w, radius = _weights(sigma)
    moved = np.moveaxis(data, axis, -1)
    n = moved.shape[-1]
    pad = [(0, 0)] * (moved.ndim - 1) + [(radius, radius)]
    padded = np.pad(moved, pad, mode="edge")
    centre = padded[..., radius:radius + n]
    # The kernel is symmetric: pair the taps at +-j, outermost pair first, as scipy does.
    acc = centre * w[radius]
    for j in range(radius, 0, -1):
        acc = acc + (padded[..., radius - j:radius - j + n] + padded[..., radius + j:radius + j + n]) * w[radius - j]
    return np.moveaxis(acc, -1, axis)


def gaussian_blur(data, sigmas):
    """Blur ``data`` with standard deviation ``sigmas[k]`` (pixels) along axis k; axes whose sigma is
    (numerically) zero are left as they are."""
    out = np.asarray(data, dtype=float)
    if len(sigmas) != out.ndim:
        raise ValueError("need one sigma per axis: {} sigmas for {} axes".format(len(sigmas), out.ndim))
    for axis, sigma in enumerate(sigmas):
        if sigma < 0:
            raise ValueError("sigma must be >= 0, got {}".format(sigma))
        if sigma > 1e-15:
            out = _blur_axis(out, float(sigma), axis)
    return out
