"""Linear filters (``bmtk...lgnmodel.linearfilter``): a spatial filter times a temporal filter, and
the spectro-temporal variant used for audio stimuli."""

import numpy as np

from .kernel import Kernel3D, merge_spatial_temporal


class SpatioTemporalFilter:
    """A separable filter: ``amplitude`` x spatial(row, col) x temporal(t)."""

    def __init__(self, spatial_filter, temporal_filter, amplitude=1.0):
        self.spatial_filter = spatial_filter
        self.temporal_filter = temporal_filter
        self.amplitude = amplitude

    def get_spatiotemporal_kernel(self, row_range, col_range, t_range=None, threshold=0, reverse=False):
        """The product of both kernels on the given grids as a Kernel3D (time-major entries); entries
        with magnitude at or below ``threshold`` are dropped before ``amplitude`` is applied. With
        ``reverse`` the time axis runs over negative lags, as cursors convolve with it."""
        spatial = self.spatial_filter.get_kernel(row_range, col_range, threshold=0)
        temporal = self.temporal_filter.get_kernel(t_range=t_range, threshold=0, reverse=reverse)
        kernel = merge_spatial_temporal(spatial, temporal, threshold=threshold)
        kernel.kernel *= self.amplitude
        return kernel

    def t_slice(self, t, *args, **kwargs):
        return self.get_spatiotemporal_kernel(*args, **kwargs).t_slice(t)

    def show_temporal_filter(self, *args, **kwargs):
        self.temporal_filter.imshow(*args, **kwargs)

    def show_spatial_filter(self, *args, **kwargs):
        self.spatial_filter.imshow(*args, **kwargs)

    def to_dict(self):
        return {"class": (__name__, type(self).__name__), "spatial_filter": self.spatial_filter.to_dict(),
                "temporal_filter": self.temporal_filter.to_dict(), "amplitude": self.amplitude}


class SpectroTemporalFilter:
    """A non-separable (frequency x time) filter such as a GaborFilter; its kernel is returned as a
    Kernel3D with frequencies on the row axis and a single column."""

    def __init__(self, spectrotemporal_filter, amplitude=1.0):
        self.spectrotemporal_filter = spectrotemporal_filter
        self.amplitude = amplitude

    def get_spectrotemporal_kernel(self, freq_range, t_range, threshold=0, reverse=False):
        k2 = self.spectrotemporal_filter.get_kernel(freq_range, t_range, threshold_rel=threshold)
        if reverse:
            t_range = -np.array(t_range)[::-1]
            t_inds = -1 * k2.col_inds - 1
        else:
            t_range = np.array(t_range)
            t_inds = k2.col_inds
        # like bmtk, neither the threshold nor the amplitude is applied here
        return Kernel3D(k2.row_range, [0], t_range, k2.row_inds, np.zeros_like(k2.row_inds), t_inds, k2.kernel)

    def t_slice(self, t, *args, **kwargs):
        return self.get_spectrotemporal_kernel(*args, **kwargs).t_slice(t)

    def to_dict(self):
        return {"class": (__name__, type(self).__name__),
                "spectrotemporal_filter": self.spectrotemporal_filter.to_dict(), "amplitude": self.amplitude}
