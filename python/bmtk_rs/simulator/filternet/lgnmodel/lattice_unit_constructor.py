"""A standard mix of LGN cells around one lattice point (``bmtk...lgnmodel.lattice_unit_constructor``):
transient/sustained ON and OFF single units plus overlapping and separated ON/OFF two-subfield cells,
their amplitudes, peak times and angles drawn from scipy.stats distributions (scipy is needed here,
and only here). Draws come from numpy's global generator in bmtk's order."""

import numpy as np

from .make_cell_list import make_on_off_cell_list, make_single_unit_cell_list, multi_cell_random_generator


def _stats():
    try:
        import scipy.stats
    except ImportError as exc:
        raise ImportError("lattice_unit_constructor draws cell parameters with scipy.stats; install scipy") from exc
    return scipy.stats


def _two_valued(a, b):
    return _stats().rv_discrete(values=([a, b], [.5, .5]))


def _peaks(first, second):
    return _stats().multivariate_normal(mean=[first, second], cov=[[5.0, 0], [0, 5]])


# (amplitudes, kpeak means, weights, cells per size for sigma 3, 6, 9)
_SINGLE_UNIT_CLASSES = {
    "tON": ((20, 25), (15., 35.), (4., -2.5), (5, 3, 2)),
    "tOFF": ((-20, -25), (15., 35.), (4., -2.5), (10, 5, 5)),
    "sON": ((20, 25), (80., 120.), (4., -.85), (5, 3, 2)),
    "sOFF": ((-20, -25), (80., 120.), (4., -.85), (10, 5, 5)),
}


def _single_unit_cells(kind, lattice_unit_center):
    amps, peaks, weights, counts = _SINGLE_UNIT_CLASSES[kind]
    config = {"lattice_unit_center": lattice_unit_center, "width": 5., "amplitude": _two_valued(*amps),
              "kpeaks": _peaks(*peaks), "weights": weights, "delays": (0., 0.)}
    cells = []
    for n, size in zip(counts, (3, 6, 9)):
        config["number_of_cells"] = n
        config["sigma"] = (size, size)
        cells += multi_cell_random_generator(make_single_unit_cell_list, **config)
    return cells


def make_tON_cell_list(lattice_unit_center):
    return _single_unit_cells("tON", lattice_unit_center)


def make_tOFF_cell_list(lattice_unit_center):
    return _single_unit_cells("tOFF", lattice_unit_center)


def make_sON_cell_list(lattice_unit_center):
    return _single_unit_cells("sON", lattice_unit_center)


def make_sOFF_cell_list(lattice_unit_center):
    return _single_unit_cells("sOFF", lattice_unit_center)


def make_overlapping_onoff_cell_list(lattice_unit_center):
    """Four ON-dominant cells with both subfields 2 apart, at 0/45/90/135 degrees."""
    n = 4
    config = {"lattice_unit_center": lattice_unit_center, "width": 5., "number_of_cells": n,
              "ang": _stats().rv_discrete(values=(np.arange(0, 180, 45), 1. / n * np.ones(n))),
              "amplitude_on": _two_valued(20, 25), "amplitude_off": _two_valued(-20, -25),
              "kpeaks_on": _peaks(15., 35.), "kpeaks_off": _peaks(20., 40.),
              "weights_on": (4., -2.5), "weights_off": (4., -2.5), "sigma_on": (9, 9), "sigma_off": (9, 9),
              "subfield_separation": 2., "dominant_subunit": "on", "delays_on": (0., 0.),
              "delays_off": (0., 0.)}
    return multi_cell_random_generator(make_on_off_cell_list, **config)


def make_separate_onoff_cell_list(lattice_unit_center):
    """Eight ON-dominant then eight OFF-dominant cells with subfields 4 apart, one per 45 degrees."""
    config = {"lattice_unit_center": lattice_unit_center, "width": 5., "number_of_cells": 8,
              "ang": np.arange(0, 360, 45), "sigma_on": (6, 6), "sigma_off": (6, 6), "subfield_separation": 4.}
    cells = []
    for dominant, dom_amps, other_amps in (("on", (20, 25), (-10, -15)), ("off", (-20, -25), (10, 15))):
        other = "off" if dominant == "on" else "on"
        config["dominant_subunit"] = dominant
        config["amplitude_" + dominant] = _two_valued(*dom_amps)
        config["amplitude_" + other] = _two_valued(*other_amps)
        config["kpeaks_" + dominant] = _peaks(15., 35.)
        config["kpeaks_" + other] = _peaks(80., 120.)
        config["weights_" + dominant] = (4., -2.5)
        config["weights_" + other] = (4, -.85)
        config["delays_" + dominant] = (0., 0.)
        config["delays_" + other] = (0., 0.)
        cells += multi_cell_random_generator(make_on_off_cell_list, **config)
    return cells


def make_lattice_unit(lattice_unit_center=None):
    """All six groups, in bmtk's order: tON, tOFF, sON, sOFF, overlapping, separate ON/OFF."""
    return (make_tON_cell_list(lattice_unit_center) + make_tOFF_cell_list(lattice_unit_center)
            + make_sON_cell_list(lattice_unit_center) + make_sOFF_cell_list(lattice_unit_center)
            + make_overlapping_onoff_cell_list(lattice_unit_center)
            + make_separate_onoff_cell_list(lattice_unit_center))
