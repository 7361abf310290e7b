"""Spatial filters (``bmtk...lgnmodel.spatialfilter``): a 2-D Gaussian placed on the screen, and a
filter from a given mask."""

import ast

import numpy as np

from . import utilities as util
from ._blur import gaussian_blur
from .kernel import Kernel2D


class ArrayFilter:
    """A spatial filter given as an image: the pixels above ``threshold``, scaled to sum to
    ``amplitude``."""

    def __init__(self, mask):
        self.mask = mask

    def imshow(self, row_range, col_range, threshold=0, **kwargs):
        return self.get_kernel(row_range, col_range, threshold).imshow(**kwargs)

    def get_kernel(self, row_range, col_range, threshold=0, amplitude=1.0):
        rows, cols = np.where(self.mask > threshold)
        vals = self.mask[rows, cols]
        return Kernel2D(row_range, col_range, rows, cols, amplitude * vals / vals.sum())


def _seed_image(n_cols, n_rows):
    """A unit-quarter impulse at the image centre, spread over the 2 or 4 central pixels when a side is
    even so that the blurred spot stays centred."""
    seed = np.zeros((n_cols, n_rows))
    rows0 = [n_cols // 2 - 1, n_cols // 2] if n_cols % 2 == 0 else [n_cols // 2]
    cols0 = [n_rows // 2 - 1, n_rows // 2] if n_rows % 2 == 0 else [n_rows // 2]
    for i in rows0:
        for j in cols0:
            seed[i, j] = 0.25
    return seed


class GaussianSpatialFilter:
    """A 2-D Gaussian receptive field.

    :param translate: (x, y) offset of the centre from ``origin``, in the units of the movie's
        col/row ranges
    :param sigma: (sigma_x, sigma_y) standard deviations in the same units (a string such as
        ``"(2.0, 2.0)"`` is accepted, as in node tables)
    :param rotation: rotation in degrees
    :param origin: 'center' (of the screen) or an (x, y) point the translation is measured from
    """

    def __init__(self, translate=(0.0, 0.0), sigma=(1.0, 1.0), rotation=0, origin="center"):
        self.translate = translate
        self.rotation = rotation
        if isinstance(sigma, str):
            try:
                sigma = ast.literal_eval(sigma)
            except (ValueError, SyntaxError):
                pass
        self.sigma = sigma
        self.origin = origin

    def imshow(self, row_range, col_range, threshold=0, **kwargs):
        return self.get_kernel(row_range, col_range, threshold).imshow(**kwargs)

    def to_dict(self):
        return {"class": (__name__, type(self).__name__), "translate": self.translate,
                "rotation": self.rotation, "sigma": self.sigma}

    def get_kernel(self, row_range, col_range, threshold=0, amplitude=1.0):
        """The filter on the grid ``row_range`` x ``col_range`` (at least two points each), as a
        Kernel2D cropped to its support, thresholded, scaled to unit |sum| times ``amplitude``."""
        if len(row_range) < 2 or len(col_range) < 2:
            raise ValueError("row_range and col_range need at least two points each, got {} and {}".format(
                len(row_range), len(col_range)))
        d_col = col_range[1] - col_range[0]
        d_row = row_range[1] - row_range[0]
        # bmtk's image is laid out (col, row): axis 0 runs along the columns
        image = gaussian_blur(_seed_image(len(col_range), len(row_range)),
                              (float(self.sigma[0]) / d_col, float(self.sigma[1]) / d_row))
        rotation = util.get_rotation_matrix(self.rotation, image.shape)
        shift = util.get_translation_matrix((float(self.translate[1]) / d_row,
                                             -float(self.translate[0]) / d_col))
        if not (isinstance(self.origin, str) and self.origin == "center"):
            centre_y = -(self.origin[0] - (col_range[-1] + col_range[0]) / 2) / d_col
            centre_x = (self.origin[1] - (row_range[-1] + row_range[0]) / 2) / d_row
            shift += util.get_translation_matrix((centre_x, centre_y))
        image = util.apply_transformation_matrix(image, shift + rotation)
        kernel = Kernel2D.from_dense(row_range, col_range, image, threshold=0)
        kernel.apply_threshold(threshold)
        kernel.normalize()
        kernel.kernel *= amplitude
        return kernel
