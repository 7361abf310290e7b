"""Turning user values into typed columns for the engine, with errors that say what is wrong."""

import numbers

import numpy as np

_SUPPORTED = {"float64", "float32", "int64", "int32", "int16", "int8",
              "uint64", "uint32", "uint16", "uint8", "bool"}


def dtype_name(dtype, prop_name):
    """Canonical dtype name of an ``add_properties`` dtype (None means float64, as in BMTK)."""
    if dtype is None:
        return "float64"
    if dtype is str or dtype is bytes:
        return "str"
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise TypeError("edge property '{}': {!r} is not a dtype".format(prop_name, dtype)) from e
    if dt.kind in "USO":
        return "str"
    if dt.name not in _SUPPORTED:
        raise TypeError("edge property '{}': dtype {} cannot be stored in SONATA".format(prop_name, dt))
    return dt.name


def to_native(arr, what):
    """(dtype name, data, width) for a numpy array of per-node or per-edge values."""
    arr = np.asarray(arr)
    width = 1
    if arr.ndim == 2:
        width = arr.shape[1]
    elif arr.ndim > 2:
        raise ValueError("{}: values with {} dimensions cannot be stored".format(what, arr.ndim))
    if arr.dtype.kind in "US" or arr.dtype == object:
        flat = arr.reshape(-1)
        vals = []
        for v in flat.tolist():
            if isinstance(v, bytes):
                v = v.decode("utf-8")
            if not isinstance(v, str):
                raise TypeError("{}: mixes text with {!r}; SONATA columns hold one type".format(what, v))
            vals.append(v)
        if width != 1:
            raise ValueError("{}: tuples of strings cannot be stored".format(what))
        return "str", vals, 1
    if arr.dtype.name not in _SUPPORTED:
        raise TypeError("{}: values of type {} cannot be stored in SONATA".format(what, arr.dtype))
    return arr.dtype.name, np.ascontiguousarray(arr.reshape(-1)), width


def concat(arrays, name):
    if len(arrays) == 1:
        return np.asarray(arrays[0])
    try:
        return np.concatenate([np.asarray(a) for a in arrays])
    except ValueError as e:
        raise ValueError("node property {!r} has different shapes across add_nodes calls: {}".format(name, e)) from e


def count_scalar(rule, edge_type_id):
    """A constant connection rule: every pair gets this many synapses."""
    if isinstance(rule, (bool, np.bool_)):
        return int(rule)
    if isinstance(rule, numbers.Integral):
        n = int(rule)
    elif isinstance(rule, numbers.Real) and float(rule).is_integer():
        n = int(rule)
    else:
        raise ValueError(
            "connection_rule of edge type {}: {!r} is not a synapse count (an int, a list/matrix of ints, "
            "None, or a callable)".format(edge_type_id, rule))
    if n < 0 or n >= 2 ** 32:
        raise ValueError("connection_rule of edge type {}: {} is not a valid synapse count".format(edge_type_id, n))
    return n


def count_matrix(rule, n_src, n_trg, edge_type_id):
    """Counts of every pair, source-major: a flat list of S*T (sources outer, as BMTK takes it)
    or a T x S matrix (rows are targets, as BMTK documents it)."""
    arr = np.asarray(rule)
    if arr.ndim == 2:
        if arr.shape != (n_trg, n_src):
            raise ValueError(
                "connection_rule of edge type {}: matrix of shape {} but there are {} targets x {} sources"
                .format(edge_type_id, arr.shape, n_trg, n_src))
        arr = arr.T
    elif arr.ndim == 1:
        if arr.size != n_src * n_trg:
            raise ValueError(
                "connection_rule of edge type {}: {} counts for {} sources x {} targets".format(
                    edge_type_id, arr.size, n_src, n_trg))
    else:
        raise ValueError("connection_rule of edge type {}: a {}-d array is not a connection matrix".format(
            edge_type_id, arr.ndim))
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.floor(arr)):
            raise ValueError("connection_rule of edge type {}: counts must be integers".format(edge_type_id))
    elif arr.dtype.kind not in "iub":
        raise ValueError("connection_rule of edge type {}: counts must be integers, got {}".format(
            edge_type_id, arr.dtype))
    if arr.size and (arr.min() < 0 or arr.max() >= 2 ** 32):
        raise ValueError("connection_rule of edge type {}: counts must be between 0 and 2^32-1".format(
            edge_type_id))
    return np.ascontiguousarray(arr.reshape(-1), dtype=np.uint32)


def property_values(name, values, dtype, n_syns):
    """(dtype name, data) for explicit per-synapse values of one property."""
    if len(values) != n_syns:
        raise ValueError("edge property '{}': {} values for {} synapses".format(name, len(values), n_syns))
    dt = dtype_name(dtype, name)
    if dt == "str":
        return "str", [str(v) for v in values]
    try:
        arr = np.asarray(values).astype(dt)
    except (TypeError, ValueError) as e:
        raise ValueError("edge property '{}': values do not convert to {}: {}".format(name, dt, e)) from e
    return dt, np.ascontiguousarray(arr)
