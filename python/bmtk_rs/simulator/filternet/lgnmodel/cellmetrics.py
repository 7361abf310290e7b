"""Per-subclass response statistics of recorded LGN cells (``bmtk...lgnmodel.cellmetrics``).

bmtk computes these from recording tables it ships inside its package (cell_metrics/*.csv). bmtk-rs
does not ship those files: give the directory that holds them (``saved_metrics_dir``), e.g. the
``cell_metrics`` folder of an installed bmtk.
"""

import os

import numpy as np
import pandas as pd

# columns of the tables: Bl_lat, Wh_lat, Bl_SI, Wh_SI, Spont, five F0s, five F1s
_COLUMNS = [13, 14, 17, 18, 28, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54]


def _no_tables_error(what):
    return FileNotFoundError(
        "{}: bmtk-rs does not ship bmtk's recorded LGN cell tables (cell_metrics/*_cell_data.csv, "
        "*_cells_v3.csv). Pass saved_metrics_dir= the folder holding them, e.g. the cell_metrics folder "
        "of an installed bmtk (bmtk/simulator/filternet/lgnmodel/cell_metrics).".format(what))


class SubclassMetricsCache:
    """Statistics per subclass of one cell class, computed once per class from the tables in
    ``saved_metrics_dir``."""

    def __init__(self, saved_metrics_dir=None):
        self._saved_metrics_dir = saved_metrics_dir
        self._metrics_cache = {}

    @property
    def saved_metrics_dir(self):
        return self._saved_metrics_dir

    @saved_metrics_dir.setter
    def saved_metrics_dir(self, path):
        if not os.path.isdir(path):
            raise FileNotFoundError("{} directory not found.".format(path))
        self._saved_metrics_dir = path

    def get_metrics(self, subclass_type):
        if subclass_type not in self._metrics_cache:
            self._metrics_cache[subclass_type] = self._load_metrics(subclass_type)
        return self._metrics_cache[subclass_type]

    def _table_path(self, ctype):
        if self._saved_metrics_dir is None:
            raise _no_tables_error("cell metrics for {!r}".format(ctype))
        name = "{}_cells_v3.csv" if "_sus" in ctype else "{}_cell_data.csv"
        path = os.path.join(self._saved_metrics_dir, name.format(ctype))
        if not os.path.isfile(path):
            raise FileNotFoundError("no metrics table for cell class {!r}: {} does not exist".format(ctype, path))
        return path

    def _load_metrics(self, ctype):
        table = pd.read_csv(self._table_path(ctype))
        n_cells = np.shape(table)[0]
        obs = table.iloc[:, _COLUMNS].copy()
        # a cell's subclass is the F0 column (temporal frequency) where it responds most
        obs["max_tf"] = obs.iloc[:, [5, 6, 7, 8, 9]].idxmax(axis=1).values
        groups = obs.groupby(["max_tf"])
        means, stds, sizes = groups.mean(), groups.std(), groups.size()
        largest = np.where(sizes == np.max(sizes))[0][0]
        is_off, is_on = ctype.find("OFF") >= 0, ctype.find("ON") >= 0
        si_col = slice(2, 3) if is_off else slice(3, 4)
        result = {}
        for k in np.arange(len(sizes)):
            m = means.iloc[k]
            if is_off or is_on:
                si_exp = means.iloc[k, si_col].values
                ttp_exp = means.iloc[k, 0:1].values if is_off else means.iloc[k, 1:2].values
            else:
                si_exp, ttp_exp = np.nan * np.ones((1, 5)), np.nan * np.ones((1, 2))
            nsub = sizes.iloc[k]
            if nsub == 1:
                # one cell: no spread of its own, take the mean spread of the largest subclass
                ref = stds.iloc[largest]
                f0_std = np.mean(ref.iloc[5:10].values) * np.ones((1, 5))
                f1_std = np.mean(ref.iloc[10:].values) * np.ones((1, 5))
                spont_std = np.mean(ref.iloc[4:5].values) * np.ones((1, 5))
                si_std = (np.mean(stds.iloc[largest, si_col].values) * np.ones((1, 5)) if (is_off or is_on)
                          else np.nan * np.ones((1, 5)))
            else:
                f0_std = stds.iloc[k, 5:10].values
                f1_std = stds.iloc[k, 10:].values
                spont_std = stds.iloc[k, 4:5].values
                si_std = stds.iloc[k, si_col].values if (is_off or is_on) else np.nan * np.ones((1, 5))
            if ctype.find("t") >= 0 or ctype.find("s") >= 0:
                tcross = 40. if ctype.find("t") >= 0 else 60.
                si_inf_exp = (si_exp - tcross / 200.) * (200. / (200. - tcross - 40.))
            else:
                si_inf_exp = np.nan
            result[m.name[3:]] = {
                "f0_exp": means.iloc[k, 5:10].values, "f1_exp": means.iloc[k, 10:].values,
                "spont_exp": means.iloc[k, 4:5].values, "si_exp": si_exp, "si_inf_exp": si_inf_exp,
                "ttp_exp": ttp_exp, "f0_std": f0_std, "f1_std": f1_std, "spont_std": spont_std,
                "si_std": si_std, "nsub": nsub, "N_class": n_cells}
        return result

    _instances = {}

    @classmethod
    def load_dir(cls, saved_metrics_dir=None):
        """One shared cache per directory."""
        if saved_metrics_dir not in cls._instances:
            cls._instances[saved_metrics_dir] = cls(saved_metrics_dir)
        return cls._instances[saved_metrics_dir]


def get_data_metrics_for_each_subclass(ctype, saved_metrics_dir=None):
    """Statistics of every subclass of cell class ``ctype`` (e.g. 'tON'), read from the tables in
    ``saved_metrics_dir`` (which bmtk-rs cannot default: see the module docstring)."""
    if saved_metrics_dir is None:
        raise _no_tables_error("get_data_metrics_for_each_subclass({!r})".format(ctype))
    return SubclassMetricsCache.load_dir(saved_metrics_dir).get_metrics(ctype)
