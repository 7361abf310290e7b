"""Cursors (``bmtk...lgnmodel.cursor``): a linear(-nonlinear) unit bound to one movie, evaluated
frame by frame (the kernel as a sparse 3-D array) or, for separable filters, as a spatial sum per
frame followed by a temporal convolution.

Rates come out in bmtk's units: the filter response per frame times 1000 / frame_rate.
"""

import numpy as np

from .linearfilter import SpatioTemporalFilter, SpectroTemporalFilter  # noqa: F401 - bmtk's names here
from .utilities import convert_tmin_tmax_framerate_to_trange


def kernel_dot_product(movie_data, ti_offset, kernel_t_inds, kernel_row_inds, kernel_col_inds, kernel_kernel):
    """The kernel (negative time lags) applied to the movie at frame ``ti_offset``; taps that fall
    before the first or after the last frame are left out."""
    frames = kernel_t_inds + ti_offset + 1
    ok = np.where((frames >= 0) & (frames < movie_data.shape[0]))
    return np.dot(movie_data[frames[ok], kernel_row_inds[ok], kernel_col_inds[ok]], kernel_kernel[ok])


class KernelCursor:
    """A Kernel3D (time axis reversed, one sample per movie frame) sliding over a movie."""

    def __init__(self, kernel, movie):
        self.movie = movie
        self.kernel = kernel
        self.cache = {}
        steps = np.diff(self.kernel.t_range)
        if steps.size and not np.all(np.abs(steps - 1.0 / movie.frame_rate) < 1.5e-7):
            raise ValueError("the kernel's time step ({}) does not match the movie's frame rate ({} Hz)".format(
                steps[0], movie.frame_rate))

    @property
    def row_range(self):
        return self.movie.row_range

    @property
    def col_range(self):
        return self.movie.col_range

    @property
    def t_range(self):
        return self.movie.t_range

    @property
    def frame_rate(self):
        return self.movie.frame_rate

    def evaluate(self, t_min=None, t_max=None, downsample=1):
        """(times, rates) at every ``downsample``-th frame time from t_min to t_max (default: the
        whole movie)."""
        t_max = self.t_range[-1] if t_max is None else t_max
        t_min = self.t_range[0] if t_min is None else t_min
        times = convert_tmin_tmax_framerate_to_trange(t_min, t_max, self.movie.frame_rate)[::int(downsample)]
        values = np.array([self(t) for t in times])
        return times, values * 1000.0 / self.movie.frame_rate

    def __call__(self, t):
        """The response at time ``t`` (s): 0 outside the movie, linear between frames."""
        if t < self.t_range[0] or t > self.t_range[-1]:
            return 0
        fi = t * self.frame_rate
        lo, hi = int(np.floor(fi)), int(np.ceil(fi))
        t_lo, t_hi = float(lo) / self.frame_rate, float(hi) / self.frame_rate
        if np.abs(t_lo - t) < 1e-12:
            return self.apply_dot_product(lo)
        if np.abs(t_hi - t) < 1e-12:
            return self.apply_dot_product(hi)
        w_lo, w_hi = 1 - (t - t_lo) / (t_hi - t_lo), 1 - (t_hi - t) / (t_hi - t_lo)
        return self.apply_dot_product(lo) * w_lo + self.apply_dot_product(hi) * w_hi

    def apply_dot_product(self, ti_offset):
        if ti_offset not in self.cache:
            k = self.kernel
            self.cache[ti_offset] = kernel_dot_product(self.movie.data, ti_offset, k.t_inds, k.row_inds,
                                                       k.col_inds, k.kernel)
        return self.cache[ti_offset]


class FilterCursor(KernelCursor):
    """A SpatioTemporalFilter (no nonlinearity) on a movie."""

    def __init__(self, spatiotemporal_filter, movie, threshold=0):
        self.spatiotemporal_filter = spatiotemporal_filter
        kernel = spatiotemporal_filter.get_spatiotemporal_kernel(movie.row_range, movie.col_range,
                                                                 t_range=movie.t_range, threshold=threshold,
                                                                 reverse=True)
        super().__init__(kernel, movie)


def _pad_spectrogram(kernel, movie):
    """Edge-pad an audio spectrogram movie (freq rows, one column) so the kernel has data before the
    first frame and beyond the lowest/highest frequency; the originals are kept on ``*_orig``."""
    n_pre = len(np.unique(kernel.t_inds)) - 1
    n_rows = len(np.unique(kernel.row_inds)) - 1
    pre = np.full((n_pre, movie.data.shape[1]), movie.data[0, :, 0])[:, :, np.newaxis]
    movie.data_orig = movie.data
    movie.data = np.concatenate((pre, movie.data))
    low = np.full((movie.data.shape[0], n_rows, 1), np.reshape(movie.data[:, 0, 0], (-1, 1, 1)))
    high = np.full((movie.data.shape[0], n_rows, 1), np.reshape(movie.data[:, -1, 0], (-1, 1, 1)))
    movie.data = np.hstack((low, movie.data, high))
    kernel.t_range = np.linspace(kernel.t_range[0] - pre.shape[0] * 1 / movie.frame_rate, 0, movie.data.shape[0])
    movie.t_range_orig = movie.t_range
    movie.t_range = kernel.t_range - kernel.t_range[0]
    kernel.row_range = np.linspace(kernel.row_range[0] - low.shape[1] * (kernel.row_range[1] - kernel.row_range[0]),
                                   kernel.row_range[-1] + high.shape[1] * (kernel.row_range[-1] - kernel.row_range[-2]),
                                   movie.data.shape[1])
    movie.row_range_orig = movie.row_range
    movie.row_range = kernel.row_range
    kernel.row_inds = kernel.row_inds + low.shape[1]


