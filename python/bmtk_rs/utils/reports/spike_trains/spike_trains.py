"""``SpikeTrains`` and the Poisson generator. The spikes live in a native ``SpikeStore``; this
module only converts arguments and results."""

import os

import numpy as np
import pandas as pd

from bmtk_rs import _native
from bmtk_rs._native import SpikeStore

from .core import (
    SortOrder,
    as_sort_order,
    col_node_ids,
    col_population,
    col_timestamps,
    find_file_type,
    pop_na,
    units_conversion,
)


def _as_list(v):
    if v is None:
        return None
    if isinstance(v, str) or np.isscalar(v):
        return [v]
    return list(v)


def _node_id_array(node_ids, what="node_ids"):
    arr = np.asarray(node_ids)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)):
            raise ValueError(f"{what}: node ids must be integers")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"{what}: node ids must be integers, got values of type {arr.dtype}")
    if np.any(arr < 0):
        raise ValueError(f"{what}: node ids must not be negative")
    return np.ascontiguousarray(arr.ravel(), dtype=np.uint64)


def _compression_level(compression):
    if compression is None or compression is False:
        return None
    if isinstance(compression, str):
        c = compression.lower()
        if c == "none":
            return None
        if c == "gzip":
            return 4
        raise ValueError(f"compression {compression!r}: only 'gzip' (or None) is supported")
    if isinstance(compression, (int, np.integer)) and 0 <= int(compression) <= 9:
        return int(compression)
    raise ValueError(f"compression {compression!r}: expected None, 'gzip' or a gzip level 0-9")


def _make_dirs(path):
    d = os.path.dirname(os.fspath(path))
    if d and not os.path.exists(d):
        os.makedirs(d)


def _check_mode(mode, path):
    if mode != "w":
        raise ValueError(
            f"{path}: mode {mode!r} is not supported; spike files are written whole (mode='w')"
        )


_MEMORY_COLUMNS = (col_node_ids, col_timestamps, col_population)
_SONATA_COLUMNS = (col_timestamps, col_node_ids, col_population)
_TABLE_COLUMNS = (col_timestamps, col_population, col_node_ids)


