"""PopSimulator (``bmtk.simulator.popnet.PopSimulator``): builds a PopNetwork's populations and
inputs from a configuration, runs the Rust DiPDE engine, writes BMTK's rates table."""

import logging
import os
import time

import numpy as np

from ... import _native
from ..sonata_config import ConfigError
from .config import Config
from .populations import Population

log = logging.getLogger("bmtk_rs.popnet")


class PopSimulator:
    def __init__(self, graph, dt=0.0001, tstop=0.0, overwrite=True):
        self._graph = graph
        self._dt = dt
        self._tstop = tstop
        self._rates_file = None
        self.io = log
        self.times = None
        self.rates = None
        self.iterations = 0

    @property
    def tstop(self):
        return self._tstop

    @tstop.setter
    def tstop(self, value):
        self._tstop = value

    @property
    def dt(self):
        return self._dt

    @dt.setter
    def dt(self, value):
        self._dt = value

    @property
    def rates_file(self):
        return self._rates_file

    @rates_file.setter
    def rates_file(self, value):
        self._rates_file = value

    @property
    def populations(self):
        return self._graph.populations

    @property
    def connections(self):
        return self._graph.connections

    @classmethod
    def from_config(cls, configure, graph):
        if isinstance(configure, (str, os.PathLike)):
            config = Config.from_json(configure)
        elif isinstance(configure, dict):
            config = configure if isinstance(configure, Config) else Config.from_dict(configure)
        else:
            raise ConfigError(f'Could not convert {configure} (type "{type(configure)}") to json.')
        if "run" not in config:
            raise ConfigError(f"{config.get('config_path')}: json file is missing the 'run' section")
        run = config["run"]
        for key in ("dt", "tstop"):
            if key not in run:
                raise ConfigError(f"{config.get('config_path')}: 'run' lacks '{key}'")
            if isinstance(run[key], bool) or not isinstance(run[key], (int, float)):
                raise ConfigError(f"{config.get('config_path')}: 'run.{key}' must be a number, got "
                                  f"{run[key]!r}")
        # dt is taken in seconds as written; tstop is in ms (bmtk divides it by 1000).
        sim = cls(graph, dt=float(run["dt"]), tstop=float(run["tstop"]) / 1000.0,
                  overwrite=run.get("overwrite_output_dir", True))
        if sim.dt <= 0:
            raise ConfigError(f"{config.get('config_path')}: 'run.dt' must be > 0 (seconds)")

        log.info("Building cells.")
        graph.build_nodes()
        log.info("Building recurrent connections")
        graph.build_recurrent_edges()
        for name, inp in config.inputs.items():
            if not isinstance(inp, dict) or "node_set" not in inp:
                raise ConfigError(f"inputs.{name}: needs a 'node_set'")
            log.info(f"Build virtual cell stimulations for {name}")
            if inp.get("input_type") == "spikes":
                from ...utils.reports.spike_trains import SpikeTrains

                path = inp.get("input_file")
                if path is None:
                    raise ConfigError(f"inputs.{name}: spikes input needs 'input_file'")
                if not os.path.isfile(path):
                    raise ConfigError(f"inputs.{name}: input_file {path} does not exist")
                spikes = SpikeTrains.load(path=path, file_type=inp.get("module"))
                graph.add_spike_trains(spikes, inp["node_set"], name)
            else:
                if "rates" not in inp:
                    raise ConfigError(f"inputs.{name}: a '{inp.get('module')}' input needs 'rates' "
                                      f"(a pop_rates "
                                      "table)")
                graph.add_rates(inp["rates"], inp["node_set"], name)

        out = config.output
        rates_file = out.get("rates_file")
        if rates_file is not None:
            if not os.path.isabs(rates_file):
                rates_file = os.path.join(config.output_dir, rates_file)
            os.makedirs(os.path.dirname(os.path.abspath(rates_file)), exist_ok=True)
            sim.rates_file = rates_file
        else:
            log.warning("output.rates_file is not set: the population rates will not be written")
        log.info("Network created.")
        return sim

    def _engine_inputs(self):
        internal = [p for p in self._graph.internal_populations]
        external = self._graph.external_populations
        i_of = {id(p): i for i, p in enumerate(internal)}
        e_of = {id(p): i for i, p in enumerate(external)}
        conns = []
        for c in self._graph.connections:
            if id(c.trg_pop) not in i_of:
                raise ConfigError(f"connection {c}: target {c.trg_pop} is not an internal population")
            if isinstance(c.src_pop, Population):
                src = ("internal", i_of[id(c.src_pop)])
            else:
                src = ("external", e_of[id(c.src_pop)])
            conns.append((src[0], src[1], i_of[id(c.trg_pop)], c.nsyns, c.weights, c.delays))
        return internal, external, conns

    def run(self, tstop=None):
        tstop = self.tstop if tstop is None else tstop
        internal, external, conns = self._engine_inputs()
        t0 = time.time()
        self.io.info("Running simulation.")
        times, rates, iters = _native.popnet_simulate([p.engine_tuple() for p in internal],
                                                      [e.firing_rate for e in external], conns,
                                                      float(self.dt), 0.0, float(tstop))
        self.times, self.rates, self.iterations = times, rates, iters
        if self._rates_file is not None:
            keep = [i for i, p in enumerate(internal) if p.record]
            _native.popnet_write_rates(self._rates_file, [str(internal[i].pop_id) for i in keep], times,
                                       np.ascontiguousarray(rates[keep]))
        self.io.info("Finished simulation.")
        self.io.debug(f"PopNet run took {time.time() - t0:.2f} s")

    def rates_table(self):
        """The recorded rates as a pandas DataFrame (pop_id, time, rate)."""
        import pandas as pd

        internal = self._graph.internal_populations
        n = len(self.times)
        return pd.DataFrame({"pop_id": np.repeat([p.pop_id for p in internal], n),
                             "time": np.tile(self.times, len(internal)), "rate": self.rates.ravel()})
