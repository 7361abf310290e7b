"""Stimuli as frames over time (``bmtk...lgnmodel.movie``): arrays, full-field functions of time
and full-field flashes."""

import numpy as np

from .utilities import convert_tmin_tmax_framerate_to_trange


class Movie:
    """Frames (time x rows x cols) with their time axis (s) and pixel ranges."""

    def __init__(self, data, row_range=None, col_range=None, labels=("time", "y", "x"),
                 units=("second", "pixel", "pixel"), frame_rate=None, t_range=None, padding=False, y_dir="down",
                 flip_y=False):
        if units[0] != "second":
            raise ValueError("movie time units must be 'second', got {!r}".format(units[0]))
        self.data = data[:, ::-1, :] if flip_y else data
        self.labels, self.units, self.padding, self.y_dir = labels, units, padding, y_dir
        if t_range is None:
            if frame_rate is None:
                raise ValueError("give a frame_rate or a t_range for the movie")
            self.frame_rate = float(frame_rate)
            self.t_range = np.arange(data.shape[0]) * (1.0 / self.frame_rate)
        else:
            self.t_range = np.array(t_range)
            self.frame_rate = 1.0 / np.mean(np.diff(t_range))
        self.row_range = np.arange(data.shape[1]) if row_range is None else np.array(row_range)
        self.col_range = np.arange(data.shape[2]) if col_range is None else np.array(col_range)

    @property
    def ranges(self):
        return self.t_range, self.row_range, self.col_range

    def __getitem__(self, *args):
        return self.data.__getitem__(*args)

    def imshow(self, t, show=True, vmin=-1, vmax=1, cmap=None):
        import matplotlib.pyplot as plt

        ti = int(t * self.frame_rate)
        fig, ax = plt.subplots(1, 1)
        ax.imshow(self.data[ti, :, :], aspect="auto", cmap=cmap or "gray", vmin=vmin, vmax=vmax)
        if show:
            plt.show()
        return fig


class FullFieldMovie(Movie):
    """Every pixel follows ``f(t)``; frames are made on demand by :meth:`full`."""

    def __init__(self, f, rows, cols, frame_rate=24.0, y_dir="down"):
        self.row_range = np.arange(0, rows) if np.isscalar(rows) else rows
        self.col_range = np.arange(0, cols) if np.isscalar(cols) else cols
        self.frame_size = (len(self.row_range), len(self.col_range))
        self._frame_rate = frame_rate
        self.f = f
        self.y_dir = y_dir

    @property
    def frame_rate(self):
        return self._frame_rate

    @property
    def data(self):
        return self

    def __getitem__(self, *args):
        t_inds, x_inds, y_inds = args[0]
        return self.f((1.0 / self.frame_rate) * t_inds)

    def full(self, t_min=0.0, t_max=None):
        t_range = convert_tmin_tmax_framerate_to_trange(t_min, t_max, self.frame_rate)
        values = np.asarray(self.f(t_range), dtype=float)
        data = np.broadcast_to(values[:, None, None], (len(t_range), len(self.row_range),
                                                       len(self.col_range))).copy()
        return Movie(data, row_range=self.row_range, col_range=self.col_range, labels=("time", "y", "x"),
                     units=("second", "pixel", "pixel"), frame_rate=self.frame_rate, y_dir=self.y_dir)

    def create_movie(self, t_max, t_min=0.0):
        return self.full(t_min=t_min, t_max=t_max)


class FullFieldFlashMovie(FullFieldMovie):
    """Gray (0) screen, ``max_intensity`` from t_on to t_off (s), then gray again."""

    def __init__(self, row_range, col_range, t_on, t_off, max_intensity=1, frame_rate=24, y_dir="down"):
        if not t_on < t_off:
            raise ValueError("t_on ({}) must come before t_off ({})".format(t_on, t_off))

        def f(t):
            t = np.asarray(t, dtype=float)
            return np.where((t >= t_on) & (t < t_off), float(max_intensity), 0.0)

        super().__init__(f, row_range, col_range, frame_rate=frame_rate, y_dir=y_dir)