class SpikeTrains:
    """Spike trains of one or more node populations, held in memory by the Rust engine.

    Create empty and fill with ``add_spike``/``add_spikes``, or load with ``from_sonata``,
    ``from_csv``, ``from_nwb`` or ``load``; write with ``to_sonata``, ``to_csv``, ``to_nwb``.
    """

    def __init__(self, default_population=None, units="ms", **kwargs):
        self._store = SpikeStore()
        self._default_population = default_population or kwargs.get("population", None) or pop_na
        self._units = units
        # bmtk's readers order (and type) to_dataframe's columns by where the spikes came from
        self._df_columns = _MEMORY_COLUMNS
        self._df_id_dtype = np.int64

    @classmethod
    def _from_store(cls, store, default_population=None, units=None, columns=None, id_dtype=np.int64):
        obj = cls.__new__(cls)
        SpikeTrains.__init__(obj)
        obj._store = store
        obj._df_columns = columns or _MEMORY_COLUMNS
        obj._df_id_dtype = id_dtype
        pops = store.populations()
        if default_population is None:
            default_population = pops[0] if pops else pop_na
        obj._default_population = default_population
        if units is not None:
            # The caller knows the units of a file that does not say (CSV, or no 'units' attribute).
            for p in pops:
                store.set_units(p, units)
            obj._units = units
        elif pops:
            obj._units = store.units(pops[0])
        return obj

    # ----------------------------------------------------------------------------------- loading
    @classmethod
    def from_sonata(cls, path, **kwargs):
        """Reads a SONATA spike file. ``population``/``populations``: keep only these (each must
        be in the file); ``default_population``: the population used when none is given."""
        sel = kwargs.get("population", kwargs.get("populations", None))
        sel = [str(p) for p in _as_list(sel)] if sel is not None else None
        store = SpikeStore.read_sonata(os.fspath(path), sel)
        obj = cls._from_store(store, kwargs.get("default_population", None), columns=_SONATA_COLUMNS)
        # bmtk's SONATA reader keeps the stored node id type (uint64 in older files)
        obj._df_id_dtypes = {p: (np.int64 if signed else np.uint64)
                             for p, signed in _native.spike_node_ids_signed(os.fspath(path))}
        return obj

    @classmethod
    def from_csv(cls, path, default_population=None, sep=" ", **kwargs):
        """Reads a spike table (``timestamps population node_ids``, space-separated as BMTK writes
        it; ``sep`` another one-character separator). Rows without a population go to
        ``population``/``default_population`` (else '<sonata:none>')."""
        if sep in (" ", "\t", r"\s+", None):
            sep = None
        elif not (isinstance(sep, str) and len(sep) == 1):
            raise ValueError(f"from_csv: sep {sep!r}: expected a single character")
        fill = kwargs.get("population", default_population) or pop_na
        store = SpikeStore.read_csv(os.fspath(path), str(fill), sep)
        return cls._from_store(store, default_population, kwargs.get("units", None), columns=_TABLE_COLUMNS)

    @classmethod
    def from_nwb(cls, path, **kwargs):
        """Reads the spike trains of an NWB file (the units table BMTK writes, or the older
        ``/processing/<trial>/spike_train`` layout; ``trial`` picks one)."""
        store = SpikeStore.read_nwb(os.fspath(path), kwargs.get("population", None), kwargs.get("trial", None))
        return cls._from_store(store, kwargs.get("default_population", kwargs.get("population", None)),
                               columns=_TABLE_COLUMNS, id_dtype=np.uint64)

    @classmethod
    def load(cls, path, file_type=None, **kwargs):
        """Reads a spike file whose kind is given or guessed from the name (h5/sonata, nwb, csv)."""
        kind = file_type.lower() if file_type else find_file_type(path)
        if kind in ("h5", "sonata", "hdf5"):
            return cls.from_sonata(path, **kwargs)
        if kind == "nwb":
            return cls.from_nwb(path, **kwargs)
        if kind == "csv":
            return cls.from_csv(path, **kwargs)
        raise ValueError(
            f"{path}: cannot tell the spike-file type from the name; pass file_type='sonata', 'csv' or 'nwb'"
        )

    # ---------------------------------------------------------------------------------- adding
    def add_spike(self, node_id, timestamp, population=None, **kwargs):
        self.add_spikes([node_id], [timestamp], population=population)

    def add_spikes(self, node_ids, timestamps, population=None, **kwargs):
        population = population or self._default_population
        ts = np.ascontiguousarray(np.asarray(timestamps, dtype=np.float64).ravel())
        if np.isscalar(node_ids) or np.ndim(node_ids) == 0:
            ids = np.full(len(ts), _node_id_array(node_ids)[0], dtype=np.uint64)
        else:
            ids = _node_id_array(node_ids)
        if len(ids) != len(ts):
            raise ValueError("node_ids and timestamps must by of the same length")
        units = self._store.units(population) or self._units
        self._store.add(str(population), ids, ts, units)

    def merge(self, other):
        """Adds the spikes of another SpikeTrains (in place)."""
        if isinstance(other, SpikeTrains):
            self._store.merge(other._store)
            return
        for p in other.populations:
            df = other.to_dataframe(populations=p, with_population_col=False)
            self.add_spikes(df[col_node_ids].values, df[col_timestamps].values, population=p)

    def import_spikes(self, obj, **kwargs):
        self.merge(obj)

    def flush(self):
        pass

    def close(self):
        pass

    # ---------------------------------------------------------------------------------- queries
    @property
    def populations(self):
        pops = self._store.populations()
        # bmtk's csv reader answers with the table's unique values (a numpy array), the others a list
        return pd.Series(pops, dtype=str).unique() if self._df_columns is _TABLE_COLUMNS else pops

    def _pop(self, population):
        return str(population) if population is not None else self._default_population

    def units(self, population=None):
        return self._store.units(self._pop(population)) or self._units

    def set_units(self, u, population=None):
        if population is None:
            self._units = u
            for p in self.populations:
                self._store.set_units(p, u)
        else:
            self._store.set_units(str(population), u)

    def sort_order(self, population=None):
        s = self._store.sorting(self._pop(population))
        return SortOrder(s) if s is not None else SortOrder.unknown

    def node_ids(self, population=None):
        """Distinct ids of the nodes with spikes, ascending."""
        return self._store.node_ids(self._pop(population))

    def n_spikes(self, population=None):
        return self._store.n_spikes(self._pop(population))

    def get_times(self, node_id, population=None, time_window=None, **kwargs):
        """The spike times of a node (stored order); empty for an unknown node or population."""
        if node_id is None or (np.ndim(node_id) == 0 and int(node_id) < 0):
            return np.zeros(0)
        ts = self._store.get_times(self._pop(population), int(node_id))
        if time_window is not None:
            ts = ts[(time_window[0] <= ts) & (ts <= time_window[1])]
        return ts

    def time_range(self, populations=None):
        pops = _as_list(populations) or [self._default_population]
        lo, hi = np.inf, -np.inf
        for p in pops:
            _, ts = self._store.columns(str(p))
            if len(ts):
                lo, hi = min(lo, ts.min()), max(hi, ts.max())
        return lo, hi

    def to_dataframe(self, populations=None, sort_order=SortOrder.none, with_population_col=True, **kwargs):
        """A DataFrame with columns node_ids, timestamps (and population), populations one after
        another; ``sort_order`` 'by_time'/'by_id' sorts (stably) within each population, as
        bmtk's in-memory SpikeTrains does."""
        order = as_sort_order(sort_order)
        pops = _as_list(populations) if populations is not None else self.populations
        cols = [c for c in self._df_columns if with_population_col or c != col_population]
        frames = []
        for p in pops:
            ids, ts = self._store.columns(str(p), order.value if order != SortOrder.unknown else "none")
            dtype = getattr(self, "_df_id_dtypes", {}).get(str(p), self._df_id_dtype)
            data = {col_node_ids: ids.astype(dtype), col_timestamps: ts, col_population: p}
            frames.append(pd.DataFrame({c: data[c] for c in cols}))
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=self._df_id_dtype if c == col_node_ids else (
                np.float64 if c == col_timestamps else object)) for c in cols})
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def spikes(self, populations=None, time_window=None, sort_order=SortOrder.none, node_ids=None, **kwargs):
        """Iterates over (timestamp, population, node_id)."""
        df = self.to_dataframe(populations=populations, sort_order=sort_order)
        mask = np.ones(len(df), dtype=bool)
        if time_window is not None:
            mask &= (df[col_timestamps].values >= time_window[0]) & (df[col_timestamps].values <= time_window[1])
        if node_ids is not None:
            mask &= np.isin(df[col_node_ids].values, _as_list(node_ids))
        df = df[mask]
        yield from zip(df[col_timestamps].values, df[col_population].values, df[col_node_ids].values)

    # ---------------------------------------------------------------------------------- writing
    def to_sonata(self, path, mode="w", sort_order=SortOrder.none, compression=None, **kwargs):
        """Writes a SONATA spike file (written under a temporary name, then moved into place).

        ``compression``: None (default; readable by every HDF5 build, libsonata's included) or
        'gzip' / a gzip level. BMTK 1.2.0 writes gzip by default."""
        _check_mode(mode, path)
        order = as_sort_order(sort_order)
        if order == SortOrder.unknown:
            raise ValueError("to_sonata: sort_order must be 'none', 'by_id' or 'by_time'")
        _make_dirs(path)
        self._store.write_sonata(os.fspath(path), order.value, _compression_level(compression))

    def to_csv(self, path, mode="w", sort_order=SortOrder.none, include_header=True, include_population=True,
               **kwargs):
        """Writes a space-separated table ``timestamps population node_ids``, populations one after
        another, each sorted by ``sort_order``."""
        _check_mode(mode, path)
        order = as_sort_order(kwargs.get("sort_orders", sort_order))
        _make_dirs(path)
        self._store.write_csv(os.fspath(path), order.value if order != SortOrder.unknown else "none",
                              bool(include_header), bool(include_population))

    def to_nwb(self, path, mode="w", include_population=True, **kwargs):
        """Writes an NWB 2 file with a units table (one unit per node with spikes), as BMTK does."""
        _check_mode(mode, path)
        _make_dirs(path)
        from bmtk_rs import __version__

        self._store.write_nwb(os.fspath(path), bool(include_population),
                              f"bmtk-rs {__version__} generated NWB spikes file")

    # ------------------------------------------------------------------------------- comparing
    def is_equal(self, other, populations=None, err=0.00001, time_window=None):
        """True when both hold the same spikes per node (order and storage aside)."""
        if populations is None:
            populations = self.populations
            if set(other.populations) != set(populations):
                return False
        else:
            populations = _as_list(populations)
            for p in populations:
                if (p in self.populations) != (p in other.populations):
                    return False
        for p in populations:
            mine = np.asarray(self.node_ids(population=p))
            theirs = np.asarray(other.node_ids(population=p))
            if time_window is None and (len(mine) != len(theirs) or np.any(np.sort(mine) != np.sort(theirs))):
                return False
            nodes = mine if time_window is None else np.intersect1d(mine, theirs)
            for n in nodes:
                a = np.sort(self.get_times(n, population=p, time_window=time_window))
                b = np.sort(np.asarray(other.get_times(n, population=p, time_window=time_window)))
                if len(a) != len(b) or not np.allclose(a, b, atol=err, equal_nan=True):
                    return False
        return True

    def is_subset(self, other, err=0.00001, strict=False):
        equal = set(self.populations) == set(other.populations)
        for p in self.populations:
            n_self, n_other = self.n_spikes(population=p), other.n_spikes(population=p)
            equal &= n_self == n_other
            if n_self == 0:
                continue
            if p not in other.populations or n_self > n_other:
                return False
            if not set(self.node_ids(population=p)) <= set(other.node_ids(population=p)):
                return False
            for n in self.node_ids(population=p):
                theirs = np.sort(other.get_times(n, population=p))
                mine = self.get_times(n, population=p)
                idx = np.clip(np.searchsorted(theirs, mine - err), 0, len(theirs) - 1)
                if not np.allclose(mine, theirs[idx], atol=err):
                    return False
        return not (strict and equal)

    def __len__(self):
        return sum(self._store.n_spikes(p) for p in self.populations)

    def __eq__(self, other):
        return self.is_equal(other)

    def __ne__(self, other):
        return not self.is_equal(other)

    def __lt__(self, other):
        return self.is_subset(other, strict=True)

    def __le__(self, other):
        return self.is_subset(other)

    def __gt__(self, other):
        return other < self

    def __ge__(self, other):
        return other <= self

    __hash__ = None

    def __repr__(self):
        return f"SpikeTrains(populations={self.populations}, n_spikes={len(self)})"


