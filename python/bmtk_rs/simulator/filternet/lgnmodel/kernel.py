"""Sparse sampled kernels (``bmtk...lgnmodel.kernel``): 1-D temporal, 2-D spatial and 3-D
spatiotemporal, each a list of (index..., value) entries on a fixed grid of coordinates."""

import numpy as np


def find_l_r_in_t_range(t_range, t):
    """Indices of the grid points around ``t``: ``(i,)`` when t is (within 1e-16) a grid point,
    ``(i, i + 1)`` when it falls between two, None when it is outside the grid."""
    for left in range(len(t_range) - 1):
        right = left + 1
        straddle = (t_range[left] - t) * (t_range[right] - t)
        if np.abs(straddle) < 1e-16:
            return (left,) if np.abs(t_range[left] - t) < 1e-16 else (right,)
        if straddle < 0:
            return left, right
    return None


def get_contour(X, Y, Z, c):
    """The first contour line of Z at level c (x values, y values); needs matplotlib."""
    import matplotlib.pyplot as plt

    res = plt.contour(X, Y, Z).trace(c)
    nseg = len(res) // 2
    if nseg == 0:
        return [], []
    seg = res[:nseg][0]
    return seg[:, 0], seg[:, 1]


def plot_single_contour(ax, x_contour, y_contour, t, color):
    ax.plot(x_contour, t + np.zeros_like(x_contour), y_contour, zdir="z", color=color)


def _divide_by_abs_sum(kernel):
    total = np.abs(kernel.sum())
    if total != 0:
        kernel /= total


class Kernel1D:
    """Values above ``threshold`` (in magnitude) of a kernel sampled at ``t_range``; with
    ``reverse`` the time axis is flipped to negative lags, as the convolution uses it."""

    def __init__(self, t_range, kernel_array, threshold=0.0, reverse=False):
        if len(t_range) != len(kernel_array):
            raise ValueError("t_range has {} samples, the kernel {}".format(len(t_range), len(kernel_array)))
        kernel_array = np.array(kernel_array)
        keep = np.where(np.abs(kernel_array) > threshold)[0]
        if reverse:
            self.t_range = -np.array(t_range)[::-1]
            top = keep.max()
            self.t_inds = (top - keep) - top - 1
        else:
            self.t_range = np.array(t_range)
            self.t_inds = keep
        self.kernel = kernel_array[keep]

    def rescale(self):
        _divide_by_abs_sum(self.kernel)

    def normalize(self):
        self.kernel /= np.abs(self.kernel.sum())

    def __len__(self):
        return len(self.kernel)

    def full(self, truncate_t=True):
        data = np.zeros(len(self.t_range))
        data[self.t_inds] = self.kernel
        if truncate_t:
            return data[np.where(np.abs(data) > 0)[0].min():]
        return data

    def imshow(self, ax=None, show=True, save_file_name=None, ylim=None, xlim=None, color="b", reverse=True):
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(1, 1)
        t_vals = self.t_range[self.t_inds]
        ax.plot(t_vals, self.kernel[::-1] if reverse else self.kernel, color)
        ax.set_xlabel("Time (Seconds)")
        if ylim is not None:
            ax.set_ylim(ylim)
        if xlim is not None:
            ax.set_xlim(xlim)
        else:
            ax.set_xlim(min(t_vals[0], t_vals[-1]), max(t_vals[0], t_vals[-1]))
        if save_file_name is not None:
            ax.figure.savefig(save_file_name, transparent=True)
        if show:
            plt.show()
        return ax, (t_vals, self.kernel)


def _same_grid(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) < 1.5e-7))


def _sum_entries(keys_a, vals_a, keys_b, vals_b):
    """Merge two sparse kernels: entries at the same index add, order of first appearance kept."""
    acc = {}
    for key, val in zip(keys_a, vals_a):
        acc[key] = acc.get(key, 0) + val
    for key, val in zip(keys_b, vals_b):
        acc[key] = acc.get(key, 0) + val
    keys, vals = zip(*acc.items())
    return [np.array(col) for col in zip(*keys)], np.array(vals)


