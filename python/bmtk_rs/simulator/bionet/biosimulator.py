"""The BioNet simulator (``bmtk.simulator.bionet.BioSimulator``): inputs, reports and the run loop
around the Rust engine, with BMTK's log lines."""

import logging
import os
import time

import numpy as np

from ... import _native
from ...utils.reports.compartment import CompartmentReportWriter
from ...utils.reports.spike_trains import SpikeTrains
from .clamp_report import ClampReport
from .current_clamps import ClampInput
from .extracellular_stim import add_extracellular_stimulus, placed_biophysical_cells
from .replay import ReplaySources, is_replay
from .run_timing import RunTimer, SpikeExchange
from .spont_syns import SpontaneousSynapses, find_syn_activity
from .saved_synapses import save_synapses
from .voltage_clamps import VoltageClampInput
from .. import _mpi
from .config import ConfigError

_SPIKE_MODULES = {"sonata": "sonata", "h5": "sonata", "hdf5": "sonata", "csv": "csv", "nwb": "nwb"}


def _mpi_min():
    from mpi4py import MPI

    return MPI.MIN


def _elapsed(s):
    if s < 120:
        return "{:.4} seconds".format(s)
    if s < 7200:
        m, sec = divmod(s, 60)
        return "{} minutes, {:.4} seconds".format(m, sec)
    m, sec = divmod(s, 60)
    h, m = divmod(m, 60)
    return "{} hours, {} minutes and {:.4} seconds".format(h, m, sec)


def _clock(s):
    h, rest = divmod(int(round(s)), 3600)
    m, sec = divmod(rest, 60)
    return "{}:{:02d}:{:02d}".format(h, m, sec)


class _Progress:
    """Log lines of a long run: simulated time, wall time and the estimated time to finish (from the
    mean speed so far), at every block end and at least every `interval` seconds."""

    def __init__(self, io, step0, n_steps, dt, interval):
        self.io, self.step0, self.n_steps, self.dt, self.interval = io, step0, n_steps, dt, interval
        self.start = self.last = time.time()

    def update(self, step, force=False):
        now = time.time()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        wall = now - self.start
        done = step - self.step0
        left = (self.n_steps - step) * wall / done if done > 0 else float("nan")
        self.io.info("    t_sim:{:.2f} of {:.2f} ms ({:.0f}%), wall time {}, about {} to finish".format(
            step * self.dt, self.n_steps * self.dt, 100.0 * step / max(self.n_steps, 1), _clock(wall),
            _clock(left) if left == left else "?"))


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and ip.__class__.__name__ == "ZMQInteractiveShell"


def _threads():
    env = os.environ.get("BMTK_RS_THREADS")
    if env:
        return max(1, int(env))
    n = os.cpu_count() or 1
    return max(1, n // _mpi.size())


def _as_list(v):
    return list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v]


# SWC type of each section name a membrane report's `sections` may list (BMTK's names)
_SECTION_TYPES = {
    "undefined": 0, "soma": 1, "somatic": 1, "axon": 2, "axonal": 2, "dend": 3, "basal": 3,
    "basal dendrite": 3, "(basal) dendrite": 3, "apic": 4, "apical": 4, "apical denrite": 4,
    "custom": 5, "other": 5,
}
_TRANSFORMS = ("first_element",)


def _report_kinds(name, sections):
    """None for BMTK's soma report (soma(0.5) only), else the SWC types to record ([] = all)."""
    if isinstance(sections, str) and sections.lower() == "soma":
        return None
    names = [sections] if isinstance(sections, str) else list(sections)
    names = [str(s).lower() for s in names]
    if not names or "all" in names:
        return []
    unknown = [s for s in names if s not in _SECTION_TYPES]
    if unknown:
        raise ConfigError(f"report '{name}': unknown sections {unknown}; use 'all', 'soma' or a list of "
                          f"{sorted(_SECTION_TYPES)}")
    return sorted({_SECTION_TYPES[s] for s in names})


