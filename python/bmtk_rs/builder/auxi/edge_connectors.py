"""Connection rules (``bmtk.builder.auxi.edge_connectors``).

They draw from the same generators as bmtk 1.2.0 (numpy's global one for ``connect_random``,
Python's ``random`` module for ``distance_connector``), so seeded scripts build the same network.
"""

import random

import numpy as np


def connect_random(source, target, nsyn_min=0, nsyn_max=10, distribution=None):
    """A uniformly random synapse count in [nsyn_min, nsyn_max)."""
    return np.random.randint(nsyn_min, nsyn_max)


def distance_connector(source, target, d_weight_min, d_weight_max, d_max, nsyn_min, nsyn_max):
    """Connect with a probability that falls linearly from ``d_weight_max`` at distance 0 to
    ``d_weight_min`` at ``d_max`` (0 beyond), between the nodes' ``positions``; a connected pair gets
    a random count in [nsyn_min, nsyn_max]. No self-connections."""
    if source.node_id == target.node_id:
        return None
    dist = np.linalg.norm(np.array(source["positions"]) - np.array(target["positions"]))
    if dist > d_max:
        return None
    frac = dist / d_max
    p_connect = d_weight_min * frac + d_weight_max * (1.0 - frac)
    if p_connect <= 0 or random.random() > p_connect:
        return None
    return random.randint(nsyn_min, nsyn_max)
