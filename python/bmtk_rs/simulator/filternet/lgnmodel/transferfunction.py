"""Static nonlinearities (``bmtk...lgnmodel.transferfunction``) applied to a linear filter's output,
given as strings in sympy's spelling, e.g. ``'Heaviside(s + 1.0)*(s + 1.0)'``."""

import numpy as np

from ._expr import compile_expression


class ScalarTransferFunction:
    """f(s) of one variable (named by ``symbol``, default ``s``; a sympy Symbol is accepted too)."""

    def __init__(self, transfer_function_string, symbol="s"):
        self.symbol = symbol
        self.transfer_function_string = transfer_function_string
        self.closure = compile_expression(transfer_function_string, [str(symbol)])

    def __call__(self, s):
        return self.closure(s)

    def to_dict(self):
        return {"class": (__name__, type(self).__name__), "function": self.transfer_function_string}

    def imshow(self, rates, times=None, show=True):
        import matplotlib.pyplot as plt

        vals = [self(rate) for rate in rates]
        times = np.linspace(0.0, 1.0, len(rates)) if times is None else times
        _, ax1 = plt.subplots()
        ax1.set_xlabel("time (seconds)")
        ax1.set_ylabel(str(self.symbol), color="b")
        ax1.plot(times, rates, "--b")
        ax1.tick_params(axis="y", labelcolor="b")
        ax2 = ax1.twinx()
        ax2.set_ylabel("transform", color="r")
        ax2.plot(times, vals, "r")
        ax2.tick_params(axis="y", labelcolor="r")
        plt.title(self.transfer_function_string)
        if show:
            plt.show()


class MultiTransferFunction:
    """f(x, y, ...) combining several units' outputs; called with one float per variable, or with one
    sequence per variable (then evaluated element by element into an array)."""

    def __init__(self, symbol_tuple, transfer_function_string):
        self.symbol_tuple = symbol_tuple
        self.transfer_function_string = transfer_function_string
        self.closure = compile_expression(transfer_function_string, [str(s) for s in symbol_tuple])

    def __call__(self, *s):
        if isinstance(s[0], float):
            return self.closure(*s)
        return np.array([self.closure(*vals) for vals in zip(*s)])

    def to_dict(self):
        return {"class": (__name__, type(self).__name__), "function": self.transfer_function_string}