def _is_multiple(a, b, rtol=1.0e-4):
    # BMTK's test: a value counts as a multiple when the ratio is (nearly) integral
    return bool(np.isclose(a, b, rtol=rtol)) or float(np.float64(a / b)).is_integer()


def _report_steps(name, params, sim):
    """(dt, start_time, end_time, first step, step stride, end step) as BMTK validates them: the report
    samples the steps k (k-th state after the start, from 0) with first <= k < end and k % stride == 0."""
    dt = params.get("dt")
    if dt is None:
        dt = sim.dt
    else:
        dt = float(dt)
        if dt < sim.dt:
            raise ConfigError(f"report '{name}': dt {dt} is less than the simulation dt {sim.dt}")
        if not _is_multiple(dt, sim.dt):
            raise ConfigError(f"report '{name}': dt {dt} is not a whole multiple of the simulation dt {sim.dt}")
    start = params.get("start_time")
    if start is None:
        start = 0.0
    else:
        start = float(start)
        if start < 0.0:
            raise ConfigError(f"report '{name}': start_time {start} is before the simulation start (0 ms)")
        if not _is_multiple(start, dt):
            raise ConfigError(f"report '{name}': start_time {start} is not a whole multiple of its dt {dt}")
    end = params.get("end_time")
    if end is None:
        end = sim.tstop
    else:
        end = float(end)
        if end > sim.tstop:
            raise ConfigError(f"report '{name}': end_time {end} is after tstop {sim.tstop}")
        if not _is_multiple(end, dt):
            raise ConfigError(f"report '{name}': end_time {end} is not a whole multiple of its dt {dt}")
    return dt, start, end, int(start / sim.dt), int(dt / sim.dt), end / sim.dt


