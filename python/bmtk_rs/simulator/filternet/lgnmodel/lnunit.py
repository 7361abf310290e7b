"""Linear-nonlinear units (``bmtk...lgnmodel.lnunit``): a linear filter followed by a transfer
function, and groups of them combined by a multi-variable transfer function."""

from .cursor import (LNUnitCursor, MultiLNUnitCursor, MultiLNUnitMultiMovieCursor, SeparableLNUnitCursor,
                     SeparableMultiLNUnitCursor)
from .kernel import Kernel2D, Kernel3D


class LNUnit:
    def __init__(self, linear_filter, transfer_function, amplitude=1.):
        self.linear_filter = linear_filter
        self.transfer_function = transfer_function
        self.amplitude = amplitude

    def evaluate(self, movie, **kwargs):
        """(times, rates) of the unit on ``movie``; ``separable=True`` takes the faster separable path."""
        return self.get_cursor(movie, separable=kwargs.pop("separable", False)).evaluate(**kwargs)

    def get_spatiotemporal_kernel(self, *args, **kwargs):
        return self.linear_filter.get_spatiotemporal_kernel(*args, **kwargs)

    def get_spectrotemporal_kernel(self, *args, **kwargs):
        return self.linear_filter.get_spectrotemporal_kernel(*args, **kwargs)

    def get_cursor(self, movie, threshold=0, separable=False):
        if separable:
            return SeparableLNUnitCursor(self, movie)
        return LNUnitCursor(self, movie, threshold=threshold)

    def show_temporal_filter(self, *args, **kwargs):
        self.linear_filter.show_temporal_filter(*args, **kwargs)

    def show_spatial_filter(self, *args, **kwargs):
        self.linear_filter.show_spatial_filter(*args, **kwargs)

    def to_dict(self):
        return {"class": (__name__, type(self).__name__), "linear_filter": self.linear_filter.to_dict(),
                "transfer_function": self.transfer_function.to_dict()}


class MultiLNUnit:
    def __init__(self, lnunit_list, transfer_function):
        self.lnunit_list = lnunit_list
        self.transfer_function = transfer_function

    def get_spatiotemporal_kernel(self, *args, **kwargs):
        """The sum of the units' kernels (entries at the same index added)."""
        total = Kernel3D([], [], [], [], [], [], [])
        for unit in self.lnunit_list:
            total = total + unit.get_spatiotemporal_kernel(*args, **kwargs)
        return total

    def show_temporal_filter(self, *args, **kwargs):
        import matplotlib.pyplot as plt

        ax = kwargs.pop("ax", None)
        show = kwargs.pop("show", None)
        save_file_name = kwargs.pop("save_file_name", None)
        if ax is None:
            _, ax = plt.subplots(1, 1)
        kwargs.update({"ax": ax, "show": False, "save_file_name": None})
        for unit in self.lnunit_list:
            color = "b" if unit.linear_filter.amplitude < 0 else "r"
            unit.linear_filter.show_temporal_filter(color=color, **kwargs)
        if save_file_name is not None:
            plt.savefig(save_file_name, transparent=True)
        if show:
            plt.show()
        return ax

    def show_spatial_filter(self, *args, **kwargs):
        ax = kwargs.pop("ax", None)
        show = kwargs.pop("show", True)
        save_file_name = kwargs.pop("save_file_name", None)
        colorbar = kwargs.pop("colorbar", True)
        total = Kernel2D(args[0], args[1], [], [], [])
        for unit in self.lnunit_list:
            total = total + unit.linear_filter.spatial_filter.get_kernel(*args, **kwargs)
        total.imshow(ax=ax, show=show, save_file_name=save_file_name, colorbar=colorbar)

    def get_cursor(self, *args, **kwargs):
        """A cursor on one movie, or with several movies one per unit (not separable)."""
        threshold = kwargs.get("threshold", 0.)
        separable = kwargs.get("separable", False)
        if len(args) == 0:
            raise ValueError("get_cursor needs a movie (or one movie per unit)")
        if len(args) == 1:
            if separable:
                return SeparableMultiLNUnitCursor(self, args[0])
            return MultiLNUnitCursor(self, args[0], threshold=threshold)
        if separable:
            raise NotImplementedError("separable evaluation with one movie per unit")
        return MultiLNUnitMultiMovieCursor(self, args, threshold=threshold)

    def evaluate(self, movie, **kwargs):
        separable = kwargs.pop("separable", False)
        return self.get_cursor(movie, separable=separable).evaluate(**kwargs)
