"""FilterSimulator: movies in, LGN firing rates and spike trains out (bmtk's FilterNet API)."""

import logging
import os
import time

import numpy as np

from ... import _native
from .. import _mpi
from .config import Config, ConfigError

log = logging.getLogger("bmtk_rs.filternet")

_GRATING_PARAMS = ("t_min", "t_max", "gray_screen_dur", "cpd", "temporal_f", "theta", "phase", "contrast",
                   "degrees_per_pixel", "row_size_new", "col_size_new")


def _trange(t_min, t_max, frame_rate):
    """bmtk's convert_tmin_tmax_framerate_to_trange."""
    return t_min + np.arange((t_max - t_min) * frame_rate + 1) * (1.0 / frame_rate)


def _require(params, key, module, name):
    if key not in params:
        raise ConfigError(f"inputs.{name}: module '{module}' requires '{key}'")
    return params[key]


def _normalize(m_data, domain, name):
    if isinstance(domain, (list, tuple, np.ndarray)):
        if len(domain) != 2 or domain[0] >= domain[1]:
            raise ConfigError(f"inputs.{name}: 'normalize' must be [min_contrast, max_contrast]")
        c_min, c_max = domain
        if m_data.min() < c_min or m_data.max() > c_max:
            raise ConfigError(f"inputs.{name}: movie values fall outside the 'normalize' domain")
    else:
        m_min, m_max = m_data.min(), m_data.max()
        if m_min >= 0.0 and m_max <= 1.0:
            c_min, c_max = 0.0, 1.0
        elif m_min >= -1.0 and m_max <= 1.0:
            return m_data
        elif m_min >= 0 and m_max < 256:
            c_min, c_max = 0.0, 255.0
        else:
            c_min, c_max = m_min, m_max
    if c_min == c_max:
        raise ConfigError(f"inputs.{name}: cannot normalize a movie of constant contrast")
    return (m_data - c_min) * 2.0 / (c_max - c_min) - 1.0