class _MembraneReport:
    def __init__(self, name, params, sim):
        self.name = name
        net = sim.net
        var = params.get("variable_name", "v")
        if isinstance(var, (list, tuple)):
            if len(var) != 1:
                raise ConfigError(f"report '{name}': one variable_name per report is supported, got {var}")
            var = var[0]
        transform = params.get("transform") or {}
        if not isinstance(transform, dict):
            raise ConfigError(f"report '{name}': transform must map a variable to a function name, got {transform!r}")
        for tvar, fn in transform.items():
            if fn and fn not in _TRANSFORMS:
                raise ConfigError(f"report '{name}': unknown transform {fn!r} for {tvar!r} (supported: "
                                  f"{', '.join(_TRANSFORMS)})")
        # first_element of a segment's value is the value itself for every variable bmtk-rs records
        kinds = _report_kinds(name, params.get("sections", "all"))
        self.dt, tstart, tend, self.first, self.stride, self.end = _report_steps(name, params, sim)
        cells = net.get_node_set(params.get("cells", params.get("node_set", "all")))
        self.rid = sim.engine.add_report()
        self.var = var
        fname = params.get("file_name", f"{name}.h5")
        self.path = fname if os.path.isabs(fname) else os.path.join(sim.output_dir, fname)
        comm = _mpi.world()
        local_map = {}
        for pop, ids in cells.items():
            ids = np.asarray(ids, dtype=np.int64)
            ids = np.sort(ids[net.populations[pop].is_biophysical[net.populations[pop].rows(ids)]])
            if len(ids) == 0:
                # bmtk records biophysical cells only and writes no group for a population without any
                continue
            mine = net._local_mask[pop][ids]
            try:
                ptr, sec, x = sim.engine.add_report_cells(self.rid, net.gids(pop, ids[mine]).astype(np.uint32),
                                                          var, kinds)
            except ValueError as e:
                raise ConfigError(f"report '{name}' ({pop}): {e}") from None
            local_map[pop] = (ids[mine], ptr, sec, x)
        self.local_pops = list(local_map)
        self.local_map = local_map
        maps = comm.gather(local_map, root=0) if comm is not None else [local_map]
        self.writer = None
        if maps is not None:
            entries = {}
            self.rank_cols = []
            for rank_map in maps:
                cols = {}
                for pop, (ids, ptr, sec, x) in rank_map.items():
                    lst = entries.setdefault(pop, [])
                    cols[pop] = []
                    for k, n in enumerate(ids):
                        lst.append((int(n), sec[ptr[k]:ptr[k + 1]], x[ptr[k]:ptr[k + 1]]))
                        cols[pop].append(int(n))
                self.rank_cols.append(cols)
            self.order = {}
            for pop, lst in entries.items():
                lst.sort(key=lambda c: c[0])
                self.order[pop] = {c[0]: i for i, c in enumerate(lst)}
            self.entries = entries
        self._span = (tstart, tend)
        self.open(sim)

    def open(self, sim):
        """A new file for a run (rank 0 writes)."""
        if not hasattr(self, "entries"):
            return
        units = None  # bmtk 1.2.0 gives BioNet reports no units attribute
        n_rows = len(self._kept(0, sim.engine.n_steps))
        self.writer = CompartmentReportWriter(self.path, self.entries, self._span[0], self._span[1], self.dt,
                                              variable=self.var, units=units, n_steps=n_rows)

    def _kept(self, first_step, n):
        """Of the steps first_step .. first_step + n - 1, the ones this report samples (as offsets)."""
        k = np.arange(first_step, first_step + n)
        return np.flatnonzero((k >= self.first) & (k < self.end) & (k % self.stride == 0))

    def flush(self, sim, first_step):
        rows = sim.engine.take_report(self.rid)
        comm = _mpi.world()
        blocks = comm.gather(rows, root=0) if comm is not None else [rows]
        if self.writer is None:
            return
        for pop, lst in self.entries.items():
            width = [len(c[1]) for c in lst]
            start = np.concatenate([[0], np.cumsum(width)])
            n = max((b.shape[0] for b in blocks), default=0)
            out = np.zeros((n, int(start[-1])))
            for cols, block in zip(self.rank_cols, blocks):
                # a rank's block holds its populations in the order it registered them
                off = 0
                for p, ids in cols.items():
                    for nid in ids:
                        k = self.order[p][nid]
                        w = width[k] if p == pop else len(self.entries[p][self.order[p][nid]][1])
                        if p == pop:
                            out[:, start[k]:start[k] + w] = block[:, off:off + w]
                        off += w
            keep = self._kept(first_step, n)
            if len(keep):
                row0 = len(self._kept(0, first_step))
                self.writer.write_steps(pop, row0, out[keep])

    def close(self):
        if self.writer is not None:
            self.writer.close()