class Kernel2D:
    """A sparse image: ``kernel[i]`` at (row_range[row_inds[i]], col_range[col_inds[i]])."""

    def __init__(self, row_range, col_range, row_inds, col_inds, kernel):
        self.col_range = np.array(col_range)
        self.row_range = np.array(row_range)
        self.row_inds = np.array(row_inds)
        self.col_inds = np.array(col_inds)
        self.kernel = np.array(kernel)
        if not len(self.row_inds) == len(self.col_inds) == len(self.kernel):
            raise ValueError("row_inds, col_inds and kernel differ in length: {}, {}, {}".format(
                len(self.row_inds), len(self.col_inds), len(self.kernel)))

    def rescale(self):
        _divide_by_abs_sum(self.kernel)

    def normalize(self):
        self.kernel /= np.abs(self.kernel.sum())

    def normalize2(self, remove_offset=True):
        """Zero mean (optional), then unit sum of magnitudes: for kernels of both signs."""
        if remove_offset:
            self.kernel -= self.kernel.mean()
        self.kernel /= np.sum(np.abs(self.kernel))

    @classmethod
    def from_dense(cls, row_range, col_range, kernel_array, threshold=0.0):
        """Keep the smallest rectangle of ``kernel_array`` holding every value above ``threshold``
        (magnitude). The array's axis 0 is indexed by ``col_inds`` and axis 1 by ``row_inds``, the
        layout the spatial filters build their images in."""
        col_range = np.array(col_range).copy()
        row_range = np.array(row_range).copy()
        dense = np.array(kernel_array).copy()
        above = np.abs(dense) > threshold
        any0, any1 = above.any(axis=1), above.any(axis=0)
        lo0, hi0 = int(np.argmax(any0)), len(any0) - int(np.argmax(any0[::-1]))
        lo1, hi1 = int(np.argmax(any1)), len(any1) - int(np.argmax(any1[::-1]))
        col_inds, row_inds = [g.ravel() for g in np.meshgrid(range(lo0, hi0), range(lo1, hi1), indexing="ij")]
        return cls(row_range, col_range, row_inds, col_inds, dense[col_inds, row_inds])

    @classmethod
    def copy(cls, instance):
        return cls(instance.row_range.copy(), instance.col_range.copy(), instance.row_inds.copy(),
                   instance.col_inds.copy(), instance.kernel.copy())

    def __mul__(self, constant):
        scaled = Kernel2D.copy(self)
        scaled.kernel *= constant
        return scaled

    def __add__(self, other):
        if len(other) == 0:
            return self
        if not (_same_grid(self.row_range, other.row_range) and _same_grid(self.col_range, other.col_range)):
            raise ValueError("Kernels must exist on same grid to be added")
        (rows, cols), vals = _sum_entries(zip(self.row_inds, self.col_inds), self.kernel,
                                          zip(other.row_inds, other.col_inds), other.kernel)
        return Kernel2D(self.row_range.copy(), self.col_range.copy(), rows, cols, vals)

    def apply_threshold(self, threshold):
        keep = np.where(np.abs(self.kernel) > threshold)
        self.row_inds = self.row_inds[keep]
        self.col_inds = self.col_inds[keep]
        self.kernel = self.kernel[keep]

    def full(self, truncate_col=False):
        """Dense (rows x cols) image; ``truncate_col`` drops columns from the last used one on."""
        data = np.zeros((len(self.row_range), len(self.col_range)))
        data[self.row_inds, self.col_inds] = self.kernel
        if truncate_col:
            return data[:, :np.max(self.col_inds)]
        return data

    def imshow(self, ax=None, show=True, save_file_name=None, clim=None, colorbar=True, truncate_col=False,
               xlabel=None, ylabel=None):
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(1, 1)
        data = self.full(truncate_col=truncate_col)
        col_max = self.col_range[np.max(self.col_inds)] if truncate_col else self.col_range[-1]
        extent = (self.col_range[0], col_max, np.squeeze(self.row_range[0]), np.squeeze(self.row_range[-1]))
        opts = {"clim": clim} if clim is not None else {"aspect": "auto"}
        im = ax.imshow(data, extent=extent, origin="lower", interpolation="none", **opts)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if colorbar:
            from mpl_toolkits.axes_grid1 import make_axes_locatable

            cax = make_axes_locatable(ax).append_axes("right", size="5%", pad=0.05)
            plt.colorbar(im, cax=cax)
        if save_file_name is not None:
            plt.savefig(save_file_name, transparent=True)
        if show:
            plt.show()
        return ax, data

    def __len__(self):
        return len(self.kernel)


