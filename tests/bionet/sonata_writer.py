"""Writes small SONATA networks straight from arrays with h5py, so that tests can make file shapes
no builder writes (several edge groups per population, groups interleaved edge by edge, one edge
type spread over groups, old and new column names). Independent of bmtk and of bmtk-rs."""

import h5py
import numpy as np


def write_types(path, rows, id_col):
    """A *_types.csv (space separated, as SONATA tools write it) from a list of dicts."""
    cols = [id_col] + sorted({k for r in rows for k in r} - {id_col})
    with open(path, "w") as fh:
        fh.write(" ".join(cols) + "\n")
        for r in rows:
            vals = []
            for c in cols:
                v = r.get(c, "NULL")
                v = str(v)
                vals.append(f'"{v}"' if " " in v else v)
            fh.write(" ".join(vals) + "\n")


def write_nodes(path, population, node_type_ids, group_columns=None):
    """One node population with a single group (group 0) holding `group_columns`."""
    n = len(node_type_ids)
    with h5py.File(path, "w") as f:
        g = f.create_group(f"nodes/{population}")
        g.create_dataset("node_id", data=np.arange(n, dtype=np.uint64))
        g.create_dataset("node_type_id", data=np.asarray(node_type_ids, dtype=np.uint64))
        g.create_dataset("node_group_id", data=np.zeros(n, dtype=np.uint32))
        g.create_dataset("node_group_index", data=np.arange(n, dtype=np.uint64))
        grp = g.create_group("0")
        for k, v in (group_columns or {}).items():
            grp.create_dataset(k, data=np.asarray(v))


def write_edges(path, population, source_pop, target_pop, source_ids, target_ids, edge_type_ids, groups,
                group_of, n_sources, n_targets):
    """One edge population. `groups` maps group id -> {column: values (one per member, in file
    order)}; `group_of` gives each edge's group id; edge_group_index counts members in file order."""
    source_ids = np.asarray(source_ids, dtype=np.uint64)
    target_ids = np.asarray(target_ids, dtype=np.uint64)
    group_of = np.asarray(group_of, dtype=np.uint32)
    index = np.zeros(len(group_of), dtype=np.uint64)
    for g in groups:
        m = group_of == g
        index[m] = np.arange(int(m.sum()), dtype=np.uint64)
    with h5py.File(path, "w") as f:
        e = f.create_group(f"edges/{population}")
        s = e.create_dataset("source_node_id", data=source_ids)
        s.attrs["node_population"] = source_pop
        t = e.create_dataset("target_node_id", data=target_ids)
        t.attrs["node_population"] = target_pop
        e.create_dataset("edge_type_id", data=np.asarray(edge_type_ids, dtype=np.uint32))
        e.create_dataset("edge_group_id", data=group_of)
        e.create_dataset("edge_group_index", data=index)
        for g, cols in groups.items():
            grp = e.create_group(str(g))
            for k, v in cols.items():
                grp.create_dataset(k, data=np.asarray(v))
        for name, ids, n in (("target_to_source", target_ids, n_targets), ("source_to_target", source_ids, n_sources)):
            node_to_range, ranges = _index(ids, n)
            ix = e.create_group(f"indices/{name}")
            ix.create_dataset("node_id_to_range", data=node_to_range)
            ix.create_dataset("range_to_edge_id", data=ranges)


def _index(ids, n_nodes):
    """node_id_to_range and range_to_edge_id: for each node, its maximal runs of consecutive edge ids."""
    node_to_range = np.zeros((n_nodes, 2), dtype=np.uint64)
    runs = []
    for node in range(n_nodes):
        edges = np.flatnonzero(ids == node)
        first = len(runs)
        if len(edges):
            breaks = np.flatnonzero(np.diff(edges) != 1)
            starts = np.concatenate([[edges[0]], edges[breaks + 1]])
            ends = np.concatenate([edges[breaks] + 1, [edges[-1] + 1]])
            runs.extend(zip(starts.tolist(), ends.tolist()))
        node_to_range[node] = (first, len(runs))
    return node_to_range, np.asarray(runs, dtype=np.uint64).reshape(-1, 2)


def write_spikes(path, population, node_ids, timestamps):
    """A SONATA spike file sorted by time."""
    order = np.argsort(timestamps, kind="stable")
    with h5py.File(path, "w") as f:
        g = f.create_group(f"spikes/{population}")
        g.attrs["sorting"] = "by_time"
        g.create_dataset("node_ids", data=np.asarray(node_ids, dtype=np.uint64)[order])
        ts = g.create_dataset("timestamps", data=np.asarray(timestamps, dtype=np.float64)[order])
        ts.attrs["units"] = "ms"
