"""BioNet's ``save_synapses`` report: the synapses a run made, written back as SONATA edges in the
layout of bmtk 1.2.0's module (one ``<source>_<target>_edges.h5`` per population pair; group 0 for
synapses on biophysical cells with ``syn_weight``/``sec_id``/``sec_x``, group 1 for connections to
point cells with their effective ``syn_weight``), rows cell by cell in gid order and, within a cell,
in the order the synapses were made, as bmtk walks its cells' NetCons."""

import logging
import os

import numpy as np

from ... import _native
from .. import _mpi

_io = logging.getLogger("bmtk_rs.bionet")


def _local_rows(net):
    """This rank's synapses as column arrays, in creation order."""
    cols = {k: [] for k in ("src_pop", "trg_pop", "src", "trg", "etype", "gid", "weight", "group", "sec", "x")}
    for ep, eidx, gid, weight, sec, x in net.made_synapses:
        n = len(eidx)
        cols["src_pop"].append(np.full(n, ep.source, dtype=object))
        cols["trg_pop"].append(np.full(n, ep.target, dtype=object))
        cols["src"].append(ep.source_ids[eidx])
        cols["trg"].append(ep.target_ids[eidx])
        cols["etype"].append(ep.type_ids[eidx])
        cols["gid"].append(np.asarray(gid, dtype=np.int64))
        cols["weight"].append(np.asarray(weight, dtype=float))
        bio = sec is not None
        cols["group"].append(np.full(n, 0 if bio else 1, dtype=np.uint16))
        cols["sec"].append(np.asarray(sec, dtype=np.int64) if bio else np.full(n, -1, dtype=np.int64))
        cols["x"].append(np.asarray(x, dtype=float) if bio else np.full(n, np.nan))
    if not cols["src"]:
        return None
    return {k: np.concatenate(v) for k, v in cols.items()}


def save_synapses(net, network_dir):
    """Writes the made synapses under `network_dir` (rank 0 writes every file)."""
    _io.info("Saving network connections. This may take a while.")
    rows = _local_rows(net)
    comm = _mpi.world()
    if comm is not None:
        parts = comm.gather(rows, root=0)
        if comm.Get_rank() != 0:
            comm.barrier()
            return
        parts = [p for p in parts if p is not None]
        rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else None
    os.makedirs(network_dir, exist_ok=True)
    if rows is not None:
        # cells in gid order (bmtk's local cells), each cell's synapses in creation order
        order = np.argsort(rows["gid"], kind="stable")
        rows = {k: v[order] for k, v in rows.items()}
        pairs = dict.fromkeys(zip(rows["src_pop"].tolist(), rows["trg_pop"].tolist()))
        for src_pop, trg_pop in pairs:
            m = (rows["src_pop"] == src_pop) & (rows["trg_pop"] == trg_pop)
            bio = m & (rows["group"] == 0)
            point = m & (rows["group"] == 1)
            path = os.path.join(network_dir, f"{src_pop}_{trg_pop}_edges.h5")
            _native.write_saved_synapses(
                path, src_pop, trg_pop,
                np.ascontiguousarray(rows["etype"][m], dtype=np.uint32),
                np.ascontiguousarray(rows["src"][m], dtype=np.uint64),
                np.ascontiguousarray(rows["trg"][m], dtype=np.uint64),
                np.ascontiguousarray(rows["group"][m], dtype=np.uint16),
                np.ascontiguousarray(rows["weight"][bio], dtype=float),
                np.ascontiguousarray(rows["sec"][bio], dtype=np.uint64),
                np.ascontiguousarray(rows["x"][bio], dtype=float),
                np.ascontiguousarray(rows["weight"][point], dtype=float))
    if comm is not None:
        comm.barrier()
    _io.info("    Done saving network connections.")
