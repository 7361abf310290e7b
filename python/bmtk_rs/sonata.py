"""Reading SONATA network files through the Rust reader (the one the simulators use).

``read_nodes(path)`` and ``read_edges(path)`` return one dict per population with numpy arrays;
``read_types(path)`` returns a types table as a pandas DataFrame. Files written by any BMTK
version are accepted (the old ``indicies`` index spelling included: indices are rebuilt from the
id columns, not trusted from the file).
"""

import pandas as pd

from . import _native


def _groups(raw):
    return {int(g): {name: data for name, (dtype, data, width) in cols.items()} for g, cols in raw.items()}


def read_nodes(path):
    pops = _native.read_nodes(str(path))
    for p in pops:
        p["groups"] = _groups(p["groups"])
    return {p["name"]: p for p in pops}


def read_edges(path):
    pops = _native.read_edges(str(path))
    for p in pops:
        p["groups"] = _groups(p["groups"])
    return {p["name"]: p for p in pops}


def read_types(path):
    """A node/edge types table; ``NULL`` and empty cells become missing values as in BMTK."""
    columns, rows = _native.read_types_table(str(path))
    df = pd.DataFrame(rows, columns=columns)
    df = df.replace({"NULL": pd.NA, "": pd.NA})
    for c in df.columns:
        try:
            df[c] = pd.to_numeric(df[c])
        except (ValueError, TypeError):
            pass
    return df
