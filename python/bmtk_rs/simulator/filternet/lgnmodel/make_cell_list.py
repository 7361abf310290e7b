"""Random populations of LGN cells around a lattice point (``bmtk...lgnmodel.make_cell_list``).
Positions are drawn from numpy's global generator, in bmtk's order, so a seeded run places cells as
bmtk does."""

import numpy as np

from .cellmodel import LGNOnOffCell, OffUnit, OnUnit, TwoSubfieldLinearCell  # noqa: F401 - LGNOnOffCell as bmtk
from .linearfilter import SpatioTemporalFilter
from .spatialfilter import GaussianSpatialFilter
from .temporalfilter import TemporalFilterCosineBump
from .transferfunction import MultiTransferFunction, ScalarTransferFunction  # noqa: F401


def _is_distribution(value):
    return callable(getattr(value, "rvs", None))


def multi_cell_random_generator(cell_creation_function=None, **kwargs):
    """Cells whose parameters are drawn from the distributions among ``kwargs`` (anything with
    ``.rvs``, e.g. scipy.stats), taken per cell from arrays, or fixed; ``number_of_cells`` (default 1)
    sets how many. Without ``cell_creation_function`` the parameter dicts are returned."""
    drawn, fixed, per_cell = {}, {}, {}
    for key, val in kwargs.items():
        if _is_distribution(val):
            drawn[key] = val
        elif isinstance(val, np.ndarray):
            per_cell[key] = val
        else:
            fixed[key] = val
    n = fixed.pop("number_of_cells", 1)
    for key, val in per_cell.items():
        if len(val) != n:
            raise ValueError("{} has {} values for {} cells".format(key, len(val), n))
    if not drawn:
        raise ValueError("multi_cell_random_generator needs at least one distribution parameter")
    keys, dists = zip(*drawn.items())
    samples = zip(*[d.rvs(size=n) for d in dists])
    cells = []
    for i, values in enumerate(samples):
        params = dict(zip(keys, values))
        params.update(fixed)
        params["number_of_cells"] = 1
        for key, val in per_cell.items():
            params[key] = val[i]
        if cell_creation_function is None:
            cells.append(params)
        else:
            cells += cell_creation_function(**params)
    return cells


def _jitter(width):
    dx = np.random.uniform(-width * 1. / 2, width * 1. / 2)
    dy = np.random.uniform(-width * 1. / 2, width * 1. / 2)
    return dx, dy


def make_single_unit_cell_list(number_of_cells=None, lattice_unit_center=None, weights=None, kpeaks=None,
                               delays=None, amplitude=None, sigma=None, width=5,
                               transfer_function_str="Heaviside(s)*s"):
    """ON (amplitude > 0) or OFF (< 0) units placed uniformly within ``width`` of the lattice point."""
    if not amplitude:
        raise ValueError("amplitude must be non-zero (> 0 for ON units, < 0 for OFF), got {}".format(amplitude))
    cells = []
    for _ in range(number_of_cells):
        dx, dy = _jitter(width)
        spatial = GaussianSpatialFilter(translate=(dx, dy), sigma=sigma, origin=lattice_unit_center)
        linear = SpatioTemporalFilter(spatial, TemporalFilterCosineBump(weights, kpeaks, delays), amplitude=amplitude)
        unit_cls = OnUnit if amplitude > 0. else OffUnit
        cells.append(unit_cls(linear, ScalarTransferFunction(transfer_function_str)))
    return cells


def make_on_off_cell_list(number_of_cells=None, lattice_unit_center=None, weights_on=None, weights_off=None,
                          kpeaks_on=None, kpeaks_off=None, delays_on=None, delays_off=None, amplitude_on=None,
                          amplitude_off=None, sigma_on=None, sigma_off=None, subfield_separation=None, ang=None,
                          dominant_subunit=None, width=5, transfer_function_str="Heaviside(x)*x + Heaviside(y)*y"):
    """Two-subfield ON/OFF cells placed uniformly within ``width`` of the lattice point
    (``transfer_function_str`` is accepted for bmtk's signature; the cells use their default)."""
    if dominant_subunit not in ("on", "off"):
        raise ValueError("dominant_subunit must be 'on' or 'off', got {!r}".format(dominant_subunit))
    cells = []
    for _ in range(number_of_cells):
        dx, dy = _jitter(width)
        location = (lattice_unit_center[0] + dx, lattice_unit_center[1] + dy)
        on_spatial = GaussianSpatialFilter(translate=location, sigma=sigma_on, origin=(0, 0))
        on_filter = SpatioTemporalFilter(on_spatial, TemporalFilterCosineBump(weights_on, kpeaks_on, delays_on),
                                         amplitude=amplitude_on)
        off_spatial = GaussianSpatialFilter(translate=location, sigma=sigma_off, origin=(0, 0))
        off_filter = SpatioTemporalFilter(off_spatial, TemporalFilterCosineBump(weights_off, kpeaks_off, delays_off),
                                          amplitude=amplitude_off)
        cells.append(TwoSubfieldLinearCell(on_filter, off_filter, subfield_separation=subfield_separation,
                                           onoff_axis_angle=ang, dominant_subfield_location=location))
    return cells


def evaluate_cell_and_plot(input_cell, input_movie, ax, show=False):
    import matplotlib.pyplot as plt

    t, y = input_cell.evaluate(input_movie, downsample=10)
    ax.plot(t, y)
    if show:
        plt.show()