class LNUnitCursor(KernelCursor):
    """An LNUnit on a movie: the linear response at each time, passed through the unit's transfer
    function."""

    def __init__(self, lnunit, movie, threshold=0):
        self.lnunit = lnunit
        if hasattr(movie, "t_range_orig"):  # undo the padding of an earlier cursor
            movie.t_range = movie.t_range_orig
            movie.data = movie.data_orig
            movie.row_range = movie.row_range_orig
        linear = lnunit.linear_filter
        if hasattr(linear, "get_spatiotemporal_kernel"):
            kernel = lnunit.get_spatiotemporal_kernel(movie.row_range, movie.col_range, movie.t_range, reverse=True,
                                                      threshold=threshold)
        elif hasattr(linear, "get_spectrotemporal_kernel"):
            kernel = lnunit.get_spectrotemporal_kernel(movie.row_range, movie.t_range, reverse=True, threshold=0.05)
            if movie.padding == "edge":
                _pad_spectrogram(kernel, movie)
        else:
            raise TypeError("LNUnit's linear filter {!r} has neither get_spatiotemporal_kernel nor "
                            "get_spectrotemporal_kernel".format(type(linear).__name__))
        kernel.apply_threshold(threshold)
        super().__init__(kernel, movie)

    def __call__(self, t):
        return self.lnunit.transfer_function(super().__call__(t))


class MultiLNUnitCursor:
    """Several LNUnits on one movie, combined by the MultiLNUnit's transfer function."""

    def __init__(self, multi_lnunit, movie, threshold=0):
        self.multi_lnunit = multi_lnunit
        self.lnunit_cursor_list = [LNUnitCursor(unit, movie, threshold=threshold) for unit in multi_lnunit.lnunit_list]
        self.movie = movie

    def evaluate(self, **kwargs):
        results = [cursor.evaluate(**kwargs) for cursor in self.lnunit_cursor_list]
        return results[0][0], self.multi_lnunit.transfer_function(*[y for _, y in results])


class MultiLNUnitMultiMovieCursor(MultiLNUnitCursor):
    """Each LNUnit of a MultiLNUnit on its own movie."""

    def __init__(self, multi_lnunit, movie_list, threshold=0.):
        if len(multi_lnunit.lnunit_list) != len(movie_list):
            raise ValueError("{} units but {} movies".format(len(multi_lnunit.lnunit_list), len(movie_list)))
        self.multi_lnunit = multi_lnunit
        self.lnunit_movie_list = movie_list
        self.lnunit_cursor_list = [unit.get_cursor(movie, threshold=threshold)
                                   for unit, movie in zip(multi_lnunit.lnunit_list, movie_list)]


class SeparableKernelCursor:
    """Spatial kernel summed over each frame, then the temporal kernel (reversed, as cursors use it)
    convolved along time; the movie is taken as gray (0) before its first frame."""

    def __init__(self, spatial_kernel, temporal_kernel, movie):
        self.movie = movie
        self.spatial_kernel = spatial_kernel
        self.temporal_kernel = temporal_kernel

    def evaluate(self, threshold=0):
        spatial = np.array([self.spatial_kernel.full()])
        temporal = self.temporal_kernel.full()
        # only the rectangle of pixels where the spatial kernel exceeds the threshold contributes
        used = np.where(np.abs(spatial[0]) > threshold)
        if len(used[0]) == 0:
            r0, r1, c0, c1 = 0, 0, spatial.shape[1], spatial.shape[2]
        else:
            r0, r1 = used[0].min(), used[0].max()
            c0, c1 = used[1].min(), used[1].max()
        per_frame = (self.movie.data[:, r0:r1 + 1, c0:c1 + 1] * spatial[:, r0:r1 + 1, c0:c1 + 1]).sum(axis=1).sum(axis=1)
        response = np.convolve(per_frame, temporal[::-1])[:len(per_frame)] * 1000.0 / self.movie.frame_rate
        return np.arange(len(response)) / self.movie.frame_rate, response


class SeparableSpatioTemporalFilterCursor(SeparableKernelCursor):
    def __init__(self, spatiotemporal_filter, movie):
        self.spatial_filter = spatiotemporal_filter.spatial_filter
        self.temporal_filter = spatiotemporal_filter.temporal_filter
        spatial = self.spatial_filter.get_kernel(movie.row_range, movie.col_range, threshold=-1)
        temporal = self.temporal_filter.get_kernel(t_range=movie.t_range, threshold=0, reverse=True)
        spatial.kernel *= spatiotemporal_filter.amplitude
        super().__init__(spatial, temporal, movie)


class SeparableLNUnitCursor(SeparableSpatioTemporalFilterCursor):
    """The separable path for one LNUnit: the transfer function is applied to the scaled rates."""

    def __init__(self, lnunit, movie):
        self.lnunit = lnunit
        super().__init__(lnunit.linear_filter, movie)

    def evaluate(self, downsample=1):
        if downsample != 1:
            raise ValueError("the separable evaluation does not downsample (downsample={})".format(downsample))
        t, y = super().evaluate()
        return t, [self.lnunit.transfer_function(v) for v in y]


class SeparableMultiLNUnitCursor:
    def __init__(self, multilnunit, movie):
        self.multilnunit = multilnunit
        self.lnunit_cursor_list = [SeparableLNUnitCursor(unit, movie) for unit in multilnunit.lnunit_list]

    def evaluate(self, *args, **kwargs):
        if kwargs.get("downsample", 1) != 1:
            raise ValueError("the separable evaluation does not downsample")
        outs = [cursor.evaluate(*args, **kwargs) for cursor in self.lnunit_cursor_list]
        return outs[-1][0], self.multilnunit.transfer_function(*[y for _, y in outs])
