"""Stimuli as frames over time (``bmtk...lgnmodel.movie``): arrays, full-field functions of time,
full-field flashes, drifting gratings and a looming disk."""

import logging

import numpy as np

from .utilities import convert_tmin_tmax_framerate_to_trange

_log = logging.getLogger(__name__)


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

    def __add__(self, other):
        """The two movies back to back; the other's first frame is dropped (it takes the place of
        this one's last time point)."""
        if self.labels != other.labels or self.units != other.units or self.frame_rate != other.frame_rate:
            raise ValueError("movies differ in labels, units or frame rate and cannot be joined")
        if not (np.allclose(self.col_range, other.col_range, rtol=0, atol=1.5e-7)
                and np.allclose(self.row_range, other.row_range, rtol=0, atol=1.5e-7)):
            raise ValueError("movies are on different pixel grids and cannot be joined")
        n = len(self.t_range)
        joined = np.empty((n + len(other.t_range) - 1, len(self.row_range), len(self.col_range)))
        joined[:n] = self.data[:, :, :]
        joined[n:] = other.data[1:, :, :]
        return Movie(joined, row_range=self.row_range.copy(), col_range=self.col_range.copy(), labels=self.labels,
                     units=self.units, frame_rate=self.frame_rate)

    @staticmethod
    def normalize_matrix(m_data, domain=None):
        """Map contrast values to [-1, 1]. ``domain`` = (c_min, c_max) of the input; without it the
        range is guessed: [0, 1], already [-1, 1] (returned as is), [0, 255], else the data's own."""
        if isinstance(domain, (list, tuple, np.ndarray)):
            if len(domain) != 2:
                raise ValueError("Unable to normalize movie; domain must be [min_contrast, max_contrast], got {}"
                                 .format(domain))
            c_min, c_max = domain[0], domain[1]
            if c_min >= c_max:
                raise ValueError("Unable to normalize movie; domain needs min_contrast < max_contrast, got {}"
                                 .format(domain))
            if m_data.min() < c_min or m_data.max() > c_max:
                raise ValueError("Unable to normalize movie; its values [{}, {}] fall outside the domain {}"
                                 .format(m_data.min(), m_data.max(), list(domain)))
        else:
            lo, hi = m_data.min(), m_data.max()
            if lo >= 0.0 and hi <= 1.0:
                c_min, c_max = 0.0, 1.0
            elif lo >= -1.0 and hi <= 1.0:
                _log.debug("movie already within [-1, 1]; left as is")
                return m_data
            elif lo >= 0 and hi < 256:
                c_min, c_max = 0.0, 255.0
            else:
                c_min, c_max = lo, hi
        if c_min == c_max:
            raise ValueError("Unable to normalize movie; its contrast range is empty, give a domain")
        return (m_data - c_min) * 2.0 / (c_max - c_min) - 1.0

    def imshow_summary(self, ax=None, show=True, xlabel=None):
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(1, 1)
        t_vals = self.t_range.copy()
        y_vals = self.data.mean(axis=2).mean(axis=1)
        ax.plot(t_vals, y_vals)
        ax.set_ylim(y_vals.min() - np.abs(y_vals.min()) * .05, y_vals.max() + np.abs(y_vals.max()) * .05)
        if self.y_dir == "up":
            ax.invert_yaxis()
        if xlabel is not None:
            ax.set_xlabel(xlabel)
        ax.set_ylabel("Average frame intensity")
        if show:
            plt.show()
        return ax, (t_vals, y_vals)

    def imshow(self, t, show=True, vmin=-1, vmax=1, cmap=None):
        import matplotlib.pyplot as plt

        plt.imshow(self.data[int(t * self.frame_rate), :, :], vmin=vmin, vmax=vmax, cmap=cmap or "gray")
        if self.y_dir == "up":
            plt.gca().invert_yaxis()
        plt.colorbar()
        if show:
            plt.show()

    def play(self, interval=None, skip=None, playback_speed=1.0, cmap=None, vmin=-1.0, vmax=1.0, save_as=None,
             show=True):
        """Animate the frames (every ``skip``-th); ``save_as`` writes the animation to a file."""
        import matplotlib.animation as animation
        import matplotlib.pyplot as plt

        data, times = self.data, self.t_range
        if skip is not None:
            data, times = data[::skip, :, :], times[::skip]
        if interval is None:
            interval = np.mean(np.diff(times)) * 1000
        fig = plt.figure()
        ax = fig.add_subplot(111)
        extent = [self.col_range[0], self.col_range[-1], self.row_range[0], self.row_range[-1]]
        frames = []
        for i, t in enumerate(times):
            img = ax.imshow(data[i, :, :], cmap=cmap or "gray", animated=True, vmin=vmin, vmax=vmax, extent=extent)
            if self.y_dir == "up":
                ax.invert_yaxis()
            label = ax.text(0.99, 0.0, "{:05.2f} s".format(t), horizontalalignment="right",
                            verticalalignment="bottom", transform=ax.transAxes,
                            bbox={"boxstyle": "round", "facecolor": "white"})
            frames.append([img, label])
        anim = animation.ArtistAnimation(fig, frames, interval=interval * playback_speed, blit=True,
                                         repeat_delay=1000)
        if save_as is not None:
            anim.save(save_as)
        if show:
            plt.show()


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
        if not len(t_inds) == len(x_inds) == len(y_inds):
            raise IndexError("time, row and column index lists differ in length")
        return self.f((1.0 / self.frame_rate) * np.asarray(t_inds))

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


