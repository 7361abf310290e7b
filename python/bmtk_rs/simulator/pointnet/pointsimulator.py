"""PointSimulator (``bmtk.simulator.pointnet.PointSimulator``): builds a PointNetwork with its
inputs and recorders on the Rust engine, runs it, writes BMTK's spike files and multimeter reports."""

import logging
import os
import time

import numpy as np

from ... import _native
from ...utils.reports.compartment import CompartmentReportWriter
from .. import _mpi
from ...utils.reports.spike_trains import SpikeTrains
from ..sonata_config import ConfigError
from .config import Config
from .current_clamps import PointClamp

log = logging.getLogger("bmtk_rs.pointnet")
_SPIKE_MODULES = {"sonata": "sonata", "h5": "sonata", "hdf5": "sonata", "csv": "csv", "nwb": "nwb"}
_REPORT_MODULES = ("membrane_report", "multimeter_report", "multimeter")
# above this many steps the run goes in chunks (progress bar, log lines)
_CHUNK = 100_000


def _in_notebook():
    try:
        from IPython import get_ipython
        shell = get_ipython()
        return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"
    except ImportError:
        return False


class _Multimeter:
    """A membrane/multimeter report: one engine recording per variable, written in BMTK's layout."""

    def __init__(self, name, params, sim):
        net = sim.net
        var = params.get("variable_name", "V_m")
        self.variables = list(var) if isinstance(var, (list, tuple)) else [var]
        cells = net.get_node_set(params.get("cells", params.get("node_set", "all")))
        pops = [p for p in cells if not net.populations[p].virtual_only]
        if not pops:
            raise ConfigError(f"report '{name}': its cells are all virtual; nothing to record")
        self.population = pops[0]
        ids = np.unique(cells[self.population])
        eids = net.engine_ids(self.population, ids)
        if np.any(eids < 0):
            raise ConfigError(f"report '{name}': node {int(ids[eids < 0][0])} of {self.population} is virtual")
        self.node_ids = ids
        # this rank records its own cells; rank 0 gathers and writes them all
        self.local_ids = ids[net.local_mask(self.population)[ids]]
        eids = net.engine_ids(self.population, self.local_ids)
        dt = sim.dt
        interval = float(params.get("interval", dt))
        self.interval_steps = int(round(interval / dt))
        if self.interval_steps < 1 or abs(self.interval_steps * dt - interval) > 1e-9:
            raise ConfigError(f"report '{name}': interval {interval} ms is not a multiple of dt {dt} ms")
        tstart = float(params.get("tstart", 0.0) or 0.0)
        tstop = float(params.get("tstop", sim.tstop) or sim.tstop)
        self.start = int(round(tstart / dt))
        # NEST collects a multimeter's data once per min_delay (over every connection, the
        # multimeter's own of NEST's default 1 ms included): the last min_delay of a run never
        # reaches bmtk's report
        self.stop = min(int(round(tstop / dt)), sim.n_steps - sim.min_delay_steps())
        self.rids = []
        for v in self.variables:
            try:
                self.rids.append(sim.engine.add_recording(v, eids.astype(np.uint32), self.interval_steps,
                                                          self.start, self.stop))
            except ValueError as e:
                raise ConfigError(f"report '{name}': {e}") from None
        fname = params.get("file_name", f"{name}.h5")
        self.path = fname if os.path.isabs(fname) else os.path.join(sim.output_dir, fname)
        self.interval = interval

    def write(self, sim):
        comm = _mpi.world()
        for var, rid in zip(self.variables, self.rids):
            steps, data = sim.engine.recording(rid)
            if comm is not None:
                parts = comm.gather((self.local_ids, steps, data), root=0)
                if parts is None:
                    continue
                cols = np.concatenate([p[0] for p in parts])
                data = np.concatenate([p[2] for p in parts], axis=1)[:, np.argsort(cols, kind="stable")]
            if len(steps) == 0:
                continue
            path = self.path if len(self.variables) == 1 else self.path.replace(".h5", f".{var}.h5")
            times = steps * sim.dt
            entries = {self.population: [(int(n), [0], [0.0]) for n in self.node_ids]}
            w = CompartmentReportWriter(path, entries, float(times[0]), float(times[-1]), self.interval,
                                        variable=var, units=None, n_steps=len(steps))
            w.write_steps(self.population, 0, np.ascontiguousarray(data))
            w.close()


