"""Node placement helpers (``bmtk.builder.auxi.node_params``).

Each function draws from numpy's global generator in the same order as bmtk 1.2.0, so a script
seeded with ``np.random.seed(s)`` places its cells identically under bmtk-rs and bmtk.
"""

import numpy as np


def _stack(x, y, z):
    return np.column_stack((x, y, z))


def _plot(points, plot):
    """Side and top views of the placed cells when ``plot=True``."""
    if not plot or len(points) == 0:
        return points
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("plot=True needs matplotlib (pip install bmtk-rs[plot])") from e
    fig, axes = plt.subplots(1, 2, figsize=(9, 5), subplot_kw={"projection": "3d"})
    for ax, (elev, title) in zip(axes, [(5.0, "Side view"), (90.0, "Top view")]):
        ax.scatter(points[:, 0], points[:, 2], points[:, 1], s=4)
        ax.set_xlabel("x")
        ax.set_ylabel("z")
        ax.set_zlabel("y")
        ax.set_title(title)
        ax.view_init(elev=elev, azim=-90)
    return points


def positions_columinar(N=1, center=(0.0, 50.0, 0.0), height=100.0, min_radius=0.0, max_radius=1.0,
                        plot=False):
    """N random points in a vertical cylinder (or ring, with ``min_radius``) around ``center``; the
    cylinder's axis is y. Returns an (N, 3) array of x, y, z."""
    angle = 2.0 * np.pi * np.random.random([N])
    # Radius with uniform area density between min_radius and max_radius.
    u = np.random.random([N])
    radius = np.sqrt(max_radius ** 2 + (min_radius ** 2 - max_radius ** 2) * u)
    depth = height * (np.random.random([N]) - 0.5)
    pts = _stack(center[0] + radius * np.cos(angle), center[1] + depth, center[2] + radius * np.sin(angle))
    return _plot(pts, plot)


def positions_rect_prism(N=1, center=(0.0, 50.0, 0.0), height=20.0, x_length=100.0, z_length=100.0, plot=False):
    """N random points in an axis-aligned box of x_length x height x z_length around ``center``."""
    dx = x_length * (np.random.random([N]) - 0.5)
    dz = z_length * (np.random.random([N]) - 0.5)
    dy = height * (np.random.random([N]) - 0.5)
    return _plot(_stack(center[0] + dx, center[1] + dy, center[2] + dz), plot)


def positions_ellipsoid(N=1, center=(0.0, 50.0, 0.0), height=50.0, x_length=100.0, z_length=200.0, plot=False):
    """Up to N random points inside an ellipsoid (rejection sampling from 3N points of its bounding box;
    fewer than N are returned when too few of them fall inside, as in bmtk)."""
    box = positions_rect_prism(3 * N, center, height, x_length, z_length)
    # Same expression and summation order as bmtk, so borderline points fall on the same side.
    level = ((box[:, 0] - center[0]) ** 2 / (x_length / 2) ** 2
             + (box[:, 1] - center[1]) ** 2 / (height / 2) ** 2
             + (box[:, 2] - center[2]) ** 2 / (z_length / 2) ** 2)
    return _plot(box[level < 1][:N], plot)


def positions_cuboid(N=1, center=(0.0, 0.0, 0.0), height=100.0, xside_length=100.0, yside_length=100.0,
                     min_dist=20.0, plot=False):
    """N distinct points of a regular grid (spacing ``min_dist``) starting at ``center``, chosen at random
    without replacement."""
    xs = np.arange(center[0], xside_length + min_dist, min_dist)
    ys = np.arange(center[1], yside_length + min_dist, min_dist)
    zs = np.arange(center[2], height + min_dist, min_dist)
    gx, gy, gz = np.meshgrid(xs, ys, zs)
    grid = np.stack([gx.ravel(), gy.ravel(), gz.ravel()], axis=1)
    if N > len(grid):
        raise ValueError("positions_cuboid: {} cells do not fit on a grid of {} points (min_dist={})".format(
            N, len(grid), min_dist))
    picks = np.random.choice(np.arange(len(grid)), N, replace=False)
    return _plot(grid[picks], plot)


def positions_list(positions=((0, 0, 0), (0, 0, 1))):
    """The given (N, 3) coordinates, as an (N, 3) array."""
    arr = np.asarray(positions)
    if arr.ndim != 2 or arr.shape[1] < 3:
        raise ValueError("positions_list: expected an (N, 3) array of x, y, z, got shape {}".format(arr.shape))
    return np.array(arr[:, :3])


def xiter_random(N=1, min_x=0.0, max_x=1.0):
    """N values drawn uniformly from [min_x, max_x)."""
    return np.random.uniform(low=min_x, high=max_x, size=(N,))