class SpikeGenerator(SpikeTrains):
    """Base of the generators: a seed, output units (times are given in seconds)."""

    def __init__(self, population=None, seed=None, output_units="ms", **kwargs):
        if population is not None and "default_population" not in kwargs:
            kwargs["default_population"] = population
        self._units_name, self.output_conversion = units_conversion(output_units)
        super().__init__(units=self._units_name, **kwargs)
        if seed is None:
            # Drawn from numpy's global generator, so np.random.seed(...) makes runs repeatable.
            seed = int(np.random.randint(0, 2**63 - 1, dtype=np.int64))
        try:
            self._seed = int(seed) % (2**64)
        except (TypeError, ValueError):
            raise ValueError(f"seed {seed!r}: expected an integer") from None
        self._n_calls = 0

    @property
    def seed(self):
        return self._seed

    def _next_stream(self):
        k = self._n_calls
        self._n_calls += 1
        return k


def _refractory_rate_fn(abs_ref, tau_ref):
    """Output rate of a Poisson process of rate r after refractory thinning (as BMTK models it)."""
    if tau_ref != 0:
        def f(r):
            r = np.asarray(r, dtype=np.float64)
            return (np.exp(-r * abs_ref)
                    - r * np.exp(abs_ref / tau_ref) * tau_ref / (r * tau_ref + 1)
                    * np.exp(-(r + 1.0 / tau_ref) * abs_ref)) * r
    else:
        def f(r):
            r = np.asarray(r, dtype=np.float64)
            return np.exp(-r * abs_ref) * r
    return f


