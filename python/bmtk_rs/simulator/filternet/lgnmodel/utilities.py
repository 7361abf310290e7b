"""Helpers of ``bmtk...lgnmodel.utilities``: frame times, 2-D affine transforms of filter images and
the frame-interpolated convolution helpers.

bmtk builds its transforms with scikit-image; bmtk-rs needs only numpy, so :class:`AffineTransform`
reproduces the part used here (3x3 homogeneous matrices, composed with ``+`` meaning "this one,
then the other") and :func:`apply_transformation_matrix` the bilinear, zero-filled, range-clipped
image warp that the spatial filters go through.
"""

import array

import numpy as np


def get_vanhateren(filename, src_dir=None):
    """One van Hateren natural image (1024 x 1536 big-endian uint16)."""
    with open(filename, "rb") as handle:
        raw = array.array("H", handle.read())
    raw.byteswap()
    return np.array(raw, dtype="uint16").reshape(1024, 1536)


def convert_tmin_tmax_framerate_to_trange(t_min, t_max, frame_rate):
    """Frame times from t_min to t_max (inclusive) at frame_rate."""
    return t_min + np.arange((t_max - t_min) * frame_rate + 1) * (1.0 / frame_rate)


class AffineTransform:
    """A 2-D homogeneous transform acting on (x, y) = (column, row) coordinates."""

    def __init__(self, matrix=None, rotation=None, translation=None, scale=None):
        m = np.eye(3) if matrix is None else np.array(matrix, dtype=float)
        if m.shape != (3, 3):
            raise ValueError("a transform matrix must be 3x3, got shape {}".format(m.shape))
        if scale is not None:
            sx, sy = (scale, scale) if np.isscalar(scale) else scale
            m = np.diag([float(sx), float(sy), 1.0]) @ m
        if rotation is not None:
            c, s = np.cos(rotation), np.sin(rotation)
            m = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ m
        if translation is not None:
            m = m.copy()
            m[0, 2] += translation[0]
            m[1, 2] += translation[1]
        self.params = m

    def __add__(self, other):
        if not isinstance(other, AffineTransform):
            raise TypeError("can only combine with another AffineTransform, got {!r}".format(type(other)))
        return AffineTransform(other.params @ self.params)

    def __call__(self, coords):
        xy = np.atleast_2d(np.asarray(coords, dtype=float))
        full = np.hstack([xy, np.ones((len(xy), 1))]) @ self.params.T
        return full[:, :2] / full[:, 2:3]

    @property
    def inverse(self):
        return AffineTransform(np.linalg.inv(self.params))

    @property
    def translation(self):
        return self.params[0:2, 2]

    def __repr__(self):
        return "AffineTransform({})".format(self.params.tolist())


def get_rotation_matrix(rotation, shape):
    """Rotation by ``rotation`` degrees about the centre of an image of ``shape`` (rows, cols)."""
    cy, cx = np.array(shape) / 2.0
    to_origin = AffineTransform(translation=[-cx, -cy])
    turn = AffineTransform(rotation=np.deg2rad(rotation))
    back = AffineTransform(translation=[cx, cy])
    return to_origin + (turn + back)


def get_translation_matrix(translation):
    """Shift by (-dx, +dy): bmtk's sign convention for filter offsets."""
    dx, dy = translation
    return AffineTransform(translation=[-dx, dy])


def get_scale_matrix(scale, shape):
    """Scaling by 1/scale about the centre of an image of ``shape``."""
    cy, cx = np.array(shape) / 2.0
    to_origin = AffineTransform(translation=[-cx, -cy])
    stretch = AffineTransform(scale=(1.0 / scale[0], 1.0 / scale[1]))
    back = AffineTransform(translation=[cx, cy])
    return to_origin + (stretch + back)


def _transform_params(matrix):
    if isinstance(matrix, np.ndarray):
        return matrix
    params = getattr(matrix, "params", None)
    if params is None:
        raise TypeError("expected a 3x3 matrix or a transform with .params, got {!r}".format(type(matrix)))
    return np.asarray(params, dtype=float)


def apply_transformation_matrix(image, matrix):
    """Resample ``image`` (2-D) so that output pixel (row r, col c) takes the bilinear value at
    ``matrix @ (c, r, 1)`` of the input; points off the image read 0, and the result is clipped to
    the input's value range (extended to 0 when 0 lies outside it and the output reaches it)."""
    image = np.asarray(image, dtype=float)
    m = _transform_params(matrix)
    rows, cols = image.shape
    rr, cc = np.meshgrid(np.arange(rows, dtype=float), np.arange(cols, dtype=float), indexing="ij")
    denom = m[2, 0] * cc + m[2, 1] * rr + m[2, 2]
    src_c = (m[0, 0] * cc + m[0, 1] * rr + m[0, 2])
    src_r = (m[1, 0] * cc + m[1, 1] * rr + m[1, 2])
    if not (m[2, 0] == 0 and m[2, 1] == 0 and m[2, 2] == 1):
        src_c, src_r = src_c / denom, src_r / denom

    r0, c0 = np.floor(src_r), np.floor(src_c)
    r1, c1 = np.ceil(src_r), np.ceil(src_c)
    dr, dc = src_r - r0, src_c - c0

    def pixel(r, c):
        inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
        vals = np.zeros(r.shape)
        vals[inside] = image[r[inside].astype(np.int64), c[inside].astype(np.int64)]
        return vals

    top = (1 - dc) * pixel(r0, c0) + dc * pixel(r0, c1)
    bottom = (1 - dc) * pixel(r1, c0) + dc * pixel(r1, c1)
    out = (1 - dr) * top + dr * bottom

    lo, hi = image.min(), image.max()
    if not lo <= 0.0 <= hi and out.min() <= 0.0 <= out.max():
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return np.clip(out, lo, hi)


def _windowed_dot(frame, flipped_t_inds, kernel, data):
    idx = np.asarray(flipped_t_inds) + frame
    keep = (idx >= 0) & (idx < len(data))
    if keep.all():
        return np.dot(data[idx], kernel)
    return np.dot(data[idx[keep]], np.asarray(kernel)[keep])


def get_convolution_ind(curr_fi, flipped_t_inds, kernel, data):
    """Kernel applied at frame ``curr_fi``, dropping taps before the first or after the last frame."""
    return _windowed_dot(curr_fi, flipped_t_inds, kernel, data)


def get_convolution(t, frame_rate, flipped_t_inds, kernel, data):
    """Kernel applied at time ``t`` (s), linear between the two neighbouring frames."""
    fi = frame_rate * float(t)
    lo, hi = int(np.floor(fi)), int(np.ceil(fi))
    if lo == hi:
        return _windowed_dot(lo, flipped_t_inds, kernel, data)
    frac = fi - lo
    return (_windowed_dot(lo, flipped_t_inds, kernel, data) * (1 - frac)
            + _windowed_dot(hi, flipped_t_inds, kernel, data) * frac)
