"""A population of LGN cells evaluated on one movie (``bmtk...lgnmodel.lgnmodel1``), with plots of
the results."""

import numpy as np


def line_plot(evaluate_result, ax=None, show=True, save_file_name=None, xlabel=None, plotstyle=None):
    """One line per (times, rates) pair."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(1, 1)
    styles = plotstyle if plotstyle is not None else [None] * len(evaluate_result)
    for (t_range, y_vals), style in zip(evaluate_result, styles):
        if style is None:
            ax.plot(t_range, y_vals)
        else:
            ax.plot(t_range, y_vals, style)
    ax.set_xlabel("Time (Seconds)" if xlabel is None else xlabel)
    if save_file_name is not None:
        plt.savefig(save_file_name, transparent=True)
    if show:
        plt.show()


def heat_plot(evaluate_result, ax=None, show=True, save_file_name=None, colorbar=True, **kwargs):
    """Rates of every cell (rows) over time as a colour map."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(1, 1)
    data = np.empty((len(evaluate_result), len(evaluate_result[0][0])))
    for i, (_, y_vals) in enumerate(evaluate_result):
        data[i, :] = y_vals
    t_vals = evaluate_result[-1][0]
    mesh = ax.pcolor(t_vals, np.arange(len(evaluate_result)), data, **kwargs)
    ax.set_ylim([0, len(evaluate_result) - 1])
    ax.set_xlim([t_vals[0], t_vals[-1]])
    ax.set_ylabel("Neuron id")
    ax.set_xlabel("Time (Seconds)")
    if colorbar:
        plt.colorbar(mesh)
    if save_file_name is not None:
        plt.savefig(save_file_name, transparent=True)
    if show:
        plt.show()


class LGNModel:
    def __init__(self, cell_list):
        self.cell_list = cell_list

    def evaluate(self, movie, **kwargs):
        """[(times, rates)] of every cell on ``movie``."""
        return [cell.evaluate(movie, **kwargs) for cell in self.cell_list]

    def __len__(self):
        return len(self.cell_list)
