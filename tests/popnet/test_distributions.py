"""Weight and delay distributions of a connection (dipde's discrete distributions): a connection
with weights (w1, w2) at probabilities (p, 1 - p) and nsyn N drives its target exactly as two
connections of N p and N (1 - p) synapses with single weights do, and likewise for delays; and the
forms a SONATA column can hold (numbers, json strings) read as dipde reads them."""

import numpy as np
import pytest

from bmtk_rs import _native
from bmtk_rs.simulator.popnet.populations import distribution
from bmtk_rs.simulator.sonata_config import ConfigError

POP = ([(0.03, 1.0)], -0.03, 0.02, 0.0002, "gmres", None, 1e-13, "inf", 0.0)


def _run(conns):
    _, rates, _ = _native.popnet_simulate([POP, POP], [20.0], conns, 0.001, 0.0, 0.1)
    return rates


def test_weight_mixture_equals_split_connections():
    mixed = [("external", 0, 0, 30.0, [(0.004, 0.25), (-0.002, 0.75)], [(0.0, 1.0)])]
    split = [("external", 0, 0, 7.5, [(0.004, 1.0)], [(0.0, 1.0)]),
             ("external", 0, 0, 22.5, [(-0.002, 1.0)], [(0.0, 1.0)])]
    a, b = _run(mixed), _run(split)
    assert a[0, -1] > 0.1
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_delay_mixture_equals_split_connections():
    drive = ("external", 0, 0, 40.0, [(0.004, 1.0)], [(0.0, 1.0)])
    mixed = [drive, ("internal", 0, 1, 20.0, [(0.005, 1.0)], [(0.002, 0.5), (0.005, 0.5)])]
    split = [drive, ("internal", 0, 1, 10.0, [(0.005, 1.0)], [(0.002, 1.0)]),
             ("internal", 0, 1, 10.0, [(0.005, 1.0)], [(0.005, 1.0)])]
    a, b = _run(mixed), _run(split)
    assert a[1, -1] > 0.1
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    # the shorter delay is felt first: 2 ms -> the target moves at step 4, not before
    c = _run([drive, ("internal", 0, 1, 20.0, [(0.005, 1.0)], [(0.005, 1.0)])])
    assert np.all(c[1, :7] == 0.0) and np.all(a[1, :4] == 0.0) and a[1, 4] > 0.0


@pytest.mark.parametrize("value,expected", [
    (0.002, [(0.002, 1.0)]),
    ("0.002", [(0.002, 1.0)]),
    ("[[0.001, 0.003], [0.5, 0.5]]", [(0.001, 0.5), (0.003, 0.5)]),
    ({"distribution": "delta", "weight": -0.001}, [(-0.001, 1.0)]),
    ([[0.0, 0.002, 0.004], [0.25, 0.75]], [(0.001, 0.25), (0.003, 0.75)]),   # bin edges -> centres
])
def test_distribution_forms(value, expected):
    np.testing.assert_allclose(np.array(distribution(value, "w")), np.array(expected), rtol=1e-15)


@pytest.mark.parametrize("value", ["abc", "[[0.1], [0.5]]", True, {"distribution": "gamma"}, float("nan")])
def test_bad_distributions(value):
    with pytest.raises(ConfigError, match="edges.h5: 'syn_weight'"):
        distribution(value, "edges.h5: 'syn_weight'")
