"""Analysis helpers of ``bmtk...lgnmodel.util_fns``: response F0/F1 over a stimulus cycle, flash
movies, temporal-kernel zero crossings and fit-bound checks."""

import os
import re

import numpy as np

from .movie import FullFieldFlashMovie, Movie


def chunks(seq, n):
    """Successive pieces of ``seq`` of length n (the last may be shorter)."""
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def compute_FFT_OneCycle(FR, TF, downsample):
    """(F0, F1) of a rate trace averaged over the cycles of a TF-Hz stimulus, the trace sampled every
    ``downsample`` ms. As in bmtk, the last (partial) cycle is dropped for TF = 8 and 15 Hz."""
    per_cycle = int((1000. / downsample) / TF)
    cycles = list(chunks(FR, per_cycle))
    if TF == 15. or TF == 8.:
        cycles = cycles[:-1]
    mean_cycle = np.mean(cycles, axis=0)
    amp = 2 * np.abs(np.fft.fft(mean_cycle) / len(mean_cycle))
    return 0.5 * amp[0], amp[1]


def create_ff_mov(frame_rate, tst, tend, xrng, yrng):
    """A bright and a dark full-field flash from tst to tend (s) on an xrng x yrng screen."""
    on = FullFieldFlashMovie(np.arange(xrng), np.arange(yrng), tst, tend, frame_rate=frame_rate,
                             max_intensity=1).full(t_max=tend)
    off = FullFieldFlashMovie(np.arange(xrng), np.arange(yrng), tst, tend, frame_rate=frame_rate,
                              max_intensity=-1).full(t_max=tend)
    return on, off


def create_grating_movie_list(gr_dir_name):
    """The first five grating movies (MATLAB files with a ``mov`` array, 3000 frames of 8 x 16 * res^2
    pixels) of a directory, in numeric order of their names, cut to 500 frames at 1000 Hz."""
    try:
        from scipy.io import loadmat
    except ImportError as exc:
        raise ImportError("create_grating_movie_list reads MATLAB files and needs scipy (pip install scipy)") \
            from exc
    names = sorted(os.listdir(gr_dir_name), key=lambda x: (int(re.sub(r"\D", "", x)), x))
    movies = []
    for name in names[:5]:
        raw = loadmat(os.path.join(gr_dir_name, name))["mov"].T
        res = int(np.sqrt(np.shape(raw)[1] / (8 * 16)))
        frames = np.reshape(raw, (3000, 8 * res, 16 * res))
        movies.append(Movie(frames[:500, :, :], row_range=np.linspace(0, 120, frames.shape[1], endpoint=True),
                            col_range=np.linspace(0, 120, frames.shape[2], endpoint=True), frame_rate=1000.))
    return movies


def check_optim_results_against_bounds(bounds, opt_wts, opt_kpeaks):
    """Which fitted parameter ('w0', 'w1', 'kp0', 'kp1') sits on one of its bounds, else 'None'."""
    for name, value, bound in (("w0", opt_wts[0], bounds[0]), ("w1", opt_wts[1], bounds[1]),
                               ("kp0", opt_kpeaks[0], bounds[2]), ("kp1", opt_kpeaks[1], bounds[3])):
        if value == bound[0] or value == bound[1]:
            return name
    return "None"


def cross_from_above(x, threshold):
    """Indices i where x[i-1] >= threshold > x[i]."""
    x = np.asarray(x)
    ind = np.nonzero((x[:-1] >= threshold) & (x[1:] < threshold))[0]
    return ind + 1 if len(ind) else ind


def get_tcross_from_temporal_kernel(temporal_kernel):
    """Index of the first zero crossing between a kernel's maximum and its (later) minimum."""
    hi, lo = np.argmax(temporal_kernel), np.argmin(temporal_kernel)
    crossings = cross_from_above(temporal_kernel[hi:lo], 0.0)
    if len(crossings) == 0:
        raise ValueError("the temporal kernel does not cross zero between its maximum (index {}) and its "
                         "minimum (index {})".format(hi, lo))
    return hi + crossings[0]