class PointSimulator:
    def __init__(self, graph, dt=0.001, overwrite=True, print_time=False, n_thread=1):
        self._graph = graph
        self._dt = float(dt)
        self._tstop = 0.0
        self.engine = _native.PointEngine(self._dt)
        self.output_dir = "output"
        self._reports = []
        self._clamps = []
        self._spikes_out = {}
        self.spike_trains = None

    @property
    def net(self):
        return self._graph

    @property
    def dt(self):
        return self._dt

    @property
    def tstart(self):
        return 0.0

    @property
    def tstop(self):
        return self._tstop

    @tstop.setter
    def tstop(self, val):
        self._tstop = float(val)

    @property
    def n_steps(self):
        return int(round(self.tstop / self.dt))

    def min_delay_steps(self):
        """NEST's min_delay in steps: the smallest delay of any connection, recorders' included."""
        delays = [1.0] + ([self.net.min_delay] if self.net.min_delay is not None else [])
        if self._clamps:
            delays.append(self.dt)
        return max(1, int(round(min(delays) / self.dt)))

    def simulation_time(self, units="ms"):
        return self.tstop if units.lower() == "ms" else self.tstop / 1000.0

    @classmethod
    def from_config(cls, configure, graph, n_thread=None):
        if isinstance(configure, (str, os.PathLike)):
            config = Config.from_json(configure)
        elif isinstance(configure, Config):
            config = configure
        elif isinstance(configure, dict):
            config = Config.from_dict(configure)
        else:
            raise ConfigError(f'Could not convert {configure} (type "{type(configure)}") to json.')
        if "run" not in config:
            raise ConfigError(f"{config.get('config_path')}: json file is missing the 'run' section")
        run = config["run"]
        for key in ("dt",):
            if key not in run:
                raise ConfigError(f"{config.get('config_path')}: 'run' lacks '{key}'")
        try:
            sim = cls(graph, dt=float(run["dt"]), overwrite=run.get("overwrite_output_dir", True))
        except ValueError as e:
            raise ConfigError(f"{config.get('config_path')}: run.dt: {e}") from None
        tstop = run.get("duration", run.get("tstop"))
        if tstop is None:
            raise ConfigError(f"{config.get('config_path')}: 'run' lacks 'tstop'")
        sim.tstop = float(tstop)
        if abs(sim.n_steps * sim.dt - sim.tstop) > 1e-9 * max(1.0, sim.tstop):
            raise ConfigError(f"{config.get('config_path')}: run.tstop {sim.tstop} ms is not a multiple of "
                              f"dt {sim.dt} ms")
        sim.output_dir = config.output_dir
        os.makedirs(sim.output_dir, exist_ok=True)

        for name, inp in config.inputs.items():
            if inp.get("enabled", True) is False:
                continue
            sim._check_input(name, inp)
        for name, rep in config.reports.items():
            if rep.get("enabled", True) is not False and rep.get("module") not in _REPORT_MODULES + (
                    "spikes_report",):
                raise ConfigError(f"report '{name}': module {rep.get('module')!r} is not supported by bmtk-rs "
                                  f"PointNet (supported: {list(_REPORT_MODULES)})")

        log.info("Building cells.")
        graph.build_nodes(sim.engine)
        log.info("Building recurrent connections")
        graph.build_recurrent_edges(sim.engine)
        for name, inp in config.inputs.items():
            if inp.get("enabled", True) is not False:
                sim._add_input(name, inp)
        for name, rep in config.reports.items():
            if rep.get("enabled", True) is not False and rep.get("module") in _REPORT_MODULES:
                sim._reports.append(_Multimeter(name, rep, sim))
        out = config.output
        sim._spikes_out = {
            "h5": config.output_path(out.get("spikes_file")),
            "csv": config.output_path(out.get("spikes_file_csv")),
            "sort": out.get("spikes_sort_order") or "none",
        }
        log.info("Network created.")
        return sim

    @staticmethod
    def _check_input(name, inp):
        itype, module = inp.get("input_type"), inp.get("module")
        if itype == "spikes":
            if module not in _SPIKE_MODULES:
                raise ConfigError(f"input '{name}': spikes module {module!r} is not supported "
                                  f"(supported: {sorted(_SPIKE_MODULES)})")
            path = inp.get("input_file")
            if path is None or not os.path.isfile(path):
                raise ConfigError(f"input '{name}': input_file {path!r} does not exist")
            if "node_set" not in inp:
                raise ConfigError(f"input '{name}': needs a 'node_set'")
        elif module == "IClamp":
            pass
        else:
            raise ConfigError(f"input '{name}': input_type {itype!r} / module {module!r} is not supported by "
                              "bmtk-rs PointNet (spikes: sonata/h5/csv/nwb; IClamp)")

    def _add_input(self, name, inp):
        if inp.get("input_type") == "spikes":
            log.info(f"Build virtual cell stimulations for {name}")
            trains = SpikeTrains.load(inp["input_file"], file_type=_SPIKE_MODULES[inp["module"]])
            self.net.add_spike_trains(self.engine, trains, inp["node_set"], name)
            return
        clamp = PointClamp(name, inp)
        self._clamps.append(clamp)
        times, amps = clamp.schedule(self.dt)
        targets = []
        for pop, ids in self.net.get_node_set(clamp.node_set).items():
            eids = self.net.engine_ids(pop, ids)
            targets.append(eids[eids >= 0])
        targets = np.concatenate(targets).astype(np.uint32) if targets else np.zeros(0, dtype=np.uint32)
        try:
            self.engine.add_step_current(times.tolist(), amps.tolist(), targets, self.dt)
        except ValueError as e:
            raise ConfigError(f"input '{name}': {e}") from None

    def run(self, tstop=None):
        if tstop is not None:
            self.tstop = tstop
        n = self.n_steps
        log.info("Simulation Started")
        start = time.time()
        bar = None
        if _in_notebook():
            try:
                from tqdm.auto import tqdm
                bar = tqdm(total=n, desc="PointNet", unit="step")
            except ImportError:
                bar = None
        done = 0
        comm = _mpi.world()
        exchange = self._exchange(comm)
        while done < n:
            k = min(_CHUNK if bar is not None else n, n - done)
            error = None
            try:
                self.engine.run(k, exchange)
            except RuntimeError as e:  # raised by the exchange on every rank
                error = e
            except ValueError as e:
                error = self._failure_error(e)
            if comm is not None:
                # a rank that stopped alone must not leave the others waiting for it
                texts = comm.allgather(None if error is None else str(error))
                first = next((t for t in texts if t), None)
                if first is not None and error is None:
                    error = RuntimeError(first)
            if error is not None:
                raise error
            done += k
            if bar is not None:
                bar.n = done
                bar.refresh()
        if bar is not None:
            bar.close()
        log.info("Simulation finished, finalizing results.")
        self._write_spikes()
        for r in self._reports:
            r.write(self)
        log.info(f"Done. ({time.time() - start:.2f} s)")

    def _node_name(self, eid):
        for pop, peids in self.net._engine_ids.items():
            hit = np.flatnonzero(peids == eid)
            if len(hit):
                return f"node {int(hit[0])} of {pop}"
        return f"engine node {eid}"

    def _failure_error(self, error):
        """A neuron's model gave up (NEST's NumericalInstability): the error names its population and node."""
        failed = self.engine.failure()
        if failed is None:
            return error
        eid, why = failed
        return RuntimeError(f"{self._node_name(eid)}: {why} at t <= {self.engine.step * self.dt:g} ms; the "
                            "simulation stopped and no output was written")

    def _exchange(self, comm):
        """Under MPI: the engine's spike exchange, every rank's spikes of an epoch to every rank."""
        if comm is None:
            return None

        def exchange(steps, nodes, mults, failure):
            text = None
            if failure is not None:
                text = f"{self._node_name(failure[0])}: {failure[1]} (rank {comm.Get_rank()}); the simulation " \
                       "stopped and no output was written"
            parts = comm.allgather((steps, nodes, mults, text))
            failed = [p[3] for p in parts if p[3]]
            if failed:
                raise RuntimeError(failed[0])
            return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
        return exchange

    def _write_spikes(self):
        steps, eids = self.engine.spikes()
        comm = _mpi.world()
        if comm is not None:
            parts = comm.gather((steps, eids), root=0)
            if parts is None:
                return
            steps = np.concatenate([p[0] for p in parts])
            eids = np.concatenate([p[1] for p in parts])
        times = steps.astype(np.float64) * self.dt
        trains = SpikeTrains()
        for pop, peids in self.net._engine_ids.items():
            built = np.flatnonzero(peids >= 0)
            if len(built) == 0:
                continue
            lookup = np.full(self.engine.n_nodes, -1, dtype=np.int64)
            lookup[peids[built]] = built
            nid = lookup[eids.astype(np.int64)] if len(eids) else np.zeros(0, dtype=np.int64)
            mine = nid >= 0
            order = np.lexsort((nid[mine], times[mine]))
            trains.add_spikes(nid[mine][order], times[mine][order], population=pop)
        self.spike_trains = trains
        if self._spikes_out.get("h5"):
            trains.to_sonata(self._spikes_out["h5"], sort_order=self._spikes_out["sort"])
        if self._spikes_out.get("csv"):
            trains.to_csv(self._spikes_out["csv"], sort_order=self._spikes_out["sort"])
