"""Loaded (by path) into each block's subprocess: `record(name, value)` keeps a plain-data picture of a
return value, and `dump(path)` pickles them all. It never imports bmtk, so the same file serves the
real bmtk and bmtk_rs-as-bmtk."""

import collections.abc
import numbers
import pickle

_RECORDS = {}


def _plain_figure(fig):
    axes = []
    for ax in fig.get_axes():
        lines = [[float(v) for v in ln.get_xdata()] + [float(v) for v in ln.get_ydata()] for ln in ax.get_lines()]
        colls = []
        for c in ax.collections:
            off = c.get_offsets()
            colls.append(sorted((round(float(x), 9), round(float(y), 9)) for x, y in off))
        bars = sorted((round(float(p.get_x()), 9), round(float(p.get_height()), 9)) for p in ax.patches
                      if hasattr(p, "get_height"))
        axes.append({"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
                     "lines": lines, "collections": colls, "bars": bars})
    return {"__figure__": axes}


def plain(value):
    """A comparable picture of `value` made of dicts, lists, str, int, float and bool."""
    import numpy as np
    import pandas as pd

    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, pd.DataFrame):
        return {"__frame__": {"columns": [str(c) for c in value.columns],
                              "dtypes": [value[c].dtype.kind for c in value.columns],
                              "index": plain(np.asarray(value.index)),
                              "data": {str(c): plain(value[c].to_numpy()) for c in value.columns}}}
    if isinstance(value, pd.Series):
        return {"__series__": {"name": str(value.name), "index": plain(np.asarray(value.index)),
                               "data": plain(value.to_numpy())}}
    if isinstance(value, np.ndarray):
        return {"__array__": {"kind": value.dtype.kind, "shape": list(value.shape),
                              "data": [plain(v) for v in value.ravel().tolist()]}}
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, dict) or hasattr(value, "keys") and hasattr(value, "__getitem__"):
        return {str(k): plain(value[k]) for k in value.keys()}
    if hasattr(value, "get_axes") and hasattr(value, "savefig"):
        return _plain_figure(value)
    if isinstance(value, (collections.abc.KeysView, collections.abc.ValuesView)):
        # a dict's keys()/values() view is a sequence to its caller, like a list
        return [plain(v) for v in value]
    if isinstance(value, (list, tuple, range, set)):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set) else items
    return {"__repr__": type(value).__name__}


def record(name, value):
    _RECORDS[name] = plain(value)


def dump(path):
    with open(path, "wb") as fh:
        pickle.dump(_RECORDS, fh)