class FilterSimulator:
    def __init__(self, network, dt, tstop):
        self._network = network
        self._dt = dt
        self._tstop = tstop / 1000.0
        self._movies = []
        self._eval_options = []
        self._outputs = {}
        self._config = None
        self.seed = None

    @property
    def dt(self):
        return self._dt

    # -- inputs -----------------------------------------------------------------------------------
    def add_movie(self, movie_type, params, name="movie"):
        movie_type = movie_type.lower() if isinstance(movie_type, str) else "movie"
        if movie_type in ("movie", ""):
            self._movies.append(self._movie_from_data(params, name))
        elif movie_type == "full_field_flash":
            rows = _require(params, "row_size", movie_type, name)
            cols = _require(params, "col_size", movie_type, name)
            t_on = _require(params, "t_on", movie_type, name) / 1000.0
            t_off = _require(params, "t_off", movie_type, name) / 1000.0
            if not t_on < t_off:
                raise ConfigError(f"inputs.{name}: t_on must be before t_off")
            fr = float(params.get("frame_rate", 24))
            amp = params.get("max_intensity", 1)
            t = _trange(0.0, self._tstop, fr)
            vals = np.piecewise(t, [t < t_on, (t_on <= t) & (t < t_off), t_off <= t], [0, amp, 0])
            self._movies.append({"kind": "uniform", "frame_rate": fr, "n_frames": len(t),
                                     "row_range": np.arange(rows, dtype=np.float64),
                                     "col_range": np.arange(cols, dtype=np.float64),
                                     "values": np.asarray(vals, dtype=np.float64)})
        elif movie_type in ("grating", "graiting"):
            self._movies.append(self._grating(params, name))
        elif movie_type == "looming":
            rows = int(_require(params, "row_size", movie_type, name))
            cols = int(_require(params, "col_size", movie_type, name))
            fr = float(params.get("frame_rate", 1000.0))
            t_loom = params.get("t_looming", 1)
            gray = params.get("gray_sceen_dur", 0.5)  # bmtk 1.2.0 reads this (misspelt) key only
            n_loom = round(fr * t_loom)
            n_gray = round(fr * gray)
            self._movies.append({"kind": "looming", "frame_rate": fr, "n_frames": n_gray + n_loom,
                                     "row_range": np.linspace(0, rows, int(rows / 1.0), endpoint=True),
                                     "col_range": np.linspace(0, cols, int(cols / 1.0), endpoint=True),
                                     "n_gray": n_gray, "n_loom": n_loom})
        else:
            raise ConfigError(f"inputs.{name}: unknown movie type '{movie_type}'")
        self._eval_options.append(dict(params.get("evaluation_options", {}) or {}))

    def _movie_from_data(self, params, name):
        if "data_file" in params:
            path = params["data_file"]
            try:
                m_data = np.load(path)
            except (OSError, ValueError) as e:
                raise ConfigError(f"inputs.{name}: cannot load movie data_file {path}: {e}") from None
            if isinstance(m_data, np.lib.npyio.NpzFile):
                keys = list(m_data.keys())
                if not keys:
                    raise ConfigError(f"inputs.{name}: {path} holds no array")
                m_data = m_data[keys[0]]
            where = path
        elif "data" in params:
            m_data = np.asarray(params["data"])
            where = f"inputs.{name}.data"
        else:
            raise ConfigError(f'inputs.{name}: could not find movie "data_file" in config to use as input')
        if m_data.ndim != 3:
            raise ConfigError(f"{where}: a movie must be a 3-d array (frames x rows x cols), got {m_data.ndim} dimension(s) {m_data.shape}")
        if params.get("normalize", False):
            m_data = _normalize(m_data, params["normalize"], name)
        if params.get("flip_y", False):
            m_data = m_data[:, ::-1, :]
        times = None
        if "t_range" in params:
            # bmtk's Movie takes t_range as the time axis (frame_rate is then ignored): the
            # temporal kernels are sampled at these times and the evaluation spans its ends.
            try:
                times = np.asarray(params["t_range"], dtype=float)
            except (TypeError, ValueError):
                raise ConfigError(f"inputs.{name}: 't_range' must be a list of times (s)") from None
            if times.ndim != 1 or len(times) < 2 or not np.isfinite(times).all():
                raise ConfigError(f"inputs.{name}: 't_range' must hold at least two finite times (s)")
            fr = 1.0 / np.mean(np.diff(times))
            if not (np.isfinite(fr) and fr > 0):
                raise ConfigError(f"inputs.{name}: 't_range' must increase (1/mean(diff(t_range)) = {fr})")
        else:
            if params.get("frame_rate") is None:
                raise ConfigError(f"inputs.{name}: movie {where} needs 'frame_rate'")
            fr = float(params["frame_rate"])
        nf, nr, nc = m_data.shape
        rr = np.asarray(params["row_range"], dtype=float) if "row_range" in params else np.arange(nr, dtype=float)
        cr = np.asarray(params["col_range"], dtype=float) if "col_range" in params else np.arange(nc, dtype=float)
        # 8-bit and float32 movies stay in their dtype (the engine widens each pixel exactly)
        keep = m_data.dtype in (np.dtype(np.uint8), np.dtype(np.float32))
        data = np.ascontiguousarray(m_data) if keep else np.ascontiguousarray(m_data, dtype=np.float64)
        movie = {"kind": "dense", "frame_rate": float(fr), "n_frames": nf, "row_range": rr, "col_range": cr,
                 "data": data}
        if times is not None:
            movie["t_range"] = np.ascontiguousarray(times)
        return movie

    def _grating(self, params, name):
        row_size = _require(params, "row_size", "graiting", name)
        col_size = _require(params, "col_size", "graiting", name)
        fr = float(params.get("frame_rate", 1000.0))
        y_dir = params.get("y_dir", "down")
        p = {k: params[k] for k in _GRATING_PARAMS if k in params}
        gray = _require(params, "gray_screen_dur", "graiting", name) / 1000.0
        t_max = self._tstop
        cpd = p.get("cpd", 0.05)
        tf = p.get("temporal_f", 4)
        theta = p.get("theta", 45)
        phase = p.get("phase", 0.0)
        contrast = p.get("contrast", 1.0)
        if not 0 <= contrast <= 1:
            raise ConfigError(f"inputs.{name}: contrast must be between 0 and 1")
        dpp = p.get("degrees_per_pixel")
        if dpp is None:
            dpp = 1.0 / (float(cpd) * 10)
        row_range = np.linspace(0, row_size, int(row_size / dpp), endpoint=True)
        col_range = np.linspace(0, col_size, int(col_size / dpp), endpoint=True)
        n_needed = round(fr * (t_max - gray)) + 1
        time_range = np.linspace(0, t_max - gray, n_needed, endpoint=True)
        if y_dir == "up":
            theta_rad = np.deg2rad(theta)
        elif y_dir == "down":
            theta_rad = np.deg2rad(-theta)
        else:
            raise ConfigError(f"inputs.{name}: y_dir must be 'up' or 'down'")
        xcoord, ycoord = col_range.copy(), row_range.copy()
        if p.get("row_size_new") is not None:
            row_range = np.linspace(0, p["row_size_new"], len(row_range), endpoint=True)
        if p.get("col_size_new") is not None:
            col_range = np.linspace(0, p["col_size_new"], len(col_range), endpoint=True)
        n_gray = len(_trange(0.0, gray, fr)) if gray > 0 else 0
        n_frames = n_gray + n_needed - 1 if gray > 0 else n_needed
        return {"kind": "grating", "frame_rate": fr, "n_frames": n_frames, "row_range": row_range, "col_range": col_range,
                    "n_gray": n_gray, "time": time_range, "xcoord": xcoord, "ycoord": ycoord, "cpd": float(cpd),
                    "temporal_f": float(tf), "theta": float(theta_rad), "phase": float(np.deg2rad(phase)),
                    "contrast": float(contrast)}

    # -- outputs ----------------------------------------------------------------------------------
    def _out_path(self, fname, output_dir, spikes=False):
        if fname is None or os.path.isabs(fname):
            return fname
        if spikes and os.path.realpath(fname).startswith(os.path.realpath(output_dir)):
            return fname
        return os.path.join(output_dir, fname)

    @classmethod
    def from_config(cls, config, network):
        if not isinstance(config, Config):
            config = Config.load(config)
        if not config.with_networks:
            raise ConfigError("Could not find any network files. Unable to build network.")
        sim = cls(network=network, dt=config.dt, tstop=config.tstop)
        sim._config = config
        if config.jitter is not None:
            network.jitter = config.jitter
        for name, inp in config.inputs.items():
            itype = inp.get("input_type")
            if itype == "movie":
                sim.add_movie(inp.get("module"), inp, name)
            elif itype == "audio":
                # bmtk turns the wav into a cochleagram with pycochleagram and evaluates its
                # auditory (wavelet / spectro-temporal) cell models on it: neither is built here yet
                raise ConfigError(f"inputs.{name}: audio inputs (module '{inp.get('module')}') are not "
                                  "supported by bmtk-rs yet")
            else:
                raise ConfigError(f"inputs.{name}: unable to load input type '{itype}'")
        out = config.output
        odir = config.output_dir
        sim._outputs = {
            "rates_csv": sim._out_path(out.get("rates_csv"), odir),
            "rates_h5": sim._out_path(out.get("rates_h5"), odir),
            "spikes_csv": sim._out_path(out.get("spikes_csv") or out.get("spikes_file_csv"), odir, True),
            "spikes_h5": sim._out_path(out.get("spikes_h5") or out.get("spikes_file"), odir, True),
            "spikes_nwb": sim._out_path(out.get("spikes_nwb") or out.get("spikes_file_nwb"), odir, True),
        }
        seed = config.run.get("random_seed", config.get("random_seed"))
        sim.seed = int(seed) if seed is not None else None
        return sim

    def run(self):
        if len(self._movies) != 1:
            raise ConfigError(f"FilterNet needs exactly one movie input (got {len(self._movies)})")
        t0 = time.time()
        comm = _mpi.world()
        log.info("Building cells.")
        # Cell parameters (with their jitter draws) are made once, on rank 0, so that every rank
        # evaluates exactly the cells of a serial run.
        cells = self._network.cell_params() if comm is None or comm.Get_rank() == 0 else None
        seed = self.seed
        if comm is not None:
            cells = comm.bcast(cells, root=0)
            if seed is None:
                seed = comm.bcast(int(np.random.randint(0, 2**31)) if comm.Get_rank() == 0 else None, root=0)
        log.info("Evaluating rates.")
        if comm is None:
            times, rates = _native.filternet_evaluate(cells, self._movies[0], self._eval_options[0])
        else:
            # Cells are dealt round-robin over the ranks; rank 0 gathers the rates in cell order.
            n = len(cells["node_id"])
            mine = np.arange(comm.Get_rank(), n, comm.Get_size())
            times, part = _native.filternet_evaluate(_take_cells(cells, mine, n), self._movies[0],
                                                     self._eval_options[0])
            parts = comm.gather((mine, part), root=0)
            if comm.Get_rank() != 0:
                comm.Barrier()
                log.info(f"Done. ({time.time() - t0:.2f} s)")
                return
            rates = np.empty((n, len(times)))
            for idx, block in parts:
                rates[idx] = block
        self.times, self.rates, self.cells = times, rates, cells
        self._write_outputs(times, rates, cells, seed)
        if comm is not None:
            comm.Barrier()
        log.info(f"Done. ({time.time() - t0:.2f} s)")

    def _write_outputs(self, times, rates, cells, seed):
        pops = []
        popnames = np.asarray(cells["population"])
        for pop in dict.fromkeys(cells["population"]):
            sel = np.nonzero(popnames == pop)[0]
            ids = cells["node_id"][sel]
            order = np.argsort(ids, kind="stable")
            if len(sel) == len(popnames) and np.all(order == np.arange(len(order))):
                pops.append((pop, np.ascontiguousarray(ids), rates))  # already in order: no copy
            else:
                pops.append((pop, np.ascontiguousarray(ids[order]), np.ascontiguousarray(rates[sel[order]])))
        o = self._outputs
        for key in ("rates_csv", "rates_h5", "spikes_csv", "spikes_h5", "spikes_nwb"):
            if o.get(key):
                os.makedirs(os.path.dirname(os.path.abspath(o[key])), exist_ok=True)
        if o.get("rates_csv") or o.get("rates_h5"):
            _native.filternet_write_rates(times, pops, csv_path=o.get("rates_csv"), h5_path=o.get("rates_h5"))
        if o.get("spikes_csv") or o.get("spikes_h5") or o.get("spikes_nwb"):
            seed = seed if seed is not None else int(np.random.randint(0, 2**31))
            _native.filternet_write_spikes(times, pops, seed, csv_path=o.get("spikes_csv"),
                                           h5_path=o.get("spikes_h5"), nwb_path=o.get("spikes_nwb"))


def _take_cells(cells, idx, n):
    """The parameters of cells ``idx`` (every per-cell column sliced, shared values kept)."""
    out = {}
    for k, v in cells.items():
        if isinstance(v, np.ndarray) and v.ndim >= 1 and len(v) == n:
            out[k] = np.ascontiguousarray(v[idx])
        elif isinstance(v, list) and len(v) == n:
            out[k] = [v[i] for i in idx.tolist()]
        else:
            out[k] = v
    return out
