"""The part of sklearn.decomposition.PCA that bmtk's get_axon_direction uses (scikit-learn is optional for
bmtk; the first axis is the same), shared by the NEURON oracle scripts."""

import numpy as np


class NumpyPCA:
    def __init__(self, n_components):
        self.n_components = n_components

    def fit(self, x):
        x = np.asarray(x, dtype=float)
        _, _, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
        self.components_ = vt[: self.n_components]
        return self