def _refractory_correction(rates, abs_ref, tau_ref):
    """The underlying rates that give ``rates`` after refractory thinning (bisection on the
    rising branch); raises when a rate is above what these refractory periods allow."""
    f = _refractory_rate_fn(abs_ref, tau_ref)
    grid = np.logspace(-3, 5, 8001)
    out = f(grid)
    k = int(np.argmax(out))
    max_rate = float(out[k])
    rates = np.asarray(rates, dtype=np.float64)
    if np.max(rates) > max_rate:
        raise ValueError(
            f"Cannot achieve firing rate above {max_rate} with these absolute and relative refractory "
            "properties"
        )
    lo = np.zeros_like(rates)
    hi = np.full_like(rates, grid[k])
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        below = f(mid) < rates
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


class PoissonSpikeGenerator(SpikeGenerator):
    """Homogeneous and inhomogeneous Poisson spike trains (Dayan & Abbott 2001), generated in
    Rust. Every node has its own random stream, seeded by (seed, add() call, node id): the same
    seed and the same calls give the same trains, whatever the number of threads."""

    def __init__(self, population=None, seed=None, output_units="ms", **kwargs):
        super().__init__(population, seed, output_units, **kwargs)

    def add(self, node_ids, firing_rate, population=None, times=(0.0, 1.0), abs_ref=0, tau_ref=0):
        """Adds Poisson trains for ``node_ids``.

        :param node_ids: ids (int or sequence), or the path of a SONATA nodes file (all its nodes
            of ``population``).
        :param firing_rate: Hz; a number (homogeneous), an array of rates at ``times`` (linear in
            between), or a callable of time in seconds (sampled every millisecond, or finer).
        :param times: seconds; (start, stop) or a stop time for a number or a callable, the sample
            times for an array of rates.
        :param abs_ref: absolute refractory period (s).
        :param tau_ref: time constant of the relative refractory period (s).
        """
        if tau_ref < 0:
            raise ValueError("Refractory period time constant (sec) cannot be negative.")
        if abs_ref < 0:
            raise ValueError("Absolute refractory period (sec) cannot be negative.")
        population = population or self._default_population
        if isinstance(node_ids, (str, os.PathLike)):
            node_ids = _nodes_of_file(node_ids, population)
        ids = _node_id_array(node_ids)
        refractory = abs_ref != 0 or tau_ref != 0
        units = self._store.units(str(population)) or self._units_name

        if callable(firing_rate):
            t0, t1 = _window(times)
            n = int(min(max(np.ceil((t1 - t0) / 0.001), 1000), 10_000_000)) + 1
            grid = np.linspace(t0, t1, n)
            try:
                rates = np.asarray(firing_rate(grid), dtype=np.float64)
                if rates.shape != grid.shape:
                    raise ValueError
            except Exception:  # noqa: BLE001  (not vectorised: call it per sample; its own errors surface there)
                rates = np.array([float(firing_rate(t)) for t in grid], dtype=np.float64)
            times_arr = grid
            firing_rate = rates
        elif np.isscalar(firing_rate) or np.ndim(firing_rate) == 0:
            rate = float(firing_rate)
            t0, t1 = _window(times)
            if not np.isfinite(rate) or rate < 0:
                raise ValueError(f"Firing rates must not be negative (got {firing_rate}).")
            if refractory:
                rate = float(_refractory_correction([rate], abs_ref, tau_ref)[0])
            self._store.add_poisson(str(population), ids, rate, float(t0), float(t1), self._seed,
                                    self._next_stream(), self.output_conversion, units,
                                    float(abs_ref), float(tau_ref))
            return
        else:
            times_arr = np.asarray(times, dtype=np.float64).ravel()
            rates = np.asarray(firing_rate, dtype=np.float64).ravel()
            if len(rates) != len(times_arr):
                raise ValueError(
                    "If using a time series for firing rate, times must be an array of equal length "
                    f"({len(rates)} rates, {len(times_arr)} times)"
                )
        if np.any(~np.isfinite(rates)) or np.any(rates < 0):
            raise ValueError("Firing rates must not be negative (nor NaN).")
        if refractory:
            rates = _refractory_correction(rates, abs_ref, tau_ref)
        self._store.add_poisson_varying(str(population), ids, np.ascontiguousarray(times_arr),
                                        np.ascontiguousarray(rates), self._seed, self._next_stream(),
                                        self.output_conversion, units, float(abs_ref), float(tau_ref))

    def time_range(self, population=None):
        return super().time_range(populations=population)


