"""BMTK BioNet's ``netcon_report``: one synapse variable (``g``, ``i``, ... of each synapse object) per
synapse of the selected cells, as a compartment report whose elements are synapses.

As bmtk 1.2.0 writes it: per cell, the synapses in the order they were made (recurrent edges, then
each input's), those whose NEURON name starts with ``syn_type`` (default ``Exp2Syn``; null takes every
kind); element_ids/element_pos are the synapse's section id and position (its segment's centre), and
the mapping carries ``src_ids`` (the presynaptic gid, -1 for a virtual source) and ``trg_ids`` (the
cell's gid). Values are sampled after every step as NEURON leaves them: for Exp2Syn ``g`` and ``i``
are the step's current evaluation (before the states advance), ``A`` and ``B`` the states after it.
The recorded cells' synapses keep one state each (elsewhere identical Exp2Syn on a segment share
one)."""

import os

import numpy as np

from .. import _mpi
from .biosimulator import _MembraneReport, _report_steps
from .clamp_report import report_file_name
from .config import ConfigError


def _variable(name, params):
    var = params.get("variable_name")
    if isinstance(var, (list, tuple)):
        if len(var) != 1:
            raise ConfigError(f"report '{name}': one variable_name per netcon_report is supported, got {var}")
        var = var[0]
    if not isinstance(var, str) or not var:
        raise ConfigError(f"report '{name}': netcon_report needs a variable_name (a synapse variable such as 'g')")
    return var


def selected_cells(net, name, params):
    """{population: sorted local biophysical node ids} a netcon report records."""
    syn_type = params.get("syn_type", "Exp2Syn")
    if syn_type == "netcon":
        raise ConfigError(f"report '{name}': syn_type 'netcon' (NetCon variables) is not supported; name a synapse "
                          "model (Exp2Syn, a POINT_PROCESS) or null for every synapse")
    out = {}
    for pop, ids in net.get_node_set(params.get("cells", params.get("node_set", "all"))).items():
        p = net.populations[pop]
        mt = p.model_type[p.rows(ids)]
        point = np.isin(mt, ["point_process", "point_neuron"])
        if point.any() and (syn_type is None or "IntFire1".startswith(str(syn_type))):
            raise ConfigError(f"report '{name}': recording the IntFire1 cells of {pop} is not supported (bmtk-rs "
                              "records the synapses of biophysical cells)")
        ids = np.sort(ids[mt == "biophysical"])
        out[pop] = ids[net._local_mask[pop][ids]]
    return out


class NetconReport(_MembraneReport):
    def __init__(self, name, params, sim, cells):
        self.name = name
        net = sim.net
        self.var = _variable(name, params)
        syn_type = params.get("syn_type", "Exp2Syn")
        self.dt, tstart, tend, self.first, self.stride, self.end = _report_steps(name, params, sim)
        self.rid = sim.engine.add_report()
        fname = report_file_name(name, params)
        self.path = fname if os.path.isabs(fname) else os.path.join(sim.output_dir, fname)
        local_map = {}
        for pop, ids in cells.items():
            kept, ptr, sec, x, src, trg = [], [0], [], [], [], []
            for n in ids:
                gid = int(net.gids(pop, [n])[0])
                kinds, s_src, s_sec, s_x = sim.engine.cell_synapses(gid)
                which = np.array([k for k, kind in enumerate(kinds) if syn_type is None or kind.startswith(syn_type)],
                                 dtype=np.int64)
                if len(which) == 0:
                    continue  # bmtk lists a cell only when it has a matching synapse
                try:
                    sim.engine.add_synapse_report(self.rid, gid, self.var, which)
                except ValueError as e:
                    raise ConfigError(f"report '{name}' (cell {n} of {pop}): {e}") from None
                kept.append(int(n))
                sec.append(s_sec[which])
                x.append(s_x[which])
                src.append(s_src[which])
                trg.append(np.full(len(which), gid, dtype=np.int64))
                ptr.append(ptr[-1] + len(which))
            if kept:
                local_map[pop] = (np.array(kept), np.array(ptr), np.concatenate(sec), np.concatenate(x),
                                  np.concatenate(src), np.concatenate(trg))
        self.local_pops = list(local_map)
        self.local_map = local_map
        comm = _mpi.world()
        maps = comm.gather(local_map, root=0) if comm is not None else [local_map]
        self.writer = None
        if maps is not None:
            entries, extra = {}, {}
            self.rank_cols = []
            for rank_map in maps:
                cols = {}
                for pop, (ids, ptr, sec, x, src, trg) in rank_map.items():
                    lst = entries.setdefault(pop, [])
                    cols[pop] = []
                    for k, n in enumerate(ids):
                        part = slice(ptr[k], ptr[k + 1])
                        lst.append((int(n), sec[part], x[part], src[part], trg[part]))
                        cols[pop].append(int(n))
                self.rank_cols.append(cols)
            self.order = {}
            for pop, lst in entries.items():
                lst.sort(key=lambda c: c[0])
                self.order[pop] = {c[0]: i for i, c in enumerate(lst)}
                extra[pop] = {"src_ids": np.concatenate([c[3] for c in lst]),
                              "trg_ids": np.concatenate([c[4] for c in lst])}
            self.entries = {pop: [c[:3] for c in lst] for pop, lst in entries.items()}
            self.element_columns = extra
        self._span = (tstart, tend)
        self.open(sim)

    def open(self, sim):
        if not hasattr(self, "entries"):
            return
        from ...utils.reports.compartment import CompartmentReportWriter

        n_rows = len(self._kept(0, sim.engine.n_steps))
        self.writer = CompartmentReportWriter(self.path, self.entries, self._span[0], self._span[1], self.dt,
                                              variable=self.var, units=None, n_steps=n_rows,
                                              element_columns=self.element_columns)