class Kernel3D:
    """A sparse movie-shaped kernel: ``kernel[i]`` at (t_inds[i], row_inds[i], col_inds[i])."""

    def __init__(self, row_range, col_range, t_range, row_inds, col_inds, t_inds, kernel):
        self.col_range = np.array(col_range)
        self.row_range = np.array(row_range)
        self.t_range = np.array(t_range)
        self.col_inds = np.array(col_inds)
        self.row_inds = np.array(row_inds)
        self.t_inds = np.array(t_inds)
        self.kernel = np.array(kernel)
        if not len(self.row_inds) == len(self.col_inds) == len(self.t_inds) == len(self.kernel):
            raise ValueError("row_inds, col_inds, t_inds and kernel differ in length")

    def rescale(self):
        _divide_by_abs_sum(self.kernel)

    def normalize(self):
        total = self.kernel.sum()
        self.kernel /= total * np.sign(total)

    @classmethod
    def copy(cls, instance):
        return cls(instance.row_range.copy(), instance.col_range.copy(), instance.t_range.copy(),
                   instance.row_inds.copy(), instance.col_inds.copy(), instance.t_inds.copy(),
                   instance.kernel.copy())

    def __len__(self):
        return len(self.kernel)

    def apply_threshold(self, threshold):
        keep = np.where(np.abs(self.kernel) > threshold)
        self.row_inds = self.row_inds[keep]
        self.col_inds = self.col_inds[keep]
        self.t_inds = self.t_inds[keep]
        self.kernel = self.kernel[keep]

    def __add__(self, other):
        if len(other) == 0:
            return self
        # an empty grid (the start of a sum) takes the other kernel's grid
        grids = []
        for mine, theirs in ((self.row_range, other.row_range), (self.col_range, other.col_range),
                             (self.t_range, other.t_range)):
            if len(mine) and len(theirs) and not _same_grid(mine, theirs):
                raise ValueError("Kernels must exist on same grid to be added")
            grids.append((mine if len(mine) else theirs).copy())
        (rows, cols, ts), vals = _sum_entries(zip(self.row_inds, self.col_inds, self.t_inds), self.kernel,
                                              zip(other.row_inds, other.col_inds, other.t_inds), other.kernel)
        return Kernel3D(grids[0], grids[1], grids[2], rows, cols, ts, vals)

    def __mul__(self, constant):
        scaled = Kernel3D.copy(self)
        scaled.kernel *= constant
        return scaled

    def _frame(self, t_ind):
        sel = np.where(self.t_range[self.t_inds] == self.t_range[t_ind])
        return Kernel2D(self.row_range, self.col_range, self.row_inds[sel], self.col_inds[sel], self.kernel[sel])

    def t_slice(self, t):
        """The spatial kernel at time ``t``, linear between grid times; None outside the grid."""
        around = find_l_r_in_t_range(self.t_range, t)
        if around is None:
            return None
        if len(around) == 1:
            return self._frame(around[0])
        left, right = around
        t_l, t_r = self.t_range[left], self.t_range[right]
        w_l, w_r = 1 - (t - t_l) / (t_r - t_l), 1 - (t_r - t) / (t_r - t_l)
        return self._frame(left) * w_l + self._frame(right) * w_r

    def full(self, truncate_t=True):
        """Dense (t x rows x cols) array; ``truncate_t`` starts it at the first non-zero frame."""
        data = np.zeros((len(self.t_range), len(self.row_range), len(self.col_range)))
        data[self.t_inds, self.row_inds, self.col_inds] = self.kernel
        if truncate_t:
            return data[np.where(np.abs(data) > 0)[0].min():, :, :]
        return data

    def imshow(self, ax=None, t_range=None, cmap=None, N=10, show=True, save_file_name=None, kvals=None):
        import matplotlib as mpl
        import matplotlib.pyplot as plt

        cmap = cmap or mpl.colormaps["bwr"]
        if ax is None:
            ax = plt.figure().add_subplot(projection="3d")
        t_range = self.t_range if t_range is None else t_range
        slices = [(t, s.full()) for t, s in ((t, self.t_slice(t)) for t in t_range) if s is not None]
        bound = max(max(abs(np.max(s)), abs(np.min(s))) for _, s in slices)
        to_rgba = mpl.cm.ScalarMappable(norm=mpl.colors.Normalize(vmin=-bound, vmax=bound), cmap=cmap).to_rgba
        kvals = np.linspace(-bound, bound, N) if kvals is None else kvals
        X, Y = np.meshgrid(self.row_range, self.col_range)
        contours = {}
        for kval in kvals:
            for t_val, frame in slices:
                xc, yc = get_contour(Y, X, frame.T, kval)
                contours[kval, t_val] = xc, yc
                rgba = to_rgba(kval)
                plot_single_contour(ax, xc, yc, t_val, (rgba[0], rgba[1], rgba[2], np.abs(kval) / bound))
        ax.set_zlim(self.row_range[0], self.row_range[-1])
        ax.set_ylim(self.t_range[0], self.t_range[-1])
        ax.set_xlim(self.col_range[0], self.col_range[-1])
        if save_file_name is not None:
            plt.savefig(save_file_name, transparent=True)
        if show:
            plt.show()
        return ax, contours


def merge_spatial_temporal(spatial_kernel, temporal_kernel, threshold=0):
    """The outer product of a Kernel2D and a Kernel1D as a Kernel3D, time-major (every spatial entry
    for the first kept time, then the next), entries at or below ``threshold`` dropped."""
    n_s, n_t = len(spatial_kernel), len(temporal_kernel)
    values = (temporal_kernel.kernel[:, None] * spatial_kernel.kernel[None, :]).reshape(n_s * n_t)
    rows = np.tile(np.asarray(spatial_kernel.row_inds).astype(np.int64), n_t)
    cols = np.tile(np.asarray(spatial_kernel.col_inds).astype(np.int64), n_t)
    ts = np.repeat(np.asarray(temporal_kernel.t_inds).astype(np.int64), n_s)
    kernel = Kernel3D(spatial_kernel.row_range, spatial_kernel.col_range, temporal_kernel.t_range, rows, cols, ts,
                      values)
    kernel.apply_threshold(threshold)
    return kernel