class GammaSpikeGenerator(SpikeGenerator):
    """Gamma renewal spike trains (shape ``a``; ``a`` = 1 is Poisson), generated in Rust with the
    same per-node streams as the Poisson generator."""

    def __init__(self, population=None, seed=None, output_units="ms", **kwargs):
        super().__init__(population, seed, output_units, **kwargs)

    def add(self, node_ids, firing_rate, a, population=None, times=(0.0, 1.0)):
        """
        :param firing_rate: stationary mean firing rate (Hz); time-varying rates are not supported.
        :param a: shape parameter (a > 0); the ISI coefficient of variation is 1/sqrt(a).
        :param times: (start, stop) or a stop time, in seconds.
        """
        population = population or self._default_population
        if isinstance(node_ids, (str, os.PathLike)):
            node_ids = _nodes_of_file(node_ids, population)
        ids = _node_id_array(node_ids)
        if not (np.isscalar(firing_rate) or np.ndim(firing_rate) == 0):
            raise ValueError("Firing rate must be stationary for GammaSpikeGenerator")
        if a is None or not np.isfinite(a) or a <= 0:
            raise ValueError("Shape parameter `a` must be positive (got {!r}).".format(a))
        t0, t1 = _window(times)
        units = self._store.units(str(population)) or self._units_name
        self._store.add_gamma(str(population), ids, float(firing_rate), float(a), t0, t1, self._seed,
                              self._next_stream(), self.output_conversion, units)

    def time_range(self, population=None):
        return super().time_range(populations=population)


def _window(times):
    if np.isscalar(times) or np.ndim(times) == 0:
        t1 = float(times)
        if t1 <= 0:
            raise ValueError(f"Invalid start and stop times: a stop time {times} must be positive.")
        return 0.0, t1
    t = np.asarray(times, dtype=np.float64).ravel()
    if len(t) < 2:
        raise ValueError(f"times {times!r}: expected (start, stop)")
    if not t[0] < t[-1]:
        raise ValueError(f"Invalid start and stop times: start {t[0]} is not before stop {t[-1]}.")
    return float(t[0]), float(t[-1])


def _nodes_of_file(path, population):
    from bmtk_rs._native import read_nodes

    pops = read_nodes(os.fspath(path))
    for p in pops:
        if population in (None, pop_na) and len(pops) == 1 or p["name"] == population:
            return np.asarray(p["node_id"], dtype=np.uint64)
    raise ValueError("{}: no node population {!r} (found {})".format(path, population, [p["name"] for p in pops]))