class _EcpReport:
    """BMTK's `extracellular` report: line-source potentials at the electrodes from the
    membrane currents of the selected biophysical cells, written as BMTK's ecp.h5."""

    def __init__(self, name, params, sim):
        net = sim.net
        self.name = name
        path = params.get("electrode_positions")
        if path is None:
            raise ConfigError(f"report '{name}': the extracellular module needs 'electrode_positions'")
        if not os.path.isfile(path):
            raise ConfigError(f"report '{name}': electrode_positions file {path} does not exist")
        if "cells" not in params and "cell_bounds" not in params:
            raise ConfigError(f"report '{name}': the extracellular module needs 'cells' (a node set)")
        if "cell_bounds" in params:
            lo, hi = params["cell_bounds"]
            cells = {p: ids[(ids >= lo) & (ids <= hi)] for p, ids in net.get_node_set("all").items()}
        else:
            cells = net.get_node_set(params["cells"])
        gids, pos, rot = placed_biophysical_cells(net, cells)
        cdir = params.get("contributions_dir")
        self.n_channels = sim.engine.add_ecp(path, gids, pos, rot,
                                             params.get("minimum_distance"), per_cell=bool(cdir))
        self.cdir = None
        self.gids = gids
        if cdir:
            self.cdir = cdir if os.path.isabs(cdir) else os.path.join(sim.output_dir, cdir)
            self.contrib_index = {int(g): i for i, g in enumerate(gids)}
        fname = params.get("file_name", f"{name}.h5")
        self.path = fname if os.path.isabs(fname) else os.path.join(sim.output_dir, fname)
        nwb = params.get("file_name_nwb")
        self.nwb_path = (nwb if os.path.isabs(nwb) else os.path.join(sim.output_dir, nwb)) if nwb else None
        if self.nwb_path:
            # checked now, not after a long run whose NWB copy could then not be written
            from .ecp_nwb import _pynwb

            try:
                _pynwb()
            except ImportError as e:
                raise ConfigError(f"report '{name}': {e}") from None
        self.electrodes_file = path
        self.open(sim)

    def open(self, sim):
        """New files for a run (the summed ECP on rank 0, per-cell contributions on every rank)."""
        self.contrib = None
        if self.cdir:
            self.contrib = _native.EcpContributionsWriter(self.cdir, [int(g) for g in self.gids], self.n_channels,
                                                          sim.engine.n_steps)
        comm = _mpi.world()
        self.writer = None
        if comm is None or comm.Get_rank() == 0:
            self.writer = _native.EcpWriter(self.path, self.n_channels, sim.tstop, sim.dt,
                                            n_steps=sim.engine.n_steps)

    def flush(self, sim, first_step):
        if self.contrib is not None:
            for gid, cell_rows in sim.engine.take_ecp_cells():
                if cell_rows.shape[0]:
                    self.contrib.write_rows(self.contrib_index[int(gid)], first_step, cell_rows)
        rows = sim.engine.take_ecp()
        comm = _mpi.world()
        if comm is not None:
            parts = comm.gather(rows, root=0)
            if parts is None:
                return
            rows = parts[0].copy()
            for p in parts[1:]:
                rows += p
        if self.writer is not None and rows.shape[0]:
            self.writer.write_rows(first_step, np.ascontiguousarray(rows))

    def close(self):
        if self.contrib is not None:
            self.contrib.finish()
        if self.writer is not None:
            self.writer.finish()
            if self.nwb_path:
                from .ecp_nwb import convert_ecp_to_nwb

                convert_ecp_to_nwb(self.nwb_path, self.path, self.electrodes_file)


