"""A block of nodes added by one ``add_nodes`` call: shared (node-type) properties and per-node
parameter arrays."""

import numpy as np

from .node import Node


class NodeSet:
    def __init__(self, N, node_params, node_type_properties):
        self.N = N
        self.params = node_params  # name -> sequence of length N, as the user gave it
        self.type_properties = node_type_properties
        self.node_type_id = node_type_properties["node_type_id"]
        self.params_key = tuple(sorted(node_params.keys()))
        self.node_ids = None  # np.uint64 array, assigned by the network's id generator
        self._arrays = {}

    def array(self, name):
        """Per-node values of ``name`` as a numpy array (cached)."""
        arr = self._arrays.get(name)
        if arr is None:
            vals = self.params[name]
            arr = vals if isinstance(vals, np.ndarray) else np.asarray(vals)
            self._arrays[name] = arr
        return arr

    def make_nodes(self):
        """Node objects for every node of the set, values as the user gave them."""
        cols = [(k, v) for k, v in self.params.items() if k != "node_id"]
        tp = self.type_properties
        out = []
        for i, nid in enumerate(self.node_ids.tolist()):
            out.append(Node(nid, {k: v[i] for k, v in cols}, tp))
        return out

    def match(self, filters):
        """Boolean mask of the nodes that satisfy every filter (BMTK's NodePool semantics)."""
        mask = np.ones(self.N, dtype=bool)
        for key, want in filters.items():
            if key == "node_id" or key in self.params:
                vals = self.node_ids if key == "node_id" else self.params[key]
                mask &= _match_values(vals, want)
            elif key in self.type_properties:
                have = self.type_properties[key]
                if not _match_scalar(have, want):
                    mask[:] = False
            else:
                mask[:] = False
            if not mask.any():
                break
        return mask


def _match_scalar(have, want):
    if have is None:
        return False
    if callable(want):
        return bool(want(have))
    if isinstance(want, list):
        return have in want
    return bool(have == want)


def _match_values(vals, want):
    if callable(want) or isinstance(want, list) or not isinstance(vals, np.ndarray) or vals.dtype == object:
        return np.fromiter((_match_scalar(v, want) for v in vals), dtype=bool, count=len(vals))
    res = vals == want
    if not isinstance(res, np.ndarray):
        return np.full(len(vals), bool(res))
    return res