def _y_sign(y_dir):
    if y_dir == "up":
        return 1.0
    if y_dir == "down":
        return -1.0
    raise ValueError("y_dir must be 'up' or 'down', got {!r}".format(y_dir))


class GratingMovie(Movie):
    """Drifting sinusoidal gratings on a screen of ``row_size`` x ``col_size`` degrees."""

    def __init__(self, row_size, col_size, frame_rate=1000.0, y_dir="down"):
        self.row_size = row_size
        self.col_size = col_size
        self.frame_rate = float(frame_rate)
        self.y_dir = y_dir

    def create_movie(self, t_min=0, t_max=1, gray_screen_dur=0, cpd=0.05, temporal_f=4, theta=45, phase=0.,
                     contrast=1.0, degrees_per_pixel=None, row_size_new=None, col_size_new=None):
        """A Movie of ``contrast * sin(2 pi (cpd * d - temporal_f * t) + phase)``, d the position along
        the direction ``theta`` (degrees; counter-clockwise on screen, which flips with y_dir), after
        ``gray_screen_dur`` seconds of gray. Pixels are ``degrees_per_pixel`` apart (default 1/(10 cpd));
        ``row_size_new``/``col_size_new`` relabel the pixel ranges without resampling. ``t_min`` is
        accepted for bmtk's signature; the movie always starts at 0."""
        if not 0 <= contrast <= 1:
            raise ValueError("contrast must be between 0 and 1, got {}".format(contrast))
        if degrees_per_pixel is None:
            degrees_per_pixel = 1.0 / (float(cpd) * 10)
        self.row_range = np.linspace(0, self.row_size, int(self.row_size / degrees_per_pixel), endpoint=True)
        self.col_range = np.linspace(0, self.col_size, int(self.col_size / degrees_per_pixel), endpoint=True)
        n_frames = int(round(self.frame_rate * (t_max - gray_screen_dur))) + 1
        times = np.linspace(0, t_max - gray_screen_dur, n_frames, endpoint=True)
        tt, yy, xx = np.meshgrid(times, self.row_range, self.col_range, indexing="ij")
        theta_rad = np.deg2rad(_y_sign(self.y_dir) * theta)
        along = xx * np.cos(theta_rad) + yy * np.sin(theta_rad)
        data = contrast * np.sin(2 * np.pi * (cpd * along - temporal_f * tt) + np.deg2rad(phase))
        if row_size_new is not None:
            self.row_range = np.linspace(0, row_size_new, data.shape[1], endpoint=True)
        if col_size_new is not None:
            self.col_range = np.linspace(0, col_size_new, data.shape[2], endpoint=True)
        grating = Movie(data, row_range=self.row_range, col_range=self.col_range, labels=("time", "y", "x"),
                        units=("second", "pixel", "pixel"), frame_rate=self.frame_rate, y_dir=self.y_dir)
        if gray_screen_dur > 0:
            # a flash that starts after the gray period ends is a plain gray screen
            gray = FullFieldFlashMovie(self.row_range, self.col_range, gray_screen_dur + 1, gray_screen_dur + 2,
                                       frame_rate=self.frame_rate, y_dir=self.y_dir).full(t_max=gray_screen_dur)
            return gray + grating
        return grating


class LoomingMovie(Movie):
    """A dark disk growing from the screen centre after a gray period (1 pixel per degree)."""

    def __init__(self, row_size, col_size, frame_rate=1000., y_dir="down"):
        self.row_size = row_size
        self.col_size = col_size
        self.frame_rate = float(frame_rate)
        self.y_dir = y_dir

    def create_movie(self, t_looming=1, gray_screen_dur=0.5):
        self.row_range = np.linspace(0, self.row_size, int(self.row_size), endpoint=True)
        self.col_range = np.linspace(0, self.col_size, int(self.col_size), endpoint=True)
        n_loom = int(round(self.frame_rate * t_looming))
        n_gray = int(round(self.frame_rate * gray_screen_dur))
        data = np.zeros((n_gray + n_loom, self.row_size, self.col_size))
        rr, cc = np.mgrid[:self.row_size, :self.col_size]
        dist2 = (rr - self.row_size / 2) ** 2 + (cc - self.col_size / 2) ** 2
        max_radius = 25
        for i in range(n_loom):
            data[n_gray + i] = dist2 <= (i / (4. / 3)) % (max_radius ** 2)
        data *= -1
        return Movie(data, row_range=self.row_range, col_range=self.col_range, labels=("time", "y", "x"),
                     units=("second", "pixel", "pixel"), frame_rate=self.frame_rate, y_dir=self.y_dir)