class BioSimulator:
    """Runs a BioNetwork on the Rust engine."""

    def __init__(self, network, dt, tstop, v_init, celsius, nsteps_block, spike_threshold=-15.0):
        self.net = network
        self.dt = float(dt)
        self.tstop = float(tstop)
        self.v_init = v_init
        self.celsius = celsius
        # replay inputs add spike sources past the network's gids (reserved before the engine exists)
        n_sources = max(network.n_gids, getattr(network, "n_sources", network.n_gids))
        self.engine = _native.BioEngine(self.dt, self.tstop, float(celsius), float(v_init), float(spike_threshold),
                                        n_sources, _threads())
        nsteps = self.engine.n_steps
        self.nsteps_block = nsteps_block if 0 < nsteps_block < nsteps else nsteps
        self.io = logging.getLogger("bmtk_rs.bionet")
        self._reports = []
        self._save_synapses_dirs = []
        self._spikes_out = {}
        self.output_dir = "output"
        self.progress_bar = None
        # seconds of wall time between progress lines (run.progress_interval), besides one per block
        self.progress_interval = 60.0

    @property
    def n_steps(self):
        return self.engine.n_steps

    @classmethod
    def from_config(cls, config, network, set_recordings=True):
        io = logging.getLogger("bmtk_rs.bionet")
        if config.tstop is None:
            raise ConfigError(f"{config.get('config_path')}: 'run' lacks 'tstop'")
        network.replay = ReplaySources(network, config.inputs)
        network.n_sources = network.replay.n_sources
        spont = find_syn_activity(config.inputs)
        network.spont = None
        if spont is not None:
            # one spike source past the others plays the timestamps into every matching synapse
            network.spont = SpontaneousSynapses(network, spont[0], spont[1], network.n_sources)
            network.n_sources += 1
        sim = cls(network, config.dt, config.tstop, config.v_init, config.celsius, config.block_step,
                  config.spike_threshold)
        sim.output_dir = config.output_dir
        sim.progress_interval = config.progress_interval
        network._sim = sim
        saving = [rep for rep in config.reports.values()
                  if rep.get("module") == "save_synapses" and rep.get("enabled", True) is not False]
        if saving:
            network.made_synapses = []
        from .user_mechanisms import register_density_mechanisms

        network.unrunnable_mechanisms = register_density_mechanisms(config, io, sim.engine)
        io.info("Building cells.")
        network.build_nodes(sim.engine)
        from .netcon_report import NetconReport, selected_cells

        netcon_cells = {}
        for name, rep in config.reports.items():
            if rep.get("module") == "netcon_report" and rep.get("enabled", True) is not False:
                # before any edge: the recorded cells' synapses must keep a state each
                netcon_cells[name] = selected_cells(network, name, rep)
                for pop, ids in netcon_cells[name].items():
                    sim.engine.keep_synapses_apart(network.gids(pop, ids).astype(np.uint32))
        io.info("Building recurrent connections")
        network.build_recurrent_edges(sim.engine)
        sim._gap_exchange = network.gaps.finish()
        sim._clamps = []
        sim._vclamps = []
        for name, inp in config.inputs.items():
            sim._add_input(name, inp, config)
        sim._add_clamps()
        sim._add_voltage_clamps()
        network.finish_virtual(sim.engine)
        comm = _mpi.world()
        if comm is not None:
            # every rank must cut the run into the same exchange epochs (NEURON's global min delay)
            delay = comm.allreduce(sim.engine.local_min_delay(), op=_mpi_min())
            if np.isfinite(delay):
                sim.engine.share_min_delay(delay)
        for name, rep in config.reports.items():
            module = rep.get("module")
            if rep.get("enabled", True) is False:
                continue
            if module == "membrane_report":
                sim._reports.append(_MembraneReport(name, rep, sim))
            elif module == "extracellular":
                sim._reports.append(_EcpReport(name, rep, sim))
            elif module == "netcon_report":
                sim._reports.append(NetconReport(name, rep, sim, netcon_cells[name]))
            elif module == "clamp_report":
                sim._reports.append(ClampReport(name, rep, sim))
            elif module == "save_synapses":
                if "network_dir" not in rep:
                    raise ConfigError(f"report '{name}': save_synapses needs 'network_dir'")
                sim._save_synapses_dirs.append(rep["network_dir"])
            else:
                io.warning(f"report '{name}': module {module!r} is not supported by bmtk-rs; it is skipped")
        out = config.output
        sim._spikes_out = {
            "h5": config.output_path(out.get("spikes_file")),
            "csv": config.output_path(out.get("spikes_file_csv")),
            "sort": out.get("spikes_sort_order") or "none",  # bmtk labels unsorted output "none"
        }
        return sim

    def _add_input(self, name, inp, config):
        net = self.net
        itype, module = inp.get("input_type"), inp.get("module")
        if itype == "spikes" or module in _SPIKE_MODULES:
            if module not in _SPIKE_MODULES:
                raise ConfigError(f"input '{name}': spikes module {module!r} is not supported "
                                  f"(supported: {sorted(_SPIKE_MODULES)})")
            self.io.info(f"Building virtual cell stimulations for {name}")
            path = inp.get("input_file")
            if path is None or not os.path.isfile(path):
                raise ConfigError(f"input '{name}': input_file {path!r} does not exist")
            node_set = net.get_node_set(inp.get("node_set", "all"))
            trains = SpikeTrains.load(path, file_type=_SPIKE_MODULES[module])
            file_pops = list(trains.populations)
            for pop, ids in node_set.items():
                src = pop if pop in file_pops else (file_pops[0] if len(file_pops) == 1 and
                                                    file_pops[0] in (None, "", "<default>") else None)
                if src is None:
                    raise ConfigError(f"input '{name}': spikes file {path} has populations {file_pops}, not "
                                      f"'{pop}' of node_set {inp.get('node_set')!r}")
                df = trains.to_dataframe(populations=[src] if src is not None else None)
                nid = df["node_ids"].to_numpy(dtype=np.int64)
                ts = df["timestamps"].to_numpy(dtype=np.float64)
                order = np.lexsort((ts, nid))
                nid, ts = nid[order], ts[order]
                ids = np.asarray(ids, dtype=np.int64)
                ids = np.sort(ids[net.populations[pop].is_virtual[net.populations[pop].rows(ids)]])
                lo = np.searchsorted(nid, ids, side="left")
                hi = np.searchsorted(nid, ids, side="right")
                cnt = hi - lo
                offs = np.concatenate([[0], np.cumsum(cnt)]).astype(np.int64)
                times = np.concatenate([ts[a:b] for a, b in zip(lo, hi)]) if len(ids) else np.zeros(0)
                if np.any(times < 0):
                    raise ConfigError(f"input '{name}': {path} has negative spike times")
                net.add_spike_trains(self.engine, pop, ids, offs, times)
        elif itype == "syn_activity" or module == "syn_activity":
            pass  # applied while the recurrent edges were built
        elif is_replay(inp):
            net.replay.build(self.engine, name, inp, self.io)
        elif module == "IClamp" or itype == "current_clamp":
            if module != "IClamp":
                raise ConfigError(f"input '{name}': current_clamp module {module!r} is not supported (IClamp)")
            # made after every input's synapses, as bmtk initialises clamps when the run starts
            self._clamps.append(ClampInput(name, inp))
        elif module == "SEClamp":
            self._vclamps.append(VoltageClampInput(name, inp))
        elif module in ("xstim", "comsol"):
            add_extracellular_stimulus(self, name, inp, module)
        else:
            raise ConfigError(f"input '{name}': input_type {itype!r} / module {module!r} is not supported by "
                              "bmtk-rs BioNet (spikes: sonata/h5/csv/nwb; current_clamp: IClamp; SEClamp; xstim; comsol)")

    def _add_voltage_clamps(self):
        net = self.net
        for clamp in self._vclamps:
            rule = clamp.placement(self.engine)
            cells = net.get_node_set(clamp.node_set)
            gids = []
            for pop, ids in cells.items():
                p = net.populations[pop]
                ids = ids[p.model_type[p.rows(ids)] == "biophysical"]
                gids.extend(int(g) for g in net.gids(pop, ids))
            if not gids:
                continue
            # bmtk keeps only the clamp it makes last (its iteration order over a set of gids)
            gid = list(set(gids) & set(gids))[-1]
            pop, nid = net.gid_to_node(np.array([gid]))
            if not net._local_mask[pop[0]][int(nid[0])]:
                continue
            vc, rs = clamp.steps(self.dt, self.engine.n_steps)
            self.engine.add_vclamp(gid, clamp.node(self.engine, gid, rule), vc, rs)

    def _add_clamps(self):
        net = self.net
        for clamp in self._clamps:
            rule = clamp.placement(self.engine)
            played = clamp.per_step(self.dt, self.engine.n_steps) if clamp.played is not None else None
            for pop, ids in net.get_node_set(clamp.node_set).items():
                p = net.populations[pop]
                ids = ids[p.model_type[p.rows(ids)] == "biophysical"]
                for n in ids[net._local_mask[pop][ids]]:
                    gid = int(net.gids(pop, [n])[0])
                    node = clamp.node(self.engine, gid, rule)
                    if played is not None:
                        self.engine.add_played_clamp(gid, node, played)
                    else:
                        for a, d, u in clamp.steps:
                            self.engine.add_clamp(gid, a, d, u, node)

    def run(self):
        """Runs from t = 0 to tstop and writes the outputs. A second call runs the same simulation
        again from t = 0 (bmtk 1.2.0 restarts NEURON but keeps its step counter, so its second run
        records no report rows and appends the spikes to the first run's)."""
        io = self.io
        comm = _mpi.world()
        self.engine.finalize()
        if getattr(self, "_has_run", False):
            self.engine.rewind()
            for r in self._reports:
                r.open(self)
        self._has_run = True
        for network_dir in self._save_synapses_dirs:
            save_synapses(self.net, network_dir)
        io.info("Running simulation for {:.3f} ms with the time step {:.3f} ms".format(self.tstop, self.dt))
        io.info("Starting timestep: {} at t_sim: {:.3f} ms".format(self.engine.step, self.engine.step * self.dt))
        io.info("Block save every {} steps".format(self.nsteps_block))
        start = time.time()
        exchange = SpikeExchange(comm) if comm is not None else None
        timer = RunTimer(exchange)
        gap_exchange = getattr(self, "_gap_exchange", None)
        bar = None
        if _in_notebook() and (comm is None or comm.Get_rank() == 0):
            try:
                from tqdm.auto import tqdm
                bar = tqdm(total=self.engine.n_steps, desc="BioNet", unit="step")
            except ImportError:
                bar = None
        # runs in chunks of 1% of the steps (at most a block), so progress can be told between blocks
        chunk = max(1, min(self.nsteps_block, self.engine.n_steps // 100 or 1))
        progress = _Progress(io, self.engine.step, self.engine.n_steps, self.dt, self.progress_interval)
        block_start = self.engine.step
        while self.engine.step < self.engine.n_steps:
            to_block = block_start + self.nsteps_block - self.engine.step
            self.engine.advance(min(chunk, to_block), exchange, gap_exchange)
            if bar is not None:
                bar.n = self.engine.step
                bar.refresh()
            block_end = self.engine.step - block_start >= self.nsteps_block or self.engine.step == self.engine.n_steps
            progress.update(self.engine.step, force=block_end)
            if block_end:
                io.info("    step:{} t_sim:{:.2f} ms".format(self.engine.step, self.engine.step * self.dt))
                for r in self._reports:
                    r.flush(self, block_start)
                self.engine.clear_recordings()
                block_start = self.engine.step
        if bar is not None:
            bar.close()
        self.run_timing = timer.finish(io, comm)
        for r in self._reports:
            r.close()
        self._write_spikes()
        io.info("Simulation completed in {} ".format(_elapsed(time.time() - start)))

    def spikes(self):
        """{population: (node_ids, times)} of this rank's cells."""
        t, gids = self.engine.spikes()
        pops, nids = self.net.gid_to_node(gids.astype(np.int64))
        out = {}
        pops = np.asarray(pops, dtype=object)
        for p in dict.fromkeys(pops.tolist()):
            m = pops == p
            out[p] = (nids[m], t[m])
        return out

    def _write_spikes(self):
        comm = _mpi.world()
        local = self.spikes()
        parts = comm.gather(local, root=0) if comm is not None else [local]
        if parts is None:
            return
        trains = SpikeTrains()
        merged = {}
        for part in parts:
            for pop, (nids, t) in part.items():
                merged.setdefault(pop, []).append((nids, t))
        for pop, chunks in merged.items():
            nids = np.concatenate([c[0] for c in chunks])
            t = np.concatenate([c[1] for c in chunks])
            # (time, node id) order whatever the ranks: identical files for any rank count
            order = np.lexsort((nids, t))
            trains.add_spikes(nids[order], t[order], population=pop)
        for name in self.net.populations:
            if name not in trains.populations and not self.net.populations[name].virtual_only:
                trains.add_spikes(np.zeros(0, dtype=np.int64), np.zeros(0), population=name)
        self.spike_trains = trains
        if self._spikes_out.get("h5"):
            trains.to_sonata(self._spikes_out["h5"], sort_order=self._spikes_out["sort"])
        if self._spikes_out.get("csv"):
            trains.to_csv(self._spikes_out["csv"], sort_order=self._spikes_out["sort"])
