"""Sampled 1-D (temporal) kernels, as ``bmtk...lgnmodel.kernel.Kernel1D``."""

import numpy as np


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
        total = np.abs(self.kernel.sum())
        if total != 0:
            self.kernel /= total

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
